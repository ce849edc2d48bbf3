package aiguard

import (
	"hash/maphash"

	"github.com/warden-dev/warden/internal/lru"
)

// bounded is a capped map from string keys (client keys, request IDs) to
// values that evicts the least recently used entry when full, so an
// attacker minting keys cannot grow it: an internal/lru table keyed by a
// hash of the key. The seed is per table and secret, so keys that collide
// cannot be precomputed. Values may move when the table changes: keep
// pointers, not the *V, across calls. Callers hold a lock.
type bounded[V any] struct {
	seed maphash.Seed
	t    *lru.Table[V]
}

func newBounded[V any](max int) *bounded[V] {
	return &bounded[V]{seed: maphash.MakeSeed(), t: lru.New[V](max)}
}

// get returns the value of k, marking it used.
func (b *bounded[V]) get(k string) (*V, bool) { return b.t.Get(maphash.String(b.seed, k)) }

// peek returns the value of k without marking it used.
func (b *bounded[V]) peek(k string) (*V, bool) { return b.t.Peek(maphash.String(b.seed, k)) }

// put returns the value of k, a zero one when added (evicting the least
// recently used entry when full).
func (b *bounded[V]) put(k string) (v *V, added bool) { return b.t.Put(maphash.String(b.seed, k)) }

// take removes k and returns its value.
func (b *bounded[V]) take(k string) (V, bool) {
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

func (b *bounded[V]) len() int { return b.t.Len() }
