package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
)

const testToken = "0123456789abcdef0123456789abcdef"

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type fixture struct {
	srv    *Server
	bans   *ban.Memory
	events *eventlog.MemoryStore
	panics atomic.Int64
	added  atomic.Int64
}

func newFixture(t testing.TB, mutate func(*Options)) *fixture {
	t.Helper()
	f := &fixture{events: eventlog.NewMemoryStore(100)}
	var err error
	f.bans, err = ban.NewMemory(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Token:  testToken,
		Bans:   f.bans,
		Events: f.events,
		Violations: ViolationsFunc(func(_ context.Context, tg ban.Target) (any, error) {
			switch tg.String() {
			case "user:42":
				return map[string]any{"score": 40, "counts": map[string]int{"logins": 2}}, nil
			case "user:panic":
				panic("boom")
			}
			return nil, ErrNotFound
		}),
		Reports: ReportsFunc(func(_ context.Context, d time.Time) (any, error) {
			if d.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) {
				return map[string]any{"date": "2026-11-22", "blocked": 7}, nil
			}
			return nil, fmt.Errorf("report: %w", os.ErrNotExist)
		}),
		Alerts: AlertLogFunc(func(context.Context, time.Time, int) (any, error) {
			return []map[string]any{
				{"id": 2, "channel": "ops-mail", "status": "sent", "attempts": 1, "created": now.Add(-time.Minute),
					"notification": map[string]any{"type": "alert", "status": "resolved", "rule": "blocked_spike", "title": "Blocked requests back to normal"}},
				{"id": 1, "channel": "ops-mail", "status": "failed", "attempts": 3, "error": "smtp: 554", "created": now.Add(-time.Hour),
					"notification": map[string]any{"type": "alert", "status": "firing", "rule": "blocked_spike", "title": `Blocked spike <b>x</b>`}},
			}, nil
		}),
		Metrics:    http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "warden_requests_total 1\n") }),
		Now:        func() time.Time { return now },
		OnPanic:    func() { f.panics.Add(1) },
		OnBanAdded: func(ban.Ban) { f.added.Add(1) },
		Log:        slog.New(slog.DiscardHandler),
	}
	if mutate != nil {
		mutate(&opts)
	}
	f.srv, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type call struct {
	method, path, body string
	auth               string // full Authorization header; "" sends none
	accept             string
}

func (f *fixture) do(t testing.TB, c call) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

const bearer = "Bearer " + testToken

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, b)
	}
	return m
}

// Every route but /healthz requires the token; wrong or malformed
// credentials get 401 JSON with a WWW-Authenticate challenge.
func TestAuthRequired(t *testing.T) {
	f := newFixture(t, nil)
	routes := []call{
		{method: "GET", path: "/"},
		{method: "GET", path: "/metrics"},
		{method: "GET", path: "/api/v1/bans"},
		{method: "POST", path: "/api/v1/bans", body: `{"target":"ip:203.0.113.7","duration":"2h"}`},
		{method: "DELETE", path: "/api/v1/bans/ip:203.0.113.7"},
		{method: "GET", path: "/api/v1/violations?target=user:42"},
		{method: "GET", path: "/api/v1/events"},
		{method: "GET", path: "/api/v1/reports/2026-11-22"},
		{method: "GET", path: "/no/such/route"},
		{method: "POST", path: "/healthz"},
	}
	creds := []struct {
		name string
		auth string
	}{
		{"none", ""},
		{"wrong token", "Bearer " + strings.Repeat("x", len(testToken))},
		{"token prefix", "Bearer " + testToken[:len(testToken)-1]},
		{"token plus suffix", "Bearer " + testToken + "x"},
		{"basic scheme", "Basic " + testToken},
		{"bare token", testToken},
		{"empty bearer", "Bearer "},
	}
	for _, rt := range routes {
		for _, cr := range creds {
			t.Run(rt.method+" "+rt.path+"/"+cr.name, func(t *testing.T) {
				c := rt
				c.auth = cr.auth
				res, body := f.do(t, c)
				if res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", res.StatusCode)
				}
				if m := decode(t, body); m["error"] != "unauthorized" {
					t.Errorf("body %s", body)
				}
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("no Bearer challenge")
				}
			})
		}
	}
	if _, ok, _ := f.bans.Lookup(context.Background(), ban.IPTarget(netip.MustParseAddr("203.0.113.7")), now); ok {
		t.Error("an unauthorized POST added a ban")
	}
	if f.added.Load() != 0 {
		t.Error("OnBanAdded called for an unauthorized request")
	}
}

func TestHealthzNeedsNoAuth(t *testing.T) {
	f := newFixture(t, nil)
	for _, method := range []string{"GET", "HEAD"} {
		res, _ := f.do(t, call{method: method, path: "/healthz"})
		if res.StatusCode != 200 {
			t.Errorf("%s /healthz = %d", method, res.StatusCode)
		}
	}
}

// The token check goes through crypto/subtle on fixed-size digests. This
// reads the source so a refactor to == fails loudly.
func TestConstantTimeCompare(t *testing.T) {
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	if !strings.Contains(s, "subtle.ConstantTimeCompare(sum[:], s.tokenHash[:])") {
		t.Error("authorized no longer compares SHA-256 digests with subtle.ConstantTimeCompare")
	}
	for _, bad := range []string{"== s.opts.Token", "s.opts.Token ==", "got == ", "bytes.Equal("} {
		if strings.Contains(s, bad) {
			t.Errorf("server.go compares the token with %q", bad)
		}
	}
	f := newFixture(t, nil)
	for _, tc := range []struct {
		auth string
		want bool
	}{
		{bearer, true},
		{"bearer " + testToken, true}, // the scheme is case-insensitive
		{"BEARER " + testToken, true},
		{"Bearer  " + testToken, true}, // surrounding space ignored
		{"Bearer " + strings.ToUpper(testToken), false},
		{"", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", tc.auth)
		if got := f.srv.authorized(r); got != tc.want {
			t.Errorf("authorized(%q) = %v, want %v", tc.auth, got, tc.want)
		}
	}
}

func TestNewRequiresToken(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a token succeeded")
	}
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		name      string
		c         call
		status    int
		field     string // error field expected in a 4xx body
		bodyCheck func(t *testing.T, m map[string]any)
	}{
		{"metrics", call{method: "GET", path: "/metrics"}, 200, "", nil},
		{"list bans empty", call{method: "GET", path: "/api/v1/bans"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["count"] != 0.0 {
				t.Errorf("count = %v", m["count"])
			}
		}},
		{"add ban", call{method: "POST", path: "/api/v1/bans", body: `{"target":"ip:203.0.113.7","duration":"2h","reason":"scanner"}`}, 201, "", func(t *testing.T, m map[string]any) {
			if m["target"] != "ip:203.0.113.7" || m["reason"] != "scanner" || m["seconds_left"] != 7200.0 {
				t.Errorf("ban = %v", m)
			}
		}},
		{"add user ban default reason", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:42","duration":"90m"}`}, 201, "", func(t *testing.T, m map[string]any) {
			if m["reason"] != "banned by an admin" {
				t.Errorf("reason = %v", m["reason"])
			}
		}},
		{"list bans", call{method: "GET", path: "/api/v1/bans"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["count"] != 2.0 {
				t.Errorf("count = %v", m["count"])
			}
		}},
		{"bad target", call{method: "POST", path: "/api/v1/bans", body: `{"target":"host:x","duration":"2h"}`}, 400, "target", nil},
		{"missing target", call{method: "POST", path: "/api/v1/bans", body: `{"duration":"2h"}`}, 400, "target", nil},
		{"bad ip", call{method: "POST", path: "/api/v1/bans", body: `{"target":"ip:999.1.1.1","duration":"2h"}`}, 400, "target", nil},
		{"bad duration", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"two hours"}`}, 400, "duration", nil},
		{"missing duration", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1"}`}, 400, "duration", nil},
		{"negative duration", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"-2h"}`}, 400, "duration", nil},
		{"huge duration", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"200000h"}`}, 400, "duration", nil},
		{"wrong type", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":7200}`}, 400, "duration", nil},
		{"unknown field", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"1h","forever":true}`}, 400, "forever", nil},
		{"bad json", call{method: "POST", path: "/api/v1/bans", body: `{"target":`}, 400, "body", nil},
		{"not an object", call{method: "POST", path: "/api/v1/bans", body: `[1,2]`}, 400, "body", nil},
		{"trailing data", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"1h"} {}`}, 400, "body", nil},
		{"empty body", call{method: "POST", path: "/api/v1/bans", body: ``}, 400, "body", nil},
		{"reason too long", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"1h","reason":"` + strings.Repeat("r", MaxReasonBytes+1) + `"}`}, 400, "reason", nil},
		{"body too large", call{method: "POST", path: "/api/v1/bans", body: `{"target":"user:1","duration":"1h","reason":"` + strings.Repeat("r", MaxBodyBytes) + `"}`}, 413, "body", nil},
		{"lift ban", call{method: "DELETE", path: "/api/v1/bans/ip:203.0.113.7"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["removed"] != true {
				t.Errorf("%v", m)
			}
		}},
		{"lift escaped target", call{method: "DELETE", path: "/api/v1/bans/user%3A42"}, 200, "", nil},
		{"lift again", call{method: "DELETE", path: "/api/v1/bans/ip:203.0.113.7"}, 404, "target", nil},
		{"lift bad target", call{method: "DELETE", path: "/api/v1/bans/nonsense"}, 400, "target", nil},
		{"violations", call{method: "GET", path: "/api/v1/violations?target=user:42"}, 200, "", func(t *testing.T, m map[string]any) {
			v, _ := m["violations"].(map[string]any)
			if m["target"] != "user:42" || v["score"] != 40.0 {
				t.Errorf("%v", m)
			}
		}},
		{"violations none", call{method: "GET", path: "/api/v1/violations?target=ip:198.51.100.1"}, 404, "target", nil},
		{"violations no target", call{method: "GET", path: "/api/v1/violations"}, 400, "target", nil},
		{"violations bad target", call{method: "GET", path: "/api/v1/violations?target=%00"}, 400, "target", nil},
		{"events", call{method: "GET", path: "/api/v1/events?since=2026-11-23T00:00:00Z&limit=2"}, 200, "", func(t *testing.T, m map[string]any) {
			es, _ := m["events"].([]any)
			if m["count"] != 2.0 || len(es) != 2 {
				t.Fatalf("%v", m)
			}
			if e, _ := es[0].(map[string]any); e["request_id"] != "r3" {
				t.Errorf("first event %v, want the newest (r3)", e)
			}
		}},
		{"events since excludes older", call{method: "GET", path: "/api/v1/events?since=2026-11-23T11:02:00Z"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["count"] != 2.0 {
				t.Errorf("count %v, want 2", m["count"])
			}
		}},
		{"events since with an unencoded + offset", call{method: "GET", path: "/api/v1/events?since=2026-11-23T12:02:00+01:00"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["count"] != 2.0 {
				t.Errorf("count %v, want 2 (11:02Z and later)", m["count"])
			}
		}},
		{"events bad since", call{method: "GET", path: "/api/v1/events?since=yesterday"}, 400, "since", nil},
		{"events bad limit", call{method: "GET", path: "/api/v1/events?limit=0"}, 400, "limit", nil},
		{"events huge limit", call{method: "GET", path: "/api/v1/events?limit=1000000"}, 400, "limit", nil},
		{"report", call{method: "GET", path: "/api/v1/reports/2026-11-22"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["blocked"] != 7.0 {
				t.Errorf("%v", m)
			}
		}},
		{"report missing", call{method: "GET", path: "/api/v1/reports/2026-01-01"}, 404, "date", nil},
		{"report bad date", call{method: "GET", path: "/api/v1/reports/2026-13-01"}, 400, "date", nil},
		{"report json format", call{method: "GET", path: "/api/v1/reports/2026-11-22?format=json"}, 200, "", func(t *testing.T, m map[string]any) {
			if m["blocked"] != 7.0 {
				t.Errorf("%v", m)
			}
		}},
		{"report unknown format", call{method: "GET", path: "/api/v1/reports/2026-11-22?format=pdf"}, 400, "format", nil},
		{"report format it cannot render", call{method: "GET", path: "/api/v1/reports/2026-11-22?format=html"}, 400, "format", nil},
		{"unknown route", call{method: "GET", path: "/api/v1/nothing"}, 404, "", nil},
		{"wrong method", call{method: "PUT", path: "/api/v1/bans"}, 405, "", nil},
		{"unclean path redirects", call{method: "GET", path: "/api//v1/bans"}, 307, "", nil},
	}
	f := newFixture(t, nil)
	for i := 1; i <= 3; i++ {
		_ = f.events.WriteEvents(context.Background(), []eventlog.Event{{RequestID: fmt.Sprint("r", i), Time: now.Add(-time.Hour + time.Duration(i)*time.Minute), Action: "block"}})
	}
	for _, tt := range tests { // in order: later cases see earlier bans
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.auth = bearer
			res, body := f.do(t, c)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if tt.status == 307 {
				if loc := res.Header.Get("Location"); loc != "/api/v1/bans" {
					t.Errorf("Location %q", loc)
				}
				return
			}
			if tt.c.path == "/metrics" {
				if !strings.Contains(string(body), "warden_requests_total") {
					t.Errorf("metrics body %q", body)
				}
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			m := decode(t, body)
			if tt.status >= 400 {
				if m["error"] == nil || m["message"] == nil {
					t.Errorf("error body lacks error/message: %s", body)
				}
				if tt.field != "" && m["field"] != tt.field {
					t.Errorf("field = %v, want %q (%s)", m["field"], tt.field, body)
				}
				if len(body) > 400 {
					t.Errorf("error body of %d bytes echoes too much", len(body))
				}
			}
			if tt.status == 405 && res.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if tt.bodyCheck != nil {
				tt.bodyCheck(t, m)
			}
		})
	}
	if f.added.Load() != 2 {
		t.Errorf("OnBanAdded called %d times, want 2", f.added.Load())
	}
}

func TestNotConfigured(t *testing.T) {
	f := newFixture(t, func(o *Options) { *o = Options{Token: testToken} })
	for _, c := range []call{
		{method: "GET", path: "/metrics"},
		{method: "GET", path: "/api/v1/bans"},
		{method: "POST", path: "/api/v1/bans", body: `{}`},
		{method: "DELETE", path: "/api/v1/bans/user:1"},
		{method: "GET", path: "/api/v1/violations?target=user:1"},
		{method: "GET", path: "/api/v1/events"},
		{method: "GET", path: "/api/v1/reports/2026-11-22"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			c.auth = bearer
			res, body := f.do(t, c)
			if res.StatusCode != http.StatusNotImplemented {
				t.Fatalf("status %d, want 501", res.StatusCode)
			}
			if m := decode(t, body); m["error"] != "not_configured" {
				t.Errorf("body %s", body)
			}
		})
	}
}

func TestPanicIsContained(t *testing.T) {
	f := newFixture(t, nil)
	res, body := f.do(t, call{method: "GET", path: "/api/v1/violations?target=user:panic", auth: bearer})
	if res.StatusCode != 500 || decode(t, body)["error"] != "internal" {
		t.Fatalf("status %d body %s", res.StatusCode, body)
	}
	if strings.Contains(string(body), "boom") {
		t.Error("panic value leaked to the client")
	}
	if f.panics.Load() != 1 {
		t.Errorf("OnPanic called %d times", f.panics.Load())
	}
}

type failingBans struct{ ban.Store }

func (failingBans) List(context.Context, time.Time) ([]ban.Ban, error) {
	return nil, errors.New("secret internal detail")
}

func TestStoreErrorsAreNotLeaked(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Bans = failingBans{} })
	res, body := f.do(t, call{method: "GET", path: "/api/v1/bans", auth: bearer})
	if res.StatusCode != 500 || strings.Contains(string(body), "secret") {
		t.Errorf("status %d body %s", res.StatusCode, body)
	}
}

func TestDashboard(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name   string
		c      call
		status int
		html   bool
	}{
		{"with token", call{method: "GET", path: "/", auth: bearer}, 200, true},
		{"browser without token gets the sign-in page", call{method: "GET", path: "/", accept: "text/html,application/xhtml+xml"}, 401, true},
		{"API client without token", call{method: "GET", path: "/"}, 401, false},
		{"other paths stay JSON for browsers", call{method: "GET", path: "/api/v1/bans", accept: "text/html"}, 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := f.do(t, tt.c)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			isHTML := strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
			if isHTML != tt.html {
				t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
			}
			if !isHTML {
				return
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'sha256-") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q", csp)
			}
			page := string(body)
			if !strings.Contains(page, "<script>") || !strings.Contains(page, "/api/v1/decisions") || strings.Contains(page, "<!--SCRIPT-->") {
				t.Error("script not inlined")
			}
			if strings.Contains(page, "innerHTML") {
				t.Error("dashboard uses innerHTML: API data must go in as text")
			}
			if strings.Contains(page, testToken) {
				t.Error("the page embeds the token")
			}
		})
	}
}

func FuzzAddBan(f *testing.F) {
	for _, s := range []string{
		`{"target":"ip:203.0.113.7","duration":"2h","reason":"x"}`,
		`{"target":"user:42","duration":"1h"}`,
		`{"target":`, `[]`, `null`, `{"target":"ip:::1","duration":"1ns"}`,
		`{"target":"user:` + strings.Repeat("é", 200) + `","duration":"1h"}`,
	} {
		f.Add(s)
	}
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/bans", strings.NewReader(body))
		req.Header.Set("Authorization", bearer)
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code != 201 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("error body not JSON: %q", rec.Body.Bytes())
		}
		if rec.Body.Len() > 600 {
			t.Fatalf("answer of %d bytes echoes the body", rec.Body.Len())
		}
	})
}

func Example() {
	bans, _ := ban.NewMemory(context.Background(), nil)
	srv, _ := New(Options{Token: "0123456789abcdef0123456789abcdef", Bans: bans})

	req := httptest.NewRequest("POST", "/api/v1/bans", strings.NewReader(`{"target":"user:42","duration":"2h","reason":"spam"}`))
	req.Header.Set("Authorization", "Bearer 0123456789abcdef0123456789abcdef")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/bans", nil)) // no token
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// 201
	// 401 {"error":"unauthorized","message":"missing or wrong Bearer token"}
}

func BenchmarkAuthorized(b *testing.B) {
	f := newFixture(b, nil)
	r := httptest.NewRequest("GET", "/api/v1/bans", nil)
	r.Header.Set("Authorization", bearer)
	b.ReportAllocs()
	for b.Loop() {
		if !f.srv.authorized(r) {
			b.Fatal("not authorized")
		}
	}
}

func FuzzQueries(f *testing.F) {
	for _, s := range []string{"since=2026-11-23T00:00:00Z&limit=2", "limit=-1", "since=%zz", "target=ip:::1", "target=user:%00", "since=2026-11-23T12:02:00+01:00"} {
		f.Add(s)
	}
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/api/v1/events?", "/api/v1/violations?"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL.Path, req.URL.RawQuery = strings.TrimSuffix(path, "?"), query
			req.Header.Set("Authorization", bearer)
			rec := httptest.NewRecorder()
			fx.srv.ServeHTTP(rec, req)
			if rec.Code >= 500 && !strings.Contains(query, "panic") {
				t.Fatalf("%s%s: status %d", path, query, rec.Code)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s%s: answer not JSON: %q", path, query, rec.Body.Bytes())
			}
		}
	})
}

// TestIPv6Bans: a ban added on an IPv6 address covers its /64 (the
// answer and the listing say so); it is lifted by the address, any other
// address of the /64 or the network; addresses with a zone and networks of
// another size are refused with 400.
func TestIPv6Bans(t *testing.T) {
	ctx := context.Background()
	banned := func(f *fixture, ip string) bool {
		n, a, _ := ban.Scope{}.Lookups(netip.MustParseAddr(ip))
		_, okN, _ := f.bans.Lookup(ctx, n, now)
		_, okA, _ := f.bans.Lookup(ctx, a, now)
		return okN || okA
	}
	for _, lift := range []string{"ip:2001:db8:2::1", "ip:2001:db8:2::2", "ip:2001:db8:2::/64", "ip:2001:db8:2::%2F64", "ip:2001:db8:2::1/64"} {
		t.Run("lift "+lift, func(t *testing.T) {
			f := newFixture(t, nil)
			res, body := f.do(t, call{method: "POST", path: "/api/v1/bans", auth: bearer,
				body: `{"target":"ip:2001:db8:2::1","duration":"2h","reason":"scanner"}`})
			if res.StatusCode != 201 || decode(t, body)["target"] != "ip:2001:db8:2::/64" {
				t.Fatalf("POST: %d %s", res.StatusCode, body)
			}
			if !banned(f, "2001:db8:2::1") || !banned(f, "2001:db8:2::2") || banned(f, "2001:db8:3::1") {
				t.Fatal("the ban does not cover exactly the /64")
			}
			_, body = f.do(t, call{method: "GET", path: "/api/v1/bans", auth: bearer})
			if !strings.Contains(string(body), `"target":"ip:2001:db8:2::/64"`) {
				t.Fatalf("listing: %s", body)
			}
			res, body = f.do(t, call{method: "DELETE", path: "/api/v1/bans/" + lift, auth: bearer})
			if res.StatusCode != 200 || decode(t, body)["target"] != "ip:2001:db8:2::/64" {
				t.Fatalf("DELETE %s: %d %s", lift, res.StatusCode, body)
			}
			if banned(f, "2001:db8:2::2") {
				t.Fatal("still banned")
			}
		})
	}

	t.Run("one address", func(t *testing.T) {
		f := newFixture(t, nil)
		// An explicit /128 bans one address, as bans placed before IPv6
		// bans covered networks do; the plain address lifts it.
		res, body := f.do(t, call{method: "POST", path: "/api/v1/bans", auth: bearer,
			body: `{"target":"ip:2001:db8:2::1/128","duration":"2h"}`})
		if res.StatusCode != 201 || decode(t, body)["target"] != "ip:2001:db8:2::1" {
			t.Fatalf("POST: %d %s", res.StatusCode, body)
		}
		if !banned(f, "2001:db8:2::1") || banned(f, "2001:db8:2::2") {
			t.Fatal("the ban does not cover exactly the address")
		}
		res, body = f.do(t, call{method: "DELETE", path: "/api/v1/bans/ip:2001:db8:2::1", auth: bearer})
		if res.StatusCode != 200 || decode(t, body)["target"] != "ip:2001:db8:2::1" || banned(f, "2001:db8:2::1") {
			t.Fatalf("DELETE: %d %s", res.StatusCode, body)
		}
	})

	t.Run("configured scope", func(t *testing.T) {
		f := newFixture(t, func(o *Options) { o.Scope = ban.Scope{IPv6Prefix: 48} })
		res, body := f.do(t, call{method: "POST", path: "/api/v1/bans", auth: bearer,
			body: `{"target":"ip:2001:db8:2:5::1","duration":"2h"}`})
		if res.StatusCode != 201 || decode(t, body)["target"] != "ip:2001:db8:2::/48" {
			t.Fatalf("POST: %d %s", res.StatusCode, body)
		}
	})

	t.Run("refused", func(t *testing.T) {
		f := newFixture(t, nil)
		for _, tc := range []struct{ target, want string }{
			{"ip:fe80::1%eth0", `an address with a zone (%eth0) cannot be banned`},
			{"ip:fe80::1%eth0/64", `an address with a zone (%eth0) cannot be banned`},
			{"ip:2001:db8::/48", "an IPv6 ban covers a /64 (enforce.ipv6_prefix) or one address (/128), not a /48"},
			{"ip:203.0.113.0/24", "an IPv4 ban covers one address (/32)"},
		} {
			res, body := f.do(t, call{method: "POST", path: "/api/v1/bans", auth: bearer,
				body: `{"target":"` + tc.target + `","duration":"2h"}`})
			m := decode(t, body)
			if res.StatusCode != 400 || m["field"] != "target" || !strings.Contains(m["message"].(string), tc.want) {
				t.Errorf("POST %s: %d %s", tc.target, res.StatusCode, body)
			}
		}
		res, body := f.do(t, call{method: "DELETE", path: "/api/v1/bans/ip:fe80::1%25eth0", auth: bearer})
		if res.StatusCode != 400 || !strings.Contains(string(body), "zone") {
			t.Errorf("DELETE zone: %d %s", res.StatusCode, body)
		}
		if l, _ := f.bans.List(ctx, now); len(l) != 0 || f.added.Load() != 0 {
			t.Fatalf("refused targets banned: %+v", l)
		}
	})
}
