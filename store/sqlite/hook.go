package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-dev/warden/escalate"
)

// hookSchema is created on first use by HookPending.
const hookSchema = `CREATE TABLE IF NOT EXISTS hook_pending (
	target TEXT PRIMARY KEY,
	until  INTEGER NOT NULL
);`

// HookPending keeps the bans the action hook waits on for their end
// (escalate.HookStore), so that a restart still sends their unban
// events. It is safe for concurrent use.
type HookPending struct{ d *DB }

// HookPending returns the database's table of bans the hook waits on,
// creating it.
func (d *DB) HookPending(ctx context.Context) (*HookPending, error) {
	if _, err := d.db.ExecContext(ctx, hookSchema); err != nil {
		return nil, fmt.Errorf("sqlite: hook pending: %w", err)
	}
	return &HookPending{d: d}, nil
}

// Load returns every target waited on, with its ban's end.
func (h *HookPending) Load(ctx context.Context) (map[string]time.Time, error) {
	rows, err := h.d.db.QueryContext(ctx, `SELECT target, until FROM hook_pending`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: hook pending: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var t string
		var until int64
		if err := rows.Scan(&t, &until); err != nil {
			return nil, fmt.Errorf("sqlite: hook pending: %w", err)
		}
		out[t] = fromNanos(until)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: hook pending: %w", err)
	}
	return out, nil
}

// Save writes put and removes drop, in one transaction.
func (h *HookPending) Save(ctx context.Context, put map[string]time.Time, drop []string) error {
	tx, err := h.d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: hook pending: %w", err)
	}
	defer tx.Rollback()
	for _, t := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hook_pending WHERE target = ?`, t); err != nil {
			return fmt.Errorf("sqlite: hook pending: delete: %w", err)
		}
	}
	for t, until := range put {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hook_pending (target, until) VALUES (?, ?)
			ON CONFLICT (target) DO UPDATE SET until = excluded.until`, t, UnixNanos(until)); err != nil {
			return fmt.Errorf("sqlite: hook pending: save: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: hook pending: %w", err)
	}
	return nil
}

var _ escalate.HookStore = (*HookPending)(nil)
