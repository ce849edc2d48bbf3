package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/eventlog"
)

// table is where events go. The name is prefixed because the database
// may be shared with other applications.
const table = "warden_events"

// schema creates the table and its index when missing. It mirrors
// store/sqlite's events table; time_ns is Unix nanoseconds, so since and
// ordering behave exactly as there. data is TEXT, not JSONB: JSONB refuses
// the \u0000 escape, which a client can get into an event.
var schema = []string{
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
		data        TEXT NOT NULL              -- the event as its JSON log line
	)`,
	// (time_ns, id) serves since, the newest-first order with its id
	// tie-break, and retention.
	`CREATE INDEX IF NOT EXISTS ` + table + `_time ON ` + table + ` (time_ns, id)`,
}

// schemaLock is the advisory lock key held while creating the schema:
// concurrent CREATE ... IF NOT EXISTS can still collide in the catalog
// when several instances start at once.
const schemaLock int64 = 0x77617264656e // "warden"

var columns = []string{"time_ns", "request_id", "action", "client_ip", "client_user", "route", "status", "confidence", "data"}

// ensureSchema creates the schema once per Store.
func (s *Store) ensureSchema(ctx context.Context) error {
	if s.schemaReady.Load() {
		return nil
	}
	s.schemaMu.Lock()
	defer s.schemaMu.Unlock()
	if s.schemaReady.Load() {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
	if err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	s.schemaReady.Store(true)
	return nil
}

// copyEvents writes a batch in one COPY, which PostgreSQL applies all or
// nothing.
func (s *Store) copyEvents(ctx context.Context, events []eventlog.Event) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	src := &eventRows{events: events, i: -1, values: make([]any, len(columns)), buf: make([]byte, 0, 1024)}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{table}, columns, src); err != nil {
		return fmt.Errorf("postgres: write events: copy: %w", err)
	}
	return nil
}

// eventRows feeds a batch to CopyFrom, which encodes each row before
// asking for the next, so values and buf are reused.
type eventRows struct {
	events []eventlog.Event
	i      int
	values []any
	buf    []byte
}

func (r *eventRows) Next() bool {
	r.i++
	return r.i < len(r.events)
}

func (r *eventRows) Values() ([]any, error) {
	e := &r.events[r.i]
	r.buf = e.AppendJSON(r.buf[:0])
	var conf float64
	if e.Abuse != nil {
		conf = e.Abuse.Confidence
	}
	v := r.values
	v[0], v[1], v[2], v[3], v[4] = nanos(e.Time), text(e.RequestID), text(e.Action), text(e.Client.IP), text(e.Client.User)
	v[5], v[6], v[7], v[8] = text(e.Route), int32(e.Status), conf, string(r.buf)
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

// queryEvents returns the newest events at or after since, newest first.
func (s *Store) queryEvents(ctx context.Context, since time.Time, limit int) ([]eventlog.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT data FROM `+table+` WHERE time_ns >= $1 ORDER BY time_ns DESC, id DESC LIMIT $2`,
		nanos(since), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: query events: %w", err)
	}
	defer rows.Close()
	out := make([]eventlog.Event, 0, min(limit, 64))
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("postgres: query events: %w", err)
		}
		var e eventlog.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("postgres: query events: %w: %w", errDecode, err)
		}
		out = append(out, e)
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
		nanos(t), pruneChunk)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// nanos is t in Unix nanoseconds, clamped to int64 (the zero Time is far
// before 1678), as store/sqlite stores it.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
