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

// dataDetectorsSQL is the detectors of an event as JSON, read from its
// line: data is TEXT (see schema), read as json, which, unlike jsonb,
// takes the \u0000 escape a client can get into an event; that escape is
// replaced first all the same, since reading any string of an object as
// text (->>) fails on it.
const dataDetectorsSQL = `json_extract_path(replace(data, E'\\u0000', E'\\ufffd')::json, 'abuse', 'detectors')`

// detectorsSQL is the JSON array of an event's detectors, [] when it has
// none.
const detectorsSQL = `json_array_elements(CASE WHEN json_typeof(` + dataDetectorsSQL + `) = 'array'
	THEN ` + dataDetectorsSQL + ` ELSE '[]'::json END)`

// Overview implements eventlog.Overviewer from the rollup the triggers
// keep (see countsTable) and the events at the edges of the range, as
// store/sqlite does; while PostgreSQL is down the fallback answers when it
// can (events kept there meanwhile are its own).
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
	// Six statements: the store's timeout for a write is too short for
	// a week's, so the caller's context bounds them.
	if err := s.ensureSchema(ctx); err != nil {
		return eventlog.Overview{}, err
	}
	lo, hi := sqlite.UnixNanos(from), sqlite.UnixNanos(to)
	p := eventlog.PlanRollup(lo, hi, step)
	b := eventlog.NewOverviewBuilder(from, to, step)
	var mu sync.Mutex // guards b
	bars := func(sqlText string, args ...any) func() error {
		return func() error {
			rows, err := s.pool.Query(ctx, sqlText, args...)
			if err != nil {
				return err
			}
			var (
				i, n   int64
				action string
			)
			_, err = pgx.ForEachRow(rows, []any{&i, &action, &n}, func() error {
				mu.Lock()
				b.AddBar(i, action, n)
				mu.Unlock()
				return nil
			})
			return err
		}
	}
	var los, his []int64
	for _, sp := range p.Bars() {
		los, his = append(los, sp.Lo), append(his, sp.Hi)
	}
	// Detectors and routes, whose keys come from code and configuration,
	// are summed here: the rollup's whole minutes, and the events of the
	// edges that stopped a request, counted as the triggers count them.
	edges := `(SELECT * FROM ` + table + ` WHERE action IN ` + eventlog.StoppedSQL + ` AND (false`
	var edgeArgs []any
	for _, sp := range p.Edges {
		edges += fmt.Sprintf(` OR time_ns >= $%d AND time_ns < $%d`, len(edgeArgs)+1, len(edgeArgs)+2)
		edgeArgs = append(edgeArgs, sp.Lo, sp.Hi)
	}
	edges += `)) AS e`
	tops := func(sqlText string, args ...any) func() error {
		return func() error {
			rows, err := s.pool.Query(ctx, sqlText, args...)
			if err != nil {
				return err
			}
			var (
				kind, key, key2 string
				n               int64
			)
			_, err = pgx.ForEachRow(rows, []any{&kind, &key, &key2, &n}, func() error {
				mu.Lock()
				b.AddCount(kind, key, key2, n)
				mu.Unlock()
				return nil
			})
			return err
		}
	}
	// Clients and users, whose keys clients choose, are ranked in SQL
	// over the rollup's whole hours and the events of the hours' edges,
	// so that a botnet's million addresses never come into memory here.
	// COLLATE "C" orders ties by bytes, as SQLite and the Go builder do.
	var clients, users []eventlog.Count
	ranked := func(list *[]eventlog.Count, kind, col, cond string) func() error {
		return func() error {
			q := `SELECT k, n FROM (SELECT key, SUM(n)::bigint FROM (SELECT key, n FROM ` + countsTable + ` WHERE kind = $1 AND minute >= $2 AND minute < $3`
			args := []any{kind, p.HourLo, p.HourHi, eventlog.TopN}
			for _, sp := range p.HourEdges {
				q += fmt.Sprintf(` UNION ALL SELECT %s, 1 FROM %s WHERE action IN %s AND time_ns >= $%d AND time_ns < $%d%s`,
					col, table, eventlog.StoppedSQL, len(args)+1, len(args)+2, cond)
				args = append(args, sp.Lo, sp.Hi)
			}
			rows, err := s.pool.Query(ctx, q+`) AS u (key, n) GROUP BY 1) AS t (k, n) ORDER BY n DESC, k COLLATE "C" LIMIT $4`, args...)
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
	// The parts run at once on the pool's connections: the bars of the
	// minutes in one step from the rollup, the others from the events;
	// the top lists as above.
	parts := []func() error{
		bars(`SELECT (minute * 60000000000 - $1) / $2, key, SUM(n)::bigint FROM `+countsTable+`
			WHERE kind = 'a' AND minute >= $3 AND minute < $4 AND `+eventlog.WholeInStep("minute", "$1", "$2")+`
			GROUP BY 1, 2`, lo, int64(step), p.Lo, p.Hi),
		bars(`SELECT (time_ns - $1) / $2, action, COUNT(*) FROM `+table+` e
			JOIN unnest($3::bigint[], $4::bigint[]) AS s (lo, hi) ON e.time_ns >= s.lo AND e.time_ns < s.hi
			GROUP BY 1, 2`, lo, int64(step), los, his),
		tops(`SELECT kind, key, key2, SUM(n)::bigint FROM `+countsTable+`
			WHERE kind IN ('d', 'r') AND minute >= $1 AND minute < $2 GROUP BY 1, 2, 3`, p.Lo, p.Hi),
		ranked(&clients, eventlog.KindClient, "client_ip", ""),
		ranked(&users, eventlog.KindUser, "client_user", " AND client_user <> ''"),
	}
	if len(p.Edges) > 0 {
		parts = append(parts, tops(`SELECT k, k1, k2, n FROM (`+countsSQL(edges)+`) AS t (k, m, k1, k2, n)
			WHERE k IN ('d', 'r')`, edgeArgs...))
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = part() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return eventlog.Overview{}, fmt.Errorf("postgres: overview: %w", err)
	}
	o := b.Build()
	o.Clients, o.Users = clients, users
	return o, nil
}

var _ eventlog.Overviewer = (*Store)(nil)
