package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
	"github.com/warden-dev/warden/internal/poll"
)

// TestOverview checks PostgreSQL's aggregation against the same answer as
// SQLite's and the Go builder's, a client's NUL escape included.
func TestOverview(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{})
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	events := overviewtest.Events(base)
	events[0].Path = "/nul\x00"
	if err := s.WriteEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	got, err := s.Overview(ctx, base, base.Add(time.Hour), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	overviewtest.Check(t, got, overviewtest.Want(base))
}

func TestSearch(t *testing.T) {
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{})
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	events := overviewtest.Events(base)
	// A client's NUL in a message (the SQL injections at minute 2) does
	// not break the detector and violation filters, which read the line.
	events[40].Abuse.Detectors[0].Messages = []string{"UNION SELECT\x00"}
	if err := s.WriteEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	overviewtest.CheckSearch(t, s, base)
}

// BenchmarkOverviewDay is store/sqlite's benchmark on PostgreSQL: the
// overview of a day of 1M events in 5-minute steps.
func BenchmarkOverviewDay(b *testing.B) {
	ctx := context.Background()
	dsn, _ := newDB(b)
	s := open(b, dsn, Options{})
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	const total = 1_000_000
	if err := overviewtest.Day(base, total, func(batch []eventlog.Event) error { return s.WriteEvents(ctx, batch) }); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE `+table); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		o, err := s.Overview(ctx, base, base.Add(24*time.Hour), 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if o.Actions["block"] != total/20 {
			b.Fatalf("blocked %d", o.Actions["block"])
		}
	}
}

// TestOverviewRollup checks the rollup the triggers keep against the
// events: written by COPY and by the backfill of a fallback's backlog,
// after retention cuts a minute, on a database from before the rollup
// (filled when the schema is upgraded), and when a second instance runs
// the upgrade again.
func TestOverviewRollup(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	events := overviewtest.Events(base)
	// A client's NUL in a message (the SQL injections at minute 2) is
	// no reason to refuse a write, in either way of writing.
	events[40].Abuse.Detectors[0].Messages = []string{"\x00 UNION"}
	lite := openSQLite(t)
	if err := lite.WriteEvents(ctx, events[30:60]); err != nil {
		t.Fatal(err)
	}
	s := open(t, dsn, Options{Fallback: lite})
	poll.Until(t, "the backlog to be backfilled", func() bool { return localCount(t, lite) == 0 })
	if err := s.WriteEvents(ctx, append(slices.Clone(events[:30]), events[60:]...)); err != nil {
		t.Fatal(err)
	}
	overviewtest.CheckRanges(t, s, base, events)

	// Retention in the middle of minute 15 (the traversal blocks).
	cut := base.Add(15*time.Minute + 1500*time.Millisecond)
	if _, err := s.DeleteEventsBefore(ctx, cut); err != nil {
		t.Fatal(err)
	}
	var kept []eventlog.Event
	for _, e := range events {
		if !e.Time.Before(cut) {
			kept = append(kept, e)
		}
	}
	overviewtest.CheckRanges(t, s, base, kept)

	// A database from before the rollup: the next instance's schema
	// step fills it from the events.
	for _, q := range []string{`DROP TABLE ` + countsTable, `DROP FUNCTION ` + countsTable + `_change() CASCADE`} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s2 := open(t, dsn, Options{})
	overviewtest.CheckRanges(t, s2, base, kept)

	// A second instance that upgraded at the same time runs the schema
	// again once the first is done: nothing is counted twice.
	err := pgx.BeginFunc(ctx, s2.pool, func(tx pgx.Tx) error {
		for _, q := range schema {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	overviewtest.CheckRanges(t, s2, base, kept)

	// Retention of everything leaves no rollup row.
	if _, err := s2.DeleteEventsBefore(ctx, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s2.pool.QueryRow(ctx, `SELECT COUNT(*) FROM `+countsTable).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%s holds %d rows after everything was deleted (%v)", countsTable, rows, err)
	}
}
