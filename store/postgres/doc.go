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
// its JSON log line, which is what is read back, plus event_id, the
// event's key: its time and a hash of its line, so the same event has the
// same key wherever it is computed, and unique, so an event is stored
// once however often it is copied. The schema is created or upgraded at
// start if needed (IF NOT EXISTS statements under an advisory lock, so
// instances starting together do not race; a table from before event_id
// gets the column in place, its old rows left without a key).
//
// Failure mode: when PostgreSQL does not answer, events go to a local
// fallback store (the SQLite database in the data dir) so requests and the
// decision log go on, and nothing already written is lost. The outage is
// logged once when it starts and once when it ends, each operation that
// fell back is reported through Options.OnFailure (a metrics counter), and
// a background probe pings PostgreSQL every Config.RetryAfter; new events
// go to it as soon as it answers. The event writer never waits on a dead
// server beyond the first failed write.
//
// Backfill: when the fallback is a *sqlite.DB, the events it holds are
// copied into PostgreSQL in the background whenever PostgreSQL is up (at
// start, so a backlog left by a stop mid-outage is not forgotten, and
// when an outage ends), so every instance and report sees them. Each
// batch is one INSERT that skips events already stored, and is deleted
// from SQLite only after PostgreSQL committed it: a backfill stopped
// anywhere resumes without loss or duplicates, and a write whose reply
// was lost (committed, yet also sent to the fallback) ends up stored
// once. Each run that moved events logs one line with its counts; copied
// events are reported through Options.OnBackfill and Stats. With
// store.postgres configured, the SQLite events table is therefore a
// spool: events already there when PostgreSQL is first configured are
// uploaded too. Reads merge both stores and show an event held by both
// once; the DSN's password never reaches a log line or an error.
package postgres
