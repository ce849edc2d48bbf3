package poll

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestUntilReturnsOnceTrue(t *testing.T) {
	var done atomic.Bool
	time.AfterFunc(20*time.Millisecond, func() { done.Store(true) })
	Until(t, "the flag", done.Load)
	if !done.Load() {
		t.Fatal("Until returned before the condition held")
	}
}

// failRecorder records a fatal failure instead of stopping the test.
type failRecorder struct {
	testing.TB
	msg string
}

func (f *failRecorder) Helper() {}
func (f *failRecorder) Fatalf(format string, args ...any) {
	f.msg = format
	panic(f) // stop Until as Fatalf's Goexit would
}

func TestUntilTimesOut(t *testing.T) {
	f := &failRecorder{TB: t}
	func() {
		defer func() {
			if r := recover(); r != f {
				panic(r)
			}
		}()
		until(f, "never", func() bool { return false }, 30*time.Millisecond)
	}()
	if f.msg == "" {
		t.Fatal("Until did not fail on a condition that never held")
	}
}
