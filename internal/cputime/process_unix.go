//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time, user and system, this process has used.
func Process() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
