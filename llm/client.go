package llm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/warden-dev/warden/internal/lru"
	"github.com/warden-dev/warden/internal/redact"
)

// Errors callers may branch on. Every error from Judge and Moderate means
// "no answer": callers fail open.
var (
	ErrDisabled  = errors.New("llm: no endpoint configured")
	ErrBudget    = errors.New("llm: calls-per-minute budget spent")
	ErrBusy      = errors.New("llm: concurrency cap reached")
	ErrBadAnswer = errors.New("llm: answer does not follow the expected format")
)

// Stats are the client's counters since it was created; the root package
// exports them as Prometheus metrics.
type Stats struct {
	Calls       uint64 // HTTP calls made
	CacheHits   uint64
	Failures    uint64 // calls that failed (HTTP, timeout, bad answer): the caller failed open
	Timeouts    uint64 // failures that were timeouts
	BadAnswers  uint64 // failures that were unparseable answers
	OverBudget  uint64 // calls not made: calls-per-minute budget spent
	Busy        uint64 // calls not made: concurrency cap reached
	Malicious   uint64 // judgements "malicious"
	Flagged     uint64 // moderation results flagged
	ContentCuts uint64 // contents cut to MaxContentBytes
}

type counters struct {
	calls, cacheHits, failures, timeouts, badAnswers, overBudget, busy, malicious, flagged, cuts atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Calls: c.calls.Load(), CacheHits: c.cacheHits.Load(), Failures: c.failures.Load(), Timeouts: c.timeouts.Load(),
		BadAnswers: c.badAnswers.Load(), OverBudget: c.overBudget.Load(), Busy: c.busy.Load(), Malicious: c.malicious.Load(),
		Flagged: c.flagged.Load(), ContentCuts: c.cuts.Load(),
	}
}

// caller is the shared machinery of Client and Moderator: HTTP with a
// timeout, a concurrency cap, a calls-per-minute budget, a cache and
// counters.
type caller struct {
	http    *http.Client
	base    string
	key     string
	timeout time.Duration
	sem     chan struct{}
	lim     *rate.Limiter
	cache   *cache
	maxText int
	secrets redact.Names
	now     func() time.Time
	n       counters
}

func newCaller(base, key string, timeout time.Duration, maxConc, perMinute, cacheSize int, ttl time.Duration, maxText int, secrets redact.Names) *caller {
	return &caller{
		http:    &http.Client{Timeout: timeout},
		base:    strings.TrimRight(base, "/"),
		key:     key,
		timeout: timeout,
		sem:     make(chan struct{}, maxConc),
		lim:     rate.NewLimiter(rate.Limit(float64(perMinute)/60), max(1, perMinute/6)),
		cache:   newCache(cacheSize, ttl),
		maxText: maxText,
		secrets: secrets,
		now:     time.Now,
	}
}

// post sends body as JSON to path and decodes at most 1 MiB of answer
// into out. It enforces the budget, the cap and the timeout.
func (c *caller) post(ctx context.Context, path string, body any, out any) error {
	if !c.lim.AllowN(c.now(), 1) {
		c.n.overBudget.Add(1)
		return ErrBudget
	}
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	default:
		c.n.busy.Add(1)
		return ErrBusy
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("llm: encoding request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return c.fail(fmt.Errorf("llm: building request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "warden-llm/1")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	c.n.calls.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			c.n.timeouts.Add(1)
		}
		return c.fail(fmt.Errorf("llm: calling %s: %w", path, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if isTimeout(err) {
			c.n.timeouts.Add(1)
		}
		return c.fail(fmt.Errorf("llm: reading %s answer: %w", path, err))
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		msg := e.Error.Type
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return c.fail(fmt.Errorf("llm: %s answered %d (%s)", path, resp.StatusCode, msg))
	}
	if err := json.Unmarshal(data, out); err != nil {
		c.n.badAnswers.Add(1)
		return c.fail(fmt.Errorf("%w: %v", ErrBadAnswer, err))
	}
	return nil
}

func (c *caller) fail(err error) error {
	c.n.failures.Add(1)
	return err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// bound cuts s to max bytes on a rune boundary and redacts secrets: the
// values of secret-named keys (password=…, "token": "…", Cookie: …) and
// secret shapes (JWTs, private keys, card numbers, API keys).
func (c *caller) bound(s string) string {
	if len(s) > c.maxText {
		i := c.maxText
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
		c.n.cuts.Add(1)
	}
	return c.secrets.Text(s)
}

func contentKey(parts ...string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// cache is a bounded map with expiry that drops the least recently used
// entry when full: an internal/lru table keyed by a seeded hash of the
// content hash. An entry keeps its full key, so two contents whose hashes
// meet in 64 bits never share a verdict.
type cache struct {
	mu   sync.Mutex
	ttl  time.Duration
	seed maphash.Seed
	t    *lru.Table[cacheEntry] // nil: caching off
}

type cacheEntry struct {
	key     [32]byte
	val     any
	expires time.Time
}

func newCache(max int, ttl time.Duration) *cache {
	c := &cache{ttl: ttl, seed: maphash.MakeSeed()}
	if max > 0 {
		c.t = lru.New[cacheEntry](max)
	}
	return c
}

func (c *cache) get(k [32]byte, now time.Time) (any, bool) {
	if c.t == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := maphash.Bytes(c.seed, k[:])
	e, ok := c.t.Get(h)
	if !ok || e.key != k {
		return nil, false
	}
	if now.After(e.expires) {
		c.t.Delete(h)
		return nil, false
	}
	return e.val, true
}

func (c *cache) put(k [32]byte, v any, now time.Time) {
	if c.t == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, _ := c.t.Put(maphash.Bytes(c.seed, k[:]))
	*e = cacheEntry{key: k, val: v, expires: now.Add(c.ttl)}
}
