package syncbuf

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Lines written from several goroutines all arrive whole, and reading
// while they are written is safe (run with -race).
func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(&b, "writer %d line %d\n", w, i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		var w, i int
		if n, err := fmt.Sscanf(l, "writer %d line %d", &w, &i); n != 2 || err != nil {
			t.Fatalf("torn line %q", l)
		}
	}
}

// Bytes is a copy: changing it does not change the buffer, and later
// writes do not show in it.
func TestBytesIsACopy(t *testing.T) {
	var b Buffer
	b.Write([]byte("one"))
	snap := b.Bytes()
	snap[0] = 'X'
	b.Write([]byte("two"))
	if !bytes.Equal(snap, []byte("Xne")) {
		t.Errorf("snapshot = %q, want %q", snap, "Xne")
	}
	if got := b.String(); got != "onetwo" {
		t.Errorf("String = %q, want %q", got, "onetwo")
	}
}
