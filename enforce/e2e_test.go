package enforce_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/ratelimit"
	"github.com/warden-dev/warden/server"
)

// clock is a settable clock for the Guard.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type stack struct {
	guard   *server.Guard
	admin   *admin.Server
	handler http.Handler
	clock   *clock
}

// adminToken is the admin API token of the test Guards.
const adminToken = "enforce-e2e-token-0123456789"

// newStack builds a Guard with LibreChat's limits and enforcement as a
// deployment gets them: the built-in rate limiter configured by
// cfg.RateLimit = rl and the built-in enforcer by cfg.Enforce (LibreChat's
// defaults), with the Guard's own ban store and admin API. The built-in
// detectors not under test (bot, payload, behaviour, prompt injection,
// token budget) are off, so every violation counted here is the limiter's.
func newStack(t *testing.T, rl ratelimit.Config, app http.Handler) *stack {
	t.Helper()
	clk := &clock{now: time.Now().Truncate(time.Hour)}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	cfg.Clock = clk.Now
	cfg.UserFunc = func(r *http.Request) string { return r.Header.Get("X-Test-User") }
	cfg.Admin.Token = adminToken
	cfg.RateLimit = rl
	cfg.Enforce = enforce.DefaultConfig()
	cfg.Bot.Enabled = false
	cfg.Payload.Enabled = false
	cfg.Behavior.Enabled = false
	cfg.AI.Prompt.Enabled = false
	cfg.AI.Budget.Enabled = false
	g, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	api, _, err := g.AdminHandler()
	if err != nil {
		t.Fatal(err)
	}
	if app == nil {
		app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	}
	return &stack{guard: g, admin: api, handler: g.Handler(app), clock: clk}
}

// call sends an authenticated request to the Guard's admin API.
func (s *stack) call(method, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("Authorization", "Bearer "+adminToken)
	w := httptest.NewRecorder()
	s.admin.ServeHTTP(w, r)
	return w
}

// violations returns target's report from the Guard's GET
// /api/v1/violations, with the HTTP status.
func (s *stack) violations(t *testing.T, target string) (enforce.Report, int) {
	t.Helper()
	w := s.call("GET", "/api/v1/violations?target="+target)
	if w.Code != 200 {
		return enforce.Report{}, w.Code
	}
	var body struct {
		Target     string         `json:"target"`
		Violations enforce.Report `json:"violations"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Target != target {
		t.Fatalf("GET violations %s: %q: %v", target, w.Body.String(), err)
	}
	return body.Violations, w.Code
}

func (s *stack) do(method, path, ip, user string) *httptest.ResponseRecorder {
	var body io.Reader
	if method != http.MethodGet { // a GET with a body is a protocol violation
		body = strings.NewReader(`{"email":"a@example.com","password":"x"}`)
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = ip + ":40000"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	if user != "" {
		r.Header.Set("X-Test-User", user)
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

type answer struct {
	Error      string `json:"error"`
	RetryAfter *int   `json:"retry_after"`
	RequestID  string `json:"request_id"`
}

func decode(t *testing.T, w *httptest.ResponseRecorder) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %d %q: %v", w.Code, w.Body.String(), err)
	}
	return a
}

// TestLibreChatScenario: logins → 429 with headers → violations → ban of
// user and IP with the right Retry-After → lifted through the admin API.
func TestLibreChatScenario(t *testing.T) {
	s := newStack(t, ratelimit.DefaultConfig(), nil)
	const ip, user = "203.0.113.7", "42"
	for i := range 7 {
		if w := s.do("POST", "/api/auth/login", ip, user); w.Code != 200 {
			t.Fatalf("login %d: %d %s", i+1, w.Code, w.Body.String())
		}
		s.clock.Add(time.Second)
	}
	// The 8th login is throttled: 429, headers, JSON body.
	w := s.do("POST", "/api/auth/login", ip, user)
	a := decode(t, w)
	if w.Code != 429 || a.Error != "rate_limited" || a.RetryAfter == nil || *a.RetryAfter <= 0 {
		t.Fatalf("8th login: %d %s", w.Code, w.Body.String())
	}
	if w.Header().Get("Retry-After") == "" || w.Header().Get("RateLimit-Policy") != `"login";q=7;w=300` ||
		!strings.HasPrefix(w.Header().Get("RateLimit"), `"login";r=0;t=`) {
		t.Fatalf("8th login headers: %v", w.Header())
	}
	// Each throttled login is a login_limit violation scored 1; the 20th
	// reaches BAN_INTERVAL and bans user 42 and the IP for BAN_DURATION.
	for i := 2; i <= 20; i++ {
		if w := s.do("POST", "/api/auth/login", ip, user); w.Code != 429 {
			t.Fatalf("violation %d: %d %s", i, w.Code, w.Body.String())
		}
	}
	banned := s.clock.Now()
	s.clock.Add(10 * time.Second)
	for _, c := range []struct{ ip, user string }{{ip, user}, {"198.51.100.1", user}, {ip, ""}} {
		w := s.do("GET", "/api/chats", c.ip, c.user)
		a := decode(t, w)
		if w.Code != 403 || a.Error != "banned" || w.Header().Get("Retry-After") != "7190" || *a.RetryAfter != 7190 {
			t.Fatalf("%s/%q after the ban: %d %v %s", c.ip, c.user, w.Code, w.Header(), w.Body.String())
		}
	}
	if w := s.do("GET", "/api/chats", "198.51.100.1", "43"); w.Code != 200 {
		t.Fatalf("another user on another IP: %d", w.Code)
	}
	// The Guard's admin API reports the built-in enforcer's tally.
	rep, code := s.violations(t, "user:"+user)
	if code != 200 || rep.Total != 20 || rep.Counts["login_limit"] != 20 || rep.Ban == nil || !rep.Ban.Until.Equal(banned.Add(2*time.Hour)) {
		t.Fatalf("violations report = %d %+v", code, rep)
	}

	// Lift both bans through the Guard's admin API: the user's keeping
	// its scores, the IP's clearing them (the default).
	for _, target := range []string{"user:42?keep_score=true", "ip:203.0.113.7"} {
		if w := s.call("DELETE", "/api/v1/bans/"+target); w.Code != 200 {
			t.Fatalf("DELETE %s: %d %s", target, w.Code, w.Body.String())
		}
	}
	if vw := s.call("GET", "/api/v1/violations?target=user:42"); vw.Code != 200 || !strings.Contains(vw.Body.String(), `"login_limit":20`) {
		t.Fatalf("GET violations after keep_score: %d %s", vw.Code, vw.Body.String())
	}
	if w := s.call("DELETE", "/api/v1/bans/user:42"); w.Code != 404 {
		t.Fatalf("DELETE a lifted ban: %d %s", w.Code, w.Body.String())
	}
	if w := s.do("GET", "/api/chats", ip, user); w.Code != 200 {
		t.Fatalf("after lifting: %d %s", w.Code, w.Body.String())
	}
}

// TestAnonymousFloodBansIP: LibreChat never bans anonymous clients; Warden
// scores and bans the IP.
func TestAnonymousFloodBansIP(t *testing.T) {
	s := newStack(t, ratelimit.DefaultConfig(), nil)
	codes := map[int]int{}
	for range 40 {
		codes[s.do("POST", "/api/auth/login", "192.0.2.99", "").Code]++
	}
	// 7 allowed, 20 throttled (the 20th violation bans), then 13 banned.
	if codes[200] != 7 || codes[429] != 20 || codes[403] != 13 {
		t.Fatalf("answers = %v", codes)
	}
	if _, ok, _ := s.guard.Bans().Lookup(context.Background(), ban.IPTarget(netip.MustParseAddr("192.0.2.99")), s.clock.Now()); !ok {
		t.Fatal("IP not banned")
	}
}

// TestConcurrencyReleasedOnPanic: the slot a request holds is released
// when the handler panics.
func TestConcurrencyReleasedOnPanic(t *testing.T) {
	rl := ratelimit.DefaultConfig()
	rl.Policies = []ratelimit.Policy{{Name: "concurrent_message", Violation: ratelimit.ViolationConcurrent,
		Algorithm: ratelimit.Concurrency, Limit: 1, Key: []string{"user"}, Classes: []string{"message"}}}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Panic") != "" {
			panic("upstream bug")
		}
		io.WriteString(w, "ok")
	})
	s := newStack(t, rl, app)
	r := httptest.NewRequest("POST", "/api/ask/openAI", strings.NewReader("{}"))
	r.RemoteAddr = "192.0.2.5:1234"
	r.Header.Set("X-Test-User", "p")
	r.Header.Set("X-Panic", "1")
	func() {
		defer func() { _ = recover() }()
		s.handler.ServeHTTP(httptest.NewRecorder(), r)
	}()
	// The limit is 1 slot per user: had the panicking request kept its
	// slot, this message would be refused (429, a concurrent_message
	// violation).
	if w := s.do("POST", "/api/ask/openAI", "192.0.2.5", "p"); w.Code != 200 {
		t.Fatalf("after the panic: %d %s", w.Code, w.Body.String())
	}
	if rep, code := s.violations(t, "user:p"); code != 200 || rep.Total != 0 || len(rep.Counts) != 0 {
		t.Fatalf("violations after the panic: %d %+v, want none", code, rep)
	}
}

// TestConcurrencyLimitAndHijack: a second message while one is in flight
// is refused; a hijacked (upgraded) connection releases its slot when the
// handler returns.
func TestConcurrencyLimitAndHijack(t *testing.T) {
	rl := ratelimit.DefaultConfig()
	rl.Policies = []ratelimit.Policy{{Name: "concurrent_message", Violation: ratelimit.ViolationConcurrent,
		Algorithm: ratelimit.Concurrency, Limit: 1, Key: []string{"user"}, Classes: []string{"message"}}}
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hijack") != "" {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
			buf.Flush()
			entered <- struct{}{}
			<-release
			conn.Close()
			return
		}
		io.WriteString(w, "ok")
	})
	s := newStack(t, rl, app)
	// ended reports each hijacked request once the Guard's handler has
	// returned: the pipeline's observers, which release the slot, have run.
	ended := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handler.ServeHTTP(w, r)
		if r.Header.Get("X-Hijack") != "" {
			ended <- struct{}{}
		}
	}))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /api/ask/x HTTP/1.1\r\nHost: t\r\nX-Test-User: h\r\nX-Hijack: 1\r\nConnection: Upgrade\r\nUpgrade: test\r\nContent-Length: 2\r\n\r\n{}")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	<-entered

	post := func() int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/ask/x", strings.NewReader("{}"))
		req.Header.Set("X-Test-User", "h")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != 429 {
		t.Fatalf("second message while the upgraded one is in flight: %d", code)
	}
	close(release)
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the hijacked request's handler did not return")
	}
	// The limit is 1 slot per user: this message gets through only if the
	// hijacked request released its slot.
	if code := post(); code != 200 {
		t.Fatalf("after the upgraded connection ended: %d", code)
	}
	if rep, code := s.violations(t, "user:h"); code != 200 || rep.Total != 1 || rep.Counts["concurrent_message"] != 1 {
		t.Fatalf("violations = %d %+v, want the one refused message", code, rep)
	}
}
