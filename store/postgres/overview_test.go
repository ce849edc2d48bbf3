package postgres

import (
	"context"
	"testing"
	"time"

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
