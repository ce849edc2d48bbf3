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
