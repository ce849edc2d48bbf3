package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/store/sqlite"
)

// BanChangesTable is the ban history (ban.History) of the instances
// sharing the database: bans placed and lifted, which the daily report
// counts.
const BanChangesTable = "warden_ban_changes"

// banChangesSchema is created by the first AddBanChanges.
var banChangesSchema = []string{
	`CREATE TABLE IF NOT EXISTS ` + BanChangesTable + ` (
		id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		time_ns       BIGINT NOT NULL,
		change        TEXT NOT NULL,   -- placed | lifted
		target        TEXT NOT NULL,
		until_ns      BIGINT NOT NULL, -- placed: when the ban ends; lifted: 0
		reason        TEXT NOT NULL,
		violation     TEXT NOT NULL,
		by            TEXT NOT NULL,   -- enforce | admin
		score_cleared BOOLEAN NOT NULL -- lifted: scores were cleared too
	)`,
	`CREATE INDEX IF NOT EXISTS ` + BanChangesTable + `_time ON ` + BanChangesTable + ` (time_ns)`,
	`CREATE INDEX IF NOT EXISTS ` + BanChangesTable + `_until ON ` + BanChangesTable + ` (until_ns)`,
	`CREATE INDEX IF NOT EXISTS ` + BanChangesTable + `_target ON ` + BanChangesTable + ` (target, time_ns)`,
}

// AddBanChanges implements ban.History. Reasons are cleaned of what
// PostgreSQL's text refuses (NUL, invalid UTF-8): a user id in a target
// is the client's.
func (s *Store) AddBanChanges(ctx context.Context, cs []ban.Change) error {
	if !s.usable() {
		return fmt.Errorf("postgres: add ban changes: %w", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if !s.banChangesReady.Load() {
		if err := s.createLocked(ctx, banChangesSchema...); err != nil {
			return fmt.Errorf("postgres: add ban changes: %w", err)
		}
		s.banChangesReady.Store(true)
	}
	n := len(cs)
	times, untils := make([]int64, n), make([]int64, n)
	changes, targets, reasons, violations, bys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cleared := make([]bool, n)
	for i, c := range cs {
		times[i], changes[i], untils[i] = sqlite.UnixNanos(c.Time), sqlite.BanPlaced, sqlite.UnixNanos(c.Ban.Until)
		if c.Lifted {
			changes[i], untils[i] = sqlite.BanLifted, 0
		}
		targets[i], reasons[i], violations[i] = text(c.Ban.Target.String()), text(c.Ban.Reason), text(c.Ban.Violation)
		bys[i], cleared[i] = text(c.By), c.ScoreCleared
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO `+BanChangesTable+`
		(time_ns, change, target, until_ns, reason, violation, by, score_cleared)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::boolean[])`,
		times, changes, targets, untils, reasons, violations, bys, cleared)
	if err != nil {
		return fmt.Errorf("postgres: add ban changes: %w", err)
	}
	return nil
}

var _ ban.History = (*Store)(nil)

// DeleteBanChangesBefore deletes the changes made before t (retention).
func (s *Store) DeleteBanChangesBefore(ctx context.Context, t time.Time) (int64, error) {
	if !s.usable() {
		return 0, fmt.Errorf("postgres: ban history retention: %w", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if !s.banChangesReady.Load() {
		if err := s.createLocked(ctx, banChangesSchema...); err != nil {
			return 0, fmt.Errorf("postgres: ban history retention: %w", err)
		}
		s.banChangesReady.Store(true)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+BanChangesTable+` WHERE time_ns < $1`, sqlite.UnixNanos(t))
	if err != nil {
		return 0, fmt.Errorf("postgres: ban history retention: %w", err)
	}
	return tag.RowsAffected(), nil
}
