package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// claimAlertScript takes KEYS[1] for owner ARGV[1] for ARGV[2] ms when it
// is free, or extends it when owner holds it: one round trip, atomic.
var claimAlertScript = goredis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)

// ClaimAlert implements alert.Claimer (package server checks it, so
// that this package does not link the alert senders): instances sharing one Redis tell each
// alert once. The key is hashed, so its length and content do not
// matter to Redis.
func (s *Store) ClaimAlert(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer cancel()
	n, err := claimAlertScript.Run(ctx, s.c, []string{s.alertKey(key)}, owner, max(ttl.Milliseconds(), 1)).Int()
	if err := s.end(ctx, err); err != nil {
		return false, fmt.Errorf("redis: claim: %w", err)
	}
	return n == 1, nil
}

// ReleaseAlert implements alert.Claimer.
func (s *Store) ReleaseAlert(ctx context.Context, key string) error {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	err = s.c.Del(ctx, s.alertKey(key)).Err()
	if err := s.end(ctx, err); err != nil {
		return fmt.Errorf("redis: release: %w", err)
	}
	return nil
}

func (s *Store) alertKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.key("alert:", hex.EncodeToString(sum[:16]))
}
