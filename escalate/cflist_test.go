package escalate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
)

// listStandIn speaks Cloudflare's wire format for a List's items: a PUT
// replaces them as an asynchronous bulk operation, pending for one poll,
// and a second write while one is pending is refused, as Cloudflare
// refuses it (one pending bulk operation per account).
type listStandIn struct {
	clock     *clock
	mu        sync.Mutex
	items     []string
	pending   []string // the items of the operation in progress
	opID      string
	polls     int
	times     []time.Time
	conflicts int
	over      int
}

func (s *listStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.times = append(s.times, now)
	n := 0
	for _, t := range s.times {
		if now.Sub(t) < LimitPeriod {
			n++
		}
	}
	reply := func(status int, result any, errs ...string) {
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(status)
		es := []map[string]any{}
		for _, e := range errs {
			es = append(es, map[string]any{"code": 10000, "message": e})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"success": len(errs) == 0, "errors": es, "messages": []any{}, "result": result})
	}
	if n > 1200 {
		s.over++
		reply(http.StatusTooManyRequests, nil, "Rate limited")
		return
	}
	const base = "/client/v4/accounts/acc1/rules/lists"
	switch {
	case r.Method == http.MethodPut && r.URL.Path == base+"/l1/items":
		if s.opID != "" {
			s.conflicts++
			reply(http.StatusConflict, nil, "a bulk operation is already pending")
			return
		}
		var items []struct{ IP string }
		if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
			reply(http.StatusBadRequest, nil, "bad body")
			return
		}
		s.pending = s.pending[:0]
		for _, it := range items {
			s.pending = append(s.pending, it.IP)
		}
		s.opID = fmt.Sprintf("op%d", len(s.times))
		reply(http.StatusOK, map[string]any{"operation_id": s.opID})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"/bulk_operations/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/bulk_operations/")
		if id != s.opID {
			reply(http.StatusOK, map[string]any{"id": id, "status": "completed"})
			return
		}
		s.polls++
		if s.polls%2 == 1 {
			reply(http.StatusOK, map[string]any{"id": id, "status": "running"})
			return
		}
		s.items, s.opID = slices.Clone(s.pending), ""
		reply(http.StatusOK, map[string]any{"id": id, "status": "completed"})
	default:
		reply(http.StatusNotFound, nil, "no route")
	}
}

func (s *listStandIn) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.items)
	slices.Sort(out)
	return out
}

func newListPusher(t *testing.T, clk *clock, st Store, prot ...netip.Prefix) (*Cloudflare, *listStandIn) {
	t.Helper()
	si := &listStandIn{clock: clk}
	srv := httptest.NewServer(si)
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.MinBans, cfg.AccountID, cfg.ListID = 1, "acc1", "l1"
	c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: st, Protected: prot})
	if err != nil {
		t.Fatal(err)
	}
	return c, si
}

// settle steps the List pusher for a simulated duration, a second at a
// time.
func settle(c *Cloudflare, clk *clock, d time.Duration) {
	for end := clk.Now().Add(d); clk.Now().Before(end); clk.Add(time.Second) {
		c.Step(context.Background())
	}
}

func TestCloudflareList(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	st := &memStore{m: map[string]Entry{}}
	c, si := newListPusher(t, clk, st, netip.MustParsePrefix("10.0.0.0/8"))
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"three bans, one of a protected address", func() {
			for _, ip := range []string{"203.0.113.1", "203.0.113.2", "10.1.2.3"} {
				c.Banned(banOf(ip, clk.Now(), 10*time.Minute, ""))
			}
			c.Banned(banOf("2001:db8:1:2::9", clk.Now(), time.Hour, ""))
		}, []string{"2001:db8:1:2::/64", "203.0.113.1", "203.0.113.2"}},
		{"a lift", func() { c.Lifted(ban.IPTarget(netip.MustParseAddr("203.0.113.1"))) }, []string{"2001:db8:1:2::/64", "203.0.113.2"}},
		{"an expiry", func() { clk.Add(10 * time.Minute) }, []string{"2001:db8:1:2::/64"}},
	}
	for _, st := range steps {
		st.do()
		settle(c, clk, time.Minute)
		if got := si.list(); !slices.Equal(got, st.want) {
			t.Fatalf("%s: list = %v, want %v", st.name, got, st.want)
		}
	}
	// A restart replaces the list with what the store kept, dropping
	// what drifted in meanwhile.
	si.mu.Lock()
	si.items = append(si.items, "198.51.100.1")
	si.mu.Unlock()
	c2, _ := newListPusher(t, clk, st)
	c2.cfg.APIBase = c.cfg.APIBase
	settle(c2, clk, time.Minute)
	if got := si.list(); !slices.Equal(got, []string{"2001:db8:1:2::/64"}) {
		t.Fatalf("after restart list = %v", got)
	}
	if si.conflicts != 0 {
		t.Fatalf("%d writes while a bulk operation was pending", si.conflicts)
	}
}

// TestCloudflareListTenThousandAnHour: in List mode, 10,000 escalations
// in a simulated hour take a few hundred requests, none refused.
func TestCloudflareListTenThousandAnHour(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates hours of traffic")
	}
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	c, si := newListPusher(t, clk, &memStore{m: map[string]Entry{}})
	n := 0
	for s := 0; s < 3600; s++ {
		for ; n < (s+1)*10000/3600; n++ {
			ip := netip.AddrFrom4([4]byte{198, 18, byte(n >> 8), byte(n)})
			c.Banned(banOf(ip.String(), clk.Now(), 30*time.Minute, ""))
		}
		c.Step(context.Background())
		clk.Add(time.Second)
	}
	if got := len(si.list()); got < 4000 {
		t.Fatalf("list holds %d at the end of the hour, want the ~5,000 bans of its last 30 minutes", got)
	}
	settle(c, clk, 40*time.Minute)
	if got := len(si.list()); got != 0 {
		t.Fatalf("%d items left after every ban ended", got)
	}
	if si.over != 0 || si.conflicts != 0 {
		t.Fatalf("%d requests over the limit, %d conflicting writes", si.over, si.conflicts)
	}
	t.Logf("10,000 escalations in List mode: %d requests", len(si.times))
}
