package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/usage"
)

// UsageTable is the hourly token rollup (package usage), which the daily
// report reads. Instances sharing the database add to the same rows.
const UsageTable = "warden_token_usage"

// usageSchema is created by the first AddUsage: a database of instances
// that never served an AI request has no such table.
const usageSchema = `CREATE TABLE IF NOT EXISTS ` + UsageTable + ` (
	hour_ns           BIGINT NOT NULL, -- the UTC hour's first instant, Unix nanoseconds
	route             TEXT NOT NULL,
	model             TEXT NOT NULL,
	requests          BIGINT NOT NULL,
	prompt_tokens     BIGINT NOT NULL,
	completion_tokens BIGINT NOT NULL,
	estimated         BIGINT NOT NULL, -- requests whose answer reported no usage
	PRIMARY KEY (hour_ns, route, model)
)`

// AddUsage implements usage.Store: one statement adds every row's counts
// to the stored row of its hour, route and model. The rows come sorted
// (usage.Rollup), so instances adding at once lock rows in one order.
func (s *Store) AddUsage(ctx context.Context, rows []usage.Row) error {
	if !s.usable() {
		return fmt.Errorf("postgres: add usage: %w", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if !s.usageReady.Load() {
		if err := s.createLocked(ctx, usageSchema); err != nil {
			return fmt.Errorf("postgres: add usage: %w", err)
		}
		s.usageReady.Store(true)
	}
	n := len(rows)
	hours, routes, models := make([]int64, n), make([]string, n), make([]string, n)
	req, prompt, completion, est := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, r := range rows {
		hours[i], routes[i], models[i] = r.Hour.UnixNano(), r.Route, r.Model
		req[i], prompt[i], completion[i], est[i] = r.Requests, r.Prompt, r.Completion, r.Estimated
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO `+UsageTable+` AS u
		(hour_ns, route, model, requests, prompt_tokens, completion_tokens, estimated)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (hour_ns, route, model) DO UPDATE SET requests = u.requests + EXCLUDED.requests,
			prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
			completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
			estimated = u.estimated + EXCLUDED.estimated`, hours, routes, models, req, prompt, completion, est)
	if err != nil {
		return fmt.Errorf("postgres: add usage: %w", err)
	}
	return nil
}

var _ usage.Store = (*Store)(nil)

// createLocked runs CREATE ... IF NOT EXISTS statements in one
// transaction under the schema's advisory lock: instances starting at
// once could otherwise collide in the catalog.
func (s *Store) createLocked(ctx context.Context, stmts ...string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
			return err
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteUsageBefore implements usage.Pruner: it deletes the rows of hours
// that began before t.
func (s *Store) DeleteUsageBefore(ctx context.Context, t time.Time) (int64, error) {
	if !s.usable() {
		return 0, fmt.Errorf("postgres: usage retention: %w", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if !s.usageReady.Load() {
		if err := s.createLocked(ctx, usageSchema); err != nil {
			return 0, fmt.Errorf("postgres: usage retention: %w", err)
		}
		s.usageReady.Store(true)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+UsageTable+` WHERE hour_ns < $1`, t.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("postgres: usage retention: %w", err)
	}
	return tag.RowsAffected(), nil
}

var _ usage.Pruner = (*Store)(nil)
