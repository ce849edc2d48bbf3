package enforce

import (
	"context"
	"hash/maphash"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/warden-dev/warden/internal/lru"
)

// Violation is one entry of the violation log.
type Violation struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	Score  int64     `json:"score"`
	Client string    `json:"client"` // the scored target: "user:42", or "ip:…" for anonymous requests
	IP     string    `json:"ip,omitempty"`
	User   string    `json:"user,omitempty"`
	Route  string    `json:"route,omitempty"`
}

// Tally keeps per-client violation scores, counts and a short log. Subjects
// are ban target strings ("user:42", "ip:203.0.113.7"). Implementations
// are safe for concurrent use; store/redis provides a shared one.
type Tally interface {
	// AddViolation records v against subject, keeping at most logSize recent
	// violations, and returns the subject's total score before and after.
	// The subject's state expires ttl after its last violation.
	AddViolation(ctx context.Context, subject string, v Violation, ttl time.Duration, logSize int) (prev, total int64, err error)
	// Strike counts one more ban of subject and returns how many it had.
	Strike(ctx context.Context, subject string, ttl time.Duration) (int64, error)
	// Report returns what is known about subject; zero when nothing.
	Report(ctx context.Context, subject string, now time.Time) (Report, error)
	// Forget drops everything kept about subject (scores, counts, log,
	// strikes), as when an admin lifts its ban.
	Forget(ctx context.Context, subject string) error
}

// Report is one client's standing, as served by GET /api/v1/violations.
type Report struct {
	Target string           `json:"target"`
	Total  int64            `json:"total"`
	Scores map[string]int64 `json:"scores"` // per violation type
	Counts map[string]int64 `json:"counts"` // violations per type
	Bans   int64            `json:"bans"`   // bans so far, while scores are kept
	Recent []Violation      `json:"recent"` // newest first
	Ban    *BanState        `json:"ban,omitempty"`
}

// BanState is the ban in force on a report's target.
type BanState struct {
	Reason     string    `json:"reason"`
	Violation  string    `json:"violation,omitempty"`
	Until      time.Time `json:"until"`
	RetryAfter int64     `json:"retry_after"` // seconds left
}

// MemoryTally is the single-machine Tally: at most maxClients subjects,
// least recently seen evicted (an evicted client starts from zero, the
// trade-off that keeps a flood of addresses from exhausting memory). Each
// subject costs about 200 bytes plus its log entries and one map entry per
// violation type it committed.
type MemoryTally struct {
	seed maphash.Seed
	mu   sync.Mutex
	t    *lru.Table[*record]
}

type record struct {
	subject string
	expires time.Time
	total   int64
	bans    int64
	scores  map[string]int64
	counts  map[string]int64
	log     []Violation // ring, oldest first
}

// NewMemoryTally returns a tally of at most maxClients subjects.
func NewMemoryTally(maxClients int) *MemoryTally {
	return &MemoryTally{seed: maphash.MakeSeed(), t: lru.New[*record](maxClients)}
}

// get returns subject's live record, creating it when create is set.
// Expiry is judged on the caller's clock; a clock that jumps backwards
// keeps records alive, never drops them early.
func (m *MemoryTally) get(subject string, now time.Time, create bool) *record {
	k := maphash.String(m.seed, subject)
	var slot **record
	if create {
		slot, _ = m.t.Put(k)
	} else {
		s, ok := m.t.Get(k)
		if !ok {
			return nil
		}
		slot = s
	}
	r := *slot
	if r != nil && (r.subject != subject || !now.Before(r.expires)) {
		r = nil // a hash collision or an expired record
	}
	if r == nil && create {
		r = &record{subject: subject, scores: map[string]int64{}, counts: map[string]int64{}}
		*slot = r
	}
	return r
}

// AddViolation implements Tally.
func (m *MemoryTally) AddViolation(_ context.Context, subject string, v Violation, ttl time.Duration, logSize int) (int64, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.get(subject, v.Time, true)
	prev := r.total
	r.total += v.Score
	r.scores[v.Type] += v.Score
	r.counts[v.Type]++
	r.expires = later(r.expires, v.Time.Add(ttl))
	if logSize > 0 {
		if len(r.log) >= logSize {
			r.log = append(r.log[:0], r.log[len(r.log)-logSize+1:]...)
		}
		r.log = append(r.log, v)
	}
	return prev, r.total, nil
}

// Strike implements Tally.
func (m *MemoryTally) Strike(_ context.Context, subject string, _ time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := maphash.String(m.seed, subject)
	slot, ok := m.t.Get(k)
	if !ok || *slot == nil || (*slot).subject != subject {
		return 1, nil
	}
	(*slot).bans++
	return (*slot).bans, nil
}

// Report implements Tally.
func (m *MemoryTally) Report(_ context.Context, subject string, now time.Time) (Report, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rep := Report{Target: subject, Scores: map[string]int64{}, Counts: map[string]int64{}}
	r := m.get(subject, now, false)
	if r == nil {
		return rep, nil
	}
	rep.Total, rep.Bans = r.total, r.bans
	rep.Scores, rep.Counts = maps.Clone(r.scores), maps.Clone(r.counts)
	rep.Recent = slices.Clone(r.log)
	slices.Reverse(rep.Recent)
	return rep, nil
}

// Forget implements Tally.
func (m *MemoryTally) Forget(_ context.Context, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := maphash.String(m.seed, subject)
	if slot, ok := m.t.Peek(k); ok && *slot != nil && (*slot).subject == subject {
		m.t.Delete(k)
	}
	return nil
}

// Len returns the number of subjects tracked.
func (m *MemoryTally) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t.Len()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

var _ Tally = (*MemoryTally)(nil)
