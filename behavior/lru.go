package behavior

// lru is a capped map with approximate least-recently-used eviction (the
// CLOCK algorithm). Entries live in fixed slots; each slot has a "used"
// bit, set when the entry is used again after the get that created it.
// When the table is full, a hand sweeps the slots, clearing set bits, and
// evicts the first entry whose bit is already clear: one not used since
// the hand last passed it. So an entry used since the hand last passed is
// not evicted before the hand comes round again, and an entry seen once
// (a one-off client, a spoofed address) goes before one seen again; but
// among the others the order is not exact.
//
// Exact LRU would move an entry to the front of a list on every use,
// writing two neighbours' pointers: cache misses on cold state for every
// request. Here a use sets one bit in a small, dense bitmap.
//
// It is kept beside internal/lru, not replaced by it, for the detector's
// large records (BenchmarkTableFill, a million clients): internal/lru
// grows one slice by append, copying every record at each growth (5.5 GB
// allocated to reach 1.1 GB, and the old and new arrays live at once),
// where chunks allocate only what they hold (1.3 GB). Records also keep
// their address and their exact key: reset matches keys (an IPv6 network
// on a ban lift), which a table of 64-bit hashes cannot.
//
// Slots are allocated in chunks as the table grows; once full, an
// insertion reuses the evicted slot, so the steady state does not
// allocate. Node addresses are stable. It is not safe for concurrent use;
// callers hold a lock.
type lru[K comparable, V any] struct {
	max    int
	m      map[K]*node[K, V]
	chunks [][]node[K, V]
	used   []uint64 // bit i: slot i was used since the hand last passed
	n      int      // slots handed out
	hand   int      // next slot the sweep looks at
	evict  int      // evictions so far
}

type node[K comparable, V any] struct {
	key  K
	slot int32
	val  V
}

// chunkSlots is the number of slots allocated at a time: 128 client
// records (832 bytes) make 13 whole 8 KB pages, 128 user records one.
const chunkSlots = 128

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, m: make(map[K]*node[K, V]), used: make([]uint64, (max+63)/64)}
}

func (l *lru[K, V]) at(i int) *node[K, V] {
	return &l.chunks[i/chunkSlots][i%chunkSlots]
}

// peek returns the value for k without marking it used, or nil.
func (l *lru[K, V]) peek(k K) *V {
	if n, ok := l.m[k]; ok {
		return &n.val
	}
	return nil
}

// peekNode returns the node for k without marking it used, or nil.
func (l *lru[K, V]) peekNode(k K) *node[K, V] {
	return l.m[k]
}

// touch marks n, a node of l, as used.
func (l *lru[K, V]) touch(n *node[K, V]) {
	w, b := n.slot/64, uint64(1)<<(n.slot%64)
	if l.used[w]&b == 0 { // do not dirty the line when already set
		l.used[w] |= b
	}
}

// get returns the value for k, creating a zero one (and evicting an entry
// not used lately when full). created reports a new entry.
func (l *lru[K, V]) get(k K) (v *V, created bool) {
	if n, ok := l.m[k]; ok {
		l.touch(n)
		return &n.val, false
	}
	var n *node[K, V]
	if l.n < l.max {
		if l.n%chunkSlots == 0 {
			l.chunks = append(l.chunks, make([]node[K, V], min(chunkSlots, l.max-l.n)))
		}
		n = l.at(l.n)
		n.slot = int32(l.n)
		l.n++
	} else {
		n = l.at(l.victim())
		delete(l.m, n.key)
		l.evict++
		var zero V
		n.val = zero
	}
	n.key = k
	l.m[k] = n // its used bit is clear: a reused slot's was, a new one's is
	return &n.val, true
}

// victim advances the hand to a slot not used since it last passed,
// clearing the used bits on the way, and returns that slot.
func (l *lru[K, V]) victim() int {
	for {
		i := l.hand
		l.hand++
		if l.hand == l.n {
			l.hand = 0
		}
		w, b := i/64, uint64(1)<<(i%64)
		if l.used[w]&b == 0 {
			return i
		}
		l.used[w] &^= b
	}
}

func (l *lru[K, V]) len() int { return len(l.m) }

// reset zeroes the values of the keys match selects, keeping their slots
// (a slot leaves the table only by eviction, so nodes held elsewhere stay
// valid), and returns how many it zeroed.
func (l *lru[K, V]) reset(match func(K) bool) int {
	var zero V
	n := 0
	for k, nd := range l.m {
		if match(k) {
			nd.val = zero
			n++
		}
	}
	return n
}
