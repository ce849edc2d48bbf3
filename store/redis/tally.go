package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-dev/warden/enforce"
)

func (s *Store) tallyKeys(subject string) (scores, log string) {
	return s.key("v:{", subject, "}"), s.key("vl:{", subject, "}")
}

// AddViolation implements enforce.Tally with one script call.
func (s *Store) AddViolation(ctx context.Context, subject string, v enforce.Violation, ttl time.Duration, logSize int) (int64, int64, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer cancel()
	entry, err := json.Marshal(v)
	if err != nil {
		return 0, 0, fmt.Errorf("redis: encode violation: %w", err)
	}
	sk, lk := s.tallyKeys(subject)
	vals, err := tallyScript.Run(ctx, s.c, []string{sk, lk}, v.Score, v.Type, max(ttl.Milliseconds(), 1), logSize, entry).Int64Slice()
	if err = s.end(ctx, err); err != nil {
		return 0, 0, fmt.Errorf("redis: add violation: %w", err)
	}
	if len(vals) != 2 {
		return 0, 0, fmt.Errorf("redis: add violation: %d values", len(vals))
	}
	return vals[0], vals[1], nil
}

// Strike implements enforce.Tally.
func (s *Store) Strike(ctx context.Context, subject string, ttl time.Duration) (int64, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	sk, _ := s.tallyKeys(subject)
	p := s.c.TxPipeline()
	n := p.HIncrBy(ctx, sk, "bans", 1)
	p.PExpire(ctx, sk, ttl)
	_, err = p.Exec(ctx)
	if err = s.end(ctx, err); err != nil {
		return 0, fmt.Errorf("redis: strike: %w", err)
	}
	return n.Val(), nil
}

// Report implements enforce.Tally. Expiry is Redis's: now is unused.
func (s *Store) Report(ctx context.Context, subject string, _ time.Time) (enforce.Report, error) {
	rep := enforce.Report{Target: subject, Scores: map[string]int64{}, Counts: map[string]int64{}}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return rep, err
	}
	defer cancel()
	sk, lk := s.tallyKeys(subject)
	p := s.c.Pipeline()
	h := p.HGetAll(ctx, sk)
	l := p.LRange(ctx, lk, 0, -1)
	_, err = p.Exec(ctx)
	if err = s.end(ctx, err); err != nil {
		return rep, fmt.Errorf("redis: report: %w", err)
	}
	for f, v := range h.Val() {
		n, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case f == "total":
			rep.Total = n
		case f == "bans":
			rep.Bans = n
		case strings.HasPrefix(f, "s:"):
			rep.Scores[f[2:]] = n
		case strings.HasPrefix(f, "c:"):
			rep.Counts[f[2:]] = n
		}
	}
	for _, e := range l.Val() {
		var v enforce.Violation
		if json.Unmarshal([]byte(e), &v) == nil {
			rep.Recent = append(rep.Recent, v)
		}
	}
	return rep, nil
}

// Forget implements enforce.Tally: it deletes subject's scores and log.
func (s *Store) Forget(ctx context.Context, subject string) error {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	sk, lk := s.tallyKeys(subject)
	err = s.c.Del(ctx, sk, lk).Err()
	if err = s.end(ctx, err); err != nil {
		return fmt.Errorf("redis: forget: %w", err)
	}
	return nil
}
