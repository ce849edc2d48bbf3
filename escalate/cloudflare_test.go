package escalate

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/warden-dev/warden/internal/escalateconfig"
)

// clock is a simulated clock the tests move by hand.
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

// standIn speaks Cloudflare's wire format for IP Access Rules: the
// success envelope, error envelopes, and a 429 with Retry-After past
// 1,200 requests in five minutes of the simulated clock.
type standIn struct {
	t     *testing.T
	clock *clock
	mu    sync.Mutex
	rules map[string]rule // by id
	times []time.Time     // every request's time
	next  int
	// over counts requests answered 429 for exceeding the limit;
	// force429 answers the next n requests 429 regardless.
	over, force429 int
	fail500        int
}

type rule struct {
	Mode  string                         `json:"mode"`
	Conf  struct{ Target, Value string } `json:"configuration"`
	Notes string                         `json:"notes"`
}

func newStandIn(t *testing.T, c *clock) (*standIn, *httptest.Server) {
	s := &standIn{t: t, clock: c, rules: map[string]rule{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *standIn) reply(w http.ResponseWriter, status int, result any, errs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	es := []map[string]any{}
	for _, e := range errs {
		code := 10000
		if e == "firewallaccessrules.api.duplicate_of_existing" {
			code = 10009
		}
		es = append(es, map[string]any{"code": code, "message": e})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"success": len(errs) == 0, "errors": es, "messages": []any{}, "result": result})
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if n > 1200 || s.force429 > 0 {
		if s.force429 > 0 {
			s.force429--
		} else {
			s.over++
		}
		w.Header().Set("Retry-After", "30")
		s.reply(w, http.StatusTooManyRequests, nil, "Rate limited")
		return
	}
	if s.fail500 > 0 {
		s.fail500--
		s.reply(w, http.StatusInternalServerError, nil, "internal")
		return
	}
	if r.Header.Get("Authorization") != "Bearer tok" {
		s.reply(w, http.StatusForbidden, nil, "Authentication error")
		return
	}
	const base = "/client/v4/zones/zone1/firewall/access_rules/rules"
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		var ru rule
		if err := json.NewDecoder(r.Body).Decode(&ru); err != nil || ru.Conf.Value == "" {
			s.reply(w, http.StatusBadRequest, nil, "bad body")
			return
		}
		for _, x := range s.rules {
			if x.Conf.Value == ru.Conf.Value {
				s.reply(w, http.StatusBadRequest, nil, "firewallaccessrules.api.duplicate_of_existing")
				return
			}
		}
		s.next++
		id := fmt.Sprintf("r%d", s.next)
		s.rules[id] = ru
		s.reply(w, http.StatusOK, map[string]any{"id": id, "mode": ru.Mode, "configuration": ru.Conf})
	case r.Method == http.MethodGet && r.URL.Path == base:
		found := []map[string]any{}
		for id, x := range s.rules {
			if x.Conf.Value == r.URL.Query().Get("configuration.value") {
				found = append(found, map[string]any{"id": id})
			}
		}
		s.reply(w, http.StatusOK, found)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, base+"/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/")
		if _, ok := s.rules[id]; !ok {
			s.reply(w, http.StatusNotFound, nil, "not found")
			return
		}
		delete(s.rules, id)
		s.reply(w, http.StatusOK, map[string]any{"id": id})
	default:
		s.reply(w, http.StatusNotFound, nil, "no route")
	}
}

func (s *standIn) values() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, r := range s.rules {
		out[r.Conf.Value] = r.Conf.Target + " " + r.Mode
	}
	return out
}

// maxWindow is the most requests any five-minute window held.
func (s *standIn) maxWindow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, j := 0, 0
	for i := range s.times {
		for s.times[i].Sub(s.times[j]) >= LimitPeriod {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// memStore is an escalate.Store in memory.
type memStore struct {
	mu sync.Mutex
	m  map[string]Entry
}

func (m *memStore) Load(context.Context) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	for _, e := range m.m {
		out = append(out, e)
	}
	return out, nil
}
func (m *memStore) Save(_ context.Context, e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[e.Value] = e
	return nil
}
func (m *memStore) Delete(_ context.Context, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, v)
	return nil
}

func testConfig(url string) escalateconfig.Cloudflare {
	c := escalateconfig.DefaultConfig().Cloudflare
	c.APIBase, c.ZoneID, c.APIToken = url+"/client/v4", "zone1", "tok"
	return c
}

func banOf(ip string, now time.Time, d time.Duration, violation string) ban.Ban {
	return ban.Ban{Target: ban.IPTarget(netip.MustParseAddr(ip)), Reason: "test", Violation: violation,
		Created: now, Until: now.Add(d)}
}

func scored(b ban.Ban, score int64) ban.Ban {
	b.Score = score
	return b
}

// drain steps the pusher, moving the clock by what it asks (at most
// step), until its queue is empty or limit passes.
func drain(t *testing.T, c *Cloudflare, clk *clock, limit time.Duration) {
	t.Helper()
	end := clk.Now().Add(limit)
	for clk.Now().Before(end) {
		c.Step(context.Background())
		c.mu.Lock()
		n := len(c.queue)
		c.mu.Unlock()
		if n == 0 {
			return
		}
		clk.Add(time.Second)
	}
}

func TestCloudflareRules(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		edit      func(*escalateconfig.Cloudflare)
		bans      []ban.Ban
		protected []string
		want      map[string]string
	}{
		{name: "one ban is below min_bans", bans: []ban.Ban{banOf("203.0.113.7", t0, time.Hour, "")},
			want: map[string]string{}},
		{name: "two bans push a challenge",
			bans: []ban.Ban{banOf("203.0.113.7", t0, time.Hour, ""), banOf("203.0.113.7", t0, time.Hour, "")},
			want: map[string]string{"203.0.113.7": "ip managed_challenge"}},
		{name: "bans of two clients do not add up",
			bans: []ban.Ban{banOf("203.0.113.7", t0, time.Hour, ""), banOf("203.0.113.8", t0, time.Hour, "")},
			want: map[string]string{}},
		{name: "a listed violation pushes at once, as block",
			edit: func(c *escalateconfig.Cloudflare) { c.Mode, c.Violations = "block", []string{"credential_stuffing"} },
			bans: []ban.Ban{banOf("203.0.113.9", t0, time.Hour, "credential_stuffing")},
			want: map[string]string{"203.0.113.9": "ip block"}},
		{name: "a ban at min_score pushes at once",
			edit: func(c *escalateconfig.Cloudflare) { c.MinScore = 60 },
			bans: []ban.Ban{scored(banOf("203.0.113.10", t0, time.Hour, "sqli"), 60), scored(banOf("203.0.113.11", t0, time.Hour, "sqli"), 40)},
			want: map[string]string{"203.0.113.10": "ip managed_challenge"}},
		{name: "min_score 0 is off",
			bans: []ban.Ban{scored(banOf("203.0.113.10", t0, time.Hour, "sqli"), 1000)},
			want: map[string]string{}},
		{name: "an IPv6 ban pushes its /64",
			edit: func(c *escalateconfig.Cloudflare) { c.MinBans = 1 },
			bans: []ban.Ban{banOf("2001:db8:1:2::5", t0, time.Hour, "")},
			want: map[string]string{"2001:db8:1:2::/64": "ip_range managed_challenge"}},
		{name: "an allow-listed or trusted proxy address is never pushed",
			edit:      func(c *escalateconfig.Cloudflare) { c.MinBans = 1 },
			bans:      []ban.Ban{banOf("10.0.0.5", t0, time.Hour, ""), banOf("2001:db8:9::1", t0, time.Hour, "")},
			protected: []string{"10.0.0.0/8", "2001:db8:9::7/128"},
			want:      map[string]string{}},
		{name: "user bans are not pushed",
			edit: func(c *escalateconfig.Cloudflare) { c.MinBans = 1 },
			bans: []ban.Ban{{Target: ban.UserTarget("42"), Created: t0, Until: t0.Add(time.Hour)}},
			want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: t0}
			si, srv := newStandIn(t, clk)
			cfg := testConfig(srv.URL)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			var prot []netip.Prefix
			for _, p := range tt.protected {
				prot = append(prot, netip.MustParsePrefix(p))
			}
			c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Protected: prot})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tt.bans {
				c.Banned(b)
			}
			drain(t, c, clk, time.Minute)
			if got := si.values(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("rules = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCloudflareLifecycle(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	si, srv := newStandIn(t, clk)
	cfg := testConfig(srv.URL)
	cfg.MinBans = 1
	st := &memStore{m: map[string]Entry{}}
	reg := prometheus.NewRegistry()
	c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: st, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	c.Banned(banOf("203.0.113.1", t0, 10*time.Minute, ""))
	c.Banned(banOf("203.0.113.2", t0, time.Hour, ""))
	drain(t, c, clk, time.Minute)
	if n := len(si.values()); n != 2 {
		t.Fatalf("pushed %d rules, want 2", n)
	}
	if n := len(st.m); n != 2 {
		t.Fatalf("stored %d entries, want 2", n)
	}

	// A restart reconciles from the store: nothing is pushed twice.
	c, err = NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, c, clk, time.Minute)
	if got := counterValue(c.calls.WithLabelValues("create", "ok")); got != 0 {
		t.Fatalf("restart made %v create calls, want 0", got)
	}

	// The first ban runs out: the sweep removes its rule.
	clk.Add(10 * time.Minute)
	drain(t, c, clk, 2*time.Minute)
	if got := si.values(); len(got) != 1 || got["203.0.113.2"] == "" {
		t.Fatalf("after expiry rules = %v, want only 203.0.113.2", got)
	}
	// The second is lifted by an admin.
	c.Lifted(ban.IPTarget(netip.MustParseAddr("203.0.113.2")))
	drain(t, c, clk, time.Minute)
	if got := si.values(); len(got) != 0 {
		t.Fatalf("after lift rules = %v, want none", got)
	}
	if len(st.m) != 0 {
		t.Fatalf("store still holds %v", st.m)
	}
	// Calls were counted in the first pusher's metrics.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		found = found || mf.GetName() == "warden_cloudflare_requests_total" && len(mf.GetMetric()) > 0
	}
	if !found {
		t.Fatal("no calls counted in the registry")
	}
}

func TestCloudflareBacksOff(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		set     func(*standIn)
		minWait time.Duration
		result  string
	}{
		{name: "429 honours Retry-After", set: func(s *standIn) { s.force429 = 1 }, minWait: 30 * time.Second, result: "rate_limited"},
		{name: "500 backs off", set: func(s *standIn) { s.fail500 = 1 }, minWait: time.Second, result: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: t0}
			si, srv := newStandIn(t, clk)
			tt.set(si)
			cfg := testConfig(srv.URL)
			cfg.MinBans = 1
			c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			c.Banned(banOf("203.0.113.1", t0, time.Hour, ""))
			if wait := c.Step(context.Background()); wait < tt.minWait {
				t.Fatalf("after %s waits %v, want at least %v", tt.result, wait, tt.minWait)
			}
			if got := counterValue(c.calls.WithLabelValues("create", tt.result)); got != 1 {
				t.Fatalf("%s calls = %v, want 1", tt.result, got)
			}
			drain(t, c, clk, 2*time.Minute)
			if len(si.values()) != 1 {
				t.Fatal("the rule was not pushed after the pause")
			}
		})
	}
}

// TestCloudflareTenThousandAnHour: 10,000 escalations in a simulated hour
// never take more than Cloudflare's 1,200 requests in five minutes, never
// meet a 429, and every rule is gone once its ban is.
func TestCloudflareTenThousandAnHour(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates hours of traffic")
	}
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	si, srv := newStandIn(t, clk)
	cfg := testConfig(srv.URL)
	cfg.MinBans = 1
	c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: &memStore{m: map[string]Entry{}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for s := 0; s < 3600; s++ {
		for ; n < (s+1)*10000/3600; n++ {
			ip := netip.AddrFrom4([4]byte{198, 18, byte(n >> 8), byte(n)})
			c.Banned(banOf(ip.String(), clk.Now(), 30*time.Minute, ""))
		}
		c.Step(context.Background())
		clk.Add(time.Second)
	}
	drain(t, c, clk, 6*time.Hour)
	if m := si.maxWindow(); m > 1200 {
		t.Fatalf("%d requests in one five-minute window, limit 1200", m)
	}
	if si.over != 0 {
		t.Fatalf("%d requests answered 429", si.over)
	}
	if left := len(si.values()); left != 0 {
		t.Fatalf("%d rules left after every ban ended", left)
	}
	creates := counterValue(c.calls.WithLabelValues("create", "ok"))
	t.Logf("10,000 escalations: %v rules pushed, %d requests, busiest window %d", creates, len(si.times), si.maxWindow())
	if creates < 1000 {
		t.Fatalf("only %v rules pushed", creates)
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// TestCloudflareAdoptsDuplicate: a rule pushed before the store lost it
// (a crash between the call and the save) is adopted, not duplicated, and
// removed when the ban is lifted.
func TestCloudflareAdoptsDuplicate(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	si, srv := newStandIn(t, clk)
	var old rule
	old.Mode, old.Conf.Target, old.Conf.Value = "managed_challenge", "ip", "203.0.113.1"
	si.rules["r-old"] = old
	cfg := testConfig(srv.URL)
	cfg.MinBans = 1
	st := &memStore{m: map[string]Entry{}}
	c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	c.Banned(banOf("203.0.113.1", t0, time.Hour, ""))
	drain(t, c, clk, time.Minute)
	if got := st.m["203.0.113.1"].RuleID; got != "r-old" {
		t.Fatalf("stored rule id %q, want the existing r-old", got)
	}
	if n := len(si.values()); n != 1 {
		t.Fatalf("%d rules, want 1", n)
	}
	c.Lifted(ban.IPTarget(netip.MustParseAddr("203.0.113.1")))
	drain(t, c, clk, time.Minute)
	if n := len(si.values()); n != 0 {
		t.Fatalf("%d rules after the lift, want 0", n)
	}
}

// TestCloudflareRestartKeepsBacklog: escalations still waiting for the
// budget when Warden stops are pushed after the restart, once each.
func TestCloudflareRestartKeepsBacklog(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	si, srv := newStandIn(t, clk)
	cfg := testConfig(srv.URL)
	cfg.MinBans = 1
	st := &memStore{m: map[string]Entry{}}
	c, err := NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: st, Budget: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		c.Banned(banOf(ip, t0, time.Hour, ""))
	}
	c.Step(context.Background())
	if n := len(si.values()); n != 1 {
		t.Fatalf("pushed %d within a budget of 1", n)
	}
	if n := len(st.m); n != 3 {
		t.Fatalf("stored %d entries, want 3 (1 pushed, 2 waiting)", n)
	}
	c, err = NewCloudflare(context.Background(), cfg, CloudflareOptions{Now: clk.Now, Store: st, Budget: 1})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, c, clk, 20*time.Minute)
	if n := len(si.values()); n != 3 {
		t.Fatalf("%d rules after the restart, want 3", n)
	}
	if n := len(si.times); n != 3 {
		t.Fatalf("%d requests, want 3 (one push each)", n)
	}
}
