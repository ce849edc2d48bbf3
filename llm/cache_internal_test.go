package llm

import (
	"fmt"
	"testing"
	"time"
)

// TestCache checks the cache's cap, its least-recently-used eviction,
// expiry, and that a zero size turns it off.
func TestCache(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	key := func(s string) [32]byte { return contentKey("test", s) }
	c := newCache(2, time.Minute)
	c.put(key("a"), "A", now)
	c.put(key("b"), "B", now)
	if v, ok := c.get(key("a"), now); !ok || v != "A" { // a is now the most recently used
		t.Fatalf("get a = %v, %v", v, ok)
	}
	c.put(key("c"), "C", now) // evicts b
	tests := []struct {
		name string
		key  string
		at   time.Time
		want any
	}{
		{"kept: used again", "a", now, "A"},
		{"evicted: least recently used", "b", now, nil},
		{"added", "c", now, "C"},
		{"expired", "c", now.Add(2 * time.Minute), nil},
		{"expired entry removed", "c", now, nil},
	}
	for _, tt := range tests {
		v, ok := c.get(key(tt.key), tt.at)
		if (tt.want == nil) == ok || (ok && v != tt.want) {
			t.Errorf("%s: get %s = %v, %v; want %v", tt.name, tt.key, v, ok, tt.want)
		}
	}
	for i := range 1000 {
		c.put(key(fmt.Sprint(i)), i, now)
	}
	if c.t.Len() != 2 {
		t.Errorf("%d entries, want the cap 2", c.t.Len())
	}

	off := newCache(0, time.Minute)
	off.put(key("a"), "A", now)
	if _, ok := off.get(key("a"), now); ok {
		t.Error("a cache of size 0 cached")
	}
}
