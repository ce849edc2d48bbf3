package behavior_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/config"
)

// fakeClock is advanced by the test; Warden stamps requests with it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// app is the upstream: records exist, logins fail, the rest is 404.
func app() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/records/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":`+r.PathValue("id")+`}`)
	})
	mux.HandleFunc("POST /api/auth/login", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"bad credentials"}`, http.StatusUnauthorized)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	return mux
}

type step struct {
	method, path, body string
	every              time.Duration
}

// client sends the steps from ip through h and returns the index of the
// first 403 (or -1) and its decoded body.
func client(t *testing.T, h http.Handler, clk *fakeClock, ip string, steps []step) (int, map[string]any) {
	t.Helper()
	for i, s := range steps {
		clk.advance(s.every)
		var body io.Reader
		if s.body != "" {
			body = strings.NewReader(s.body)
		}
		r := httptest.NewRequest(s.method, s.path, body)
		r.RemoteAddr = ip + ":40000"
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0")
		if s.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusForbidden {
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("403 body is not JSON: %q", w.Body.String())
			}
			return i, m
		}
	}
	return -1, nil
}

func newGuard(t *testing.T) (http.Handler, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	cfg.Clock = clk.now
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatalf("warden.New: %v", err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	det, err := behavior.New(behavior.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	g.Use(det)
	return g.Handler(app()), clk
}

func TestEndToEnd(t *testing.T) {
	repeat := func(n int, every time.Duration, f func(i int) step) []step {
		out := make([]step, n)
		for i := range out {
			out[i] = f(i)
			out[i].every = every
		}
		return out
	}
	tests := []struct {
		name    string
		steps   []step
		blocked bool
	}{
		{"enumerating client", repeat(60, 300*time.Millisecond, func(i int) step {
			return step{method: "GET", path: fmt.Sprintf("/api/records/%d", 100+i)}
		}), true},
		{"scanning client", repeat(30, 200*time.Millisecond, func(i int) step {
			return step{method: "GET", path: []string{"/.env", "/.git/config", "/backup.sql", "/phpmyadmin/", "/admin.php.bak"}[i%5]}
		}), true},
		{"content-discovery scanner", repeat(100, 100*time.Millisecond, func(i int) step {
			return step{method: "GET", path: fmt.Sprintf("/old-%d/index.php", i)}
		}), true},
		{"credential-stuffing client", repeat(20, 2*time.Second, func(i int) step {
			return step{method: "POST", path: "/api/auth/login", body: fmt.Sprintf(`{"email":"user%d@example.com","password":"Summer2024!"}`, i)}
		}), true},
		{"normal client", repeat(40, 15*time.Second, func(i int) step {
			if i%10 == 0 {
				return step{method: "GET", path: "/"}
			}
			return step{method: "GET", path: fmt.Sprintf("/api/records/%d", (i*37)%200)}
		}), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, clk := newGuard(t)
			at, body := client(t, h, clk, fmt.Sprintf("203.0.113.%d", 10+i), tt.steps)
			if (at >= 0) != tt.blocked {
				t.Fatalf("blocked at step %d, want blocked=%v", at, tt.blocked)
			}
			if tt.blocked {
				if body["error"] != "blocked" || body["request_id"] == "" {
					t.Fatalf("403 body %v", body)
				}
				t.Logf("blocked at request %d", at+1)
			}
		})
	}
}

// TestEndToEndBot runs the bot detector next to behaviour: a scripted
// client on the login route is blocked, a crawler reading pages is not.
func TestEndToEndBot(t *testing.T) {
	b, err := bot.New(bot.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	cfg.Clock = clk.now
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	det, _ := behavior.New(behavior.DefaultConfig())
	g.Use(det, b)
	handler := g.Handler(app())
	send := func(ip, method, path, ua string) int {
		clk.advance(2 * time.Second)
		var body io.Reader
		if method != http.MethodGet { // a GET with a body is a protocol violation
			body = strings.NewReader(`{"email":"a@b.c","password":"x"}`)
		}
		r := httptest.NewRequest(method, path, body)
		r.RemoteAddr = ip + ":5555"
		r.Header.Set("User-Agent", ua)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w.Code
	}
	if code := send("203.0.113.80", "POST", "/api/auth/login", "python-requests/2.31"); code != http.StatusForbidden {
		t.Fatalf("scripted login: %d, want 403", code)
	}
	for i := range 30 {
		if code := send("66.249.66.1", "GET", fmt.Sprintf("/api/records/%d", (i*97)%1000), "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"); code != http.StatusOK {
			t.Fatalf("crawler request %d: %d", i, code)
		}
	}
}
