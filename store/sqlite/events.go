package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

const (
	eventCols          = 9
	eventRowsPerInsert = 32
)

// insertEventsSQL is the INSERT of n event rows.
func insertEventsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (time_ns, request_id, action, client_ip, client_user, route, status, confidence, data) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?)")
	}
	return b.String()
}

// WriteEvents implements eventlog.Store: the batch goes in one transaction,
// all or nothing.
func (d *DB) WriteEvents(ctx context.Context, events []eventlog.Event) (err error) {
	if len(events) == 0 {
		return nil
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: write events: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// Rows go in multi-row INSERTs of up to eventRowsPerInsert: fewer
	// statement executions through database/sql and the driver.
	var (
		full *sql.Stmt // the statement for a full chunk, prepared once
		args = make([]any, 0, eventCols*eventRowsPerInsert)
		buf  = make([]byte, 0, 1024)
		c    = counts{}
	)
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(events) > 0 {
		chunk := events[:min(len(events), eventRowsPerInsert)]
		events = events[len(chunk):]
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			buf = e.AppendJSON(buf[:0])
			var (
				conf float64
				dets []eventlog.Detector
			)
			if e.Abuse != nil {
				conf, dets = e.Abuse.Confidence, e.Abuse.Detectors
			}
			c.add(UnixNanos(e.Time), e.Action, e.Client.IP, e.Client.User, e.Route, dets, 1)
			args = append(args, UnixNanos(e.Time), e.RequestID, e.Action, e.Client.IP, e.Client.User,
				e.Route, e.Status, conf, string(buf))
		}
		if len(chunk) == eventRowsPerInsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertEventsSQL(eventRowsPerInsert)); err != nil {
					return fmt.Errorf("sqlite: write events: prepare: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertEventsSQL(len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("sqlite: write events: insert: %w", err)
		}
	}
	if err := c.apply(ctx, tx); err != nil {
		return fmt.Errorf("sqlite: write events: rollup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write events: commit: %w", err)
	}
	return nil
}

// Events implements eventlog.Store: the newest events at or after since,
// newest first, at most eventlog.ClampLimit(limit) of them.
func (d *DB) Events(ctx context.Context, since time.Time, limit int) ([]eventlog.Event, error) {
	limit = eventlog.ClampLimit(limit)
	rows, err := d.db.QueryContext(ctx,
		`SELECT data FROM events WHERE time_ns >= ? ORDER BY time_ns DESC, id DESC LIMIT ?`,
		UnixNanos(since), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query events: %w", err)
	}
	defer rows.Close()
	out := make([]eventlog.Event, 0, min(limit, 64))
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("sqlite: query events: %w", err)
		}
		var e eventlog.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("sqlite: query events: decode stored event: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: query events: %w", err)
	}
	return out, nil
}

// DeleteEventsBefore implements eventlog.Pruner: it deletes events older
// than t and returns how many. The rollup loses the buckets before t's
// hour whole, and the events of t's own hour one by one.
func (d *DB) DeleteEventsBefore(ctx context.Context, t time.Time) (n int64, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("sqlite: delete events before %s: %w", t.Format(time.RFC3339), err)
		}
	}()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ns := UnixNanos(t)
	m := eventlog.RollupBucket(eventlog.KindClient, ns)
	if err := uncountSpan(ctx, tx, m*int64(eventlog.RollupStep), ns); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_counts WHERE kind IN ('a', 'd', 'c', 'u', 'r') AND minute < ?`, m); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE time_ns < ?`, ns)
	if err != nil {
		return 0, err
	}
	n, _ = res.RowsAffected()
	return n, tx.Commit()
}

var (
	_ eventlog.Store  = (*DB)(nil)
	_ eventlog.Pruner = (*DB)(nil)
)

// ScanEvents calls fn for every event with from <= time < to, oldest
// first, streaming rows so a day of events need not fit in memory (for the
// daily report). It stops at fn's first error and returns it.
func (d *DB) ScanEvents(ctx context.Context, from, to time.Time, fn func(eventlog.Event) error) error {
	rows, err := d.db.QueryContext(ctx,
		`SELECT data FROM events WHERE time_ns >= ? AND time_ns < ? ORDER BY time_ns, id`, UnixNanos(from), UnixNanos(to))
	if err != nil {
		return fmt.Errorf("sqlite: scan events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("sqlite: scan events: %w", err)
		}
		var e eventlog.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("sqlite: scan events: decode stored event: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: scan events: %w", err)
	}
	return nil
}

// StoredEvent is an event row as stored: the filter columns and the JSON
// line exactly as written. It is for a store that copies events elsewhere
// and must tell copies apart (store/postgres copies the events it kept
// here during an outage into PostgreSQL once it is back, then deletes
// them here).
type StoredEvent struct {
	Row        int64 // the row's id in this database
	TimeNS     int64 // the event's time in Unix nanoseconds
	RequestID  string
	Action     string
	ClientIP   string
	ClientUser string
	Route      string
	Status     int
	Confidence float64
	Data       string // the event as its JSON log line
}

// MaxStoredEvents bounds one StoredEventsAfter answer.
const MaxStoredEvents = 10000

const storedEventCols = `id, time_ns, request_id, action, client_ip, client_user, route, status, confidence, data`

// StoredEventsAfter returns up to limit rows (at most MaxStoredEvents)
// whose id is above after, in id order, which is the order they were
// written in: a copier reads a backlog in bounded batches, passing the
// last row it saw.
func (d *DB) StoredEventsAfter(ctx context.Context, after int64, limit int) ([]StoredEvent, error) {
	limit = min(max(limit, 1), MaxStoredEvents)
	rows, err := d.db.QueryContext(ctx,
		`SELECT `+storedEventCols+` FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read stored events: %w", err)
	}
	out, err := scanStored(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read stored events: %w", err)
	}
	return out, nil
}

// StoredEvents is Events with the rows as stored: the newest at or after
// since, newest first, at most eventlog.ClampLimit(limit) of them.
func (d *DB) StoredEvents(ctx context.Context, since time.Time, limit int) ([]StoredEvent, error) {
	limit = eventlog.ClampLimit(limit)
	rows, err := d.db.QueryContext(ctx,
		`SELECT `+storedEventCols+` FROM events WHERE time_ns >= ? ORDER BY time_ns DESC, id DESC LIMIT ?`,
		UnixNanos(since), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query stored events: %w", err)
	}
	out, err := scanStored(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query stored events: %w", err)
	}
	return out, nil
}

func scanStored(rows *sql.Rows, limit int) ([]StoredEvent, error) {
	defer rows.Close()
	out := make([]StoredEvent, 0, min(limit, 64))
	for rows.Next() {
		var e StoredEvent
		if err := rows.Scan(&e.Row, &e.TimeNS, &e.RequestID, &e.Action, &e.ClientIP, &e.ClientUser,
			&e.Route, &e.Status, &e.Confidence, &e.Data); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteStoredEvents deletes the given rows in one transaction and returns
// how many it deleted. A row is deleted only while it still holds an event
// of the same time: a row id is reused when the newest row was deleted
// (say, by retention) in the meantime, and that newer event must stay.
func (d *DB) DeleteStoredEvents(ctx context.Context, events []StoredEvent) (n int64, err error) {
	if len(events) == 0 {
		return 0, nil
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete stored events: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, `DELETE FROM events WHERE id = ? AND time_ns = ?
		RETURNING action, client_ip, client_user, route, data`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete stored events: prepare: %w", err)
	}
	defer stmt.Close()
	// The rollup loses what the rows held as stored, not as the caller
	// says they were.
	c := counts{}
	for i := range events {
		var action, ip, user, route, data string
		err := stmt.QueryRowContext(ctx, events[i].Row, events[i].TimeNS).Scan(&action, &ip, &user, &route, &data)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err == nil {
			err = c.addStored(events[i].TimeNS, action, ip, user, route, data, -1)
		}
		if err != nil {
			return 0, fmt.Errorf("sqlite: delete stored events: %w", err)
		}
		n++
	}
	if err := c.apply(ctx, tx); err != nil {
		return 0, fmt.Errorf("sqlite: delete stored events: rollup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: delete stored events: commit: %w", err)
	}
	return n, nil
}
