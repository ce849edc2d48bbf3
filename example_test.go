package warden_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
)

// A custom detector on one route: project names may not look like shell
// commands. Each detector returns a confidence, a violation type and
// messages; the policy blocks at confidence 0.8 and above.
func ExampleGuard_Detect() {
	cfg := config.Default()
	cfg.Log.Stderr = false

	g, err := warden.New(cfg) // state in memory: no file, no connection
	if err != nil {
		panic(err)
	}
	defer g.Close(context.Background())

	shellish := abuse.DetectorFunc{ID: "project_name", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
		if strings.Contains(string(r.Body), "$(") {
			return abuse.Verdict{
				Confidence: 0.9,
				Violation:  "command_injection",
				Messages:   []string{"project name contains $("},
				Reason:     "invalid project name",
			}
		}
		return abuse.Verdict{}
	}}
	if err := g.Detect("POST /api/projects/{id}", shellish); err != nil {
		panic(err)
	}

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "saved") })
	h := g.Handler(app)

	for _, body := range []string{`{"name":"warden"}`, `{"name":"$(rm -rf /)"}`} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/projects/7", strings.NewReader(body))
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.Contains(w.Body.String(), `"error":"blocked"`))
	}
	// Output:
	// 200 false
	// 403 true
}

// Check returns the decision without answering, for apps that act on it
// themselves.
func ExampleGuard_Check() {
	cfg := config.Default()
	cfg.Log.Stderr = false
	g, _ := warden.New(cfg)
	defer g.Close(context.Background())
	g.Use(abuse.DetectorFunc{ID: "no_admin", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
		if strings.HasPrefix(r.Path, "/admin") {
			return abuse.Verdict{Confidence: 1, Violation: "sensitive_path"}
		}
		return abuse.Verdict{}
	}})
	r := httptest.NewRequest("GET", "/admin/users", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	d := g.Check(r)
	fmt.Println(d.Action, d.Detector)
	// Output: block no_admin
}

// Stores are handed to New in Config.Backends; New opens none itself.
// Here bans go to a store the program keeps (ban.NewMemory with a
// Persister, Redis from store/redis, or your own ban.Store) and the
// decision log to an eventlog.Store. Prometheus metrics are one more
// backend: cfg.Backends.Metrics = metrics.New(cfg.Metrics). Package server
// opens all of them from the configuration, as `warden serve` does.
func ExampleNew_backends() {
	ctx := context.Background()
	bans, _ := ban.NewMemory(ctx, nil)
	cfg := config.Default()
	cfg.Log.Stderr = false
	cfg.Backends = config.Backends{Bans: bans}
	g, err := warden.New(cfg)
	if err != nil {
		panic(err)
	}
	defer g.Close(ctx) // closes no backend: the program that opened them does

	_ = bans.Add(ctx, ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("203.0.113.7")),
		Reason: "abuse report", Until: time.Now().Add(time.Hour)})
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	for _, addr := range []string{"203.0.113.7:4321", "203.0.113.8:4321"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(addr, w.Code)
	}
	// Output:
	// 203.0.113.7:4321 403
	// 203.0.113.8:4321 200
}
