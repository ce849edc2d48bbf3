package testbin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTB records how a test would have ended; Skip and Fatal return
// instead of ending the calling goroutine.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Skip(args ...any)  { f.skipped, f.msg = true, args[0].(string) }
func (f *fakeTB) Fatal(args ...any) { f.failed, f.msg = true, args[0].(string) }

// Find returns the first program on PATH; without one it skips locally
// and fails in CI, naming what to install either way.
func TestFind(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "there")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notexec"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	tests := []struct {
		name         string
		ci           string
		names        []string
		want         string
		skip, failed bool
	}{
		{"found", "", []string{"there"}, exe, false, false},
		{"found in CI", "true", []string{"there"}, exe, false, false},
		{"second name", "", []string{"absent", "there"}, exe, false, false},
		{"missing", "", []string{"absent", "notexec"}, "", true, false},
		{"missing in CI", "true", []string{"absent"}, "", false, true},
		{"CI not true", "1", []string{"absent"}, "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			f := &fakeTB{TB: t}
			got := Find(f, "some-package", tt.names...)
			if got != tt.want || f.skipped != tt.skip || f.failed != tt.failed {
				t.Fatalf("Find = %q skipped %v failed %v, want %q %v %v", got, f.skipped, f.failed, tt.want, tt.skip, tt.failed)
			}
			if tt.skip || tt.failed {
				for _, part := range append(tt.names, "apt-get install some-package") {
					if !strings.Contains(f.msg, part) {
						t.Errorf("message %q does not mention %q", f.msg, part)
					}
				}
			}
			if tt.failed && !strings.Contains(f.msg, "CI=true") {
				t.Errorf("CI failure %q does not say why it is not a skip", f.msg)
			}
		})
	}
}

// Missing skips with the message as given, and fails with it in CI.
func TestMissing(t *testing.T) {
	const msg = "frob is not installed; apt-get install frob to run this test"
	for _, ci := range []string{"", "false", "true"} {
		t.Setenv("CI", ci)
		f := &fakeTB{TB: t}
		Missing(f, msg)
		if ci == "true" {
			if !f.failed || f.skipped || !strings.HasPrefix(f.msg, msg) {
				t.Errorf("CI=%q: failed %v skipped %v msg %q, want a failure starting with the message", ci, f.failed, f.skipped, f.msg)
			}
			continue
		}
		if !f.skipped || f.failed || f.msg != msg {
			t.Errorf("CI=%q: skipped %v failed %v msg %q, want a skip with the message", ci, f.skipped, f.failed, f.msg)
		}
	}
}
