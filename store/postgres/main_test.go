package postgres

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/internal/syncbuf"
	"github.com/warden-dev/warden/store/sqlite"
)

// pg is one PostgreSQL cluster for the package's tests (a cluster takes
// a couple of seconds to create); each test gets its own database.
var pg pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Close()
	os.Exit(code)
}

// newDB returns a fresh database on the shared cluster and the cluster.
func newDB(t testing.TB) (string, *pgtest.Server) {
	t.Helper()
	srv := pg.Server(t)
	return srv.NewDatabase(t), srv
}

// textLogger returns a logger writing text lines to logs, which a test
// reads while the Store's goroutines still log.
func textLogger(logs *syncbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, nil))
}

// open opens a Store on dsn with the test's defaults (short retry) and
// closes it when the test ends.
func open(t testing.TB, dsn string, opt Options) *Store {
	t.Helper()
	return openTuned(t, dsn, opt, nil)
}

// openTuned is open with tune applied to the Store before it runs
// (backfill batch size, hooks).
func openTuned(t testing.TB, dsn string, opt Options, tune func(*Store)) *Store {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DSN = dsn
	cfg.RetryAfter = 50 * time.Millisecond
	if opt.Logger == nil {
		opt.Logger = textLogger(&syncbuf.Buffer{})
	}
	s, err := openStore(context.Background(), cfg, opt, tune)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	return openSQLiteAt(t, filepath.Join(t.TempDir(), "warden.db"))
}

// openSQLiteAt opens the SQLite database at path, as a restarted Warden
// opens its data dir's, and closes it when the test ends.
func openSQLiteAt(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
