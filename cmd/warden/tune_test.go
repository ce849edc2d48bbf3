package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/syncbuf"
	"github.com/warden-dev/warden/server"
	"github.com/warden-dev/warden/store/sqlite"
)

// runCmd runs a warden command in-process with stdin and returns its exit
// code, stdout and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncbuf.Buffer
	code := run(context.Background(), args, env{strings.NewReader(stdin), &out, &errb, noEnv})
	return code, out.String(), errb.String()
}

// TestServeThenTune is the adoption path end to end: `warden serve` in
// monitor mode sees a stylesheet link (a web font) that the payload
// detector takes for XSS, posted by many ordinary clients into one
// field, and an attacker
// spraying injections over many fields; `warden tune` then proposes an
// exclusion for the link's field alone, the YAML loads through
// check-config, and the report counts what enforce mode would have
// blocked. Tune reads the event store and, the same, the decision lines
// serve wrote to stderr.
func TestServeThenTune(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "warden.yaml")
	if err := os.WriteFile(cfg, []byte("mode: monitor\ntrusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", data)
	post := func(ip, target, body string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+s.proxy+target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
		req.Header.Set("Accept", "*/*")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("monitor mode answered %d", resp.StatusCode)
		}
		return resp.Header.Get("X-Request-Id")
	}
	var ids []string
	for i := range 6 {
		ids = append(ids, post(fmt.Sprintf("198.51.100.%d", i+1), "/api/comments",
			`{"comment":"<link rel=stylesheet href=https://fonts.googleapis.com/css?family=Roboto>"}`))
	}
	for _, f := range []string{"q", "name", "sort", "filter", "page"} {
		ids = append(ids, post("203.0.113.9", "/api/search", `{"`+f+`":"1' UNION SELECT password FROM users--"}`))
		ids = append(ids, post("203.0.113.9", "/api/search", `{"`+f+`":"<script>alert(document.cookie)</script>"}`))
	}
	adminEvents(t, s, ids...)
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	// The decision lines serve writes to the process's stderr, as stored,
	// between the server's own text log lines.
	db, err := sqlite.Open(context.Background(), filepath.Join(data, server.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.Events(context.Background(), time.Time{}, eventlog.MaxLimit)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var lines []byte
	for i := range stored {
		lines = append(stored[i].AppendJSON(lines), '\n')
		lines = append(lines, "time=2026-12-07T10:00:00Z level=INFO msg=\"not a decision\"\n"...)
	}
	fromStore := func() (int, string, string) { return runCmd(t, "", "tune", "--data", data) }
	fromLines := func() (int, string, string) { return runCmd(t, string(lines), "tune", "-") }
	for name, tune := range map[string]func() (int, string, string){"store": fromStore, "decision lines": fromLines} {
		t.Run(name, func(t *testing.T) {
			code, out, errs := tune()
			if code != 0 {
				t.Fatalf("tune exited %d: %s", code, errs)
			}
			for _, want := range []string{
				"Enforce mode would have stopped 16 of these requests",
				"- route: POST /api/comments\n      fields: [comment]\n      classes: [xss]",
				"from 6 distinct ordinary clients",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "/api/search\n") || strings.Contains(out, "route: POST /api/search") {
				t.Errorf("proposes to exclude the attacker's findings:\n%s", out)
			}
			conf := filepath.Join(t.TempDir(), "proposed.yaml")
			if err := os.WriteFile(conf, []byte("upstream: http://127.0.0.1:3000\n"+out), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errs := runCmd(t, "", "check-config", conf); code != 0 {
				t.Fatalf("the proposal does not validate: %s\n%s", errs, out)
			}
		})
	}
}

func TestTuneUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"negative since", []string{"--since", "-1h", "--data", empty}, 2, "--since"},
		{"since not a duration", []string{"--since", "yesterday"}, 2, "since"},
		{"no store in the data dir", []string{"--data", empty}, 2, "--data"},
		{"two files", []string{"a.jsonl", "b.jsonl"}, 2, "at most one FILE"},
		{"data and a file", []string{"--data", empty, "a.jsonl"}, 2, "--data"},
		{"min clients", []string{"--min-clients", "0", "-"}, 2, "--min-clients"},
		{"max confidence", []string{"--max-confidence", "2", "-"}, 2, "--max-confidence"},
		{"missing file", []string{filepath.Join(empty, "nope.jsonl")}, 1, "FILE"},
		{"empty input", []string{"-"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, "", append([]string{"tune"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d naming %q", code, errs, tc.code, tc.want)
			}
			if tc.code == 0 && !strings.Contains(out, "No proposals") {
				t.Fatalf("stdout %q, want a note that nothing was proposed", out)
			}
		})
	}
}
