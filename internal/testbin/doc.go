// Package testbin finds the programs that integration tests start
// (redis-server, the PostgreSQL server, Chromium) and decides what a test
// does when one is missing: on a developer's machine the test is skipped
// with a message saying what to install; when CI=true it fails instead, as
// CI must run every test it claims to and a skip would pass unnoticed.
//
// It is for tests only.
package testbin
