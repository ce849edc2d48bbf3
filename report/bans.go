package report

import (
	"context"
	"fmt"
)

// banHistory counts the day's bans from the ban history (ban.History):
// placed, lifted by an admin (and of those, with the scores cleared), and
// run out. It reports false when there is no history to read, leaving
// r.Bans as it was.
func (b *Builder) banHistory(ctx context.Context, r *Report) (bool, error) {
	s := b.opts.Source
	ok, err := s.hasTable(ctx, s.d.bans)
	if err != nil || !ok {
		return false, err
	}
	from, to := r.From.UnixNano(), r.To.UnixNano()
	var placed, lifted, cleared, expired int64
	// One pass over the day's changes; the bans that ran out are those
	// whose end falls in the day and that no lift ended before it.
	err = s.db.QueryRowContext(ctx, s.sql(`SELECT
		COALESCE(SUM(CASE WHEN change = 'placed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN change = 'lifted' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN change = 'lifted' AND score_cleared THEN 1 ELSE 0 END), 0)
		FROM `+s.d.bans+` WHERE time_ns >= ? AND time_ns < ?`), from, to).Scan(&placed, &lifted, &cleared)
	if err != nil {
		return false, fmt.Errorf("report: ban history: %w", err)
	}
	// A ban that ends later today has not run out yet: today's report
	// counts up to now.
	end := min(to, b.opts.Now().UnixNano())
	err = s.db.QueryRowContext(ctx, s.sql(`SELECT COUNT(*) FROM `+s.d.bans+` p
		WHERE p.change = 'placed' AND p.until_ns >= ? AND p.until_ns < ? AND NOT EXISTS (
			SELECT 1 FROM `+s.d.bans+` l WHERE l.target = p.target AND l.change = 'lifted'
			AND l.time_ns >= p.time_ns AND l.time_ns < p.until_ns)`), from, end).Scan(&expired)
	if err != nil {
		return false, fmt.Errorf("report: ban history: %w", err)
	}
	r.Bans.Issued, r.Bans.Lifted, r.Bans.LiftedCleared, r.Bans.Expired = placed, lifted, cleared, expired
	return true, nil
}
