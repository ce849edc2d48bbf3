package report

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/sqlite" // also registers the "sqlite" database/sql driver
)

// Source is an event store read with SQL: the SQLite database in the data
// dir or PostgreSQL's warden_events. It is safe for concurrent use.
type Source struct {
	db   *sql.DB
	d    dialect
	name string
}

// dialect is what differs between the two stores' SQL.
type dialect struct {
	table string
	usage string // the hourly token rollup's table (package usage)
	bans  string // the ban history's table (ban.History)
	// detectors is the FROM clause joining each event (alias e) to its
	// abuse.detectors elements (alias d, one JSON object in d.value).
	detectors string
	// field extracts a string field of d.value.
	field func(key string) string
	// would is true when event e's JSON has "would" (monitor mode held an
	// action back). A substring test is exact and much cheaper than
	// parsing: eventlog's encoder escapes the quotes of every string value,
	// so `"would":` can only be the key.
	would string
	// dollar: placeholders are $1, $2… rather than ?.
	dollar bool
}

var sqliteDialect = dialect{
	table:     "events",
	usage:     sqlite.UsageTable,
	bans:      sqlite.BanChangesTable,
	detectors: `events e, json_each(e.data, '$.abuse.detectors') AS d`,
	field:     func(k string) string { return `json_extract(d.value, '$.` + k + `')` },
	would:     `instr(e.data, '"would":') > 0`,
}

// PostgreSQL's data column is TEXT (JSONB refuses \u0000), read as json
// once per row; a detectors value that is not an array yields no rows
// instead of an error.
var postgresDialect = dialect{
	table: "warden_events",
	usage: postgres.UsageTable,
	bans:  postgres.BanChangesTable,
	detectors: `warden_events e CROSS JOIN LATERAL (SELECT (e.data::json)->'abuse'->'detectors' AS ds) j
		CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(j.ds) = 'array' THEN j.ds END) AS d(value)`,
	field:  func(k string) string { return `(d.value->>'` + k + `')` },
	would:  `strpos(e.data, '"would":') > 0`,
	dollar: true,
}

// OpenSQLite opens the SQLite event store at path for reading: its own
// connections, which may not write (query_only), with their temporary
// tables on disk so a large GROUP BY spills there rather than to memory.
func OpenSQLite(path string) (*Source, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("report: sqlite path %q: must be a file name without '?'", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "temp_store(1)")
	q.Add("_pragma", "cache_size(-8192)") // 8 MiB of page cache per connection
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("report: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	return &Source{db: db, d: sqliteDialect, name: "SQLite"}, nil
}

// OpenPostgres connects to the PostgreSQL event store. Errors never hold
// the DSN's password.
func OpenPostgres(dsn string) (*Source, error) {
	pc, err := postgres.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("report: store.postgres: %w", err)
	}
	db := stdlib.OpenDB(*pc.ConnConfig)
	db.SetMaxOpenConns(2)
	return &Source{db: db, d: postgresDialect, name: "PostgreSQL"}, nil
}

// Name is "SQLite" or "PostgreSQL".
func (s *Source) Name() string { return s.name }

// Close closes the Source's connections.
func (s *Source) Close() error { return s.db.Close() }

// sql rewrites ? placeholders for the dialect. The queries hold no ? in
// literals.
func (s *Source) sql(q string) string {
	if !s.d.dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// ready reports whether the events table exists: PostgreSQL's is created
// by the first write, so a new database has none yet.
func (s *Source) ready(ctx context.Context) (bool, error) {
	if !s.d.dollar {
		return true, nil
	}
	var ok bool
	if err := s.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.d.table).Scan(&ok); err != nil {
		return false, fmt.Errorf("report: postgres: %w", err)
	}
	return ok, nil
}

// stoppedSQL is true for an event whose request Warden answered itself.
const stoppedSQL = `e.action IN ('reject','throttle','too_large','block','ban')`

// offenderSQL is true for an event that makes its client an offender: a
// stopped request, or one a monitor mode held back.
func (s *Source) offenderSQL() string {
	return `(` + stoppedSQL + ` OR (e.action = 'log' AND ` + s.d.would + `))`
}

const stoppedCount = `SUM(CASE WHEN ` + stoppedSQL + ` THEN 1 ELSE 0 END)`

// actionSums counts the events of each action group: allowed, logged,
// throttled, blocked (block, reject, too_large), banned.
const actionSums = `SUM(CASE WHEN e.action = 'allow' THEN 1 ELSE 0 END), SUM(CASE WHEN e.action = 'log' THEN 1 ELSE 0 END),
	SUM(CASE WHEN e.action = 'throttle' THEN 1 ELSE 0 END), SUM(CASE WHEN e.action IN ('block','reject','too_large') THEN 1 ELSE 0 END),
	SUM(CASE WHEN e.action = 'ban' THEN 1 ELSE 0 END)`

// hourNS is an hour in the stores' time unit.
const hourNS = 3600_000_000_000
