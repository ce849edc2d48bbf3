// Package behavior detects abuse that no single request shows: floods,
// error storms, sensitive-path probing, content discovery (also paced
// over an hour: slow scans), endpoint scanning, ID enumeration (BOLA),
// credential stuffing and brute force, bursts after idle, user-agent
// rotation and repeated payload probing.
//
// A Detector keeps a small fixed-size record per client (the user when one
// is known, else the IP) in a sharded, capped table with least-recently-seen
// eviction; no goroutine runs per client. Detect decides from the state so
// far plus the request at hand; Observe, called once after each request
// with its status, updates the windows. All time comes from
// abuse.Request.Time, so the same engine serves the proxy and offline
// replay (package logreplay).
//
// Findings come in tiers, after django-smart-layer: BLACK findings ask for
// Block at once, GREY findings carry a confidence and a violation type to be
// scored (and later judged), WHITE means nothing found. Several GREY
// findings on one request combine as 1-Π(1-cᵢ); a combination that reaches
// Config.BlackConfidence is treated as BLACK.
//
// Any package may import behavior; it depends only on abuse.
package behavior
