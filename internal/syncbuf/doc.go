// Package syncbuf provides a byte buffer that several goroutines may
// write while another reads it: what tests hand to a logger or a command
// as its output and inspect while it still runs.
//
// It is for tests only.
package syncbuf
