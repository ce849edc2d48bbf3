package sqlite

import (
	"context"
	"fmt"

	"github.com/warden-dev/warden/escalate"
)

// escalationSchema is created on first use by Escalations: a database
// that never escalated has no such table.
const escalationSchema = `CREATE TABLE IF NOT EXISTS cloudflare_rules (
	value   TEXT PRIMARY KEY,
	target  TEXT NOT NULL,
	rule_id TEXT NOT NULL DEFAULT '',
	until   INTEGER NOT NULL
);`

// Escalations keeps what was pushed to Cloudflare (escalate.Store), so a
// restart reconciles instead of pushing again. It is safe for concurrent
// use.
type Escalations struct{ d *DB }

// Escalations returns the database's escalation table, creating it.
func (d *DB) Escalations(ctx context.Context) (*Escalations, error) {
	if _, err := d.db.ExecContext(ctx, escalationSchema); err != nil {
		return nil, fmt.Errorf("sqlite: escalations: %w", err)
	}
	return &Escalations{d: d}, nil
}

// Load returns every entry.
func (e *Escalations) Load(ctx context.Context) ([]escalate.Entry, error) {
	rows, err := e.d.db.QueryContext(ctx, `SELECT value, target, rule_id, until FROM cloudflare_rules`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: escalations: %w", err)
	}
	defer rows.Close()
	var out []escalate.Entry
	for rows.Next() {
		var en escalate.Entry
		var until int64
		if err := rows.Scan(&en.Value, &en.Target, &en.RuleID, &until); err != nil {
			return nil, fmt.Errorf("sqlite: escalations: %w", err)
		}
		en.Until = fromNanos(until)
		out = append(out, en)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: escalations: %w", err)
	}
	return out, nil
}

// Save records en, replacing the entry for its value.
func (e *Escalations) Save(ctx context.Context, en escalate.Entry) error {
	_, err := e.d.db.ExecContext(ctx, `INSERT INTO cloudflare_rules (value, target, rule_id, until) VALUES (?, ?, ?, ?)
		ON CONFLICT (value) DO UPDATE SET target = excluded.target, rule_id = excluded.rule_id, until = excluded.until`,
		en.Value, en.Target, en.RuleID, UnixNanos(en.Until))
	if err != nil {
		return fmt.Errorf("sqlite: escalations: save: %w", err)
	}
	return nil
}

// Delete drops the entry for value.
func (e *Escalations) Delete(ctx context.Context, value string) error {
	if _, err := e.d.db.ExecContext(ctx, `DELETE FROM cloudflare_rules WHERE value = ?`, value); err != nil {
		return fmt.Errorf("sqlite: escalations: delete: %w", err)
	}
	return nil
}

var _ escalate.Store = (*Escalations)(nil)
