package pgtest

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A server starts, answers on its DSN and in a new database, stops, and
// comes back with its data.
func TestServerLifecycle(t *testing.T) {
	s := New(t)
	t.Log(s)
	ctx := context.Background()
	dsn := s.NewDatabase(t)
	exec := func(sql string) error {
		conn, err := pgconn.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql).ReadAll()
		return err
	}
	if err := exec("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("a stopped server answered")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	res, err := conn.Exec(ctx, "SELECT x FROM kept").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res[0].Rows[0][0]); got != "7" {
		t.Errorf("after restart kept.x = %q, want 7", got)
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart of a running server succeeded")
	}
}

// fakeTB records how check ended a test; Skip and Fatal return instead
// of ending the calling goroutine.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Skip(...any)  { f.skipped = true }
func (f *fakeTB) Fatal(...any) { f.failed = true }

// Missing binaries skip a test locally and fail it in CI; any other
// start failure fails it.
func TestCheck(t *testing.T) {
	tests := []struct {
		ci           string
		err          error
		skip, failed bool
	}{
		{"", nil, false, false},
		{"", ErrNotInstalled, true, false},
		{"true", ErrNotInstalled, false, true},
		{"", errors.New("initdb: exit status 1"), false, true},
		{"true", nil, false, false},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		f := &fakeTB{TB: t}
		check(f, tt.err)
		if f.skipped != tt.skip || f.failed != tt.failed {
			t.Errorf("CI=%q err=%v: skipped %v failed %v, want %v %v", tt.ci, tt.err, f.skipped, f.failed, tt.skip, tt.failed)
		}
	}
}
