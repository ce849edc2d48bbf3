package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Claim reports whether this instance is the first to claim key within
// ttl (SET NX PX): instances sharing one Redis send each alert once
// (alert.Claimer). The key is hashed, so its length and content do not
// matter to Redis.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer cancel()
	sum := sha256.Sum256([]byte(key))
	ok, err := s.c.SetNX(ctx, s.key("alert:", hex.EncodeToString(sum[:16])), 1, ttl).Result()
	if err := s.end(ctx, err); err != nil {
		return false, fmt.Errorf("redis: claim: %w", err)
	}
	return ok, nil
}
