// Package eventlog is Warden's decision log: one Event per decision that is
// not a plain allow (and per request when the request log is on), written as
// a JSON line through log/slog and, asynchronously and in batches, to an
// event store (SQLite on one machine, PostgreSQL for many) that the admin
// API, the dashboard and the daily report query.
//
// The request path only builds an Event and calls Writer.Enqueue, which
// never blocks: when the bounded queue is full the event is dropped and
// counted (Writer.Dropped, Options.OnDrop), never silently lost.
//
// Any package may import eventlog; it imports only abuse and
// internal/redact from Warden.
package eventlog
