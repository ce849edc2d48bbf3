package aiguard

import (
	"fmt"
	"testing"
)

// TestBounded checks the cap and the eviction order: the least recently
// used key goes first, a key used again stays.
func TestBounded(t *testing.T) {
	b := newBounded[int](3)
	for i, k := range []string{"a", "b", "c"} {
		p, added := b.put(k)
		if !added {
			t.Fatalf("%s: not added", k)
		}
		*p = i
	}
	if p, ok := b.get("a"); !ok || *p != 0 { // a is now the most recently used
		t.Fatalf("get a = %v, %v", p, ok)
	}
	b.put("d") // evicts b
	tests := []struct {
		key  string
		want bool
	}{{"a", true}, {"b", false}, {"c", true}, {"d", true}}
	for _, tt := range tests {
		if _, ok := b.peek(tt.key); ok != tt.want {
			t.Errorf("%s present = %v, want %v", tt.key, ok, tt.want)
		}
	}
	if v, ok := b.take("c"); !ok || v != 2 || b.len() != 2 {
		t.Errorf("take c = %v, %v, len %d", v, ok, b.len())
	}
	if _, ok := b.take("c"); ok {
		t.Error("c taken twice")
	}
	for i := range 1000 {
		b.put(fmt.Sprint("k", i))
	}
	if b.len() != 3 {
		t.Fatalf("%d entries, want the cap 3", b.len())
	}
}
