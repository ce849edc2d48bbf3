// Package pgtest starts throwaway PostgreSQL clusters for tests: initdb
// into a fresh temporary directory, then postgres on a free loopback port
// with its unix socket in that directory, trust authentication and no
// fsync, stopped and removed when the test (or the package's tests) end.
//
// It needs the server binaries (Debian: apt-get install postgresql, which
// puts them in /usr/lib/postgresql/N/bin). Without them a test is skipped
// with a message saying what to install, except when CI=true, where it
// fails: CI must run what it claims to. PostgreSQL refuses to run as root,
// so under root the cluster runs as the "postgres" user (or "nobody").
//
// It is for tests only.
package pgtest
