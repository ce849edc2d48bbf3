package behavior

import (
	"fmt"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// TestLRUEvictsUnused: when the table is full, an insertion evicts an
// entry not used since the hand last passed, never one used since.
func TestLRUEvictsUnused(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		used      []int // keys used again after filling the table
		inserts   int   // new keys inserted afterwards
		survivors []int // keys that must still be there
		evicted   []int // keys that must be gone
	}{
		{"unused go first", 8, []int{1, 3, 5, 7}, 3, []int{1, 3, 5, 7}, []int{0, 2, 4, 6}},
		{"one in use outlives all others", 130, []int{64}, 128, []int{64}, []int{0, 1, 63, 65, 129}},
		{"nothing used: oldest go", 4, nil, 2, []int{3}, []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLRU[int, int](tt.max)
			for k := range tt.max {
				v, created := l.get(k)
				if !created {
					t.Fatalf("key %d not created", k)
				}
				*v = k
			}
			l.get(-1) // evicts key 0, the first slot, none being used
			for _, k := range tt.used {
				if _, created := l.get(k); created {
					t.Fatalf("key %d was evicted before use", k)
				}
			}
			for i := range tt.inserts {
				l.get(1000 + i)
			}
			for _, k := range tt.survivors {
				if v := l.peek(k); v == nil || *v != k {
					t.Errorf("key %d evicted or changed", k)
				}
			}
			for _, k := range tt.evicted {
				if l.peek(k) != nil {
					t.Errorf("key %d still there", k)
				}
			}
			if l.len() > tt.max {
				t.Errorf("len %d > max %d", l.len(), tt.max)
			}
		})
	}
}

// TestActiveClientKeepsState: a client that keeps coming back keeps its
// state while a stream of one-off clients overflows the table.
func TestActiveClientKeepsState(t *testing.T) {
	d := newDet(t, func(c *Config) { c.MaxClients = 160 })
	const regular = "192.0.2.1"
	seen := 0
	for i := range 5000 {
		r := ev{ip: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), path: "/"}.request()
		d.Observe(r, abuse.Outcome{Status: 200})
		if i%4 == 0 {
			d.Observe(ev{ip: regular, path: "/api/x"}.request(), abuse.Outcome{Status: 200})
			seen++
		}
	}
	k := keyOf(ev{ip: regular}.request().Client)
	c := d.shard[k.shard()].m.peek(k)
	if c == nil || c.n != uint32(seen) {
		t.Fatalf("regular client lost its state: %+v, want n=%d", c, seen)
	}
	first := keyOf(ev{ip: "10.0.0.0"}.request().Client)
	if d.shard[first.shard()].m.peek(first) != nil {
		t.Fatal("first one-off client never evicted")
	}
	if st := d.stats(); st.Clients > 160 {
		t.Fatalf("stats %+v", st)
	}
}
