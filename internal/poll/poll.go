// Package poll waits in tests for a condition that other goroutines or
// processes make true (a batch written, a server back), without timing
// anything.
package poll

import (
	"testing"
	"time"
)

// Until polls cond every 5 ms until it holds, and fails t, naming what it
// waited for, if 10 s pass first.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	until(t, what, cond, 10*time.Second)
}

func until(t testing.TB, what string, cond func() bool, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not timing a result
	}
}
