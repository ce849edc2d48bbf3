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

// ipv6Serve is a `warden serve` behind a trusted proxy (127.0.0.1), so a
// test picks each request's client address with X-Forwarded-For.
type ipv6Serve struct {
	*running
	token string
}

func startIPv6Serve(t *testing.T) *ipv6Serve {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	t.Cleanup(up.Close)
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte("trusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())
	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	return &ipv6Serve{running: s, token: strings.TrimSpace(string(tok))}
}

// send sends a request from client address ip, as a browser unless ua says
// otherwise, and returns the status and the answer's error code.
func (s *ipv6Serve) send(t *testing.T, method, path, ip, ua string) (int, string) {
	t.Helper()
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader(`{"email":"a@example.com","password":"x"}`)
	}
	req, _ := http.NewRequest(method, "http://"+s.proxy+path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ua == "" {
		ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	var a struct {
		Error string `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &a)
	return resp.StatusCode, a.Error
}

// admin calls the admin API and decodes its JSON answer into out.
func (s *ipv6Serve) admin(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+s.running.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type bansList struct {
	Bans []struct {
		Target      string `json:"target"`
		SecondsLeft int64  `json:"seconds_left"`
	} `json:"bans"`
}

func (s *ipv6Serve) expect(t *testing.T, want map[string]int) {
	t.Helper()
	for ip, code := range want {
		got, errCode := s.send(t, "GET", "/", ip, "")
		if got != code || (code == 403 && errCode != "banned") {
			t.Errorf("GET from %s: %d %q, want %d", ip, got, errCode, code)
		}
	}
}

// TestServeIPv6AdminBanCoversNetwork: an admin ban on one IPv6 address
// bans its /64, the listing says so, and lifting it by another address of
// the /64 works; a target with a zone is refused.
func TestServeIPv6AdminBanCoversNetwork(t *testing.T) {
	s := startIPv6Serve(t)
	var added struct{ Target string }
	if code := s.admin(t, "POST", "/api/v1/bans", `{"target":"ip:2001:db8:2::1","duration":"2h","reason":"test"}`, &added); code != 201 || added.Target != "ip:2001:db8:2::/64" {
		t.Fatalf("add ban: %d %+v", code, added)
	}
	s.expect(t, map[string]int{"2001:db8:2::1": 403, "2001:db8:2::2": 403, "2001:db8:2:0:1:2:3:4": 403, "2001:db8:3::1": 200, "203.0.113.9": 200})
	var l bansList
	if s.admin(t, "GET", "/api/v1/bans", "", &l); len(l.Bans) != 1 || l.Bans[0].Target != "ip:2001:db8:2::/64" {
		t.Fatalf("listing: %+v", l)
	}

	var apiErr struct{ Error, Field, Message string }
	if code := s.admin(t, "POST", "/api/v1/bans", `{"target":"ip:fe80::1%eth0","duration":"2h"}`, &apiErr); code != 400 ||
		apiErr.Field != "target" || !strings.Contains(apiErr.Message, "zone (%eth0) cannot be banned") {
		t.Fatalf("zone target: %d %+v", code, apiErr)
	}

	var lifted struct{ Target string }
	if code := s.admin(t, "DELETE", "/api/v1/bans/ip:2001:db8:2::77", "", &lifted); code != 200 || lifted.Target != "ip:2001:db8:2::/64" {
		t.Fatalf("lift: %d %+v", code, lifted)
	}
	s.expect(t, map[string]int{"2001:db8:2::2": 200})
}

// gatedBody is a request body that is sent only once its gate opens: the
// request's head reaches Warden at once (the client flushes it first) and
// passes the ban check, and Warden then waits for the body.
type gatedBody struct {
	gate <-chan struct{}
	r    io.Reader
}

func (b *gatedBody) Read(p []byte) (int, error) {
	<-b.gate
	return b.r.Read(p)
}

// TestServeIPv6ViolationsBanNetwork: violations from the addresses of one
// /64 add up and ban it, and a burst of violating requests in flight
// together — all past the ban check when the first of them got the client
// banned — counts one strike: the ban is the first one's 2h, not one
// escalated by every request of the burst (up to 7 days).
func TestServeIPv6ViolationsBanNetwork(t *testing.T) {
	s := startIPv6Serve(t)
	// A scripted client on the login route: non_browser, score 20, so
	// every one of these requests crosses the ban interval on its own.
	const n = 24
	const payload = `{"email":"a@example.com","password":"x"}`
	var wg sync.WaitGroup
	codes := make([]int, n)
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", "http://"+s.proxy+"/api/auth/login", &gatedBody{gate, strings.NewReader(payload)})
			req.ContentLength = int64(len(payload))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "curl/8.5.0")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("2001:db8:2::%x", i+1))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	time.Sleep(300 * time.Millisecond) // every head past the ban check, waiting for its body
	close(gate)
	wg.Wait()
	for i, c := range codes {
		if c != 403 {
			t.Errorf("request %d: %d, want 403", i, c)
		}
	}
	s.expect(t, map[string]int{"2001:db8:2::ffff": 403, "2001:db8:2::1": 403, "2001:db8:3::1": 200})

	var rep struct {
		Target     string
		Violations struct {
			Target string
			Bans   int64
			Total  int64
			Ban    *struct {
				RetryAfter int64 `json:"retry_after"`
			}
		}
	}
	if code := s.admin(t, "GET", "/api/v1/violations?target=ip:2001:db8:2::5", "", &rep); code != 200 {
		t.Fatalf("violations: %d", code)
	}
	v := rep.Violations
	if rep.Target != "ip:2001:db8:2::/64" || v.Target != "ip:2001:db8:2::/64" || v.Bans != 1 || v.Ban == nil || v.Ban.RetryAfter > 7200 {
		t.Fatalf("report %+v (ban %+v): want one strike and the first ban's 2h", rep, v.Ban)
	}
	var l bansList
	s.admin(t, "GET", "/api/v1/bans", "", &l)
	if len(l.Bans) != 1 || l.Bans[0].Target != "ip:2001:db8:2::/64" || l.Bans[0].SecondsLeft > 7200 {
		t.Fatalf("listing: %+v", l)
	}
}
