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

// postgresSource writes events and usage rows into a fresh PostgreSQL
// database through the store `warden serve` uses, and opens it for
// reports. With nothing to write the database is left without tables, as
// before `warden serve` first ran on it.
func postgresSource(t testing.TB, events []eventlog.Event, rows ...usage.Row) *report.Source {
	t.Helper()
	if len(events) == 0 && len(rows) == 0 {
		src, err := report.OpenPostgres(pg.Server(t).NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		return src
	}
	st, src := openPostgres(t)
	writeFixture(t, st, events, rows)
	return src
}

// openPostgres opens a store on a fresh PostgreSQL database and the
// report source on it; both are closed when the test ends.
func openPostgres(t testing.TB) (fixtureStore, *report.Source) {
	t.Helper()
	dsn := pg.Server(t).NewDatabase(t)
	cfg := postgres.DefaultConfig()
	cfg.DSN = dsn
	st, err := postgres.Open(context.Background(), cfg, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src, err := report.OpenPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return st, src
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
