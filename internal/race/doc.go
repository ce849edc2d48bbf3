// Package race reports whether the binary was built with the race
// detector, for tests whose measurements it changes: it makes sync.Pool
// drop items at random, so allocation counts and timings are not the
// program's.
package race
