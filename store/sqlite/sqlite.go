package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// BusyTimeout is how long a statement waits for another connection's write
// lock before failing with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

// DB is an open Warden SQLite database. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	path string
}

// Open opens (creating it when missing) the database file at path and
// migrates its schema to the current version. path ":memory:" gives a
// private in-memory database, for tests. A new file is created with mode
// 0600.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: path must not contain '?'", path)
	}
	if path != ":memory:" {
		// Bans and events hold client addresses and user ids: create the
		// file private. SQLite gives its -wal and -shm files the same mode.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)") // durable across process crashes; WAL keeps it consistent on power loss
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if path == ":memory:" {
		// Each connection would get its own empty database.
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(4)
	}
	d := &DB{db: db, path: path}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return d, nil
}

// Close closes the database. Close waits for queries in flight.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", d.path, err)
	}
	return nil
}

// Path returns the file the database was opened from.
func (d *DB) Path() string { return d.path }

// SchemaVersion returns the schema version of the open database.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := d.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}

// migrations[i] takes the schema from version i to version i+1. Append
// only: never edit a migration that has shipped.
var migrations = [][]string{
	{ // 0 → 1
		`CREATE TABLE bans (
			target     TEXT PRIMARY KEY,        -- "ip:203.0.113.7" | "user:42"
			reason     TEXT NOT NULL,
			violation  TEXT NOT NULL DEFAULT '',
			created_ns INTEGER NOT NULL,        -- Unix nanoseconds
			until_ns   INTEGER NOT NULL
		) STRICT`,
		`CREATE TABLE events (
			id          INTEGER PRIMARY KEY,
			time_ns     INTEGER NOT NULL,
			request_id  TEXT NOT NULL,
			action      TEXT NOT NULL,
			client_ip   TEXT NOT NULL,
			client_user TEXT NOT NULL,
			route       TEXT NOT NULL,
			status      INTEGER NOT NULL,
			confidence  REAL NOT NULL,          -- abuse.confidence, 0 when absent
			data        TEXT NOT NULL           -- the event as its JSON log line
		) STRICT`,
		`CREATE INDEX events_time ON events (time_ns)`,
		`CREATE TABLE lifetime_quotas (
			key   TEXT PRIMARY KEY,
			total INTEGER NOT NULL
		) STRICT, WITHOUT ROWID`,
	},
	{ // 1 → 2
		// The overview reads the decisions that stopped a request, a few
		// in a day of mostly allowed ones, by action and time.
		`CREATE INDEX events_action_time ON events (action, time_ns)`,
	},
	rollupMigration, // 2 → 3
}

func (d *DB) migrate(ctx context.Context) error {
	tx, err := d.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this Warden supports (%d); use a newer Warden or another data dir", v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	for i := v; i < len(migrations); i++ {
		for _, stmt := range migrations[i] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", i, i+1, err)
			}
		}
	}
	// PRAGMA takes no parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}

// UnixNanos is how the stored columns (*_ns) hold a time: Unix nanoseconds,
// clamped to the int64 range (the zero time and far dates do not fit).
// store/postgres stores times the same way, so that events copied from one
// to the other keep their times and order.
func UnixNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
