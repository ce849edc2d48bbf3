package crowdsec

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/crowdsecconfig"
)

func watcherConfig(url string) crowdsecconfig.Config {
	cfg := crowdsecconfig.DefaultConfig()
	cfg.LAPIURL, cfg.MachineID, cfg.Password, cfg.Queue = url, "warden", "pw", 2
	return cfg
}

func ipBan(ip string) ban.Ban {
	return ban.Ban{Target: ban.IPTarget(netip.MustParseAddr(ip)), Violation: "scanner", Created: t0, Until: t0.Add(time.Hour)}
}

// TestBannedSkips: what is not reported, and a full queue drops and
// counts instead of blocking.
func TestBannedSkips(t *testing.T) {
	c, err := New(context.Background(), watcherConfig("http://127.0.0.1:1"), Options{Now: func() time.Time { return t0 },
		Protected: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	c.set.Apply([]Decision{dec("ban", "Ip", "192.0.2.9", time.Hour)}, nil, true, t0)
	c.Banned(ban.Ban{Target: ban.UserTarget("42"), Until: t0.Add(time.Hour)}) // no address
	c.Banned(ipBan("10.1.2.3"))                                               // protected
	c.Banned(ipBan("192.0.2.9"))                                              // under a CrowdSec decision
	if n := len(c.jobs); n != 0 {
		t.Fatalf("%d reports queued, want none", n)
	}
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"} {
		c.Banned(ipBan(ip))
	}
	if n, dropped := len(c.jobs), counterValue(c.skipped.WithLabelValues("dropped")); n != 2 || dropped != 2 {
		t.Fatalf("queue %d dropped %v; want 2 and 2", n, dropped)
	}
	if p, cs := counterValue(c.skipped.WithLabelValues("protected")), counterValue(c.skipped.WithLabelValues("crowdsec")); p != 1 || cs != 1 {
		t.Fatalf("protected %v crowdsec %v", p, cs)
	}
}

// fakeLAPI answers the watcher's endpoints: tokens "t1", "t2"… in turn,
// and alerts as the test scripts them.
type fakeLAPI struct {
	mu          sync.Mutex
	logins      int
	script      []int // statuses for the next POST /v1/alerts, then 201
	unvalidated int   // logins refused before one succeeds
	got         []string
}

func (f *fakeLAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/v1/watchers/login":
		if !strings.Contains(r.UserAgent(), "/") {
			w.WriteHeader(http.StatusUnauthorized) // as crowdsec 1.4 does
			return
		}
		if f.unvalidated > 0 {
			f.unvalidated--
			w.WriteHeader(http.StatusForbidden) // a machine not validated yet
			return
		}
		f.logins++
		json.NewEncoder(w).Encode(map[string]any{"code": 200, "token": "t" + string(rune('0'+f.logins))})
	case "/v1/alerts":
		status := http.StatusCreated
		if len(f.script) > 0 {
			status, f.script = f.script[0], f.script[1:]
		}
		if status == http.StatusCreated {
			var as []alert
			b, _ := io.ReadAll(r.Body)
			json.Unmarshal(b, &as)
			for _, a := range as {
				f.got = append(f.got, r.Header.Get("Authorization")+" "+a.Decisions[0].Value+" "+a.Scenario)
			}
		}
		w.WriteHeader(status)
		io.WriteString(w, `["1"]`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestWatcherRetries: a refused login (403) and a 5xx are retried, an
// expired token (401) renewed, a refused report (400) dropped so that
// the next ones go through, in order.
func TestWatcherRetries(t *testing.T) {
	f := &fakeLAPI{script: []int{500, 401, 201, 400}, unvalidated: 1}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := watcherConfig(srv.URL)
	cfg.Queue = 10
	c, err := New(context.Background(), cfg, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	c.Banned(ipBan("192.0.2.1")) // 500, then 401, then sent with a new token
	waitFor(t, func() bool { return len(f.sent()) == 1 })
	c.Banned(ipBan("192.0.2.2")) // 400: dropped
	waitFor(t, func() bool { return counterValue(c.skipped.WithLabelValues("rejected")) == 1 })
	c.Banned(ipBan("192.0.2.3"))
	waitFor(t, func() bool { return len(f.sent()) == 2 })
	want := "Bearer t2 192.0.2.1 warden/scanner; Bearer t2 192.0.2.3 warden/scanner" // t1 expired
	if got := strings.Join(f.sent(), "; "); got != want {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if bad, ok := counterValue(c.calls.WithLabelValues("login", "error")), counterValue(c.calls.WithLabelValues("login", "ok")); bad != 1 || ok != 2 {
		t.Fatalf("logins counted: %v failed, %v ok; want 1 and 2", bad, ok)
	}
}

func (f *fakeLAPI) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
