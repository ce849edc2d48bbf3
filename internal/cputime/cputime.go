// Package cputime reads the CPU time of the process and of the calling
// thread, for benchmarks that report it next to wall time: on a shared
// machine other processes stretch wall time, not our CPU time.
package cputime

import (
	"testing"
	"time"
)

// Report reports the process's CPU time per operation of b since start
// (a Process reading), as "cpu-ns/op". Platforms without a reading
// report nothing.
func Report(b *testing.B, start time.Duration) {
	if d := Process() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
