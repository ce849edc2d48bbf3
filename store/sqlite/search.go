package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/warden-dev/warden/eventlog"
)

// Search implements eventlog.Searcher: the filters and the cursor are a
// WHERE over the indexed columns (detector and violation read the event's
// JSON), newest first, one row past the limit to know whether a next page
// exists.
func (d *DB) Search(ctx context.Context, q eventlog.Query) (eventlog.Page, error) {
	limit := eventlog.ClampLimit(q.Limit)
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if !q.From.IsZero() {
		add(`time_ns >= ?`, UnixNanos(q.From))
	}
	if !q.To.IsZero() {
		add(`time_ns < ?`, UnixNanos(q.To))
	}
	if !q.After.IsZero() {
		add(`(time_ns < ? OR time_ns = ? AND id < ?)`, q.After.TimeNS, q.After.TimeNS, q.After.Row)
	}
	for _, f := range []struct{ col, v string }{{"client_ip", q.Client}, {"client_user", q.User}, {"route", q.Route}, {"action", q.Action}} {
		if f.v != "" {
			add(f.col+` = ?`, f.v)
		}
	}
	if q.Detector != "" || q.Violation != "" {
		add(`EXISTS (SELECT 1 FROM json_each(events.data, '$.abuse.detectors') j
			WHERE (?1 = '' OR json_extract(j.value, '$.name') = ?1) AND (?2 = '' OR json_extract(j.value, '$.violation') = ?2))`)
	}
	if q.Search != "" {
		add(`data LIKE ? ESCAPE '\'`, eventlog.LikePattern(q.Search))
	}
	sqlText := `SELECT id, time_ns, data FROM events`
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sqlText += ` ORDER BY time_ns DESC, id DESC LIMIT ?`
	// The detector clause names its two values ?1 and ?2; the others are
	// numbered after them.
	args = append([]any{q.Detector, q.Violation}, args...)
	args = append(args, limit+1)
	sqlText = numberParams(sqlText, 3)
	rows, err := d.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return eventlog.Page{}, fmt.Errorf("sqlite: search events: %w", err)
	}
	defer rows.Close()
	var (
		p    eventlog.Page
		last eventlog.Cursor
	)
	for rows.Next() {
		var (
			row, ns int64
			data    []byte
		)
		if err := rows.Scan(&row, &ns, &data); err != nil {
			return p, fmt.Errorf("sqlite: search events: %w", err)
		}
		if len(p.Events) == limit {
			p.Next = last
			break
		}
		last = eventlog.Cursor{TimeNS: ns, Row: row}
		var e eventlog.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return p, fmt.Errorf("sqlite: search events: decode stored event: %w", err)
		}
		p.Events = append(p.Events, e)
		p.Rows = append(p.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("sqlite: search events: %w", err)
	}
	return p, nil
}

// numberParams numbers the bare ? of s from n on (?n, ?n+1, …), leaving
// numbered ones as they are, so one statement can mix both.
func numberParams(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '?' && (i+1 == len(s) || s[i+1] < '0' || s[i+1] > '9') {
			fmt.Fprint(&b, n)
			n++
		}
	}
	return b.String()
}

var _ eventlog.Searcher = (*DB)(nil)
