package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-dev/warden/ban"
)

// BanChangesTable is the ban history (ban.History): bans placed and
// lifted, which the daily report counts.
const BanChangesTable = "ban_changes"

// banChangesSchema is created by the first AddBanChanges rather than in
// the migrations, as the alert outbox: the table stays out of the schema
// versions other tables move.
const banChangesSchema = `CREATE TABLE IF NOT EXISTS ` + BanChangesTable + ` (
	id            INTEGER PRIMARY KEY,
	time_ns       INTEGER NOT NULL,
	change        TEXT NOT NULL,    -- placed | lifted
	target        TEXT NOT NULL,
	until_ns      INTEGER NOT NULL, -- placed: when the ban ends; lifted: 0
	reason        TEXT NOT NULL,
	violation     TEXT NOT NULL,
	by            TEXT NOT NULL,    -- enforce | admin
	score_cleared INTEGER NOT NULL  -- lifted: scores were cleared too
) STRICT;
CREATE INDEX IF NOT EXISTS ban_changes_time ON ` + BanChangesTable + ` (time_ns);
CREATE INDEX IF NOT EXISTS ban_changes_until ON ` + BanChangesTable + ` (until_ns);
CREATE INDEX IF NOT EXISTS ban_changes_target ON ` + BanChangesTable + ` (target, time_ns)`

// AddBanChanges implements ban.History.
func (d *DB) AddBanChanges(ctx context.Context, cs []ban.Change) (err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add ban changes: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, banChangesSchema); err != nil {
		return fmt.Errorf("sqlite: add ban changes: %w", err)
	}
	for _, c := range cs {
		change, until := BanPlaced, UnixNanos(c.Ban.Until)
		if c.Lifted {
			change, until = BanLifted, 0
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+BanChangesTable+`
			(time_ns, change, target, until_ns, reason, violation, by, score_cleared) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			UnixNanos(c.Time), change, c.Ban.Target.String(), until, c.Ban.Reason, c.Ban.Violation, c.By, c.ScoreCleared); err != nil {
			return fmt.Errorf("sqlite: add ban changes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: add ban changes: %w", err)
	}
	return nil
}

// The change column's values.
const (
	BanPlaced = "placed"
	BanLifted = "lifted"
)

var _ ban.History = (*DB)(nil)

// DeleteBanChangesBefore deletes the changes made before t (retention).
func (d *DB) DeleteBanChangesBefore(ctx context.Context, t time.Time) (int64, error) {
	if _, err := d.db.ExecContext(ctx, banChangesSchema); err != nil {
		return 0, fmt.Errorf("sqlite: ban history retention: %w", err)
	}
	res, err := d.db.ExecContext(ctx, `DELETE FROM `+BanChangesTable+` WHERE time_ns < ?`, UnixNanos(t))
	if err != nil {
		return 0, fmt.Errorf("sqlite: ban history retention: %w", err)
	}
	return res.RowsAffected()
}
