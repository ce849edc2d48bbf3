// Package warden stops abuse of HTTP APIs and AI endpoints before it
// reaches the application: rate limits, violation scores and bans, payload
// attack detection, behavioural detection and AI-endpoint protections, in
// one net/http middleware.
//
// A Guard runs every request through the same pipeline:
//
//	identify → allow-list / ban check → detectors → policy → action → observe
//
// Detectors (package abuse) each return a Verdict with a confidence 0..1,
// a violation type and messages; no verdict can overwrite another. Policy
// takes the most severe action any verdict asks for. Violations feed
// enforcement, which scores clients and bans them.
//
// Custom detectors register on net/http.ServeMux patterns with
// Guard.Detect; detectors registered with Guard.DetectDefault run on
// requests no pattern matches, and Guard.Use adds detectors that run on
// every request.
//
// The Guard keeps its state in bounded memory and does no I/O of its own:
// bans, scores, limits and the decision log go to stores only when handed
// in Config.Backends, and metrics to Prometheus only when a Meter is. The
// package links no database or Redis driver; package server opens the
// stores `warden serve` uses (SQLite in the data dir, Redis, PostgreSQL),
// its metrics and its admin API.
package warden
