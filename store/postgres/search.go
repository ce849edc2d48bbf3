package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/store/sqlite"
)

// Search implements eventlog.Searcher as store/sqlite does. While
// PostgreSQL is down the fallback answers when it can; its rows and so
// its cursors are its own.
func (s *Store) Search(ctx context.Context, q eventlog.Query) (eventlog.Page, error) {
	pgErr := fmt.Errorf("postgres: search events: %w", ErrUnavailable)
	if s.usable() {
		p, err := s.search(ctx, q)
		if err == nil {
			s.succeeded()
			return p, nil
		}
		pgErr = err
		if errors.Is(err, errDecode) || !s.failed(ctx, err) { // answered; a row is bad
			return p, err
		}
	}
	s.fellBack()
	if fs, ok := s.fallback.(eventlog.Searcher); ok {
		p, err := fs.Search(ctx, q)
		if err != nil {
			return p, fmt.Errorf("%v; fallback store: %w", pgErr, err)
		}
		return p, nil
	}
	return eventlog.Page{}, pgErr
}

func (s *Store) search(ctx context.Context, q eventlog.Query) (eventlog.Page, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return eventlog.Page{}, err
	}
	limit := eventlog.ClampLimit(q.Limit)
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !q.From.IsZero() {
		where = append(where, `time_ns >= `+arg(sqlite.UnixNanos(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, `time_ns < `+arg(sqlite.UnixNanos(q.To)))
	}
	if !q.After.IsZero() {
		ts := arg(q.After.TimeNS)
		where = append(where, `(time_ns < `+ts+` OR time_ns = `+ts+` AND id < `+arg(q.After.Row)+`)`)
	}
	for _, f := range []struct{ col, v string }{{"client_ip", q.Client}, {"client_user", q.User}, {"route", q.Route}, {"action", q.Action}} {
		if f.v != "" {
			where = append(where, f.col+` = `+arg(f.v))
		}
	}
	if q.Detector != "" || q.Violation != "" {
		c := `EXISTS (SELECT 1 FROM ` + detectorsSQL + ` d WHERE true`
		if q.Detector != "" {
			c += ` AND d->>'name' = ` + arg(q.Detector)
		}
		if q.Violation != "" {
			c += ` AND d->>'violation' = ` + arg(q.Violation)
		}
		where = append(where, c+`)`)
	}
	if q.Search != "" {
		// LIKE on lower() of both sides folds ASCII as SQLite's LIKE does
		// (and, unlike it, other letters too).
		where = append(where, `lower(data) LIKE lower(`+arg(eventlog.LikePattern(q.Search))+`) ESCAPE '\'`)
	}
	sqlText := `SELECT id, time_ns, data FROM ` + table
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sqlText += ` ORDER BY time_ns DESC, id DESC LIMIT ` + arg(limit+1)
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return eventlog.Page{}, fmt.Errorf("postgres: search events: %w", err)
	}
	defer rows.Close()
	var (
		p    eventlog.Page
		last eventlog.Cursor
	)
	for rows.Next() {
		var (
			row, ns int64
			data    string
		)
		if err := rows.Scan(&row, &ns, &data); err != nil {
			return p, fmt.Errorf("postgres: search events: %w", err)
		}
		if len(p.Events) == limit {
			p.Next = last
			break
		}
		last = eventlog.Cursor{TimeNS: ns, Row: row}
		var e eventlog.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return p, fmt.Errorf("postgres: search events: %w: %w", errDecode, err)
		}
		p.Events = append(p.Events, e)
		p.Rows = append(p.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("postgres: search events: %w", err)
	}
	return p, nil
}

var _ eventlog.Searcher = (*Store)(nil)
