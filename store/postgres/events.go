package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/store/sqlite"
)

// table is where events go. The name is prefixed because the database
// may be shared with other applications.
const table = "warden_events"

// schema creates the table and its indexes when missing, and upgrades a
// table made before event_id existed in place. It mirrors store/sqlite's
// events table; time_ns is Unix nanoseconds, so since and ordering behave
// exactly as there. data is TEXT, not JSONB: JSONB refuses the \u0000
// escape, which a client can get into an event. event_id is the event's
// key (see eventID), unique so that copying an event twice (a backfill
// after a write whose reply was lost, a backfill resumed after a crash)
// stores it once; it is NULL only in rows written before it existed,
// which adding it leaves as they are (a nullable column without a default
// rewrites nothing).
var schema = append([]string{
	`CREATE TABLE IF NOT EXISTS ` + table + ` (
		id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		time_ns     BIGINT NOT NULL,
		request_id  TEXT NOT NULL,
		action      TEXT NOT NULL,
		client_ip   TEXT NOT NULL,
		client_user TEXT NOT NULL,
		route       TEXT NOT NULL,
		status      INTEGER NOT NULL,
		confidence  DOUBLE PRECISION NOT NULL, -- abuse.confidence, 0 when absent
		data        TEXT NOT NULL,             -- the event as its JSON log line
		event_id    UUID,                      -- eventID; NULL in rows older than it
		detectors   TEXT                       -- see detectorsColumn
	)`,
	`ALTER TABLE ` + table + ` ADD COLUMN IF NOT EXISTS event_id UUID`,
	`ALTER TABLE ` + table + ` ADD COLUMN IF NOT EXISTS detectors TEXT`,
	// (time_ns, id) serves since, the newest-first order with its id
	// tie-break, and retention.
	`CREATE INDEX IF NOT EXISTS ` + table + `_time ON ` + table + ` (time_ns, id)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS ` + table + `_event_id ON ` + table + ` (event_id)`,
	// The overview reads the decisions that stopped a request by action
	// and time.
	`CREATE INDEX IF NOT EXISTS ` + table + `_action_time ON ` + table + ` (action, time_ns)`,
}, rollupSchema...)

// lastIndex is an index the schema statements create; they run in one
// transaction, so its presence means they all ran.
const lastIndex = countsTable + `_pkey`

// schemaLock is the advisory lock key held while creating the schema:
// concurrent CREATE ... IF NOT EXISTS can still collide in the catalog
// when several instances start at once.
const schemaLock int64 = 0x77617264656e // "warden"

var columns = []string{"event_id", "time_ns", "request_id", "action", "client_ip", "client_user", "route", "status", "confidence", "data", "detectors"}

// The detectors column holds the names and violation types of a stopped
// event's detectors (detectorsText), which the rollup's trigger counts:
// reading them from data would parse the whole line, some 10 µs per event
// (JSON in PostgreSQL is parsed anew by each function that reads it). It
// is NULL in rows written before it existed, by an older Warden, or
// copied from the fallback (whose rows keep only the line); the trigger
// reads data for those.

// Separators of the detectors column: between a detector's name and its
// violation type, and between detectors.
const (
	unitSep   = "\x1f"
	recordSep = "\x1e"
)

// detectorsText is the detectors column of e: "name\x1fviolation" per
// detector, joined by \x1e. The separators, NUL and invalid UTF-8 are
// replaced in names and types (which come from code, not clients).
func detectorsText(e *eventlog.Event) string {
	if e.Abuse == nil {
		return ""
	}
	clean := func(s string) string {
		s = text(s)
		if strings.ContainsAny(s, unitSep+recordSep) {
			s = strings.NewReplacer(unitSep, "\uFFFD", recordSep, "\uFFFD").Replace(s)
		}
		return s
	}
	var b strings.Builder
	n := 0
	for i := range e.Abuse.Detectors {
		n += len(e.Abuse.Detectors[i].Name) + len(e.Abuse.Detectors[i].Violation) + 2
	}
	b.Grow(n)
	for i := range e.Abuse.Detectors {
		d := &e.Abuse.Detectors[i]
		if i > 0 {
			b.WriteString(recordSep)
		}
		b.WriteString(clean(d.Name))
		b.WriteString(unitSep)
		b.WriteString(clean(d.Violation))
	}
	return b.String()
}

// ensureSchema creates or upgrades the schema once per Store. A current
// schema is recognised without a lock: ALTER TABLE takes an exclusive
// lock even when it has nothing to do, which would queue every instance's
// writes behind any long query on the table.
func (s *Store) ensureSchema(ctx context.Context) error {
	if s.schemaReady.Load() {
		return nil
	}
	s.schemaMu.Lock()
	defer s.schemaMu.Unlock()
	if s.schemaReady.Load() {
		return nil
	}
	var current bool
	err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, lastIndex).Scan(&current)
	if err == nil && !current {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
				return err
			}
			for _, q := range schema {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	s.schemaReady.Store(true)
	return nil
}

// eventID is an event's key: its time (sign bit flipped, big-endian, so
// keys sort by time and a busy table's unique index grows at its end),
// then the first 8 bytes of the SHA-256 of its JSON line. It is computed
// from what both stores keep, not assigned, so the same event gets the
// same key wherever and whenever it is computed: in the write whose reply
// was lost and in the backfill of its fallback copy, in a batch the
// eventlog Writer retries, and for rows the fallback kept before keys
// existed. Two events share a key only if their lines are identical
// (Warden's request ids are unique per instance) or collide in 64 bits
// of SHA-256 at the same nanosecond.
func eventID(ns int64, data []byte) [16]byte {
	var id [16]byte
	binary.BigEndian.PutUint64(id[:8], uint64(ns)^(1<<63))
	sum := sha256.Sum256(data)
	copy(id[8:], sum[:8])
	return id
}

// copyEvents writes a batch in one COPY, which PostgreSQL applies all or
// nothing. A batch PostgreSQL already holds some of (the eventlog Writer
// retries a batch whose write failed after PostgreSQL committed it) fails
// the COPY on the unique key, and is written again skipping those.
func (s *Store) copyEvents(ctx context.Context, events []eventlog.Event) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	src := &eventRows{events: events, i: -1, values: make([]any, len(columns)), buf: make([]byte, 0, 1024)}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{table}, columns, src)
	if isUniqueViolation(err) {
		rows := make([]row, len(events))
		for i := range events {
			rows[i] = rowOf(&events[i], events[i].AppendJSON(nil))
		}
		_, err = s.insertRows(ctx, rows)
	}
	if err != nil {
		return fmt.Errorf("postgres: write events: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is PostgreSQL refusing a
// duplicate key.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// row is an event as warden_events stores it.
type row struct {
	id         [16]byte
	ns         int64
	requestID  string
	action     string
	clientIP   string
	clientUser string
	route      string
	status     int32
	confidence float64
	data       string
	detectors  pgtype.Text // NULL: read them from data
}

// rowOf is e's row; line is e's JSON line (e.AppendJSON).
func rowOf(e *eventlog.Event, line []byte) row {
	var conf float64
	if e.Abuse != nil {
		conf = e.Abuse.Confidence
	}
	ns := sqlite.UnixNanos(e.Time)
	r := row{id: eventID(ns, line), ns: ns, requestID: text(e.RequestID), action: text(e.Action),
		clientIP: text(e.Client.IP), clientUser: text(e.Client.User), route: text(e.Route),
		status: int32(e.Status), confidence: conf, data: string(line)}
	if eventlog.Stopped(e.Action) {
		r.detectors = pgtype.Text{String: detectorsText(e), Valid: true}
	}
	return r
}

// insertSQL inserts rows given as one array per column, skipping events
// already stored: by key, and, for rows written before keys existed, by
// time and line (the time index finds those).
var insertSQL = `INSERT INTO ` + table + ` (` + strings.Join(columns, ", ") + `)
	SELECT u.* FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
		$7::text[], $8::integer[], $9::double precision[], $10::text[], $11::text[]) AS u(` + strings.Join(columns, ", ") + `)
	WHERE NOT EXISTS (SELECT 1 FROM ` + table + ` o
		WHERE o.event_id IS NULL AND o.time_ns = u.time_ns AND o.data = u.data)
	ON CONFLICT (event_id) DO NOTHING`

// insertRows writes rows in one statement, all or nothing, skipping those
// PostgreSQL already holds, and returns how many it added. ctx bounds it.
func (s *Store) insertRows(ctx context.Context, rows []row) (int64, error) {
	var (
		ids                                     = make([][16]byte, len(rows))
		ns                                      = make([]int64, len(rows))
		reqIDs, actions, ips, users, routes, ds = make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
		statuses                                = make([]int32, len(rows))
		confs                                   = make([]float64, len(rows))
		dets                                    = make([]pgtype.Text, len(rows))
	)
	for i := range rows {
		r := &rows[i]
		ids[i], ns[i], reqIDs[i], actions[i], ips[i] = r.id, r.ns, r.requestID, r.action, r.clientIP
		users[i], routes[i], statuses[i], confs[i], ds[i], dets[i] = r.clientUser, r.route, r.status, r.confidence, r.data, r.detectors
	}
	tag, err := s.pool.Exec(ctx, insertSQL, ids, ns, reqIDs, actions, ips, users, routes, statuses, confs, ds, dets)
	if err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	return tag.RowsAffected(), nil
}

// eventRows feeds a batch to CopyFrom, which encodes each row before
// asking for the next, so values and buf are reused.
type eventRows struct {
	events []eventlog.Event
	i      int
	values []any
	buf    []byte
	row    row         // the current row
	id     pgtype.UUID // its key, which values points to: pgx encodes it without allocating
}

func (r *eventRows) Next() bool {
	r.i++
	return r.i < len(r.events)
}

func (r *eventRows) Values() ([]any, error) {
	e := &r.events[r.i]
	r.buf = e.AppendJSON(r.buf[:0])
	r.row = rowOf(e, r.buf)
	r.id = pgtype.UUID{Bytes: r.row.id, Valid: true}
	w, v := &r.row, r.values
	v[0], v[1], v[2], v[3], v[4] = &r.id, w.ns, w.requestID, w.action, w.clientIP
	v[5], v[6], v[7], v[8], v[9], v[10] = w.clientUser, w.route, w.status, w.confidence, w.data, &w.detectors
	return v, nil
}

func (r *eventRows) Err() error { return nil }

// text makes s storable in a TEXT column. PostgreSQL refuses NUL bytes,
// and invalid UTF-8 in a UTF8 database; a client can put either in a
// user id. Only the filter columns need this: data holds the JSON line,
// which is valid UTF-8 with NUL escaped, and is what is read back.
func text(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// errDecode marks a stored row that does not decode: PostgreSQL answered,
// so it is no sign of an outage.
var errDecode = errors.New("decode stored event")

// listed is an event read for a listing, with its time and JSON line as
// stored: an event kept in both stores has the same two in each (its key
// is made of them), which is how a listing merging them drops the copy.
type listed struct {
	ns   int64
	data string
	ev   eventlog.Event
}

// queryEvents returns the newest events at or after since, newest first.
func (s *Store) queryEvents(ctx context.Context, since time.Time, limit int) ([]listed, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT time_ns, data FROM `+table+` WHERE time_ns >= $1 ORDER BY time_ns DESC, id DESC LIMIT $2`,
		sqlite.UnixNanos(since), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: query events: %w", err)
	}
	defer rows.Close()
	out := make([]listed, 0, min(limit, 64))
	for rows.Next() {
		var l listed
		if err := rows.Scan(&l.ns, &l.data); err != nil {
			return nil, fmt.Errorf("postgres: query events: %w", err)
		}
		if err := json.Unmarshal([]byte(l.data), &l.ev); err != nil {
			return nil, fmt.Errorf("postgres: query events: %w: %w", errDecode, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: query events: %w", err)
	}
	return out, nil
}

// pruneChunk bounds the rows one retention statement deletes, so that a
// large backlog is removed in steps that each fit in the timeout instead
// of one statement that does not.
const pruneChunk = 5000

// deleteBefore deletes events older than t in chunks until none is left
// or ctx ends.
func (s *Store) deleteBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		n, err := s.deleteChunk(ctx, t)
		total += n
		if err != nil {
			return total, fmt.Errorf("postgres: delete events before %s: %w", t.Format(time.RFC3339), err)
		}
		if n < pruneChunk {
			return total, nil
		}
	}
}

func (s *Store) deleteChunk(ctx context.Context, t time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx,
		`DELETE FROM `+table+` WHERE id IN (SELECT id FROM `+table+` WHERE time_ns < $1 LIMIT $2)`,
		sqlite.UnixNanos(t), pruneChunk)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ScanEvents calls fn for every event in PostgreSQL with from <= time <
// to, oldest first, streaming rows so that a long window need not fit in
// memory (warden tune reads a day of decisions this way), and stops at
// fn's first error, which it returns. Unlike a listing it bounds no
// query by the Store's timeout (a large scan takes longer); ctx bounds
// it. Events still waiting in the fallback after an outage are not
// included: they are read once the backfill has copied them.
func (s *Store) ScanEvents(ctx context.Context, from, to time.Time, fn func(eventlog.Event) error) error {
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	err := s.ensureSchema(sctx)
	cancel()
	if err != nil {
		return fmt.Errorf("postgres: scan events: %w", err)
	}
	rows, err := s.pool.Query(ctx,
		`SELECT data FROM `+table+` WHERE time_ns >= $1 AND time_ns < $2 ORDER BY time_ns, id`,
		sqlite.UnixNanos(from), sqlite.UnixNanos(to))
	if err != nil {
		return fmt.Errorf("postgres: scan events: %w", err)
	}
	defer rows.Close()
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("postgres: scan events: %w", err)
		}
		var e eventlog.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("postgres: scan events: %w: %w", errDecode, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: scan events: %w", err)
	}
	return nil
}
