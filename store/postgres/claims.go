package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// claimsSchema is created on the first claim: a database of instances
// that never raised an alert has no such table. Times are the server's,
// so instances with skewed clocks agree on when a claim expires.
const claimsSchema = `CREATE TABLE IF NOT EXISTS warden_alert_claims (
	key   TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	until TIMESTAMPTZ NOT NULL
)`

// claimsPruneEvery: one claim in this many also deletes claims expired a
// day ago, so the table stays the size of a day of alerts.
const claimsPruneEvery = 64

// ClaimAlert implements alert.Claimer (package server checks it, so that
// this package does not link the alert senders): instances sharing one
// PostgreSQL tell each alert once. An insert that meets a live claim of
// another owner changes nothing and returns no row.
func (s *Store) ClaimAlert(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if !s.usable() {
		return false, fmt.Errorf("postgres: claim: %w", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if !s.claimsReady.Load() {
		if _, err := s.pool.Exec(ctx, claimsSchema); err != nil {
			return false, fmt.Errorf("postgres: claim: %w", err)
		}
		s.claimsReady.Store(true)
	}
	if s.claims.Add(1)%claimsPruneEvery == 0 {
		_, _ = s.pool.Exec(ctx, `DELETE FROM warden_alert_claims WHERE until < now() - interval '1 day'`)
	}
	var one int
	err := s.pool.QueryRow(ctx, `INSERT INTO warden_alert_claims AS c (key, owner, until)
		VALUES ($1, $2, now() + $3 * interval '1 millisecond')
		ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
		WHERE c.until < now() OR c.owner = EXCLUDED.owner
		RETURNING 1`, key, owner, max(ttl.Milliseconds(), 1)).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("postgres: claim: %w", err)
	}
	return true, nil
}

// ReleaseAlert implements alert.Claimer.
func (s *Store) ReleaseAlert(ctx context.Context, key string) error {
	if !s.usable() {
		return fmt.Errorf("postgres: release: %w", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if !s.claimsReady.Load() {
		return nil // nothing was ever claimed
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM warden_alert_claims WHERE key = $1`, key); err != nil {
		return fmt.Errorf("postgres: release: %w", err)
	}
	return nil
}
