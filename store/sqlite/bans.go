package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-dev/warden/ban"
)

// Load implements ban.Persister: it returns every stored ban, expired ones
// included (ban.Memory skips those). A row whose target no longer parses is
// skipped rather than failing start-up.
func (d *DB) Load(ctx context.Context) ([]ban.Ban, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT target, reason, violation, created_ns, until_ns FROM bans`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load bans: %w", err)
	}
	defer rows.Close()
	var out []ban.Ban
	for rows.Next() {
		var (
			target         string
			b              ban.Ban
			created, until int64
		)
		if err := rows.Scan(&target, &b.Reason, &b.Violation, &created, &until); err != nil {
			return nil, fmt.Errorf("sqlite: load bans: %w", err)
		}
		t, err := ban.ParseTarget(target)
		if err != nil {
			continue
		}
		b.Target, b.Created, b.Until = t, fromNanos(created), fromNanos(until)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load bans: %w", err)
	}
	return out, nil
}

// Save implements ban.Persister: it records b, replacing any ban on the same
// target.
func (d *DB) Save(ctx context.Context, b ban.Ban) error {
	_, err := d.db.ExecContext(ctx, `
		INSERT INTO bans (target, reason, violation, created_ns, until_ns) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET
			reason = excluded.reason, violation = excluded.violation,
			created_ns = excluded.created_ns, until_ns = excluded.until_ns`,
		b.Target.String(), b.Reason, b.Violation, UnixNanos(b.Created), UnixNanos(b.Until))
	if err != nil {
		return fmt.Errorf("sqlite: save ban on %s: %w", b.Target, err)
	}
	return nil
}

// Delete implements ban.Persister: it removes the ban on t, if any.
func (d *DB) Delete(ctx context.Context, t ban.Target) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM bans WHERE target = ?`, t.String()); err != nil {
		return fmt.Errorf("sqlite: delete ban on %s: %w", t, err)
	}
	return nil
}

// PruneBans deletes bans that ended at or before now and returns how many.
func (d *DB) PruneBans(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM bans WHERE until_ns <= ?`, UnixNanos(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune bans: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

var _ ban.Persister = (*DB)(nil)
