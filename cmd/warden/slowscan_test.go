package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeSlowScan runs `warden serve` with the slow-scan check on a
// window of one second, set in the config file: a client asking for
// distinct paths the app does not have is blocked as slow_scan once the
// app has answered six of them 404, the violation is scored, and once two
// windows have passed the client is let through again; a person on
// another address who mistypes twice is never stopped. The default window
// (an hour) is replayed from logs in TestReplaySlowScan and in the
// behavior package's tests, which take time from the requests.
func TestServeSlowScan(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "app")
	}))
	defer up.Close()
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	yaml := "trusted_proxies: [127.0.0.1/32]\nbehavior:\n  slow_scan: {window: 1s, distinct_paths: 5, block_paths: 6}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", data)
	send := func(ip, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.proxy+path, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&a)
		return resp.StatusCode, a.Error
	}
	words := []string{"about", "archive", "blog", "careers", "docs", "events", "forum", "help", "legacy", "media", "news", "press", "shop", "team", "wiki"}
	blockedAt := -1
	for i, w := range words {
		code, kind := send("203.0.113.9", "/"+w)
		if code == http.StatusForbidden && kind == "blocked" {
			blockedAt = i
			break
		}
		if code != http.StatusNotFound {
			t.Fatalf("scanner request %d: %d %q", i+1, code, kind)
		}
		if i == 2 || i == 5 {
			if code, kind := send("198.51.100.4", "/"); code != 200 {
				t.Fatalf("person stopped: %d %q", code, kind)
			}
			if code, kind := send("198.51.100.4", fmt.Sprintf("/%s-typo", w)); code != 404 {
				t.Fatalf("person stopped: %d %q", code, kind)
			}
		}
	}
	// The sketch estimates: six distinct paths may share a bit, so allow
	// a few more.
	if blockedAt < 6 || blockedAt > 10 {
		t.Fatalf("scanner blocked at request %d, want after the app answered six 404s", blockedAt+1)
	}

	token, _ := os.ReadFile(filepath.Join(data, "admin.token"))
	req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/violations?target=ip:203.0.113.9", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Violations struct{ Counts map[string]int } `json:"violations"`
	}
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if v.Violations.Counts["slow_scan"] != 1 || len(v.Violations.Counts) != 1 {
		t.Fatalf("violations scored %v, want one slow_scan", v.Violations.Counts)
	}

	time.Sleep(2100 * time.Millisecond) // two windows: the sketch forgets the scan
	if code, kind := send("203.0.113.9", "/zebra"); code != http.StatusNotFound {
		t.Fatalf("two windows later: %d %q, want the app's 404", code, kind)
	}
}
