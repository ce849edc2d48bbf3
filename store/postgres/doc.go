// Package postgres is Warden's event store for many machines: the decision
// events of the eventlog in one PostgreSQL table (warden_events) that
// every instance writes to and the admin API of any instance reads, over
// a pgx connection pool. Store implements eventlog.Store and
// eventlog.Pruner with the SQLite store's semantics: a batch is written
// all or none (one COPY), Events returns the newest events at or after
// since, newest first, and DeleteEventsBefore enforces retention.
//
// The table mirrors store/sqlite's events table: the event's time in Unix
// nanoseconds, the columns an operator filters on, and the event itself as
// its JSON log line, which is what is read back. It is created at start if
// missing (CREATE TABLE IF NOT EXISTS, under an advisory lock so instances
// starting together do not race).
//
// Failure mode: when PostgreSQL does not answer, events go to a local
// fallback store (the SQLite database in the data dir) so requests and the
// decision log go on, and nothing already written is lost. The outage is
// logged once when it starts and once when it ends, each operation that
// fell back is reported through Options.OnFailure (a metrics counter), and
// a background probe pings PostgreSQL every Config.RetryAfter; new events
// go to it as soon as it answers. The event writer never waits on a dead
// server beyond the first failed write. Reads merge both stores, so events kept locally
// during an outage stay visible. The DSN's password never reaches a log
// line or an error.
package postgres
