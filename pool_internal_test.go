package warden

import (
	"testing"

	"github.com/warden-dev/warden/config"
)

// TestRunPoolMissAllocatesOnce: a pool miss costs one allocation, the run.
// The pool once made an abuse.Request that getRun threw away, so each miss
// allocated twice.
func TestRunPoolMissAllocatesOnce(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(t.Context())
	var r *run
	// Nothing is put back: every Get misses.
	if n := testing.AllocsPerRun(100, func() { r = g.getRun() }); n != 1 {
		t.Fatalf("a pool miss made %v allocations, want 1", n)
	}
	g.putRun(r)
}
