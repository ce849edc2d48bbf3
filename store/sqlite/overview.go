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

// Overview implements eventlog.Overviewer: every figure is a GROUP BY
// over the time index, so memory stays bounded by the number of steps and
// the top lists, whatever the number of events. Violation types and
// detectors live in the event's JSON, read with json_each only for the
// decisions that stopped a request.
func (d *DB) Overview(ctx context.Context, from, to time.Time, step time.Duration) (eventlog.Overview, error) {
	if err := eventlog.CheckOverviewRange(from, to, step); err != nil {
		return eventlog.Overview{}, err
	}
	o := eventlog.NewOverview(from, to, step)
	lo, hi := UnixNanos(from), UnixNanos(to)
	// Totals per step count index ranges, one per step, which is several
	// times cheaper than grouping a million rows; the actions other than
	// allow come from the (action, time) index, and allow is the rest.
	nsteps := (to.Sub(from) + step - 1) / step
	steps := func() error {
		rows, err := d.db.QueryContext(ctx,
			`WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i < ?4 - 1)
			 SELECT i, (SELECT COUNT(*) FROM events WHERE time_ns >= ?1 + i * ?3 AND time_ns < min(?2, ?1 + (i + 1) * ?3)) FROM b`,
			lo, hi, int64(step), int64(nsteps))
		if err != nil {
			return err
		}
		totals, err := scanTotals(rows, int(nsteps))
		if err != nil {
			return err
		}
		rows, err = d.db.QueryContext(ctx,
			`SELECT (time_ns - ?) / ?, action, COUNT(*) FROM events
			 WHERE action IN `+notAllowSQL+` AND time_ns >= ? AND time_ns < ? GROUP BY 1, 2`,
			lo, int64(step), lo, hi)
		if err != nil {
			return err
		}
		return scanBuckets(rows, &o, from, step, totals)
	}
	// One pass over the detectors gives both breakdowns.
	detectors := func() error {
		rows, err := d.db.QueryContext(ctx,
			`SELECT COALESCE(json_extract(j.value, '$.name'), ''), COALESCE(json_extract(j.value, '$.violation'), ''), COUNT(*)
			 FROM events, json_each(events.data, '$.abuse.detectors') j
			 WHERE action IN `+eventlog.StoppedSQL+` AND time_ns >= ? AND time_ns < ? GROUP BY 1, 2`, lo, hi)
		if err != nil {
			return err
		}
		return scanDetectors(rows, &o)
	}
	const stopped = `time_ns >= ? AND time_ns < ? AND action IN ` + eventlog.StoppedSQL
	top := func(list *[]eventlog.Count, sqlText string) func() error {
		return func() error {
			rows, err := d.db.QueryContext(ctx, sqlText+` ORDER BY 2 DESC, 1 LIMIT ?`, lo, hi, eventlog.TopN)
			if err != nil {
				return err
			}
			*list, err = scanCounts(rows)
			return err
		}
	}
	// The parts fill disjoint fields of o and run at once, each on its
	// own connection (WAL readers do not block each other): on two cores
	// a day's overview takes about half as long.
	parts := []func() error{steps, detectors,
		top(&o.Clients, `SELECT client_ip, COUNT(*) FROM events WHERE `+stopped+` GROUP BY 1`),
		top(&o.Users, `SELECT client_user, COUNT(*) FROM events WHERE `+stopped+` AND client_user <> '' GROUP BY 1`),
		top(&o.Routes, `SELECT route, COUNT(*) FROM events WHERE `+stopped+` GROUP BY 1`),
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = part() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("sqlite: overview: %w", err)
	}
	return o, nil
}

// notAllowSQL lists the actions counted apart per step; allow is the
// rest of a step's total.
const notAllowSQL = "('log','reject','throttle','too_large','block','ban')"

func scanTotals(rows *sql.Rows, n int) ([]int64, error) {
	defer rows.Close()
	totals := make([]int64, n)
	for rows.Next() {
		var i, c int64
		if err := rows.Scan(&i, &c); err != nil {
			return nil, err
		}
		if i >= 0 && i < int64(n) {
			totals[i] = c
		}
	}
	return totals, rows.Err()
}

// scanBuckets reads (step, action, count) rows and fills o's buckets from
// them and the steps' totals: what the rows leave of a total is allow.
func scanBuckets(rows *sql.Rows, o *eventlog.Overview, from time.Time, step time.Duration, totals []int64) error {
	defer rows.Close()
	per := make(map[int64]map[string]int64)
	for rows.Next() {
		var (
			i      int64
			action string
			n      int64
		)
		if err := rows.Scan(&i, &action, &n); err != nil {
			return err
		}
		if per[i] == nil {
			per[i] = map[string]int64{}
		}
		per[i][action] += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, total := range totals {
		if total == 0 {
			continue
		}
		m := per[int64(i)]
		if m == nil {
			m = map[string]int64{}
		}
		for _, n := range m {
			total -= n
		}
		if total > 0 {
			m["allow"] = total
		}
		for a, n := range m {
			o.Actions[a] += n
		}
		o.Buckets = append(o.Buckets, eventlog.Bucket{Start: from.Add(time.Duration(i) * step).UTC(), Actions: m})
	}
	return nil
}

// scanDetectors reads (detector, violation, count) rows into o's
// Detectors and Violations.
func scanDetectors(rows *sql.Rows, o *eventlog.Overview) error {
	defer rows.Close()
	dets, viols := map[string]int64{}, map[string]int64{}
	for rows.Next() {
		var (
			name, viol string
			n          int64
		)
		if err := rows.Scan(&name, &viol, &n); err != nil {
			return err
		}
		dets[name] += n
		viols[viol] += n
	}
	o.Detectors = eventlog.TopOf(dets)
	o.Violations = eventlog.TopOf(viols)
	return rows.Err()
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
