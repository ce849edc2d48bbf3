package eventlog

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Store keeps decision events. store/sqlite implements it on one machine;
// a PostgreSQL store does for many. Implementations are safe for
// concurrent use.
type Store interface {
	// WriteEvents stores a batch of events, all or none (one transaction).
	WriteEvents(ctx context.Context, events []Event) error
	// Events returns the newest events whose time is at or after since,
	// newest first, at most limit of them (limit <= 0 means a store
	// default).
	Events(ctx context.Context, since time.Time, limit int) ([]Event, error)
}

// Pruner is implemented by stores that enforce retention: the Writer calls
// DeleteEventsBefore periodically when Config.Retention is set.
type Pruner interface {
	DeleteEventsBefore(ctx context.Context, t time.Time) (deleted int64, err error)
}

// DefaultLimit and MaxLimit bound Events queries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ClampLimit maps a requested limit to 1..MaxLimit, DefaultLimit for <= 0.
func ClampLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}

// MemoryStore is a Store that keeps the newest events in a ring of fixed
// capacity, for library use without a data dir and for tests. Old events
// fall off when it is full. It is safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	ring []Event
	next int  // index of the slot the next event goes to
	full bool // the ring has wrapped
	// written counts the events ever written: Search numbers them.
	written int64
}

// NewMemoryStore returns a ring of the given capacity (at least 1).
func NewMemoryStore(capacity int) *MemoryStore {
	return &MemoryStore{ring: make([]Event, max(capacity, 1))}
}

// WriteEvents implements Store.
func (m *MemoryStore) WriteEvents(_ context.Context, events []Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range events {
		m.ring[m.next] = e
		m.next++
		m.written++
		if m.next == len(m.ring) {
			m.next, m.full = 0, true
		}
	}
	return nil
}

// Events implements Store. Events are ordered by time, newest first.
func (m *MemoryStore) Events(_ context.Context, since time.Time, limit int) ([]Event, error) {
	limit = ClampLimit(limit)
	m.mu.Lock()
	n := m.next
	if m.full {
		n = len(m.ring)
	}
	out := make([]Event, 0, min(n, limit))
	for _, e := range m.ring[:n] {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
	m.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Event) int { return b.Time.Compare(a.Time) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

var _ Store = (*MemoryStore)(nil)
