// Package alert raises alerts from what a running Warden decides and sends
// them to people: rules with a threshold and a window over bans, blocked
// requests, attack classes, credential stuffing, store outages, dropped
// events, LLM failures, exhausted budgets and Warden's own errors;
// grouping and deduplication as Alertmanager does them; email, Slack and
// signed webhooks; an outbox that survives restarts; and the incident log
// behind GET /api/v1/alerts and `warden alerts`.
//
// It is part of the server: package server and cmd/warden import it; the
// root package, the library, does not.
package alert
