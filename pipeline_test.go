package warden_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/server"
)

// testConfig returns a valid config with a temporary data dir and the
// built-in detectors off, so that tests see only the detectors they add.
func testConfig(t *testing.T) warden.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	bare(&cfg)
	return cfg
}

func bare(cfg *warden.Config) {
	cfg.RateLimit.Enabled = false
	cfg.Bot.Enabled = false
	cfg.Payload.Enabled = false
	cfg.Behavior.Enabled = false
	cfg.AI.Prompt.Enabled = false
	cfg.AI.Budget.Enabled = false
	cfg.Protocol.Enabled = false
}

func newGuard(t *testing.T, cfg warden.Config) *warden.Guard {
	t.Helper()
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	return g
}

// newServerGuard is newGuard over the stores `warden serve` opens: the
// data dir's SQLite, and Redis or PostgreSQL when cfg names them.
func newServerGuard(t *testing.T, cfg warden.Config) *server.Guard {
	t.Helper()
	g, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	return g
}

// upstream counts the requests that reached it and echoes the body.
type upstream struct{ hits atomic.Int64 }

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.hits.Add(1)
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Seen-Body", string(b))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok")
}

// containsDetector flags requests whose query contains a needle.
func containsDetector(name, needle string, v abuse.Verdict) abuse.Detector {
	return abuse.DetectorFunc{ID: name, Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
		if strings.Contains(r.RawQuery, needle) || strings.Contains(string(r.Body), needle) {
			return v
		}
		return abuse.Verdict{}
	}}
}

type answer struct {
	Error      string `json:"error"`
	Reason     string `json:"reason"`
	RetryAfter *int   `json:"retry_after"`
	RequestID  string `json:"request_id"`
}

func do(t *testing.T, h http.Handler, r *http.Request) (*httptest.ResponseRecorder, answer) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var a answer
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer is not JSON: %v: %q", err, w.Body.String())
		}
	}
	return w, a
}

func TestAnswers(t *testing.T) {
	rateHeader := http.Header{"Ratelimit-Policy": {`"login";q=7;w=300`}, "Ratelimit": {`"login";r=0;t=60`}}
	tests := []struct {
		name       string
		verdict    abuse.Verdict
		status     int
		errKind    string
		retryAfter string
		header     string
	}{
		{"confident detector blocks", abuse.Verdict{Confidence: 0.95, Violation: "sqli", Reason: "sql injection"}, 403, "blocked", "", ""},
		{"at threshold blocks", abuse.Verdict{Confidence: 0.8}, 403, "blocked", "", ""},
		{"grey zone logs only", abuse.Verdict{Confidence: 0.6}, 200, "", "", ""},
		{"throttle carries headers", abuse.Verdict{Action: abuse.Throttle, RetryAfter: 59500 * time.Millisecond, Header: rateHeader}, 429, "rate_limited", "60", "Ratelimit-Policy"},
		{"reject is 400", abuse.Verdict{Action: abuse.Reject, Reason: "inputs: more than 1024 elements"}, 400, "invalid_input", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := &upstream{}
			g := newGuard(t, testConfig(t))
			g.Use(containsDetector("test", "attack", tc.verdict))
			w, a := do(t, g.Handler(up), httptest.NewRequest("GET", "/search?q=attack%27--", nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if tc.errKind == "" {
				if up.hits.Load() != 1 {
					t.Fatalf("upstream hits %d, want 1", up.hits.Load())
				}
				return
			}
			if up.hits.Load() != 0 {
				t.Fatalf("upstream reached by a request Warden answered")
			}
			if a.Error != tc.errKind || a.RequestID == "" || a.RequestID != w.Header().Get("X-Request-Id") {
				t.Fatalf("answer %+v, want error %q with the request id", a, tc.errKind)
			}
			if strings.Contains(w.Body.String(), "attack") {
				t.Fatalf("answer echoes the payload: %s", w.Body)
			}
			if got := w.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if tc.status == 429 && (a.RetryAfter == nil || *a.RetryAfter != 60) {
				t.Fatalf("retry_after %v, want 60", a.RetryAfter)
			}
			if tc.header != "" && w.Header().Get(tc.header) == "" {
				t.Fatalf("header %s missing", tc.header)
			}
		})
	}
}

func TestModes(t *testing.T) {
	block := abuse.Verdict{Confidence: 1, Violation: "test"}
	tests := []struct {
		name      string
		global    config.Mode
		perDet    config.Mode
		wantCode  int
		wantHits  int64
		wantCalls int64
	}{
		{"enforce blocks", config.Enforce, "", 403, 0, 1},
		{"global monitor never blocks", config.Monitor, "", 200, 1, 1},
		{"global monitor wins over detector enforce", config.Monitor, config.Enforce, 200, 1, 1},
		{"detector monitor under global enforce", config.Enforce, config.Monitor, 200, 1, 1},
		{"detector off is not run", config.Enforce, config.Off, 200, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Mode = tc.global
			if tc.perDet != "" {
				cfg.Detectors = map[string]config.Detector{"test": {Mode: tc.perDet}}
			}
			g := newGuard(t, cfg)
			var calls atomic.Int64
			g.Use(abuse.DetectorFunc{ID: "test", Fn: func(context.Context, *abuse.Request) abuse.Verdict {
				calls.Add(1)
				return block
			}})
			up := &upstream{}
			w, _ := do(t, g.Handler(up), httptest.NewRequest("GET", "/", nil))
			if w.Code != tc.wantCode || up.hits.Load() != tc.wantHits || calls.Load() != tc.wantCalls {
				t.Fatalf("code %d hits %d calls %d, want %d %d %d", w.Code, up.hits.Load(), calls.Load(), tc.wantCode, tc.wantHits, tc.wantCalls)
			}
		})
	}
}

func TestVerdictsDoNotOverwriteEachOther(t *testing.T) {
	// A throttling limiter and a confident blocker on the same request: the
	// more severe action wins, and both verdicts reach the observer.
	g := newGuard(t, testConfig(t))
	obs := &recordingObserver{}
	g.Use(
		abuse.DetectorFunc{ID: "limiter", Fn: func(context.Context, *abuse.Request) abuse.Verdict {
			return abuse.Verdict{Action: abuse.Throttle, Violation: "rate_limit", RetryAfter: time.Second}
		}},
		abuse.DetectorFunc{ID: "payload", Fn: func(context.Context, *abuse.Request) abuse.Verdict {
			return abuse.Verdict{Confidence: 0.9, Violation: "sqli"}
		}},
		obs,
	)
	w, a := do(t, g.Handler(&upstream{}), httptest.NewRequest("GET", "/", nil))
	if w.Code != 403 || a.Error != "blocked" {
		t.Fatalf("got %d %q, want 403 blocked", w.Code, a.Error)
	}
	if got := obs.last.Load(); got == nil || len(got.Verdicts) != 2 || got.Status != 403 || got.Action != abuse.Block {
		t.Fatalf("observer saw %+v, want 2 verdicts, status 403, block", got)
	}
}

type recordingObserver struct {
	calls atomic.Int64
	last  atomic.Pointer[abuse.Outcome]
}

func (o *recordingObserver) Name() string { return "observer" }
func (o *recordingObserver) Detect(context.Context, *abuse.Request) abuse.Verdict {
	return abuse.Verdict{}
}
func (o *recordingObserver) Observe(_ *abuse.Request, out abuse.Outcome) {
	o.calls.Add(1)
	cp := out
	cp.Verdicts = append([]abuse.Verdict(nil), out.Verdicts...)
	cp.Acts = append([]abuse.Action(nil), out.Acts...) // pooled with the request
	o.last.Store(&cp)
}

// TestOutcomeActs: observers learn the action each verdict took — policy
// applied, held back to Log by its detector's own monitor mode, and what
// enforce mode would do under the global monitor mode.
func TestOutcomeActs(t *testing.T) {
	tests := []struct {
		name    string
		global  config.Mode
		perDet  config.Mode
		verdict abuse.Verdict
		want    abuse.Action
	}{
		{"blocking finding", config.Enforce, "", abuse.Verdict{Confidence: 0.95, Violation: "sqli"}, abuse.Block},
		{"grey finding", config.Enforce, "", abuse.Verdict{Confidence: 0.6, Violation: "sqli"}, abuse.Log},
		{"throttle", config.Enforce, "", abuse.Verdict{Confidence: 1, Action: abuse.Throttle, Violation: "rate_limit"}, abuse.Throttle},
		{"detector in monitor mode", config.Enforce, config.Monitor, abuse.Verdict{Confidence: 0.95, Violation: "sqli"}, abuse.Log},
		{"global monitor: what enforce would do", config.Monitor, "", abuse.Verdict{Confidence: 0.95, Violation: "sqli"}, abuse.Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Mode = tt.global
			if tt.perDet != "" {
				cfg.Detectors = map[string]config.Detector{"test": {Mode: tt.perDet}}
			}
			g := newGuard(t, cfg)
			obs := &recordingObserver{}
			g.Use(containsDetector("test", "", tt.verdict), obs)
			do(t, g.Handler(&upstream{}), httptest.NewRequest("GET", "/", nil))
			out := obs.last.Load()
			if out == nil || len(out.Acts) != 1 || out.Acts[0] != tt.want || out.Acted(0) != (tt.want > abuse.Log) {
				t.Fatalf("outcome %+v, want acts [%v]", out, tt.want)
			}
		})
	}
}

// TestRouteDetectorsMatchAsServeMux: a route detector runs on every
// request the app's ServeMux routes to its pattern, escaped slashes
// included ("/api/users/a%2Fb" is id "a/b" there), and on no other.
func TestRouteDetectorsMatchAsServeMux(t *testing.T) {
	for _, strict := range []bool{false, true} {
		cfg := testConfig(t)
		if strict {
			cfg.RouteMatching = config.RouteMatching{}
		}
		g := newGuard(t, cfg)
		var ran atomic.Int32
		if err := g.Detect("GET /api/users/{id}", abuse.DetectorFunc{ID: "users", Fn: func(context.Context, *abuse.Request) abuse.Verdict {
			ran.Add(1)
			return abuse.Verdict{}
		}}); err != nil {
			t.Fatal(err)
		}
		h := g.Handler(&upstream{})
		for _, tc := range []struct {
			target string
			runs   bool
		}{
			{"/api/users/7", true},
			{"/api/users/a%2Fb", true},
			{"/api/users/%2F", false}, // ServeMux: no wildcard takes an escaped slash alone
			{"/api/users/a/b", false},
		} {
			ran.Store(0)
			do(t, h, httptest.NewRequest("GET", tc.target, nil))
			if got := ran.Load() > 0; got != tc.runs {
				t.Errorf("strict %v, GET %s: detector ran %v, want %v", strict, tc.target, got, tc.runs)
			}
		}
	}
}

func TestRouteDetectors(t *testing.T) {
	g := newGuard(t, testConfig(t))
	flag := abuse.Verdict{Confidence: 1}
	var routeSeen atomic.Value
	if err := g.Detect("POST /api/projects/{id}", abuse.DetectorFunc{ID: "projects", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
		routeSeen.Store(r.Route)
		if strings.Contains(string(r.Body), "evil") {
			return flag
		}
		return abuse.Verdict{}
	}}); err != nil {
		t.Fatal(err)
	}
	g.DetectDefault(containsDetector("default", "evil", flag))
	h := g.Handler(&upstream{})

	tests := []struct {
		name   string
		method string
		target string
		body   string
		want   int
	}{
		{"route detector blocks", "POST", "/api/projects/7", "evil", 403},
		{"route detector passes", "POST", "/api/projects/7", "fine", 200},
		{"non-canonical path still matches the route", "POST", "/api//projects/7", "evil", 403},
		{"other method is not the route: default runs", "GET", "/api/projects/7?evil", "", 403},
		{"default set on unmatched routes", "GET", "/other?evil", "", 403},
		{"default set passes clean", "GET", "/other", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			w, _ := do(t, h, httptest.NewRequest(tc.method, tc.target, body))
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
	if got, _ := routeSeen.Load().(string); got != "POST /api/projects/{id}" {
		t.Fatalf("detector saw route %q", got)
	}
	if err := g.Detect("GET /a/{x}/b", abuse.DetectorFunc{ID: "x", Fn: nil}); err != nil {
		t.Fatal(err)
	}
	if err := g.Detect("GET /a/{y}/b", abuse.DetectorFunc{ID: "y", Fn: nil}); err == nil {
		t.Fatal("conflicting pattern accepted")
	}
	if err := g.Detect("NOT A PATTERN {", abuse.DetectorFunc{ID: "z", Fn: nil}); err == nil {
		t.Fatal("invalid pattern accepted")
	}
	// Under route_matching, a pattern that is a route class's pattern in
	// another case is the same route: refused, the table unchanged.
	if err := g.Detect("POST /API/auth/login", abuse.DetectorFunc{ID: "w", Fn: nil}); err == nil || !strings.Contains(err.Error(), "same route") {
		t.Fatalf("pattern that is the login route in capitals: %v", err)
	}
	if w, _ := do(t, h, httptest.NewRequest("POST", "/api/projects/7", strings.NewReader("evil"))); w.Code != 403 {
		t.Fatalf("after a refused pattern: status %d", w.Code)
	}
}

func TestRouteClasses(t *testing.T) {
	g := newGuard(t, testConfig(t))
	var class atomic.Value
	g.Use(abuse.DetectorFunc{ID: "class", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
		class.Store(r.Class)
		return abuse.Verdict{}
	}})
	h := g.Handler(&upstream{})
	for target, want := range map[string]string{
		"/api/auth/login": "login", "/api/ask/openAI": "message", "/api/auth/register": "register", "/elsewhere": "",
		// Spellings that upstream frameworks route to the same handler
		// (route_matching, all on by default).
		"/API/Auth/Login": "login", "/api/auth/login/": "login", "/api/auth/login;jsessionid=x": "login",
		"/api/auth/login.json": "login", "/static/..;/api/auth/login": "login", "/api//auth/./login": "login",
		"/api/auth/%2e%2e/auth/login": "login", "/API/ASK/openAI/": "message", "/api/auth/login/x": "", "/api/auth/logins": "",
	} {
		do(t, h, httptest.NewRequest("POST", target, strings.NewReader("{}")))
		if got := class.Load(); got != want {
			t.Errorf("%s: class %q, want %q", target, got, want)
		}
	}
}

// TestRouteVariantsShareTheRouteLimit: a client that spells the login path
// as upstream frameworks still route it is limited as on the path itself;
// with route_matching off, the same spellings are other routes.
func TestRouteVariantsShareTheRouteLimit(t *testing.T) {
	spellings := []string{"/api/auth/login", "/API/Auth/Login", "/api/auth/login/", "/api/auth/login;jsessionid=x",
		"/Api/Auth/Login;JSESSIONID=y/", "/api/auth/login.json", "/static/..;/api/auth/login", "/api//auth/login"}
	for _, strict := range []bool{false, true} {
		cfg := testConfig(t)
		cfg.RateLimit.Enabled = true
		if strict {
			cfg.RouteMatching = config.RouteMatching{}
		}
		var limit int64
		for _, p := range cfg.RateLimit.Policies {
			if p.Name == "login" {
				limit = p.Limit
			}
		}
		h := newGuard(t, cfg).Handler(&upstream{})
		allowed := 0
		for i := range 3 * int(limit) {
			target := spellings[i%len(spellings)]
			if strict {
				target = spellings[1+i%(len(spellings)-2)] // the spellings that are not the path cleaned
			}
			r := httptest.NewRequest("POST", target, strings.NewReader(`{"email":"a@example.com","password":"x"}`))
			w, _ := do(t, h, r)
			switch w.Code {
			case http.StatusOK:
				allowed++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("strict %v, %s: status %d", strict, target, w.Code)
			}
		}
		if !strict && allowed != int(limit) {
			t.Errorf("%d login attempts allowed across spellings, want the limit %d", allowed, limit)
		}
		if strict && allowed != 3*int(limit) {
			t.Errorf("strict matching: %d of %d allowed, want every one (the spellings are other routes)", allowed, 3*limit)
		}
	}
}

func TestBodyReachesUpstreamUntouched(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int64
		oversize  string
		maxBody   int64
		size      int
		wantCode  int
		wantTrunc bool
	}{
		{"small body", 1024, "prefix", 0, 100, 200, false},
		{"exactly the limit", 1024, "prefix", 0, 1024, 200, false},
		{"over the limit inspects the prefix", 1024, "prefix", 0, 5000, 200, true},
		{"over the limit rejected", 1024, "reject", 0, 5000, 413, false},
		{"over max_body", 1024, "prefix", 2000, 5000, 413, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Inspect.BodyLimit, cfg.Inspect.Oversize, cfg.Inspect.MaxBody = tc.limit, tc.oversize, tc.maxBody
			g := newGuard(t, cfg)
			var seen atomic.Int64
			var trunc atomic.Bool
			g.Use(abuse.DetectorFunc{ID: "len", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
				seen.Store(int64(len(r.Body)))
				trunc.Store(r.BodyTruncated)
				return abuse.Verdict{}
			}})
			body := strings.Repeat("abcdefghij", tc.size/10+1)[:tc.size]
			w, a := do(t, g.Handler(&upstream{}), httptest.NewRequest("POST", "/upload", strings.NewReader(body)))
			if w.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", w.Code, tc.wantCode)
			}
			if tc.wantCode == 413 {
				if a.Error != "too_large" {
					t.Fatalf("error %q, want too_large", a.Error)
				}
				return
			}
			if got := w.Header().Get("X-Seen-Body"); got != body {
				t.Fatalf("upstream got %d bytes, want the %d sent", len(got), len(body))
			}
			if want := min(int64(tc.size), tc.limit); seen.Load() != want || trunc.Load() != tc.wantTrunc {
				t.Fatalf("detector saw %d bytes truncated=%v, want %d truncated=%v", seen.Load(), trunc.Load(), want, tc.wantTrunc)
			}
		})
	}
}

func TestBans(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cfg := testConfig(t)
	cfg.Clock = func() time.Time { return now }
	g := newGuard(t, cfg)
	ctx := context.Background()
	if err := g.Bans().Add(ctx, ban.Ban{Target: ban.UserTarget("42"), Until: now.Add(90 * time.Minute), Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	up := &upstream{}
	g2 := newGuard(t, func() warden.Config {
		c := cfg
		c.Identity.UserHeader = "X-User"
		c.Identity.UserHeaderFromAnyHop = true
		return c
	}())
	_ = g2.Bans().Add(ctx, ban.Ban{Target: ban.UserTarget("42"), Until: now.Add(90 * time.Minute)})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-User", "42")
	w, a := do(t, g2.Handler(up), r)
	if w.Code != 403 || a.Error != "banned" || w.Header().Get("Retry-After") != "5400" || a.RetryAfter == nil || *a.RetryAfter != 5400 {
		t.Fatalf("banned user got %d %+v Retry-After %q", w.Code, a, w.Header().Get("Retry-After"))
	}
	if up.hits.Load() != 0 {
		t.Fatal("banned request reached the upstream")
	}
	// The IP is banned in g: every request from it is refused.
	_ = g.Bans().Add(ctx, ban.Ban{Target: ban.IPTarget(mustAddr("192.0.2.1")), Until: now.Add(time.Minute)})
	w, a = do(t, g.Handler(up), httptest.NewRequest("GET", "/", nil)) // httptest uses 192.0.2.1
	if w.Code != 403 || a.Error != "banned" {
		t.Fatalf("banned IP got %d %+v", w.Code, a)
	}
	now = now.Add(2 * time.Minute)
	if w, _ = do(t, g.Handler(up), httptest.NewRequest("GET", "/", nil)); w.Code != 200 {
		t.Fatalf("expired ban still refuses: %d", w.Code)
	}
}

// TestIPv6BansCoverNetwork: a ban on an IPv6 address covers its /64 (by
// default; enforce.ipv6_prefix), a ban on one address (/128) that address
// only, and IPv4-mapped clients are their IPv4 address.
func TestIPv6BansCoverNetwork(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, prefix := range []int{64, 128} {
		t.Run(fmt.Sprint(prefix), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Clock = func() time.Time { return now }
			cfg.Enforce.IPv6Prefix = prefix
			g := newGuard(t, cfg)
			ctx := context.Background()
			scope := ban.Scope{IPv6Prefix: prefix}
			for _, tg := range []ban.Target{scope.IP(mustAddr("2001:db8:2::1")), ban.AddrTarget(mustAddr("2001:db8:4::1")),
				ban.IPTarget(mustAddr("203.0.113.7"))} {
				if err := g.Bans().Add(ctx, ban.Ban{Target: tg, Until: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			h := g.Handler(&upstream{})
			for ip, want := range map[string]int{
				"2001:db8:2::1": 403, "2001:db8:2::2": map[int]int{64: 403, 128: 200}[prefix], "2001:db8:3::1": 200,
				"2001:db8:4::1": 403, "2001:db8:4::2": 200,
				"203.0.113.7": 403, "::ffff:203.0.113.7": 403, "203.0.113.8": 200,
			} {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = netip.AddrPortFrom(mustAddr(ip), 4000).String()
				if w, _ := do(t, h, r); w.Code != want {
					t.Errorf("%s: %d, want %d", ip, w.Code, want)
				}
			}
		})
	}
}

func TestAllowListSkipsEverything(t *testing.T) {
	cfg := testConfig(t)
	cfg.Allow.CIDRs = []string{"192.0.2.0/24"}
	g := newGuard(t, cfg)
	g.Use(containsDetector("test", "", abuse.Verdict{Confidence: 1}))
	_ = g.Bans().Add(context.Background(), ban.Ban{Target: ban.IPTarget(mustAddr("192.0.2.1")), Until: time.Now().Add(time.Hour)})
	if w, _ := do(t, g.Handler(&upstream{}), httptest.NewRequest("GET", "/", nil)); w.Code != 200 {
		t.Fatalf("allow-listed client got %d", w.Code)
	}
}

func TestPanicsAreContained(t *testing.T) {
	g := newGuard(t, testConfig(t))
	obs := &recordingObserver{}
	g.Use(obs)
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w, a := do(t, h, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 || a.Error != "internal" || strings.Contains(w.Body.String(), "boom") {
		t.Fatalf("panic answered %d %q", w.Code, w.Body)
	}
	if obs.calls.Load() != 1 || obs.last.Load().Status != 500 {
		t.Fatalf("observer calls %d status %d, want 1 and 500", obs.calls.Load(), obs.last.Load().Status)
	}

	g.Use(abuse.DetectorFunc{ID: "broken", Fn: func(context.Context, *abuse.Request) abuse.Verdict { panic("detector bug") }})
	if w, _ := do(t, g.Handler(&upstream{}), httptest.NewRequest("GET", "/", nil)); w.Code != 500 {
		t.Fatalf("panicking detector answered %d", w.Code)
	}
}

func TestObserverCalledOncePerRequest(t *testing.T) {
	g := newGuard(t, testConfig(t))
	obs := &recordingObserver{}
	g.Use(obs, containsDetector("test", "bad", abuse.Verdict{Confidence: 1}))
	h := g.Handler(&upstream{})
	for _, target := range []string{"/ok", "/x?bad", "/y"} {
		do(t, h, httptest.NewRequest("GET", target, nil))
	}
	if obs.calls.Load() != 3 {
		t.Fatalf("observer called %d times for 3 requests", obs.calls.Load())
	}
}

// TestOnlyActingVerdictsScore: grey findings are logged, never scored, so
// a client whose requests were all let through is never banned; blocked
// requests score and reach the ban interval, but the same blocked request
// retried scores once per enforce.repeat_window; throttles score each.
func TestOnlyActingVerdictsScore(t *testing.T) {
	for _, tc := range []struct {
		name       string
		verdict    abuse.Verdict
		samePath   bool // every request the same, else each on its own path
		wantBanned bool
	}{
		{"grey finding never bans", abuse.Verdict{Confidence: 0.6, Violation: "empty_user_agent"}, false, false},
		{"blocking finding bans at the interval", abuse.Verdict{Confidence: 0.95, Violation: "sqli"}, false, true},
		{"the same blocked request retried never bans", abuse.Verdict{Confidence: 0.95, Violation: "sqli"}, true, false},
		{"a throttle scores with each request", abuse.Verdict{Confidence: 1, Violation: "rate_limit", Action: abuse.Throttle}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGuard(t, testConfig(t)) // enforce: interval 20, score 1 each
			g.Use(containsDetector("test", "", tc.verdict))
			h := g.Handler(&upstream{})
			for i := range 20 {
				target := "/"
				if !tc.samePath {
					target = fmt.Sprintf("/%d", i)
				}
				do(t, h, httptest.NewRequest("GET", target, nil))
			}
			w, a := do(t, h, httptest.NewRequest("GET", "/", nil))
			if banned := a.Error == "banned"; banned != tc.wantBanned {
				t.Fatalf("after 20 findings: %d %q, want banned=%v", w.Code, a.Error, tc.wantBanned)
			}
		})
	}
}

func TestRouteModes(t *testing.T) {
	block := abuse.Verdict{Confidence: 1, Violation: "test"}
	routes := map[string]config.Mode{
		"POST /wiki/{page}": config.Monitor,
		"GET /health":       config.Off,
		"/admin/":           config.Enforce,
	}
	tests := []struct {
		name     string
		global   config.Mode
		perDet   config.Mode
		method   string
		path     string
		wantCode int
		calls    int64
	}{
		{"unmatched route keeps the detector's mode", config.Enforce, "", "POST", "/api/posts", 403, 1},
		{"monitored route logs", config.Enforce, "", "POST", "/wiki/Testing", 200, 1},
		{"escaped slash matches as ServeMux does", config.Enforce, "", "POST", "/wiki/a%2Fb", 200, 1},
		{"off route does not run the detector", config.Enforce, "", "GET", "/health", 200, 0},
		{"detector off but enforced on a route", config.Enforce, config.Off, "GET", "/admin/users", 403, 1},
		{"detector off elsewhere", config.Enforce, config.Off, "POST", "/api/posts", 200, 0},
		{"global monitor wins over a route's enforce", config.Monitor, "", "GET", "/admin/users", 200, 1},
		{"a spelling of the route has the route's mode", config.Enforce, config.Off, "GET", "/ADMIN;x/users", 403, 1},
		{"a spelling of an off route is off", config.Enforce, "", "GET", "/Health/", 200, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Mode = tc.global
			cfg.Detectors = map[string]config.Detector{"test": {Mode: tc.perDet, Routes: routes}}
			g := newGuard(t, cfg)
			var calls atomic.Int64
			g.Use(abuse.DetectorFunc{ID: "test", Fn: func(context.Context, *abuse.Request) abuse.Verdict {
				calls.Add(1)
				return block
			}})
			w, _ := do(t, g.Handler(&upstream{}), httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.wantCode || calls.Load() != tc.calls {
				t.Fatalf("code %d calls %d, want %d %d", w.Code, calls.Load(), tc.wantCode, tc.calls)
			}
		})
	}
}
