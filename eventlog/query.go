package eventlog

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Query selects decisions for the dashboard's log: every field that is
// set must match (exact values; Search is a case-insensitive substring
// of the event's JSON line). Pages go newest first; After continues a
// page from its Next cursor.
type Query struct {
	From, To  time.Time // From <= time < To; zero means unbounded
	Client    string    // client IP
	User      string
	Route     string
	Action    string
	Detector  string // an abuse detector's name
	Violation string // a detector's violation type
	Search    string
	After     Cursor // zero: the newest
	Limit     int    // ClampLimit applies
}

// Cursor is a place in the newest-first order: the time and store row of
// the last event of a page.
type Cursor struct {
	TimeNS int64
	Row    int64
}

// IsZero reports whether c is the start.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// String encodes c for a URL; ParseCursor reads it back.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.TimeNS, 10) + "." + strconv.FormatInt(c.Row, 10)))
}

// ErrCursor is matched by ParseCursor's errors.
var ErrCursor = errors.New("not a cursor of this log")

// ParseCursor reads a cursor made by Cursor.String; "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrCursor
	}
	ts, row, ok := strings.Cut(string(b), ".")
	var c Cursor
	if ok {
		c.TimeNS, err = strconv.ParseInt(ts, 10, 64)
		if err == nil {
			c.Row, err = strconv.ParseInt(row, 10, 64)
		}
	}
	if !ok || err != nil {
		return Cursor{}, ErrCursor
	}
	return c, nil
}

// Page is one page of a Query: events newest first, each with its row,
// and the cursor of the next page (zero when this is the last).
type Page struct {
	Events []Event
	Rows   []int64
	Next   Cursor
}

// Searcher is a Store that answers Query.
type Searcher interface {
	Search(ctx context.Context, q Query) (Page, error)
}

// Match reports whether e matches q's filters (not its cursor or limit).
// Stores that filter in SQL match the same events; line is e's JSON line
// (AppendJSON), which Search reads.
func (q *Query) Match(e *Event, line []byte) bool {
	switch {
	case !q.From.IsZero() && e.Time.Before(q.From),
		!q.To.IsZero() && !e.Time.Before(q.To),
		q.Client != "" && e.Client.IP != q.Client,
		q.User != "" && e.Client.User != q.User,
		q.Route != "" && e.Route != q.Route,
		q.Action != "" && e.Action != q.Action:
		return false
	}
	if q.Detector != "" || q.Violation != "" {
		if e.Abuse == nil || !slices.ContainsFunc(e.Abuse.Detectors, func(d Detector) bool {
			return (q.Detector == "" || d.Name == q.Detector) && (q.Violation == "" || d.Violation == q.Violation)
		}) {
			return false
		}
	}
	return q.Search == "" || strings.Contains(asciiLower(string(line)), asciiLower(q.Search))
}

// asciiLower folds ASCII letters only, as SQLite's LIKE does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// LikePattern is Search as a LIKE pattern with '\' as its escape.
func LikePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Search implements Searcher over the ring; a row is the event's place
// in the order of writes.
func (m *MemoryStore) Search(_ context.Context, q Query) (Page, error) {
	limit := ClampLimit(q.Limit)
	m.mu.Lock()
	n, start := m.next, 0
	if m.full {
		n, start = len(m.ring), m.next
	}
	type hit struct {
		e   Event
		row int64
	}
	var hits []hit
	var line []byte
	for k := range n {
		e := &m.ring[(start+k)%len(m.ring)]
		row := m.written - int64(n) + int64(k) + 1
		c := Cursor{TimeNS: e.Time.UnixNano(), Row: row}
		if !q.After.IsZero() && !before(c, q.After) {
			continue
		}
		line = e.AppendJSON(line[:0])
		if q.Match(e, line) {
			hits = append(hits, hit{*e, row})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(hits, func(a, b hit) int {
		if c := b.e.Time.Compare(a.e.Time); c != 0 {
			return c
		}
		return int(b.row - a.row)
	})
	var p Page
	for i, h := range hits {
		if i == limit {
			p.Next = Cursor{TimeNS: p.Events[i-1].Time.UnixNano(), Row: p.Rows[i-1]}
			break
		}
		p.Events = append(p.Events, h.e)
		p.Rows = append(p.Rows, h.row)
	}
	return p, nil
}

// before reports whether a comes after b in the newest-first order.
func before(a, b Cursor) bool {
	return a.TimeNS < b.TimeNS || a.TimeNS == b.TimeNS && a.Row < b.Row
}

var _ Searcher = (*MemoryStore)(nil)
