//go:build unix

package payload

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process used. Benchmarks report it per
// operation next to wall time: on a shared machine other processes
// stretch wall time, not our CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
