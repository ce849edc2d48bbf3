package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
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
	if err := s.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
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
