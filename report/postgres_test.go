package report_test

import (
	"context"
	"os"
	"testing"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/report"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/usage"
)

// pg is one PostgreSQL cluster for the package's tests; each test gets
// its own database.
var pg pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Close()
	os.Exit(code)
}

// postgresSource writes events into a fresh PostgreSQL database through
// the store `warden serve` uses, and opens it for reports.
func postgresSource(t testing.TB, events []eventlog.Event, rows ...usage.Row) *report.Source {
	t.Helper()
	dsn := pg.Server(t).NewDatabase(t)
	ctx := context.Background()
	if len(events) > 0 || len(rows) > 0 {
		cfg := postgres.DefaultConfig()
		cfg.DSN = dsn
		st, err := postgres.Open(ctx, cfg, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			if err := st.AddUsage(ctx, rows); err != nil {
				t.Fatal(err)
			}
		}
		for len(events) > 0 {
			n := min(len(events), 5000)
			if err := st.WriteEvents(ctx, events[:n]); err != nil {
				t.Fatal(err)
			}
			events = events[n:]
		}
		st.Close()
	}
	src, err := report.OpenPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func TestBuildPostgres(t *testing.T) {
	r := build(t, postgresSource(t, fixture()), nil)
	checkFigures(t, r)
	if r.Source != "PostgreSQL" {
		t.Errorf("source = %q", r.Source)
	}
}

// A database no Warden has written to yet has no events table: the
// report is empty, not an error.
func TestPostgresNoTable(t *testing.T) {
	r := build(t, postgresSource(t, nil), nil)
	if r.Today != (report.Headline{}) || len(r.Hours) != 24 {
		t.Errorf("report = %+v", r.Today)
	}
}
