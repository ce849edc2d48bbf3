// Package lru provides a bounded table from uint64 keys to values with
// least-recently-used eviction, for per-client state that an attacker can
// make grow (one entry per IP, user or key); Keyed is the same table keyed by
// strings through a secret per-table hash seed. It is internal to Warden.
package lru
