package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-dev/warden/usage"
)

// UsageTable is the hourly token rollup (package usage), which the daily
// report reads.
const UsageTable = "token_usage"

// usageSchema is created by the first AddUsage rather than in the
// migrations: a database that never served an AI request has no such
// table, and the table stays out of the schema versions other tables move.
const usageSchema = `CREATE TABLE IF NOT EXISTS ` + UsageTable + ` (
	hour_ns           INTEGER NOT NULL, -- the UTC hour's first instant, Unix nanoseconds
	route             TEXT NOT NULL,
	model             TEXT NOT NULL,
	requests          INTEGER NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	estimated         INTEGER NOT NULL, -- requests whose answer reported no usage
	PRIMARY KEY (hour_ns, route, model)
) STRICT, WITHOUT ROWID`

// AddUsage implements usage.Store: each row's counts are added to the
// stored row of its hour, route and model, in one transaction.
func (d *DB) AddUsage(ctx context.Context, rows []usage.Row) (err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add usage: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, usageSchema); err != nil {
		return fmt.Errorf("sqlite: add usage: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+UsageTable+` AS u
		(hour_ns, route, model, requests, prompt_tokens, completion_tokens, estimated) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hour_ns, route, model) DO UPDATE SET requests = u.requests + excluded.requests,
			prompt_tokens = u.prompt_tokens + excluded.prompt_tokens,
			completion_tokens = u.completion_tokens + excluded.completion_tokens,
			estimated = u.estimated + excluded.estimated`)
	if err != nil {
		return fmt.Errorf("sqlite: add usage: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, UnixNanos(r.Hour), r.Route, r.Model, r.Requests, r.Prompt, r.Completion, r.Estimated); err != nil {
			return fmt.Errorf("sqlite: add usage: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: add usage: %w", err)
	}
	return nil
}

var _ usage.Store = (*DB)(nil)

// DeleteUsageBefore implements usage.Pruner: it deletes the rows of hours
// that began before t.
func (d *DB) DeleteUsageBefore(ctx context.Context, t time.Time) (int64, error) {
	if _, err := d.db.ExecContext(ctx, usageSchema); err != nil {
		return 0, fmt.Errorf("sqlite: usage retention: %w", err)
	}
	res, err := d.db.ExecContext(ctx, `DELETE FROM `+UsageTable+` WHERE hour_ns < ?`, UnixNanos(t))
	if err != nil {
		return 0, fmt.Errorf("sqlite: usage retention: %w", err)
	}
	return res.RowsAffected()
}

var _ usage.Pruner = (*DB)(nil)
