package lru

import (
	"fmt"
	"testing"
)

// TestKeyed checks the cap and the eviction order: the least recently
// used key goes first, a key used again stays.
func TestKeyed(t *testing.T) {
	b := NewKeyed[int](3)
	for i, k := range []string{"a", "b", "c"} {
		p, added := b.Put(k)
		if !added {
			t.Fatalf("%s: not added", k)
		}
		*p = i
	}
	if p, ok := b.Get("a"); !ok || *p != 0 { // a is now the most recently used
		t.Fatalf("get a = %v, %v", p, ok)
	}
	b.Put("d") // evicts b
	tests := []struct {
		key  string
		want bool
	}{{"a", true}, {"b", false}, {"c", true}, {"d", true}}
	for _, tt := range tests {
		if _, ok := b.Peek(tt.key); ok != tt.want {
			t.Errorf("%s present = %v, want %v", tt.key, ok, tt.want)
		}
	}
	if v, ok := b.Take("c"); !ok || v != 2 || b.Len() != 2 {
		t.Errorf("take c = %v, %v, len %d", v, ok, b.Len())
	}
	if _, ok := b.Take("c"); ok {
		t.Error("c taken twice")
	}
	for i := range 1000 {
		b.Put(fmt.Sprint("k", i))
	}
	if b.Len() != 3 {
		t.Fatalf("%d entries, want the cap 3", b.Len())
	}
}
