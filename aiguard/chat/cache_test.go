package chat

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

func TestChatCache(t *testing.T) {
	cc := NewCache(Limits{})
	text := func(c Chat) string { return fmt.Sprint(c.Segments) }
	r1 := &abuse.Request{ID: "a", Body: []byte(`{"text":"first"}`)}
	c, ok := cc.parse(r1)
	if !ok || text(c) != "[{user first}]" {
		t.Fatalf("parse = %v %v", ok, text(c))
	}
	// Same ID, other body of the same length: parsed again, not served
	// the cached text.
	r2 := &abuse.Request{ID: "a", Body: []byte(`{"text":"other"}`)}
	if c, ok := cc.parse(r2); !ok || text(c) != "[{user other}]" {
		t.Fatalf("same id, other body: %v %v", ok, text(c))
	}
	if c, ok := cc.parse(r1); !ok || text(c) != "[{user first}]" {
		t.Fatalf("hit: %v %v", ok, text(c))
	}
	if _, ok := cc.parse(&abuse.Request{ID: "b", Body: []byte(`{"user":"x"}`)}); ok {
		t.Fatal("non-chat body parsed as chat")
	}
	// Eviction keeps the cache bounded and results right.
	for i := range 3 * cacheSize {
		body := []byte(`{"text":"m` + strconv.Itoa(i) + `"}`)
		if c, ok := cc.parse(&abuse.Request{ID: strconv.Itoa(i), Body: body}); !ok || text(c) != "[{user m"+strconv.Itoa(i)+"}]" {
			t.Fatalf("entry %d: %v %v", i, ok, text(c))
		}
	}
}

func TestChatCacheConcurrent(t *testing.T) {
	cc := NewCache(Limits{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := (i + g) % 12
				want := "[{user m" + strconv.Itoa(n) + "}]"
				r := &abuse.Request{ID: strconv.Itoa(n), Body: []byte(`{"text":"m` + strconv.Itoa(n) + `"}`)}
				if c, ok := cc.parse(r); !ok || fmt.Sprint(c.Segments) != want {
					t.Errorf("got %v %v, want %s", ok, c.Segments, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
