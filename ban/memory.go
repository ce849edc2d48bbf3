package ban

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Persister durably records bans for a Memory store. Load returns every
// stored ban (expired ones may be included); Save and Delete are called
// after the memory state changed.
type Persister interface {
	Load(ctx context.Context) ([]Ban, error)
	Save(ctx context.Context, b Ban) error
	Delete(ctx context.Context, t Target) error
}

// Memory is the single-machine ban store: bans live in maps guarded by a
// RWMutex, so the per-request lookup is a map read with no allocation. When
// a Persister is given, bans are written through to it and loaded back by
// NewMemory, which is how they survive restarts.
//
// The number of bans is not capped by Memory itself: bans are created by
// enforcement (bounded by the violation scores it tracks) and by admins.
// Expired bans are dropped on lookup and by List.
type Memory struct {
	persist Persister // nil for memory only

	mu    sync.RWMutex
	ips   map[netip.Prefix]Ban // by Target.Prefix
	users map[string]Ban
}

// NewMemory returns a memory store, loading bans from p when p is not nil.
func NewMemory(ctx context.Context, p Persister) (*Memory, error) {
	m := &Memory{persist: p, ips: map[netip.Prefix]Ban{}, users: map[string]Ban{}}
	if p == nil {
		return m, nil
	}
	bans, err := p.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load bans: %w", err)
	}
	now := time.Now()
	for _, b := range bans {
		if b.Active(now) {
			m.putLocked(b)
		}
	}
	return m, nil
}

func (m *Memory) putLocked(b Ban) {
	switch b.Target.Kind {
	case KindIP:
		m.ips[b.Target.Prefix()] = b
	case KindUser:
		m.users[b.Target.User] = b
	}
}

// Add records b, replacing any ban on the same target.
func (m *Memory) Add(ctx context.Context, b Ban) error {
	if b.Target.Kind != KindIP && b.Target.Kind != KindUser {
		return ErrBadTarget
	}
	m.mu.Lock()
	m.putLocked(b)
	m.mu.Unlock()
	if m.persist != nil {
		if err := m.persist.Save(ctx, b); err != nil {
			return fmt.Errorf("persist ban on %s: %w", b.Target, err)
		}
	}
	return nil
}

// AddIfNone implements Claimer: it records b unless a ban on the same
// target is in force at now, and returns the ban in force.
func (m *Memory) AddIfNone(ctx context.Context, b Ban, now time.Time) (Ban, bool, error) {
	if b.Target.Kind != KindIP && b.Target.Kind != KindUser {
		return Ban{}, false, ErrBadTarget
	}
	m.mu.Lock()
	if old, ok := m.getLocked(b.Target); ok && old.Active(now) {
		m.mu.Unlock()
		return old, false, nil
	}
	m.putLocked(b)
	m.mu.Unlock()
	if m.persist != nil {
		if err := m.persist.Save(ctx, b); err != nil {
			return b, true, fmt.Errorf("persist ban on %s: %w", b.Target, err)
		}
	}
	return b, true, nil
}

func (m *Memory) getLocked(t Target) (Ban, bool) {
	var b Ban
	var ok bool
	switch t.Kind {
	case KindIP:
		b, ok = m.ips[t.Prefix()]
	case KindUser:
		b, ok = m.users[t.User]
	}
	return b, ok
}

// Remove lifts the ban on t.
func (m *Memory) Remove(ctx context.Context, t Target) (bool, error) {
	m.mu.Lock()
	var ok bool
	switch t.Kind {
	case KindIP:
		_, ok = m.ips[t.Prefix()]
		delete(m.ips, t.Prefix())
	case KindUser:
		_, ok = m.users[t.User]
		delete(m.users, t.User)
	}
	m.mu.Unlock()
	if m.persist != nil {
		if err := m.persist.Delete(ctx, t); err != nil {
			return ok, fmt.Errorf("persist lifting ban on %s: %w", t, err)
		}
	}
	return ok, nil
}

// Lookup returns the ban in force on t at now.
func (m *Memory) Lookup(_ context.Context, t Target, now time.Time) (Ban, bool, error) {
	m.mu.RLock()
	b, ok := m.getLocked(t)
	m.mu.RUnlock()
	if !ok || !b.Active(now) {
		return Ban{}, false, nil
	}
	return b, true, nil
}

// List returns the bans in force at now, soonest to expire first, and drops
// expired ones.
func (m *Memory) List(_ context.Context, now time.Time) ([]Ban, error) {
	m.mu.Lock()
	out := make([]Ban, 0, len(m.ips)+len(m.users))
	for k, b := range m.ips {
		if !b.Active(now) {
			delete(m.ips, k)
			continue
		}
		out = append(out, b)
	}
	for k, b := range m.users {
		if !b.Active(now) {
			delete(m.users, k)
			continue
		}
		out = append(out, b)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Ban) int { return a.Until.Compare(b.Until) })
	return out, nil
}

var (
	_ Store   = (*Memory)(nil)
	_ Claimer = (*Memory)(nil)
)
