package escalate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/escalateconfig"
)

// waitFor polls cond until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestHookDelivers(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	var posted atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e HookEvent
		_ = json.NewDecoder(r.Body).Decode(&e)
		posted.Store(e)
		if e.Reason == "fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	tests := []struct {
		name    string
		hook    escalateconfig.Hook
		reason  string
		result  string
		checkFn func(t *testing.T)
	}{
		{name: "command gets the ban on stdin and in env",
			hook:   escalateconfig.Hook{Command: []string{"/bin/sh", "-c", `cat > "$0"; echo " $WARDEN_EVENT $WARDEN_IP" >> "$0"`, out}},
			result: "ok",
			checkFn: func(t *testing.T) {
				b, _ := os.ReadFile(out)
				if !strings.Contains(string(b), `"event":"ban"`) || !strings.Contains(string(b), " ban 203.0.113.7") {
					t.Fatalf("command saw %q", b)
				}
			}},
		{name: "failing command is counted",
			hook: escalateconfig.Hook{Command: []string{"/bin/sh", "-c", "exit 3"}}, result: "failed"},
		{name: "slow command times out",
			hook: escalateconfig.Hook{Command: []string{"/bin/sh", "-c", "sleep 30"}, Timeout: 200 * time.Millisecond}, result: "timeout"},
		{name: "URL gets the ban as JSON",
			hook: escalateconfig.Hook{URL: srv.URL}, result: "ok",
			checkFn: func(t *testing.T) {
				if e, _ := posted.Load().(HookEvent); e.IP != "203.0.113.7" || e.Event != "ban" {
					t.Fatalf("URL got %+v", e)
				}
			}},
		{name: "URL answering 500 is counted",
			hook: escalateconfig.Hook{URL: srv.URL}, reason: "fail", result: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := escalateconfig.DefaultConfig().Hook
			cfg.Command, cfg.URL = tt.hook.Command, tt.hook.URL
			if tt.hook.Timeout > 0 {
				cfg.Timeout = tt.hook.Timeout
			}
			h, err := NewHook(context.Background(), cfg, HookOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { h.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			b := banOf("203.0.113.7", time.Now(), time.Hour, "")
			b.Reason = tt.reason
			h.Banned(b)
			waitFor(t, tt.result, func() bool { return counterValue(h.runs.WithLabelValues("ban", tt.result)) == 1 })
			if tt.checkFn != nil {
				tt.checkFn(t)
			}
		})
	}
}

func TestHookBounds(t *testing.T) {
	var inFlight, most atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
	}))
	defer srv.Close()
	defer once.Do(func() { close(release) })
	cfg := escalateconfig.DefaultConfig().Hook
	cfg.URL, cfg.Concurrency, cfg.Queue = srv.URL, 2, 3
	clk := &clock{now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	h, err := NewHook(context.Background(), cfg, HookOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 2 {
		h.Banned(banOf(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}).String(), clk.Now(), time.Minute, ""))
	}
	waitFor(t, "two calls in flight", func() bool { return inFlight.Load() == 2 })
	for i := 2; i < 10; i++ {
		h.Banned(banOf(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}).String(), clk.Now(), time.Minute, ""))
	}
	if got := counterValue(h.runs.WithLabelValues("ban", "dropped")); got != 5 {
		t.Fatalf("dropped %v events, want 5 (2 running, 3 queued)", got)
	}
	once.Do(func() { close(release) })
	waitFor(t, "queued calls", func() bool { return counterValue(h.runs.WithLabelValues("ban", "ok")) == 5 })
	if m := most.Load(); m > 2 {
		t.Fatalf("%d calls in flight at once, concurrency 2", m)
	}
	// The bans end: each sends an unban; a lifted one once only.
	h.Lifted(ban.IPTarget(netip.MustParseAddr("203.0.113.0")))
	clk.Add(time.Minute)
	h.Sweep()
	waitFor(t, "unbans", func() bool { return counterValue(h.runs.WithLabelValues("unban", "ok")) >= 3 })
}

// memPending is a HookStore in memory.
type memPending struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (m *memPending) Load(context.Context) (map[string]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]time.Time{}
	for k, v := range m.m {
		out[k] = v
	}
	return out, nil
}

func (m *memPending) Save(_ context.Context, put map[string]time.Time, drop []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range drop {
		delete(m.m, k)
	}
	for k, v := range put {
		m.m[k] = v
	}
	return nil
}

// TestHookPendingSurvivesRestart: a ban that ends while Warden is down
// still gets its unban event after the restart; a lifted one does not get
// a second.
func TestHookPendingSurvivesRestart(t *testing.T) {
	cfg := escalateconfig.DefaultConfig().Hook
	cfg.URL = "http://127.0.0.1:1"
	clk := &clock{now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	st := &memPending{m: map[string]time.Time{}}
	h, err := NewHook(context.Background(), cfg, HookOptions{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	h.Banned(banOf("203.0.113.7", clk.Now(), time.Minute, ""))
	h.Banned(banOf("203.0.113.8", clk.Now(), time.Minute, ""))
	h.Lifted(ban.IPTarget(netip.MustParseAddr("203.0.113.8")))
	h.flush(context.Background())
	if got, _ := st.Load(context.Background()); len(got) != 1 || !got["ip:203.0.113.7"].Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("store holds %v", got)
	}

	clk.Add(2 * time.Minute) // Warden was down while the ban ended
	h2, err := NewHook(context.Background(), cfg, HookOptions{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	h2.Sweep()
	h2.flush(context.Background())
	var got []string
	for len(h2.jobs) > 0 {
		e := <-h2.jobs
		got = append(got, e.Event+" "+e.Target)
	}
	if s := strings.Join(got, "; "); s != "unban ip:203.0.113.7" {
		t.Fatalf("after the restart the hook queued %q", s)
	}
	if left, _ := st.Load(context.Background()); len(left) != 0 {
		t.Fatalf("store still holds %v", left)
	}
}
