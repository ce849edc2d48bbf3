package lru

import "hash/maphash"

// Keyed is a Table keyed by strings (client keys, request IDs): the keys
// are hashed with a seed that is per table and secret, so keys that
// collide cannot be precomputed. Values may move when the table changes:
// keep pointers, not the *V, across calls. Not safe for concurrent use;
// callers hold a lock.
type Keyed[V any] struct {
	seed maphash.Seed
	t    *Table[V]
}

// NewKeyed returns a Keyed table of at most capacity entries.
func NewKeyed[V any](capacity int) *Keyed[V] {
	return &Keyed[V]{seed: maphash.MakeSeed(), t: New[V](capacity)}
}

// Get returns the value of k, marking it used.
func (b *Keyed[V]) Get(k string) (*V, bool) { return b.t.Get(maphash.String(b.seed, k)) }

// Peek returns the value of k without marking it used.
func (b *Keyed[V]) Peek(k string) (*V, bool) { return b.t.Peek(maphash.String(b.seed, k)) }

// Put returns the value of k, a zero one when added (evicting the least
// recently used entry when full).
func (b *Keyed[V]) Put(k string) (v *V, added bool) { return b.t.Put(maphash.String(b.seed, k)) }

// Take removes k and returns its value.
func (b *Keyed[V]) Take(k string) (V, bool) {
	h := maphash.String(b.seed, k)
	p, ok := b.t.Peek(h)
	if !ok {
		var zero V
		return zero, false
	}
	v := *p
	b.t.Delete(h)
	return v, true
}

// Len returns the number of entries.
func (b *Keyed[V]) Len() int { return b.t.Len() }
