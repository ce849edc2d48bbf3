package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestReadingsAdvance: spinning for 20 ms of wall time moves both the
// process's and the thread's CPU time forward, by no more than the
// process could have used (where they are read at all).
func TestReadingsAdvance(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := Process(), Thread()
	if p0 == 0 && t0 == 0 {
		t.Skip("no CPU time readings on " + runtime.GOOS)
	}
	start := time.Now()
	for time.Since(start) < 20*time.Millisecond {
	}
	wall := time.Since(start)
	dp, dt := Process()-p0, Thread()-t0
	if p0 != 0 && dp <= 0 {
		t.Errorf("process CPU time moved %v over %v of spinning", dp, wall)
	}
	if t0 != 0 && (dt <= 0 || dt > wall+10*time.Millisecond) {
		t.Errorf("thread CPU time moved %v over %v of spinning", dt, wall)
	}
}
