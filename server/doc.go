// Package server wires the stores and endpoints of `warden serve` around
// a warden.Guard: the SQLite database in the data dir (bans that survive a
// restart, the decision log, lifetime quotas), Redis and PostgreSQL when
// configured, Prometheus metrics and the admin API with its dashboard.
// cmd/warden and tests import it; the root package, the library, does
// not, so a middleware program links none of these drivers.
package server
