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
// for the whole minutes of the range and from the events for the rest
// (see eventlog.RollupPlan), so a day's overview reads some tens of
// thousands of rollup rows instead of a million events, and memory stays
// bounded by the steps and the distinct keys of the top lists.
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
	// The top lists of the whole buckets, from the rollup.
	rolledTops := func() error {
		rows, err := d.db.QueryContext(ctx,
			`SELECT kind, key, key2, SUM(n) FROM event_counts
			 WHERE kind IN ('d', 'r') AND minute >= ? AND minute < ? OR kind IN ('c', 'u') AND minute >= ? AND minute < ?
			 GROUP BY 1, 2, 3`, p.Lo, p.Hi, p.HourLo, p.HourHi)
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
	// The top lists of the edges, from the events, counted as the
	// rollup counts them. The hours' edges hold the minutes'; of what
	// they count, the kinds per minute take only the minutes outside
	// [p.Lo, p.Hi).
	rawTops := func() error {
		c := counts{}
		whole := eventlog.Span{Lo: p.Lo * int64(eventlog.RollupStep), Hi: p.Hi * int64(eventlog.RollupStep)}
		for _, s := range p.HourEdges {
			if err := countSpan(ctx, d.db, s.Lo, s.Hi, true, whole, c, 1); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for k, n := range c {
			if (k.kind == eventlog.KindDetector || k.kind == eventlog.KindRoute) && k.minute >= p.Lo && k.minute < p.Hi {
				continue
			}
			b.AddCount(k.kind, k.key, k.key2, n)
		}
		return nil
	}
	// The parts run at once, each on its own connection (WAL readers do
	// not block each other).
	parts := []func() error{rolledBars, rawBars, rolledTops, rawTops}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = part() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return eventlog.Overview{}, fmt.Errorf("sqlite: overview: %w", err)
	}
	return b.Build(), nil
}

var _ eventlog.Overviewer = (*DB)(nil)
