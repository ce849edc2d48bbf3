package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

// Overview implements eventlog.Overviewer from the rollup (event_counts)
// for the whole minutes (hours) of the range and from the events for the
// rest (see eventlog.RollupPlan), so a day's overview reads some
// thousands of rollup rows instead of a million events. Memory stays
// bounded by the steps, the detectors and the route patterns; clients and
// users are ranked in SQL.
func (d *DB) Overview(ctx context.Context, from, to time.Time, step time.Duration) (eventlog.Overview, error) {
	if err := eventlog.CheckOverviewRange(from, to, step); err != nil {
		return eventlog.Overview{}, err
	}
	lo, hi := UnixNanos(from), UnixNanos(to)
	p := eventlog.PlanRollup(lo, hi, step)
	b := eventlog.NewOverviewBuilder(from, to, step)
	var mu sync.Mutex // guards b
	bars := func(rows *sql.Rows) error {
		defer rows.Close()
		var (
			i, n   int64
			action string
		)
		for rows.Next() {
			if err := rows.Scan(&i, &action, &n); err != nil {
				return err
			}
			mu.Lock()
			b.AddBar(i, action, n)
			mu.Unlock()
		}
		return rows.Err()
	}
	// The bars of the minutes that lie in one step, from the rollup.
	rolledBars := func() error {
		rows, err := d.db.QueryContext(ctx,
			`SELECT (minute * 60000000000 - ?1) / ?2, key, SUM(n) FROM event_counts
			 WHERE kind = 'a' AND minute >= ?3 AND minute < ?4 AND `+eventlog.WholeInStep("minute", "?1", "?2")+`
			 GROUP BY 1, 2`, lo, int64(step), p.Lo, p.Hi)
		if err != nil {
			return err
		}
		return bars(rows)
	}
	// The rest of the bars, from the events.
	rawBars := func() error {
		for _, s := range p.Bars() {
			rows, err := d.db.QueryContext(ctx,
				`SELECT (time_ns - ?1) / ?2, action, COUNT(*) FROM events
				 WHERE time_ns >= ?3 AND time_ns < ?4 GROUP BY 1, 2`, lo, int64(step), s.Lo, s.Hi)
			if err != nil {
				return err
			}
			if err := bars(rows); err != nil {
				return err
			}
		}
		return nil
	}
	// Detectors and routes, whose keys come from code and configuration,
	// are summed here: the rollup's whole minutes and the events of the
	// edges, counted as the rollup counts them.
	rolledTops := func() error {
		rows, err := d.db.QueryContext(ctx,
			`SELECT kind, key, key2, SUM(n) FROM event_counts
			 WHERE kind IN ('d', 'r') AND minute >= ? AND minute < ? GROUP BY 1, 2, 3`, p.Lo, p.Hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			kind, key, key2 string
			n               int64
		)
		for rows.Next() {
			if err := rows.Scan(&kind, &key, &key2, &n); err != nil {
				return err
			}
			mu.Lock()
			b.AddCount(kind, key, key2, n)
			mu.Unlock()
		}
		return rows.Err()
	}
	rawTops := func() error {
		c := counts{}
		for _, s := range p.Edges {
			if err := countSpan(ctx, d.db, s.Lo, s.Hi, true, c, 1); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for k, n := range c {
			if k.kind == eventlog.KindDetector || k.kind == eventlog.KindRoute {
				b.AddCount(k.kind, k.key, k.key2, n)
			}
		}
		return nil
	}
	// Clients and users, whose keys clients choose, are ranked in SQL
	// over the rollup's whole hours and the events of the hours' edges,
	// so that a botnet's million addresses never come into memory here.
	var clients, users []eventlog.Count
	top := func(list *[]eventlog.Count, kind, col, cond string) func() error {
		return func() error {
			q := `SELECT key, SUM(n) FROM (SELECT key, n FROM event_counts WHERE kind = ? AND minute >= ? AND minute < ?`
			args := []any{kind, p.HourLo, p.HourHi}
			for _, s := range p.HourEdges {
				q += ` UNION ALL SELECT ` + col + `, 1 FROM events
					WHERE action IN ` + eventlog.StoppedSQL + ` AND time_ns >= ? AND time_ns < ?` + cond
				args = append(args, s.Lo, s.Hi)
			}
			rows, err := d.db.QueryContext(ctx, q+`) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?`, append(args, eventlog.TopN)...)
			if err != nil {
				return err
			}
			*list, err = scanCounts(rows)
			return err
		}
	}
	// The parts run at once, each on its own connection (WAL readers do
	// not block each other).
	parts := []func() error{rolledBars, rawBars, rolledTops, rawTops,
		top(&clients, eventlog.KindClient, "client_ip", ""), top(&users, eventlog.KindUser, "client_user", " AND client_user <> ''")}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = part() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return eventlog.Overview{}, fmt.Errorf("sqlite: overview: %w", err)
	}
	o := b.Build()
	o.Clients, o.Users = clients, users
	return o, nil
}

func scanCounts(rows *sql.Rows) ([]eventlog.Count, error) {
	defer rows.Close()
	out := []eventlog.Count{}
	for rows.Next() {
		var c eventlog.Count
		if err := rows.Scan(&c.Key, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

var _ eventlog.Overviewer = (*DB)(nil)
