package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/warden-dev/warden/internal/syncbuf"
)

// answer is one answer of the proxy as a client sees it.
type answer struct {
	status int
	err    string // the JSON body's error code, "" when the app answered
	header http.Header
	body   []byte
}

// post sends a JSON post of text in field "body" from client address ip,
// as a browser.
func (s *ipv6Serve) post(t *testing.T, path, ip, text string) answer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"title": "notes", "body": text})
	return s.do(t, "POST", path, ip, string(b))
}

// do sends a request from client address ip, as a browser, with a JSON
// body unless body is empty.
func (s *ipv6Serve) do(t *testing.T, method, path, ip, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, "http://"+s.proxy+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Error string `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &a)
	return answer{status: resp.StatusCode, err: a.Error, header: resp.Header, body: b}
}

// score returns the violation total of target and whether it is banned.
func (s *ipv6Serve) score(t *testing.T, target string) (int64, bool) {
	t.Helper()
	var rep struct {
		Violations struct {
			Total int64
			Ban   *struct{}
		}
	}
	if code := s.admin(t, "GET", "/api/v1/violations?target="+target, "", &rep); code != 200 {
		t.Fatalf("violations of %s: %d", target, code)
	}
	return rep.Violations.Total, rep.Violations.Ban != nil
}

// TestServeOnlyActsCount: through `warden serve` with the default
// configuration, a person is never banned for findings that were only
// logged, nor for retrying one request Warden blocks, while an injector
// trying different payloads still is.
func TestServeOnlyActsCount(t *testing.T) {
	s := startIPv6Serve(t)

	t.Run("grey findings never add up to a block", func(t *testing.T) {
		// Template snippets from a templating tutorial: each a grey
		// template_injection finding (0.65), logged and let through.
		const ip = "198.51.100.10"
		for i := range 8 {
			if a := s.post(t, "/posts", ip, fmt.Sprintf("{{%d*%d}}", i+2, i+2)); a.status != 200 {
				t.Fatalf("tutorial post %d: %d %q, want 200", i+1, a.status, a.err)
			}
		}
		if a := s.do(t, "GET", "/users/5", ip, ""); a.status != 200 {
			t.Fatalf("GET /users/5 after the tutorial posts: %d %q, want 200", a.status, a.err)
		}
		if total, banned := s.score(t, "ip:"+ip); total != 0 || banned {
			t.Fatalf("score %d banned %v: grey findings must not score", total, banned)
		}
	})

	t.Run("a blocked request retried is scored once, never banned", func(t *testing.T) {
		// The xkcd joke in a comment: a real sqli signature (blocked), sent
		// 20 times by someone who does not understand why.
		const ip = "198.51.100.20"
		for i := range 20 {
			a := s.post(t, "/posts", ip, "Robert'); DROP TABLE Students;--")
			if a.status != 403 || a.err != "blocked" {
				t.Fatalf("retry %d: %d %q, want 403 blocked", i+1, a.status, a.err)
			}
		}
		if a := s.do(t, "GET", "/users/5", ip, ""); a.status != 200 {
			t.Fatalf("GET /users/5 after 20 retries: %d %q, want 200", a.status, a.err)
		}
		total, banned := s.score(t, "ip:"+ip)
		if banned || total > 2 {
			t.Fatalf("after 20 retries of one request: score %d, banned %v; want at most 2, not banned", total, banned)
		}
	})

	t.Run("an injector trying different payloads is banned", func(t *testing.T) {
		const ip = "198.51.100.30"
		for i := range 30 {
			a := s.post(t, "/posts", ip, fmt.Sprintf("x' UNION SELECT %d,password,3 FROM users--", i))
			if a.status != 403 {
				t.Fatalf("payload %d: %d %q, want 403", i+1, a.status, a.err)
			}
		}
		if a := s.do(t, "GET", "/users/5", ip, ""); a.status != 403 || a.err != "banned" {
			t.Fatalf("injector after 30 payloads: %d %q, want 403 banned", a.status, a.err)
		}
	})
}

// injectUntilBanned sends different injections from ip until it is
// banned.
func (s *ipv6Serve) injectUntilBanned(t *testing.T, ip string) {
	t.Helper()
	for i := range 60 {
		if a := s.post(t, "/posts", ip, fmt.Sprintf("x' UNION SELECT %d,password,3 FROM users--", i)); a.err == "banned" {
			return
		}
	}
	t.Fatalf("%s not banned after 60 injections", ip)
}

// bansCLI runs `warden bans` against s's admin API.
func (s *ipv6Serve) bansCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb syncbuf.Buffer
	args = append(append([]string{"bans"}, args...), "--admin", "http://"+s.running.admin, "--token", s.token)
	if code := run(context.Background(), args, env{strings.NewReader(""), &out, &errb, noEnv}); code != 0 {
		t.Fatalf("warden %v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// TestServeLiftClearsCause: lifting a ban clears the client's scores and
// behaviour state, so its ordinary requests that follow pass and do not
// ban it again; --keep-score (keep_score=true) keeps them.
func TestServeLiftClearsCause(t *testing.T) {
	s := startIPv6Serve(t)
	cases := []struct {
		name     string
		client   string   // the injector's address
		lift     []string // warden bans remove arguments
		after    []string // addresses whose ordinary requests must pass after the lift
		target   string   // the scored target
		keep     bool
		wantPass bool
	}{
		{name: "CLI, IPv4", client: "203.0.113.7", lift: []string{"remove", "ip:203.0.113.7"},
			after: []string{"203.0.113.7"}, target: "ip:203.0.113.7", wantPass: true},
		{name: "CLI, IPv6 address lifts its /64", client: "2001:db8:7::5", lift: []string{"remove", "ip:2001:db8:7::9"},
			after: []string{"2001:db8:7::5", "2001:db8:7::9"}, target: "ip:2001:db8:7::/64", wantPass: true},
		{name: "CLI, --keep-score", client: "203.0.113.8", lift: []string{"remove", "ip:203.0.113.8", "--keep-score"},
			after: []string{"203.0.113.8"}, target: "ip:203.0.113.8", keep: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.injectUntilBanned(t, c.client)
			before, banned := s.score(t, c.target)
			if !banned || before < 20 {
				t.Fatalf("before the lift: score %d banned %v", before, banned)
			}
			if out := s.bansCLI(t, c.lift...); !strings.Contains(out, "lifted") {
				t.Fatalf("bans remove said %q", out)
			}
			passed := 0
			for i := range 22 {
				ip := c.after[i%len(c.after)]
				if a := s.do(t, "GET", "/users/"+strconv.Itoa(i%3+1), ip, ""); a.status == 200 {
					passed++
				} else if c.wantPass {
					t.Errorf("GET %d from %s after the lift: %d %q, want 200", i+1, ip, a.status, a.err)
				}
			}
			total, banned := s.score(t, c.target)
			if c.keep && total < before {
				t.Fatalf("--keep-score: score %d after the lift, want at least %d", total, before)
			}
			if !c.keep && (total != 0 || banned) {
				t.Fatalf("score %d, banned %v after the lift and ordinary requests, want 0 and not banned", total, banned)
			}
			if !c.wantPass && passed == 22 {
				// The behaviour state was kept: the client's payload
				// probing still holds in its window.
				t.Fatal("--keep-score: every request passed, want the kept state to hold")
			}
		})
	}

	t.Run("admin API, keep_score=true", func(t *testing.T) {
		const ip = "203.0.113.9"
		s.injectUntilBanned(t, ip)
		before, _ := s.score(t, "ip:"+ip)
		var got map[string]any
		if code := s.admin(t, "DELETE", "/api/v1/bans/ip:"+ip+"?keep_score=true", "", &got); code != 200 || got["score_cleared"] != false {
			t.Fatalf("DELETE ?keep_score=true: %d %v", code, got)
		}
		if total, banned := s.score(t, "ip:"+ip); total != before || banned {
			t.Fatalf("after keep_score lift: score %d banned %v, want %d and no ban", total, banned, before)
		}
		s.injectUntilBanned(t, ip)
		if code := s.admin(t, "DELETE", "/api/v1/bans/ip:"+ip, "", &got); code != 200 || got["score_cleared"] != true {
			t.Fatalf("DELETE: %d %v", code, got)
		}
		if total, _ := s.score(t, "ip:"+ip); total != 0 {
			t.Fatalf("score %d after the lift, want 0", total)
		}
		if code := s.admin(t, "DELETE", "/api/v1/bans/ip:"+ip+"?keep_score=maybe", "", &got); code != 400 || got["field"] != "keep_score" {
			t.Fatalf("keep_score=maybe: %d %v, want 400 naming keep_score", code, got)
		}
	})
}

// TestServeFloodIsRateLimited: a behaviour flood is answered as a rate
// limit — 429 with Retry-After and the RateLimit headers — not 403.
func TestServeFloodIsRateLimited(t *testing.T) {
	s := startIPv6Serve(t)
	const ip = "192.0.2.50"
	var last answer
	for i := range 200 {
		last = s.do(t, "GET", "/items?page="+strconv.Itoa(i), ip, "")
		if last.status != 200 {
			break
		}
	}
	if last.status != 429 || last.err != "rate_limited" {
		t.Fatalf("flood answered %d %q, want 429 rate_limited", last.status, last.err)
	}
	ra, err := strconv.Atoi(last.header.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Fatalf("Retry-After %q", last.header.Get("Retry-After"))
	}
	if p := last.header.Get("RateLimit-Policy"); !strings.HasPrefix(p, `"flood";q=`) {
		t.Fatalf("RateLimit-Policy %q", p)
	}
	if r := last.header.Get("RateLimit"); r != `"flood";r=0;t=`+strconv.Itoa(ra) {
		t.Fatalf("RateLimit %q, want t= Retry-After (%d)", r, ra)
	}
}
