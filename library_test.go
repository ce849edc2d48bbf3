package warden_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
)

// New with the defaults keeps its state in memory: it creates no data dir
// (not even the default ./warden-data) and still bans, in memory.
func TestNewDoesNoIO(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := config.Default()
	cfg.Enforce.Ban = true
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(context.Background())
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New created %s (stat: %v); want no I/O", cfg.DataDir, err)
	}
	ip := netip.MustParseAddr("203.0.113.9")
	if err := g.Bans().Add(context.Background(), ban.Ban{Target: ban.IPTarget(ip), Reason: "test", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		addr string
		want int
	}{
		{"203.0.113.9:1234", http.StatusForbidden}, // the ban, kept in memory
		{"203.0.113.10:1234", http.StatusOK},       // everyone else passes
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.addr
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.addr, w.Code, tc.want)
		}
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serving created %s (stat: %v)", cfg.DataDir, err)
	}
}

// A store URL without the store it names is refused, naming the field,
// rather than silently kept in memory.
func TestNewRefusesStoreURLsWithoutStores(t *testing.T) {
	for _, tc := range []struct {
		name, field string
		edit        func(*config.Config)
	}{
		{"redis", "store.redis", func(c *config.Config) { c.Store.Redis = "redis://127.0.0.1:6379" }},
		{"postgres", "store.postgres", func(c *config.Config) { c.Store.Postgres = "postgres://h/db" }},
		{"redis with its bans", "", func(c *config.Config) {
			c.Store.Redis = "redis://127.0.0.1:6379"
			c.Backends.Bans, _ = ban.NewMemory(context.Background(), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			tc.edit(&cfg)
			g, err := warden.New(cfg)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				g.Close(context.Background())
				return
			}
			if err == nil {
				g.Close(context.Background())
				t.Fatalf("New accepted %s without a store", tc.field)
			}
			if !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

// Stores handed in Backends are the ones used: a ban in the given store
// blocks, and decisions reach the given event sink by Close.
func TestNewUsesBackends(t *testing.T) {
	ctx := context.Background()
	bans, _ := ban.NewMemory(ctx, nil)
	ip := netip.MustParseAddr("198.51.100.7")
	if err := bans.Add(ctx, ban.Ban{Target: ban.IPTarget(ip), Reason: "test", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sink := &memEvents{}
	cfg := config.Default()
	cfg.Backends = config.Backends{Bans: bans, Events: sink}
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.Use(abuse.DetectorFunc{ID: "needle", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
		if strings.Contains(r.Path, "needle") {
			return abuse.Verdict{Confidence: 0.95, Violation: "sqli"}
		}
		return abuse.Verdict{}
	}})
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		addr, path string
		want       int
	}{
		{"198.51.100.7:1", "/", http.StatusForbidden}, // banned in the given store
		{"198.51.100.8:1", "/needle", http.StatusForbidden},
		{"198.51.100.8:1", "/", http.StatusOK},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		r.RemoteAddr = tc.addr
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.addr, tc.path, w.Code, tc.want)
		}
	}
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.count("/needle"); got != 1 {
		t.Fatalf("sink holds %d events for /needle, want 1", got)
	}
}

// memEvents is an eventlog.Store in memory.
type memEvents struct {
	mu     sync.Mutex
	events []eventlog.Event
}

func (m *memEvents) WriteEvents(_ context.Context, es []eventlog.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, es...)
	return nil
}

func (m *memEvents) Events(context.Context, time.Time, int) ([]eventlog.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]eventlog.Event(nil), m.events...), nil
}

func (m *memEvents) count(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.events {
		if e.Path == path {
			n++
		}
	}
	return n
}

// The library links no database or Redis driver, no Prometheus and not
// the admin API: a middleware program pays for none of them. The server
// wiring lives in package server.
func TestLibraryDeps(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list listed %d packages: %q", len(deps), deps)
	}
	banned := []string{
		"modernc.org/sqlite",
		"github.com/jackc/pgx",
		"github.com/redis/go-redis",
		"github.com/prometheus/",
		"github.com/warden-dev/warden/admin",
		"github.com/warden-dev/warden/metrics",
		"github.com/warden-dev/warden/report",
		"github.com/warden-dev/warden/server",
		"github.com/warden-dev/warden/store/",
		"database/sql",
	}
	for _, d := range deps {
		for _, b := range banned {
			if d == strings.TrimSuffix(b, "/") || strings.HasPrefix(d, b) || strings.HasPrefix(d, b+"/") {
				t.Errorf("the library imports %s", d)
			}
		}
	}
}
