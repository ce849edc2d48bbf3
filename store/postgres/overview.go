package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/store/sqlite"
)

// detectorsSQL is the JSON array of an event's detectors, [] when it has
// none: data is TEXT (see schema), read as json, which, unlike jsonb,
// takes the \u0000 escape a client can get into an event.
const detectorsSQL = `json_array_elements(CASE WHEN json_typeof((data::json)->'abuse'->'detectors') = 'array'
	THEN (data::json)->'abuse'->'detectors' ELSE '[]'::json END)`

// Overview implements eventlog.Overviewer with GROUP BY queries in
// PostgreSQL, as store/sqlite does; while PostgreSQL is down the
// fallback answers when it can (events kept there meanwhile are its own).
func (s *Store) Overview(ctx context.Context, from, to time.Time, step time.Duration) (eventlog.Overview, error) {
	if err := eventlog.CheckOverviewRange(from, to, step); err != nil {
		return eventlog.Overview{}, err
	}
	pgErr := fmt.Errorf("postgres: overview: %w", ErrUnavailable)
	if s.usable() {
		o, err := s.queryOverview(ctx, from, to, step)
		if err == nil {
			s.succeeded()
			return o, nil
		}
		pgErr = err
		if !s.failed(ctx, err) {
			return o, err
		}
	}
	s.fellBack()
	if ov, ok := s.fallback.(eventlog.Overviewer); ok {
		o, err := ov.Overview(ctx, from, to, step)
		if err != nil {
			return o, fmt.Errorf("%v; fallback store: %w", pgErr, err)
		}
		return o, nil
	}
	return eventlog.Overview{}, pgErr
}

func (s *Store) queryOverview(ctx context.Context, from, to time.Time, step time.Duration) (eventlog.Overview, error) {
	// Five statements over a day of events: the store's timeout for a
	// write is too short, so the caller's context bounds them.
	o := eventlog.NewOverview(from, to, step)
	if err := s.ensureSchema(ctx); err != nil {
		return o, err
	}
	lo, hi := sqlite.UnixNanos(from), sqlite.UnixNanos(to)
	steps := func() error {
		rows, err := s.pool.Query(ctx,
			`SELECT (time_ns - $1) / $2, action, COUNT(*) FROM `+table+`
			 WHERE time_ns >= $1 AND time_ns < $3 GROUP BY 1, 2 ORDER BY 1`,
			lo, int64(step), hi)
		if err != nil {
			return err
		}
		var (
			i      int64
			action string
			n      int64
		)
		_, err = pgx.ForEachRow(rows, []any{&i, &action, &n}, func() error {
			start := from.Add(time.Duration(i) * step).UTC()
			if k := len(o.Buckets); k == 0 || !o.Buckets[k-1].Start.Equal(start) {
				o.Buckets = append(o.Buckets, eventlog.Bucket{Start: start, Actions: map[string]int64{}})
			}
			o.Buckets[len(o.Buckets)-1].Actions[action] += n
			o.Actions[action] += n
			return nil
		})
		return err
	}
	const stopped = `time_ns >= $1 AND time_ns < $2 AND action IN ` + eventlog.StoppedSQL
	// One pass over the detectors gives both breakdowns.
	detectors := func() error {
		rows, err := s.pool.Query(ctx, `SELECT COALESCE(d->>'name', ''), COALESCE(d->>'violation', ''), COUNT(*)
			FROM `+table+`, `+detectorsSQL+` d WHERE `+stopped+` GROUP BY 1, 2`, lo, hi)
		if err != nil {
			return err
		}
		dets, viols := map[string]int64{}, map[string]int64{}
		var (
			name, viol string
			n          int64
		)
		if _, err := pgx.ForEachRow(rows, []any{&name, &viol, &n}, func() error {
			dets[name] += n
			viols[viol] += n
			return nil
		}); err != nil {
			return err
		}
		o.Detectors, o.Violations = eventlog.TopOf(dets), eventlog.TopOf(viols)
		return nil
	}
	top := func(list *[]eventlog.Count, sqlText string) func() error {
		return func() error {
			// COLLATE "C" orders ties by bytes, as SQLite and the Go
			// builder do.
			rows, err := s.pool.Query(ctx, `SELECT k, n FROM (`+sqlText+` GROUP BY 1) AS t (k, n)
				ORDER BY n DESC, k COLLATE "C" LIMIT $3`, lo, hi, eventlog.TopN)
			if err != nil {
				return err
			}
			var c eventlog.Count
			out := []eventlog.Count{}
			if _, err := pgx.ForEachRow(rows, []any{&c.Key, &c.N}, func() error {
				out = append(out, c)
				return nil
			}); err != nil {
				return err
			}
			*list = out
			return nil
		}
	}
	// The parts fill disjoint fields of o and run at once on the pool's
	// connections.
	parts := []func() error{steps, detectors,
		top(&o.Clients, `SELECT client_ip, COUNT(*) FROM `+table+` WHERE `+stopped),
		top(&o.Users, `SELECT client_user, COUNT(*) FROM `+table+` WHERE `+stopped+` AND client_user <> ''`),
		top(&o.Routes, `SELECT route, COUNT(*) FROM `+table+` WHERE `+stopped),
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = part() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("postgres: overview: %w", err)
	}
	return o, nil
}

var _ eventlog.Overviewer = (*Store)(nil)
