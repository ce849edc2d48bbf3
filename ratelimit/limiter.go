package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/lru"
	"github.com/warden-dev/warden/internal/ratehdr"
)

// Options are the Limiter's collaborators, none required.
type Options struct {
	// Backend shares limit state between instances (store/redis). When it
	// fails, the Limiter decides on its memory table and counts a fallback.
	Backend Backend
	// Quotas persists lifetime quotas; nil keeps them in memory only, where
	// they reset on restart and may be evicted.
	Quotas QuotaStore
	// OnFallback, when set, is called for each decision made in memory
	// because the Backend failed (e.g. metrics.StoreFallback("redis")).
	OnFallback func()
}

// Limiter enforces a Config's policies. It is an abuse.Detector: Detect
// decides every policy that applies to the request in one atomic step —
// either all of them count the request or, when one is exceeded, none does
// — and returns a Throttle verdict naming the first exceeded policy. It is
// an abuse.Observer: Observe releases the concurrency slots Detect took,
// so the pipeline must call Observe for every request passed to Detect.
//
// State lives in a table bounded by Config.MaxClients with least recently
// seen eviction, split in shards each under its own mutex. An evicted
// client starts afresh, which is the trade-off that keeps a flood of new
// addresses from exhausting memory: size MaxClients above the number of
// clients active within your longest window. With a Backend the table is
// only used while the backend is away.
//
// Decisions take the time from abuse.Request.Time, so replays of old logs
// work. A Limiter is safe for concurrent use.
type Limiter struct {
	policies       []policy
	hasConcurrency bool
	seed           maphash.Seed
	k0, k1, k2     uint64 // random keys of hashKey
	v6Prefix       int
	defaultPlan    string
	shards         []shard
	backend        Backend
	quotas         QuotaStore
	onFallback     func()

	mu   sync.Mutex
	held map[*abuse.Request]held // concurrency slots taken, until Observe

	seq         atomic.Uint64
	fallbacks   atomic.Uint64
	quotaErrors atomic.Uint64
	throttled   atomic.Uint64
}

type shard struct {
	mu sync.Mutex
	t  *lru.Table[state]
	_  [48]byte // keep shards' mutexes on separate cache lines
}

// maxHeldLocal bounds the local concurrency policies one request holds.
const maxHeldLocal = 4

type held struct {
	keys   [maxHeldLocal]uint64
	n      int
	remote []Op
}

type policy struct {
	Policy
	idx          int
	parts        []part
	window       int64 // ns
	interval     int64 // gcra emission interval, ns
	burst        int64
	ttl          time.Duration // lifetime of shared state after an update
	policyHeader string        // RateLimit-Policy value
}

// New returns a Limiter for cfg. A disabled cfg gives a Limiter that
// allows everything.
func New(cfg Config, opt Options) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Limiter{
		seed:        maphash.MakeSeed(),
		k0:          rand.Uint64(),
		k1:          rand.Uint64(),
		k2:          rand.Uint64(),
		v6Prefix:    cfg.IPv6Prefix,
		defaultPlan: cfg.DefaultPlan,
		backend:     opt.Backend,
		quotas:      opt.Quotas,
		onFallback:  opt.OnFallback,
		held:        map[*abuse.Request]held{},
	}
	n := min(max(cfg.MaxClients/4096, 1), 16)
	l.shards = make([]shard, n)
	for i := range l.shards {
		l.shards[i].t = lru.New[state]((cfg.MaxClients + n - 1) / n)
	}
	if !cfg.Enabled {
		return l, nil
	}
	pols, err := cfg.policies()
	if err != nil {
		return nil, err
	}
	conc := 0
	for i, p := range pols {
		q := policy{Policy: p, idx: i, window: int64(p.Window), burst: p.Burst}
		if q.Violation == "" {
			q.Violation = ViolationRate
		}
		if q.Reason == "" {
			q.Reason = "rate limit exceeded"
		}
		keys := p.Key
		if len(keys) == 0 {
			keys = []string{"ip"}
		}
		for _, k := range keys {
			pt, _ := parsePart(k) // validated
			q.parts = append(q.parts, pt)
		}
		switch p.Algorithm {
		case GCRA:
			if q.burst == 0 {
				q.burst = p.Limit
			}
			q.interval = max(q.window/p.Limit, 1)
			q.ttl = time.Duration(q.interval*q.burst) + time.Second
			q.policyHeader = ratehdr.Policy(p.Name, p.Limit, p.Window)
		case Window:
			q.ttl = 2*p.Window + time.Second
			q.policyHeader = ratehdr.Policy(p.Name, p.Limit, p.Window)
		case Concurrency:
			conc++
			q.ttl = cfg.SlotTTL
			q.policyHeader = ratehdr.Policy(p.Name, p.Limit, 0)
		case Quota:
			q.ttl = cfg.QuotaTTL
			q.policyHeader = ratehdr.Policy(p.Name, p.Limit, 0)
		}
		l.policies = append(l.policies, q)
	}
	if conc > maxHeldLocal {
		return nil, fmt.Errorf("policies: at most %d concurrency limits, got %d", maxHeldLocal, conc)
	}
	l.hasConcurrency = conc > 0
	return l, nil
}

// Name implements abuse.Detector.
func (l *Limiter) Name() string { return "ratelimit" }

func (p *policy) applies(l *Limiter, r *abuse.Request) bool {
	return (len(p.Classes) == 0 || slices.Contains(p.Classes, r.Class)) &&
		(len(p.Routes) == 0 || slices.Contains(p.Routes, r.Route)) &&
		(len(p.Plans) == 0 || slices.Contains(p.Plans, l.plan(r)))
}

// decide applies p's algorithm to s at now (unix ns).
func (p *policy) decide(s state, now int64) (result, state) {
	switch p.Algorithm {
	case GCRA:
		return gcra(s, now, p.interval, p.burst)
	case Window:
		return slidingWindow(s, now, p.window, p.Limit)
	case Concurrency:
		return concurrency(s, p.Limit)
	default:
		return quota(s, p.Limit)
	}
}

// Detect implements abuse.Detector. It returns the zero Verdict when the
// request is within every limit that applies, without allocating when the
// state is in memory.
func (l *Limiter) Detect(ctx context.Context, r *abuse.Request) abuse.Verdict {
	var buf [4]*policy // more policies per request spill to the heap
	ps := buf[:0]
	for i := range l.policies {
		if p := &l.policies[i]; p.applies(l, r) {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return abuse.Verdict{}
	}
	if l.backend != nil {
		if v, ok := l.detectShared(ctx, r, ps); ok {
			return v
		}
		l.fellBack()
	}
	return l.detectLocal(ctx, r, ps)
}

func (l *Limiter) shardOf(key uint64) *shard {
	return &l.shards[key%uint64(len(l.shards))]
}

func (l *Limiter) detectLocal(ctx context.Context, r *abuse.Request, ps []*policy) abuse.Verdict {
	if len(ps) == 1 && ps[0].Algorithm != Quota {
		return l.detectOne(r, ps)
	}
	var kbuf [4]uint64
	var rbuf [4]result
	var sbuf [4]state
	keys, res, next := kbuf[:0], rbuf[:0], sbuf[:0]
	var lock uint64 // bit i: shard i takes part
	var quotaKeys []string
	for _, p := range ps {
		k := l.hashKey(p, r)
		keys = append(keys, k)
		lock |= 1 << (k % uint64(len(l.shards)))
		if p.Algorithm == Quota && l.quotas != nil {
			if quotaKeys == nil {
				quotaKeys = make([]string, len(ps))
			}
			quotaKeys[len(keys)-1] = l.stringKey(p, r)
			l.loadQuota(ctx, k, quotaKeys[len(keys)-1])
		}
	}
	res, next = append(res, make([]result, len(ps))...), append(next, make([]state, len(ps))...)
	now := r.Time.UnixNano()

	// Lock every shard involved, in index order, so that the decision over
	// all policies is atomic and two requests cannot deadlock.
	for m := lock; m != 0; m &= m - 1 {
		l.shards[bits.TrailingZeros64(m)].mu.Lock()
	}
	var slotBuf [4]lru.Slot
	slots := slotBuf[:0]
	allowed := true
	for i, p := range ps {
		t := l.shardOf(keys[i]).t
		slot, _ := t.PutSlot(keys[i])
		slots = append(slots, slot)
		res[i], next[i] = p.decide(*t.At(slot), now)
		allowed = allowed && res[i].allowed
	}
	if allowed {
		for i := range ps {
			t := l.shardOf(keys[i]).t
			if k, ok := t.KeyAt(slots[i]); !ok || k != keys[i] { // evicted by a later op on a tiny shard
				slots[i], _ = t.PutSlot(keys[i])
			}
			*t.At(slots[i]) = next[i]
		}
	}
	for m := lock; m != 0; m &= m - 1 {
		l.shards[bits.TrailingZeros64(m)].mu.Unlock()
	}

	if !allowed {
		return l.deny(ps, func(i int) result { return res[i] })
	}
	var h held
	for i, p := range ps {
		switch p.Algorithm {
		case Concurrency:
			if h.n < maxHeldLocal {
				h.keys[h.n] = keys[i]
				h.n++
			}
		case Quota:
			if quotaKeys != nil {
				if err := l.quotas.Add(ctx, quotaKeys[i], 1); err != nil {
					l.quotaErrors.Add(1)
				}
			}
		}
	}
	if h.n > 0 {
		l.hold(r, h)
	}
	return abuse.Verdict{}
}

// detectOne is detectLocal for the common case of one limit in memory.
func (l *Limiter) detectOne(r *abuse.Request, ps []*policy) abuse.Verdict {
	p := ps[0]
	k := l.hashKey(p, r)
	sh := l.shardOf(k)
	sh.mu.Lock()
	st, _ := sh.t.Put(k)
	res, next := p.decide(*st, r.Time.UnixNano())
	if res.allowed {
		*st = next
	}
	sh.mu.Unlock()
	if !res.allowed {
		return l.deny(ps, func(int) result { return res })
	}
	if p.Algorithm == Concurrency {
		l.hold(r, held{keys: [maxHeldLocal]uint64{k}, n: 1})
	}
	return abuse.Verdict{}
}

// loadQuota fills a quota entry missing from memory from the QuotaStore.
// A store error leaves the memory count (fail open) and is counted.
func (l *Limiter) loadQuota(ctx context.Context, key uint64, skey string) {
	s := l.shardOf(key)
	s.mu.Lock()
	st, ok := s.t.Peek(key)
	loaded := ok && st.b == 1
	s.mu.Unlock()
	if loaded {
		return
	}
	used, err := l.quotas.Used(ctx, skey)
	if err != nil {
		l.quotaErrors.Add(1)
		return
	}
	s.mu.Lock()
	st, _ = s.t.Put(key)
	if st.b == 0 {
		st.a, st.b = max(st.a, used), 1
	}
	s.mu.Unlock()
}

func (l *Limiter) detectShared(ctx context.Context, r *abuse.Request, ps []*policy) (abuse.Verdict, bool) {
	ops := make([]Op, len(ps))
	res := make([]Result, len(ps))
	member := ""
	for i, p := range ps {
		ops[i] = Op{Algorithm: p.Algorithm, Key: l.stringKey(p, r), Limit: p.Limit, Burst: p.burst,
			Window: p.Window, TTL: p.ttl}
		if p.Algorithm == Concurrency {
			if member == "" {
				member = r.ID
				if member == "" {
					member = "r" + strconv.FormatUint(l.seq.Add(1), 36)
				}
			}
			ops[i].Member = member
		}
	}
	if err := l.backend.Take(ctx, r.Time, ops, res); err != nil {
		return abuse.Verdict{}, false
	}
	for i := range res {
		if !res[i].Allowed {
			return l.deny(ps, func(i int) result {
				return result{allowed: res[i].Allowed, remaining: res[i].Remaining,
					retryAfter: res[i].RetryAfter, reset: res[i].Reset}
			}), true
		}
	}
	if member != "" {
		var h held
		for _, op := range ops {
			if op.Algorithm == Concurrency {
				h.remote = append(h.remote, op)
			}
		}
		l.hold(r, h)
	}
	return abuse.Verdict{}, true
}

func (l *Limiter) hold(r *abuse.Request, h held) {
	l.mu.Lock()
	old, stale := l.held[r]
	l.held[r] = h
	l.mu.Unlock()
	if stale { // Observe was missed for an earlier request in the same slot
		l.release(old)
	}
}

// deny builds the Throttle verdict for the first exceeded policy; its
// Retry-After is the longest wait among the exceeded ones.
func (l *Limiter) deny(ps []*policy, res func(int) result) abuse.Verdict {
	l.throttled.Add(1)
	first := -1
	var retry time.Duration
	for i := range ps {
		if r := res(i); !r.allowed {
			if first < 0 {
				first = i
			}
			retry = max(retry, r.retryAfter)
		}
	}
	p := ps[first]
	return abuse.Verdict{
		Detector:   l.Name(),
		Confidence: 1,
		Violation:  p.Violation,
		Messages:   []string{fmt.Sprintf("%s: limit of %d exceeded", p.Name, p.Limit)},
		Action:     abuse.Throttle,
		Reason:     p.Reason,
		RetryAfter: retry,
		Header:     ratehdr.Denied(p.Name, p.policyHeader, retry),
	}
}

// Observe implements abuse.Observer: it releases the concurrency slots the
// request took in Detect.
func (l *Limiter) Observe(r *abuse.Request, _ abuse.Outcome) {
	if !l.hasConcurrency {
		return
	}
	l.mu.Lock()
	h, ok := l.held[r]
	if ok {
		delete(l.held, r)
	}
	l.mu.Unlock()
	if ok {
		l.release(h)
	}
}

func (l *Limiter) release(h held) {
	for _, k := range h.keys[:h.n] {
		s := l.shardOf(k)
		s.mu.Lock()
		if st, ok := s.t.Peek(k); ok && st.a > 0 {
			st.a--
		}
		s.mu.Unlock()
	}
	if len(h.remote) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := l.backend.Release(ctx, h.remote); err != nil {
			l.fellBack() // the slot expires after SlotTTL
		}
	}
}

func (l *Limiter) fellBack() {
	l.fallbacks.Add(1)
	if l.onFallback != nil {
		l.onFallback()
	}
}

// Stats are counters for metrics.
type Stats struct {
	Tracked     int    // entries in the memory table
	Capacity    int    // the table's bound (MaxClients)
	Evictions   uint64 // entries evicted to make room
	Throttled   uint64 // requests denied
	Fallbacks   uint64 // decisions made locally because the backend failed
	QuotaErrors uint64 // quota store failures (the request was allowed)
	InFlight    int    // requests holding concurrency slots
}

// Stats returns the Limiter's counters.
func (l *Limiter) Stats() Stats {
	s := Stats{Throttled: l.throttled.Load(), Fallbacks: l.fallbacks.Load(), QuotaErrors: l.quotaErrors.Load()}
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		s.Tracked += sh.t.Len()
		s.Capacity += sh.t.Cap()
		s.Evictions += sh.t.Evictions()
		sh.mu.Unlock()
	}
	l.mu.Lock()
	s.InFlight = len(l.held)
	l.mu.Unlock()
	return s
}

var (
	_ abuse.Detector = (*Limiter)(nil)
	_ abuse.Observer = (*Limiter)(nil)
)
