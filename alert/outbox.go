package alert

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Outbox keeps deliveries from before they are sent until long after:
// it is both the send queue (a restart loses none) and the incident log.
// store/sqlite and store/postgres implement it; MemoryOutbox does without
// a store. Implementations are safe for concurrent use.
type Outbox interface {
	// AddDeliveries stores ds as pending and sets their IDs.
	AddDeliveries(ctx context.Context, ds []Delivery) error
	// DueDeliveries returns at most limit pending deliveries whose next
	// attempt is at or before now, oldest first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// UpdateDelivery stores d's Status, Attempts, NextAttempt, Error and
	// Sent.
	UpdateDelivery(ctx context.Context, d Delivery) error
	// Deliveries returns the newest deliveries created at or after since,
	// newest first, at most limit (1..MaxLimit).
	Deliveries(ctx context.Context, since time.Time, limit int) ([]Delivery, error)
}

// Limits of Deliveries queries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// MemoryOutbox is an Outbox in memory, for a Warden without a data dir and
// for tests. It keeps the newest MemoryCapacity deliveries; a restart
// loses them.
type MemoryOutbox struct {
	mu   sync.Mutex
	rows []Delivery
	next int64
}

// MemoryCapacity bounds a MemoryOutbox.
const MemoryCapacity = 1000

// AddDeliveries implements Outbox.
func (m *MemoryOutbox) AddDeliveries(_ context.Context, ds []Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range ds {
		m.next++
		ds[i].ID = m.next
		m.rows = append(m.rows, ds[i])
	}
	if over := len(m.rows) - MemoryCapacity; over > 0 {
		m.rows = slices.Delete(m.rows, 0, over)
	}
	return nil
}

// DueDeliveries implements Outbox.
func (m *MemoryOutbox) DueDeliveries(_ context.Context, now time.Time, limit int) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for _, d := range m.rows {
		if d.Status == Pending && !d.NextAttempt.After(now) && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

// UpdateDelivery implements Outbox.
func (m *MemoryOutbox) UpdateDelivery(_ context.Context, d Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.rows {
		if m.rows[i].ID == d.ID {
			r := &m.rows[i]
			r.Status, r.Attempts, r.NextAttempt, r.Error, r.Sent = d.Status, d.Attempts, d.NextAttempt, d.Error, d.Sent
		}
	}
	return nil
}

// Deliveries implements Outbox.
func (m *MemoryOutbox) Deliveries(_ context.Context, since time.Time, limit int) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for i := len(m.rows) - 1; i >= 0 && len(out) < ClampLimit(limit); i-- {
		if !m.rows[i].Created.Before(since) {
			out = append(out, m.rows[i])
		}
	}
	return out, nil
}

// ClampLimit maps a requested limit to 1..MaxLimit, DefaultLimit for <= 0.
func ClampLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}

var _ Outbox = (*MemoryOutbox)(nil)
