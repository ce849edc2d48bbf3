package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/warden-dev/warden/ban"
)

func (s *Store) banKey(t ban.Target) string { return s.key("ban:", t.String()) }
func (s *Store) banIndex() string           { return s.key("bans") }

// Add implements ban.Store. The ban key expires with the ban. The ban is
// also kept in the local mirror, so this instance enforces it while Redis
// is away: during an outage Add succeeds on the mirror alone, and the
// mirror's bans are written to Redis when it is back.
func (s *Store) Add(ctx context.Context, b ban.Ban) error {
	if b.Target.Kind != ban.KindIP && b.Target.Kind != ban.KindUser {
		return ban.ErrBadTarget
	}
	if err := s.local.Add(ctx, b); err != nil {
		return err
	}
	if err := s.addRemote(ctx, b); err != nil && !errors.Is(err, ErrUnavailable) {
		return err
	}
	return nil
}

func (s *Store) addRemote(ctx context.Context, b ban.Ban) error {
	ttl := time.Until(b.Until)
	if ttl < time.Millisecond {
		return nil // already over on this machine's clock
	}
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("redis: encode ban: %w", err)
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	err = banScript.Run(ctx, s.c, []string{s.banKey(b.Target), s.banIndex()},
		data, b.Target.String(), b.Until.UnixMilli(), ttl.Milliseconds(), time.Now().UnixMilli()).Err()
	if err = s.end(ctx, err); err != nil {
		return fmt.Errorf("redis: add ban on %s: %w", b.Target, err)
	}
	return nil
}

// AddIfNone implements ban.Claimer: one script places b unless a ban on
// its target is in force at now, so of several instances banning one
// client at once only one places the ban. A ban placed is mirrored
// locally, as Add's are; while Redis is away the local mirror decides.
func (s *Store) AddIfNone(ctx context.Context, b ban.Ban, now time.Time) (ban.Ban, bool, error) {
	if b.Target.Kind != ban.KindIP && b.Target.Kind != ban.KindUser {
		return ban.Ban{}, false, ban.ErrBadTarget
	}
	ttl := time.Until(b.Until)
	if ttl < time.Millisecond {
		return s.local.AddIfNone(ctx, b, now) // already over on this machine's clock
	}
	data, err := json.Marshal(b)
	if err != nil {
		return ban.Ban{}, false, fmt.Errorf("redis: encode ban: %w", err)
	}
	rctx, cancel, err := s.begin(ctx)
	if err != nil {
		return s.local.AddIfNone(ctx, b, now)
	}
	defer cancel()
	cur, err := claimScript.Run(rctx, s.c, []string{s.banKey(b.Target), s.banIndex()},
		data, b.Target.String(), b.Until.UnixMilli(), ttl.Milliseconds(), now.UnixMilli()).Text()
	if errors.Is(err, goredis.Nil) { // placed
		s.end(rctx, err)
		if err := s.local.Add(ctx, b); err != nil {
			return b, true, err
		}
		return b, true, nil
	}
	if s.end(rctx, err) != nil {
		return s.local.AddIfNone(ctx, b, now)
	}
	var old ban.Ban
	if err := json.Unmarshal([]byte(cur), &old); err != nil {
		return ban.Ban{}, false, fmt.Errorf("redis: decode ban on %s: %w", b.Target, err)
	}
	return old, false, nil
}

// Remove implements ban.Store.
func (s *Store) Remove(ctx context.Context, t ban.Target) (bool, error) {
	localRemoved, _ := s.local.Remove(ctx, t)
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return localRemoved, err
	}
	defer cancel()
	p := s.c.TxPipeline()
	del := p.Del(ctx, s.banKey(t))
	p.ZRem(ctx, s.banIndex(), t.String())
	_, err = p.Exec(ctx)
	if err = s.end(ctx, err); err != nil {
		return localRemoved, fmt.Errorf("redis: remove ban on %s: %w", t, err)
	}
	return del.Val() > 0 || localRemoved, nil
}

// Lookup implements ban.Store: one GET. While Redis is away it answers
// from the local mirror and returns no error, so requests keep flowing.
func (s *Store) Lookup(ctx context.Context, t ban.Target, now time.Time) (ban.Ban, bool, error) {
	rctx, cancel, err := s.begin(ctx)
	if err != nil {
		return s.local.Lookup(ctx, t, now)
	}
	defer cancel()
	data, err := s.c.Get(rctx, s.banKey(t)).Bytes()
	if errors.Is(err, goredis.Nil) {
		s.end(rctx, err)
		return ban.Ban{}, false, nil
	}
	if s.end(rctx, err) != nil {
		return s.local.Lookup(ctx, t, now)
	}
	var b ban.Ban
	if err := json.Unmarshal(data, &b); err != nil {
		return ban.Ban{}, false, fmt.Errorf("redis: decode ban on %s: %w", t, err)
	}
	if !b.Active(now) {
		return ban.Ban{}, false, nil
	}
	return b, true, nil
}

// List implements ban.Store: the bans in force at now, soonest to expire
// first, in two round trips (index, then the records).
func (s *Store) List(ctx context.Context, now time.Time) ([]ban.Ban, error) {
	rctx, cancel, err := s.begin(ctx)
	if err != nil {
		return s.local.List(ctx, now)
	}
	defer cancel()
	targets, err := s.c.ZRangeByScore(rctx, s.banIndex(), &goredis.ZRangeBy{
		Min: strconv.FormatInt(now.UnixMilli()+1, 10), Max: "+inf"}).Result()
	if s.end(rctx, err) != nil {
		return s.local.List(ctx, now)
	}
	out := []ban.Ban{}
	if len(targets) == 0 {
		return out, nil
	}
	keys := make([]string, len(targets))
	for i, t := range targets {
		keys[i] = s.key("ban:", t)
	}
	vals, err := s.c.MGet(rctx, keys...).Result()
	if s.end(rctx, err) != nil {
		return s.local.List(ctx, now)
	}
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue // expired or lifted between the two calls
		}
		var b ban.Ban
		if json.Unmarshal([]byte(str), &b) == nil && b.Active(now) {
			out = append(out, b)
		}
	}
	return out, nil
}

// LookupAny returns the first ban in force at now among targets (the
// request's user, then its IP) in one round trip (MGET), where Lookup
// would take one per target. The pipeline may use it through an
// interface assertion. While Redis is away it answers from the mirror.
func (s *Store) LookupAny(ctx context.Context, targets []ban.Target, now time.Time) (ban.Ban, bool, error) {
	if len(targets) == 0 {
		return ban.Ban{}, false, nil
	}
	local := func() (ban.Ban, bool, error) {
		for _, t := range targets {
			if b, ok, err := s.local.Lookup(ctx, t, now); ok || err != nil {
				return b, ok, err
			}
		}
		return ban.Ban{}, false, nil
	}
	rctx, cancel, err := s.begin(ctx)
	if err != nil {
		return local()
	}
	defer cancel()
	keys := make([]string, len(targets))
	for i, t := range targets {
		keys[i] = s.banKey(t)
	}
	vals, err := s.c.MGet(rctx, keys...).Result()
	if s.end(rctx, err) != nil {
		return local()
	}
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var b ban.Ban
		if json.Unmarshal([]byte(str), &b) == nil && b.Active(now) {
			return b, true, nil
		}
	}
	return ban.Ban{}, false, nil
}
