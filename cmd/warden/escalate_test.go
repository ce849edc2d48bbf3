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
	"sync"
	"testing"
	"time"
)

// cfRecorder stands in for Cloudflare's IP Access Rules endpoints and
// records the calls it gets.
type cfRecorder struct {
	mu    sync.Mutex
	calls []string          // "POST 203.0.113.7", "DELETE r1"
	rules map[string]string // id → value
}

func (c *cfRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	const base = "/client/v4/zones/z1/firewall/access_rules/rules"
	if r.Header.Get("Authorization") != "Bearer cf-token" {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}`)
		return
	}
	switch {
	case r.Method == "POST" && r.URL.Path == base:
		var body struct {
			Mode string `json:"mode"`
			Conf struct {
				Target, Value string
			} `json:"configuration"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		id := fmt.Sprintf("r%d", len(c.calls)+1)
		c.rules[id] = body.Conf.Value
		c.calls = append(c.calls, "POST "+body.Mode+" "+body.Conf.Target+" "+body.Conf.Value)
		fmt.Fprintf(w, `{"success":true,"errors":[],"messages":[],"result":{"id":%q}}`, id)
	case r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, base+"/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/")
		c.calls = append(c.calls, "DELETE "+c.rules[id])
		delete(c.rules, id)
		fmt.Fprintf(w, `{"success":true,"errors":[],"messages":[],"result":{"id":%q}}`, id)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"success":false,"errors":[{"code":7003,"message":"No route"}],"messages":[],"result":null}`)
	}
}

func (c *cfRecorder) seen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.calls, "; ")
}

// hookRecorder is an action hook that records each call as "event
// target".
type hookRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var e struct{ Event, Target string }
	json.NewDecoder(r.Body).Decode(&e)
	h.mu.Lock()
	h.calls = append(h.calls, e.Event+" "+e.Target)
	h.mu.Unlock()
}

func (h *hookRecorder) seen() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.calls, "; ")
}

// waitEscalation polls cond for up to 10 s, then fails with what the
// Cloudflare stand-in and the hook saw.
func waitEscalation(t *testing.T, what string, cond func() bool, cf *cfRecorder, hook *hookRecorder) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s; cloudflare saw %q, hook saw %q", what, cf.seen(), hook.seen())
}

// TestServeEscalation: bans placed and lifted through `warden serve`'s
// admin API reach Cloudflare and the action hook; a trusted proxy's
// address is never pushed; a restart does not push again.
func TestServeEscalation(t *testing.T) {
	cf := &cfRecorder{rules: map[string]string{}}
	cfSrv := httptest.NewServer(cf)
	defer cfSrv.Close()
	hook := &hookRecorder{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()

	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	yaml := fmt.Sprintf(`trusted_proxies: [127.0.0.1/32]
enforce: {ban_interval: 1}
escalation:
  cloudflare:
    api_base: %s/client/v4
    zone_id: z1
    api_token: cf-token
    mode: block
    min_bans: 2
    violations: [sqli]
  hook:
    url: %s
`, cfSrv.URL, hookSrv.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	start := func() *ipv6Serve {
		s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", data)
		tok, err := os.ReadFile(s.tokenPath)
		if err != nil {
			t.Fatal(err)
		}
		return &ipv6Serve{running: s, token: strings.TrimSpace(string(tok))}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		waitEscalation(t, what, cond, cf, hook)
	}
	hookSaw := func(s string) func() bool {
		return func() bool { return strings.Contains(hook.seen(), s) }
	}

	s := start()
	// An attack gets its client banned by enforcement; a ban for sqli
	// is pushed at once.
	if code, _ := s.send(t, "GET", "/api/items?id=1%27%20union%20select%20password%20from%20users--", "198.51.100.9", ""); code != 403 {
		t.Fatalf("sqli: %d, want 403", code)
	}
	wait("the enforcement ban pushed", func() bool { return strings.Contains(cf.seen(), "POST block ip 198.51.100.9") })
	wait("the enforcement ban hooked", hookSaw("ban ip:198.51.100.9"))
	steps := []struct {
		method, path, body string
		status             int
		cf, hook           string // expected substrings after the step
	}{
		{"POST", "/api/v1/bans", `{"target":"ip:127.0.0.1","duration":"1h","reason":"proxy","violation":"sqli"}`, 201, "", "ban ip:127.0.0.1"},
		{"POST", "/api/v1/bans", `{"target":"ip:203.0.113.7","duration":"1h","reason":"scraping"}`, 201, "", "ban ip:203.0.113.7"},
		// The second ban within the window reaches min_bans.
		{"POST", "/api/v1/bans", `{"target":"ip:203.0.113.7","duration":"1h","reason":"scraping"}`, 201, "POST block ip 203.0.113.7", "ban ip:203.0.113.7"},
		{"DELETE", "/api/v1/bans/ip:203.0.113.7", "", 200, "DELETE 203.0.113.7", "unban ip:203.0.113.7"},
		{"POST", "/api/v1/bans", `{"target":"ip:203.0.113.8","duration":"1h","reason":"scraping","violation":"sqli"}`, 201, "POST block ip 203.0.113.8", "ban ip:203.0.113.8"},
	}
	for _, st := range steps {
		if code := s.admin(t, st.method, st.path, st.body, nil); code != st.status {
			t.Fatalf("%s %s: %d, want %d", st.method, st.path, code, st.status)
		}
		if st.cf != "" {
			wait(st.cf, func() bool { return strings.Contains(cf.seen(), st.cf) })
		}
		wait(st.hook, hookSaw(st.hook))
	}
	if n := strings.Count(cf.seen(), "POST block ip 203.0.113.7"); n != 1 {
		t.Fatalf("203.0.113.7 pushed %d times, want once (at its second ban): %s", n, cf.seen())
	}
	if strings.Contains(cf.seen(), "127.0.0.1") {
		t.Fatalf("a trusted proxy was pushed: %s", cf.seen())
	}
	s.stop()
	before := cf.seen()
	s = start()
	if code := s.admin(t, "DELETE", "/api/v1/bans/ip:203.0.113.8", "", nil); code != 200 {
		t.Fatalf("lift after restart: %d", code)
	}
	wait("the rule pushed before the restart removed", func() bool { return strings.Contains(cf.seen(), "DELETE 203.0.113.8") })
	if n := strings.Count(cf.seen(), "POST block ip 203.0.113.8"); n != 1 {
		t.Fatalf("pushed 203.0.113.8 %d times across a restart (before: %q, after: %q)", n, before, cf.seen())
	}
}

// TestServeEscalationScoreAndPendingUnban: escalation.cloudflare.min_score
// pushes a client banned by enforcement at that score at its first ban,
// while an admin ban (no score) waits for min_bans; and a ban that ends
// while serve is down still gets its unban hook after the restart.
func TestServeEscalationScoreAndPendingUnban(t *testing.T) {
	cf := &cfRecorder{rules: map[string]string{}}
	cfSrv := httptest.NewServer(cf)
	defer cfSrv.Close()
	hook := &hookRecorder{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`trusted_proxies: [127.0.0.1/32]
enforce: {ban_interval: 1}
escalation:
  cloudflare:
    api_base: %s/client/v4
    zone_id: z1
    api_token: cf-token
    mode: block
    min_bans: 5
    min_score: 1
  hook:
    url: %s
`, cfSrv.URL, hookSrv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	start := func() *ipv6Serve {
		s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", data)
		tok, err := os.ReadFile(s.tokenPath)
		if err != nil {
			t.Fatal(err)
		}
		return &ipv6Serve{running: s, token: strings.TrimSpace(string(tok))}
	}
	hookSaw := func(s string) bool { return strings.Contains(hook.seen(), s) }
	wait := func(what string, cond func() bool) {
		t.Helper()
		waitEscalation(t, what, cond, cf, hook)
	}

	s := start()
	if code, _ := s.send(t, "GET", "/api/items?id=1%27%20union%20select%20password%20from%20users--", "198.51.100.9", ""); code != 403 {
		t.Fatalf("sqli: %d, want 403", code)
	}
	wait("the scored ban pushed", func() bool { return strings.Contains(cf.seen(), "POST block ip 198.51.100.9") })
	banned := time.Now()
	if code := s.admin(t, "POST", "/api/v1/bans", `{"target":"ip:203.0.113.7","duration":"2s","reason":"short"}`, nil); code != 201 {
		t.Fatalf("admin ban: %d", code)
	}
	wait("the admin ban hooked", func() bool { return hookSaw("ban ip:203.0.113.7") })
	s.stop()
	if strings.Contains(cf.seen(), "203.0.113.7") {
		t.Fatalf("an admin ban (no score) was pushed below min_bans: %s", cf.seen())
	}
	if hookSaw("unban ip:203.0.113.7") {
		t.Fatal("unban sent before the ban ended")
	}
	time.Sleep(time.Until(banned.Add(2500 * time.Millisecond))) // the ban ends while serve is down
	start()
	wait("the unban of a ban that ended while down", func() bool { return hookSaw("unban ip:203.0.113.7") })
}
