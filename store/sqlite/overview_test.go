package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
)

func TestOverview(t *testing.T) {
	db, _ := openTemp(t)
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if err := db.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	got, err := db.Overview(context.Background(), base, base.Add(time.Hour), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	overviewtest.Check(t, got, overviewtest.Want(base))
	if _, err := db.Overview(context.Background(), base, base, time.Minute); err == nil {
		t.Error("empty range: no error")
	}
}

// BenchmarkOverviewDay is the dashboard's overview of a day of 1M events
// (5% of them stopped, 2,000 clients) in 5-minute steps.
func BenchmarkOverviewDay(b *testing.B) {
	db, _ := openTemp(b)
	ctx := context.Background()
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	const total = 1_000_000
	if err := overviewtest.Day(base, total, func(batch []eventlog.Event) error { return db.WriteEvents(ctx, batch) }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		o, err := db.Overview(ctx, base, base.Add(24*time.Hour), 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if o.Actions["block"] != total/20 {
			b.Fatalf("blocked %d", o.Actions["block"])
		}
	}
}

func TestSearch(t *testing.T) {
	db, _ := openTemp(t)
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if err := db.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	overviewtest.CheckSearch(t, db, base)
}

// BenchmarkSearchDay is a page of 100 of the decision log over a day of
// 1M events: the newest, one client's, and the SQL injections.
func BenchmarkSearchDay(b *testing.B) {
	db, _ := openTemp(b)
	ctx := context.Background()
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if err := overviewtest.Day(base, 1_000_000, func(batch []eventlog.Event) error { return db.WriteEvents(ctx, batch) }); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct {
		name string
		q    eventlog.Query
	}{
		{"newest", eventlog.Query{Limit: 100}},
		{"client", eventlog.Query{Client: "10.0.3.7", Limit: 100}},
		{"action", eventlog.Query{Action: "block", Limit: 100}},
		{"violation", eventlog.Query{Violation: "sqli", Limit: 100}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				p, err := db.Search(ctx, q.q)
				if err != nil || len(p.Events) != 100 {
					b.Fatalf("%d events, %v", len(p.Events), err)
				}
			}
		})
	}
}

// TestOverviewRollup checks the rollup against the events after every
// change that touches it: writes, retention cutting a minute, the rows a
// backfill copied elsewhere deleted, and a database from before the
// rollup, which Open fills from its events.
func TestOverviewRollup(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	events := overviewtest.Events(base)
	if err := db.WriteEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	overviewtest.CheckRanges(t, db, base, events)

	// Retention in the middle of minute 15 (the traversal blocks).
	cut := base.Add(15*time.Minute + 1500*time.Millisecond)
	if _, err := db.DeleteEventsBefore(ctx, cut); err != nil {
		t.Fatal(err)
	}
	var kept []eventlog.Event
	for _, e := range events {
		if !e.Time.Before(cut) {
			kept = append(kept, e)
		}
	}
	overviewtest.CheckRanges(t, db, base, kept)

	// A backfill deletes the rows it copied: the first three (one of
	// them twice), and one whose row no longer holds that event.
	stored, err := db.StoredEventsAfter(ctx, 0, 3)
	if err != nil || len(stored) != 3 {
		t.Fatalf("stored events: %d, %v", len(stored), err)
	}
	gone := append(stored, stored[0], StoredEvent{Row: stored[2].Row + 1, TimeNS: 1})
	if n, err := db.DeleteStoredEvents(ctx, gone); err != nil || n != 3 {
		t.Fatalf("deleted %d, %v; want 3", n, err)
	}
	kept = kept[3:]
	overviewtest.CheckRanges(t, db, base, kept)

	// A database from before the rollup: Open fills it.
	if _, err := db.db.ExecContext(ctx, `DROP TABLE event_counts`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `PRAGMA user_version = 2`); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path)
	overviewtest.CheckRanges(t, db, base, kept)

	// Retention of everything leaves no rollup row.
	if _, err := db.DeleteEventsBefore(ctx, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_counts`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("event_counts holds %d rows after everything was deleted (%v)", rows, err)
	}
}
