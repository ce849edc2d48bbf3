package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/warden-dev/warden/aiguard/budget"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/redact"
	"github.com/warden-dev/warden/payload"
)

// BanLister lists the bans in force; ban.Store implements it.
type BanLister interface {
	List(ctx context.Context, now time.Time) ([]ban.Ban, error)
}

// AlertSource reads the alerts sent in a window, from the alert history
// (incident log).
type AlertSource interface {
	Alerts(ctx context.Context, from, to time.Time) (Alerts, error)
}

// Completer is a chat model; *llm.Client implements it.
type Completer interface {
	Enabled() bool
	Model() string
	Complete(ctx context.Context, system, user string, maxTokens int) (string, error)
}

// Options are what a Builder reads. Source is required; the rest may be
// nil, and the report then says what it could not cover.
type Options struct {
	Source *Source
	Config Config
	// RequestLog says events hold every request (log.requests), so that
	// Requests and Allowed count all traffic.
	RequestLog bool
	Bans       BanLister
	Alerts     AlertSource
	// Health returns the process's counters over a window ending now, or
	// nil when it has none (warden report, a separate process).
	Health func() *Health
	// Model writes the summary when set, enabled and Config.Summary is on.
	Model Completer
	// Prices are USD per million tokens per model, "*" for any other
	// (ai.budget.prices), for the estimated cost of AI requests. Nil
	// reports tokens without a cost.
	Prices map[string]budget.Price
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Builder builds reports. It is safe for concurrent use.
type Builder struct {
	opts Options
	loc  *time.Location
}

// New checks opts and returns a Builder.
func New(opts Options) (*Builder, error) {
	if opts.Source == nil {
		return nil, errors.New("report: no event store")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	loc, err := opts.Config.Location()
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Builder{opts: opts, loc: loc}, nil
}

// Location is the zone the Builder's days are in.
func (b *Builder) Location() *time.Location { return b.loc }

// ParseDate reads a YYYY-MM-DD date as a day in the Builder's zone.
func (b *Builder) ParseDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, b.loc)
}

// Yesterday is the day before now's, in the Builder's zone.
func (b *Builder) Yesterday() time.Time {
	y, m, d := b.opts.Now().In(b.loc).Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, b.loc)
}

// dayBounds returns the first instant of day's calendar date (as day
// states it, whatever its zone) in loc and of the next day: 23 or 25 hours apart across a DST change.
func dayBounds(day time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// Build builds the report of day's calendar date (as day states it: a
// time from ParseDate or Yesterday, or midnight UTC of the date), whose
// hours are those of the Builder's zone.
func (b *Builder) Build(ctx context.Context, day time.Time) (*Report, error) {
	from, to := dayBounds(day, b.loc)
	prevFrom, _ := dayBounds(from.AddDate(0, 0, -1), b.loc)
	s := b.opts.Source
	r := &Report{
		Date: from.Format(time.DateOnly), TimeZone: b.loc.String(),
		From: from, To: to, Generated: b.opts.Now().UTC(), Source: s.Name(),
		Bans: Bans{Issued: -1},
	}
	r.Hours = emptyHours(from, to, b.loc)
	ok, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := b.fill(ctx, r, prevFrom); err != nil {
			return nil, err
		}
	}
	r.AllRequests = b.opts.RequestLog
	if !b.opts.RequestLog {
		r.Notes = append(r.Notes, "log.requests is off: requests and allowed count only decisions that were not a plain allow")
	}
	if err := b.usageDays(ctx, r, prevFrom); err != nil {
		return nil, err
	}
	history, err := b.banHistory(ctx, r)
	if err != nil {
		return nil, err
	}
	if !history && b.opts.Bans != nil {
		bans, err := b.opts.Bans.List(ctx, b.opts.Now())
		if err != nil {
			return nil, fmt.Errorf("report: list bans: %w", err)
		}
		r.Bans.Issued = 0
		for _, x := range bans {
			if !x.Created.Before(from) && x.Created.Before(to) {
				r.Bans.Issued++
			}
		}
	}
	if !history {
		r.Notes = append(r.Notes, "no ban history recorded yet: bans issued counts those the ban store still holds, lifted and expired bans are not counted")
	}
	if b.opts.Alerts != nil {
		a, err := b.opts.Alerts.Alerts(ctx, from, to)
		if err != nil {
			return nil, fmt.Errorf("report: read alerts: %w", err)
		}
		r.Alerts = &a
	} else {
		r.Alerts = nil
		r.Notes = append(r.Notes, "no alert history configured: alerts sent are not reported")
	}
	if b.opts.Health != nil {
		r.Health = b.opts.Health()
	}
	if r.Health == nil {
		r.Notes = append(r.Notes, "health (dropped events, store fallbacks, judge failures) is counted by the running server only: see its /metrics")
	}
	r.Summary = b.summarize(ctx, r)
	return r, nil
}

// fill runs the queries. Each aggregates in the database, so memory holds
// only the rows returned: at most 25 hours × 7 actions, Top rows per
// list, and 1000 detector/violation pairs.
func (b *Builder) fill(ctx context.Context, r *Report, prevFrom time.Time) error {
	s := b.opts.Source
	from, to := r.From.UnixNano(), r.To.UnixNano()
	prev := prevFrom.UnixNano()
	top := b.opts.Config.Top

	// Actions per hour, and the day's totals from them: one range query
	// per hour counting each action, which reads the hour's rows in time
	// order and needs no sort (a GROUP BY over the day would sort them all).
	perHour := s.sql(`SELECT COUNT(*), ` + actionSums + ` FROM ` + s.d.table + ` e WHERE e.time_ns >= ? AND e.time_ns < ?`)
	for i := range r.Hours {
		start := r.Hours[i].Start.UnixNano()
		end := min(start+hourNS, to)
		var c [5]sql.NullInt64
		var n int64
		if err := s.db.QueryRowContext(ctx, perHour, start, end).Scan(&n, &c[0], &c[1], &c[2], &c[3], &c[4]); err != nil {
			return fmt.Errorf("report: actions per hour: %w", err)
		}
		r.Today.Requests += n // every action, those to come included
		h := &r.Hours[i]
		h.Allowed, h.Logged, h.Throttled, h.Blocked, h.Banned = c[0].Int64, c[1].Int64, c[2].Int64, c[3].Int64, c[4].Int64
		r.Today.Allowed += h.Allowed
		r.Today.Logged += h.Logged
		r.Today.Throttled += h.Throttled
		r.Today.Blocked += h.Blocked
		r.Today.Banned += h.Banned
	}
	// The day before, for the changes.
	rows, err := s.db.QueryContext(ctx, s.sql(`SELECT e.action, COUNT(*) FROM `+s.d.table+` e
		WHERE e.time_ns >= ? AND e.time_ns < ? GROUP BY 1`), prev, from)
	if err != nil {
		return fmt.Errorf("report: previous day: %w", err)
	}
	err = scanEach(rows, func(sc func(...any) error) error {
		var action string
		var n int64
		if err := sc(&action, &n); err != nil {
			return err
		}
		r.Yesterday.add(action, n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: previous day: %w", err)
	}
	off := s.offenderSQL()
	offenders := `SELECT COUNT(DISTINCT e.client_ip) FROM ` + s.d.table + ` e WHERE e.time_ns >= ? AND e.time_ns < ? AND e.client_ip <> '' AND ` + off
	if err := s.db.QueryRowContext(ctx, s.sql(offenders), prev, from).Scan(&r.Yesterday.Offenders); err != nil {
		return fmt.Errorf("report: offenders: %w", err)
	}
	// Repeat offenders: today's that offended in the window before too.
	// Both sides are sets the database builds (a hash or a temporary
	// index), not rows sent here.
	repeat := `SELECT COUNT(*) FROM (SELECT DISTINCT e.client_ip AS ip FROM ` + s.d.table + ` e
		WHERE e.time_ns >= ? AND e.time_ns < ? AND e.client_ip <> '' AND ` + off + `) t
		WHERE t.ip IN (SELECT e.client_ip FROM ` + s.d.table + ` e WHERE e.time_ns >= ? AND e.time_ns < ? AND ` + off + `)`
	if err := s.db.QueryRowContext(ctx, s.sql(repeat), from, to, r.From.Add(-RepeatWindow).UnixNano(), from).Scan(&r.Today.RepeatOffenders); err != nil {
		return fmt.Errorf("report: repeat offenders: %w", err)
	}

	// Top lists. Each row also carries the number of groups and of groups
	// with a ban (windows over the grouped rows), which for clients are
	// the day's offenders and banned clients: one pass instead of two
	// more COUNT(DISTINCT)s.
	const bannedGroups = `SUM(CASE WHEN SUM(CASE WHEN e.action = 'ban' THEN 1 ELSE 0 END) > 0 THEN 1 ELSE 0 END) OVER ()`
	for _, q := range []struct {
		into           *[]Row
		groups, banned *int64
		col, cond      string
	}{
		{&r.TopClients, &r.Today.Offenders, &r.Bans.Clients, "e.client_ip", "e.client_ip <> '' AND " + off},
		{&r.TopUsers, nil, nil, "e.client_user", "e.client_user <> '' AND " + off},
		{&r.TopRoutes, nil, nil, "e.route", "e.action <> 'allow'"},
	} {
		rows, err := s.db.QueryContext(ctx, s.sql(`SELECT `+q.col+`, COUNT(*), `+stoppedCount+`, COUNT(*) OVER (), `+bannedGroups+`
			FROM `+s.d.table+` e WHERE e.time_ns >= ? AND e.time_ns < ? AND `+q.cond+` GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?`), from, to, top)
		if err != nil {
			return fmt.Errorf("report: top %s: %w", q.col, err)
		}
		var groups, banned int64
		if *q.into, groups, banned, err = scanRows(rows, top); err != nil {
			return fmt.Errorf("report: top %s: %w", q.col, err)
		}
		if q.groups != nil {
			*q.groups, *q.banned = groups, banned
		}
	}
	for i := range r.TopRoutes {
		if r.TopRoutes[i].Name == "" {
			r.TopRoutes[i].Name = NoRoute
		}
	}
	r.Today.NewOffenders = r.Today.Offenders - r.Today.RepeatOffenders
	if err := b.detectors(ctx, r, from, to, top); err != nil {
		return err
	}
	r.Bans.Refused = r.Today.Banned
	return nil
}

// NoRoute names the requests that matched no configured route pattern.
const NoRoute = "(no route)"

// maxPairs bounds the detector × violation pairs read: both come from
// Warden's code (and custom detectors), not from clients.
const maxPairs = 1000

// detectors reads findings per detector and violation type, and folds
// them into the detector, violation and attack-class lists.
func (b *Builder) detectors(ctx context.Context, r *Report, from, to int64, top int) error {
	s := b.opts.Source
	rows, err := s.db.QueryContext(ctx, s.sql(`SELECT COALESCE(`+s.d.field("name")+`, ''), COALESCE(`+s.d.field("violation")+`, ''), COUNT(*), `+stoppedCount+`
		FROM `+s.d.detectors+`
		WHERE e.time_ns >= ? AND e.time_ns < ? AND (e.action <> 'allow' OR e.confidence > 0.5)
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ?`), from, to, maxPairs)
	if err != nil {
		return fmt.Errorf("report: detectors: %w", err)
	}
	classes := map[string]bool{}
	for _, c := range payload.Classes() {
		classes[c] = true
	}
	det, vio, cls := map[string]*Row{}, map[string]*Row{}, map[string]*Row{}
	addTo := func(m map[string]*Row, name string, n, stopped int64) {
		x := m[name]
		if x == nil {
			x = &Row{Name: name}
			m[name] = x
		}
		x.Events += n
		x.Stopped += stopped
	}
	err = scanEach(rows, func(sc func(...any) error) error {
		var name, violation string
		var n, stopped int64
		if err := sc(&name, &violation, &n, &stopped); err != nil {
			return err
		}
		name, violation = clean(name), clean(violation)
		addTo(det, name, n, stopped)
		if violation != "" {
			addTo(vio, violation, n, stopped)
			if classes[violation] {
				addTo(cls, violation, n, stopped)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: detectors: %w", err)
	}
	r.Detectors, r.Violations, r.AttackClasses = topOf(det, top), topOf(vio, top), topOf(cls, top)
	return nil
}

func topOf(m map[string]*Row, n int) []Row {
	out := make([]Row, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Row) int {
		if a.Events != b.Events {
			if a.Events > b.Events {
				return -1
			}
			return 1
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out[:min(len(out), n)]
}

// scanner is the part of *sql.Rows the scan helpers use.
type scanner interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func scanEach(rows scanner, fn func(scan func(...any) error) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanRows reads name, events, stopped, the number of groups and of
// groups with a ban.
func scanRows(rows scanner, limit int) ([]Row, int64, int64, error) {
	out := make([]Row, 0, limit)
	var groups, banned int64
	err := scanEach(rows, func(sc func(...any) error) error {
		var x Row
		var stopped *int64 // SUM over no rows is NULL
		if err := sc(&x.Name, &x.Events, &stopped, &groups, &banned); err != nil {
			return err
		}
		if stopped != nil {
			x.Stopped = *stopped
		}
		x.Name = clean(x.Name)
		out = append(out, x)
		return nil
	})
	return out, groups, banned, err
}

func (h *Headline) add(action string, n int64) {
	h.Requests += n
	switch action {
	case "allow":
		h.Allowed += n
	case "log":
		h.Logged += n
	case "throttle":
		h.Throttled += n
	case "block", "reject", "too_large":
		h.Blocked += n
	case "ban":
		h.Banned += n
	}
}

// clean makes a name from the store safe to show: secrets redacted
// (events are redacted when made, rows from older versions may not be),
// control characters (a terminal escape in a user id) and invalid UTF-8
// replaced.
func clean(s string) string {
	s = redact.Names{}.Text(s)
	ok := utf8.ValidString(s)
	for _, c := range s {
		if unicode.IsControl(c) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return utf8.RuneError
		}
		return c
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

func emptyHours(from, to time.Time, loc *time.Location) []Hour {
	var hs []Hour
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		hs = append(hs, Hour{Start: t.UTC(), Label: t.In(loc).Format("15:04")})
	}
	return hs
}
