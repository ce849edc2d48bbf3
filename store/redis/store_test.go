package redis

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/ratelimit"
)

var t0 = time.Now().Truncate(time.Hour) // bans use Redis TTLs on the wall clock

func message(ip, user string, at time.Time, id string) *abuse.Request {
	return &abuse.Request{ID: id, Time: at, Class: "message", Route: "POST /api/ask/{rest...}",
		Client: abuse.Client{IP: netip.MustParseAddr(ip), User: user}}
}

func login(ip string, at time.Time) *abuse.Request {
	return &abuse.Request{Time: at, Class: "login", Client: abuse.Client{IP: netip.MustParseAddr(ip)}}
}

func limiter(t testing.TB, cfg ratelimit.Config, b ratelimit.Backend) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(cfg, ratelimit.Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOneRoundTripPerRequest(t *testing.T) {
	srv := startRedis(t)
	in := newInstance(t, srv, time.Second)
	l := limiter(t, ratelimit.DefaultConfig(), in.store)
	ctx := context.Background()
	tests := []struct {
		name     string
		r        *abuse.Request
		detect   int64 // round trips in Detect
		observed int64 // round trips in Observe
	}{
		{"message: ip, user and concurrency limits", message("192.0.2.1", "u1", t0, "r1"), 1, 1},
		{"login: one limit", login("192.0.2.1", t0), 1, 0},
		{"no limit applies", &abuse.Request{Time: t0, Client: abuse.Client{IP: netip.MustParseAddr("192.0.2.1")}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := in.count.roundTrips()
			if v := l.Detect(ctx, tt.r); v.Found() {
				t.Fatalf("throttled: %+v", v)
			}
			if got := in.count.roundTrips() - before; got != tt.detect {
				t.Fatalf("Detect made %d round trips, want %d", got, tt.detect)
			}
			before = in.count.roundTrips()
			l.Observe(tt.r, abuse.Outcome{Status: 200})
			if got := in.count.roundTrips() - before; got != tt.observed {
				t.Fatalf("Observe made %d round trips, want %d", got, tt.observed)
			}
		})
	}
	if st := l.Stats(); st.Fallbacks != 0 {
		t.Fatalf("fallbacks = %d", st.Fallbacks)
	}
}

func TestTwoInstancesShareLimits(t *testing.T) {
	srv := startRedis(t)
	a, b := newInstance(t, srv, time.Second), newInstance(t, srv, time.Second)
	la, lb := limiter(t, ratelimit.DefaultConfig(), a.store), limiter(t, ratelimit.DefaultConfig(), b.store)
	ctx := context.Background()
	for i := range 7 {
		l := []*ratelimit.Limiter{la, lb}[i%2]
		if v := l.Detect(ctx, login("198.51.100.7", t0.Add(time.Duration(i)*time.Second))); v.Found() {
			t.Fatalf("login %d throttled", i+1)
		}
	}
	v := lb.Detect(ctx, login("198.51.100.7", t0.Add(10*time.Second)))
	if v.Action != abuse.Throttle || v.Violation != ratelimit.ViolationLogin || v.Header.Get("Retry-After") == "" {
		t.Fatalf("8th login across instances: %+v", v)
	}

	// Concurrency slots: two in flight on A, the third on B is refused
	// until A releases one.
	r1, r2 := message("198.51.100.8", "carol", t0, "a-1"), message("198.51.100.8", "carol", t0, "a-2")
	for _, r := range []*abuse.Request{r1, r2} {
		if v := la.Detect(ctx, r); v.Found() {
			t.Fatalf("slot on A: %+v", v)
		}
	}
	if v := lb.Detect(ctx, message("198.51.100.8", "carol", t0, "b-1")); v.Violation != ratelimit.ViolationConcurrent {
		t.Fatalf("3rd slot on B: %+v", v)
	}
	la.Observe(r1, abuse.Outcome{Status: 200})
	if v := lb.Detect(ctx, message("198.51.100.8", "carol", t0, "b-2")); v.Found() {
		t.Fatalf("slot on B after A released: %+v", v)
	}
}

func TestQuotaSharedAndDurable(t *testing.T) {
	srv := startRedis(t)
	cfg := ratelimit.DefaultConfig()
	cfg.Policies = []ratelimit.Policy{{Name: "lifetime", Algorithm: ratelimit.Quota, Limit: 3, Key: []string{"user"}}}
	a, b := newInstance(t, srv, time.Second), newInstance(t, srv, time.Second)
	ctx := context.Background()
	la, lb := limiter(t, cfg, a.store), limiter(t, cfg, b.store)
	for i := range 3 {
		if v := []*ratelimit.Limiter{la, lb}[i%2].Detect(ctx, message("192.0.2.5", "dave", t0, "")); v.Found() {
			t.Fatalf("use %d denied", i+1)
		}
	}
	restarted := limiter(t, cfg, newInstance(t, srv, time.Second).store)
	if v := restarted.Detect(ctx, message("192.0.2.5", "dave", t0.Add(72*time.Hour), "")); v.Action != abuse.Throttle {
		t.Fatalf("4th use after a restart: %+v", v)
	}
}

func TestTwoInstancesShareBansAndScores(t *testing.T) {
	srv := startRedis(t)
	a, b := newInstance(t, srv, time.Second), newInstance(t, srv, time.Second)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	newEnforcer := func(s *Store) *enforce.Enforcer {
		e, err := enforce.New(enforce.DefaultConfig(), s, enforce.Options{Tally: s, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ea, eb := newEnforcer(a.store), newEnforcer(b.store)
	r := message("203.0.113.7", "42", t0, "")
	for i := range 19 {
		if _, banned, err := []*enforce.Enforcer{ea, eb}[i%2].Record(ctx, r, "message_limit"); banned || err != nil {
			t.Fatalf("violation %d: banned=%v err=%v", i+1, banned, err)
		}
	}
	got, banned, err := eb.Record(ctx, r, "message_limit")
	if err != nil || !banned || !got.Until.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("20th violation across instances: %+v banned=%v err=%v", got, banned, err)
	}
	for _, target := range []ban.Target{ban.UserTarget("42"), ban.IPTarget(netip.MustParseAddr("203.0.113.7"))} {
		if _, ok, err := a.store.Lookup(ctx, target, t0.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("instance A does not see the ban on %s: %v", target, err)
		}
	}
	before := b.count.roundTrips()
	got2, ok, err := b.store.LookupAny(ctx, []ban.Target{ban.UserTarget("nobody"), ban.IPTarget(netip.MustParseAddr("203.0.113.7"))}, t0)
	if !ok || err != nil || got2.Target.Kind != ban.KindIP || b.count.roundTrips()-before != 1 {
		t.Fatalf("LookupAny = %+v %v %v in %d round trips", got2, ok, err, b.count.roundTrips()-before)
	}
	list, err := a.store.List(ctx, t0)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	rep, err := ea.Violations(ctx, ban.UserTarget("42"), t0)
	if err != nil || rep.Total != 20 || rep.Counts["message_limit"] != 20 || rep.Bans != 1 || rep.Ban == nil || len(rep.Recent) != 10 {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	if removed, err := a.store.Remove(ctx, ban.UserTarget("42")); !removed || err != nil {
		t.Fatalf("Remove = %v, %v", removed, err)
	}
	if _, ok, _ := b.store.Lookup(ctx, ban.UserTarget("42"), t0); ok {
		t.Fatal("ban lifted on A still seen on B")
	}
	if removed, _ := b.store.Remove(ctx, ban.UserTarget("nobody")); removed {
		t.Fatal("removed a ban that did not exist")
	}
}

func TestEveryKeyHasTTL(t *testing.T) {
	srv := startRedis(t)
	in := newInstance(t, srv, time.Second)
	ctx := context.Background()
	cfg := ratelimit.DefaultConfig()
	cfg.Policies = append(cfg.Policies,
		ratelimit.Policy{Name: "smooth", Algorithm: ratelimit.GCRA, Limit: 5, Window: time.Minute},
		ratelimit.Policy{Name: "life", Algorithm: ratelimit.Quota, Limit: 5})
	l := limiter(t, cfg, in.store)
	for _, r := range []*abuse.Request{message("192.0.2.1", "u", t0, "x"), login("192.0.2.1", t0)} {
		l.Detect(ctx, r)
	}
	e, _ := enforce.New(enforce.DefaultConfig(), in.store, enforce.Options{Tally: in.store,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.Record(ctx, message("192.0.2.1", "u", t0, ""), "non_browser")
	keys, err := in.client.Keys(ctx, "*").Result()
	if err != nil || len(keys) < 8 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	for _, k := range keys {
		if ttl := in.client.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %q has no TTL (%v)", k, ttl)
		}
	}
}

func TestOutageSurvived(t *testing.T) {
	srv := startRedis(t)
	a, b := newInstance(t, srv, 20*time.Millisecond), newInstance(t, srv, 20*time.Millisecond)
	var fellBack atomic.Int64
	la, err := ratelimit.New(ratelimit.DefaultConfig(), ratelimit.Options{Backend: a.store, OnFallback: func() { fellBack.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pre := ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("198.51.100.66")), Reason: "before", Created: t0, Until: time.Now().Add(time.Hour)}
	if err := a.store.Add(ctx, pre); err != nil {
		t.Fatal(err)
	}

	srv.stop()
	// Requests keep flowing, decided on A's memory table.
	throttled := 0
	for i := range 10 {
		if v := la.Detect(ctx, login("198.51.100.9", t0.Add(time.Duration(i)*time.Second))); v.Found() {
			throttled++
		}
	}
	if throttled != 3 {
		t.Fatalf("during the outage %d of 10 logins throttled, want 3 (local limit of 7)", throttled)
	}
	if st := la.Stats(); st.Fallbacks != 10 || fellBack.Load() != 10 {
		t.Fatalf("fallbacks = %d (hook %d), want 10", st.Fallbacks, fellBack.Load())
	}
	if _, ok, err := a.store.Lookup(ctx, pre.Target, time.Now()); !ok || err != nil {
		t.Fatalf("ban placed through A not enforced during the outage: ok=%v err=%v", ok, err)
	}
	if n := strings.Count(a.logs.String(), "redis unavailable"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, a.logs.String())
	}
	if st := a.store.Stats(); !st.Down || st.Outages != 1 || st.Failures < 10 {
		t.Fatalf("store stats = %+v", st)
	}
	during := ban.Ban{Target: ban.UserTarget("mallory"), Reason: "during", Created: t0, Until: time.Now().Add(time.Hour)}
	if err := a.store.Add(ctx, during); err != nil {
		t.Fatalf("ban during the outage: %v", err)
	}
	if _, ok, _ := a.store.Lookup(ctx, during.Target, time.Now()); !ok {
		t.Fatal("ban placed during the outage not enforced locally")
	}

	srv.start() // same port, empty, scripts gone
	deadline := time.Now().Add(10 * time.Second)
	for a.store.Stats().Down || !strings.Contains(a.logs.String(), "redis is back") {
		if time.Now().After(deadline) {
			t.Fatalf("sharing did not resume: %+v\n%s", a.store.Stats(), a.logs.String())
		}
		la.Detect(ctx, login("198.51.100.10", t0))
		time.Sleep(5 * time.Millisecond) // polling for the retry window to pass, not timing a result
	}
	if !strings.Contains(a.logs.String(), "redis is back") {
		t.Fatalf("recovery not logged:\n%s", a.logs.String())
	}
	// The ban placed during the outage reaches B once A has resynced.
	for {
		if _, ok, _ := b.store.Lookup(ctx, during.Target, time.Now()); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ban placed during the outage never reached Redis")
		}
		time.Sleep(5 * time.Millisecond) // polling for the async resync
	}
	// Shared again: a limit counted on A is seen by B.
	lb := limiter(t, ratelimit.DefaultConfig(), b.store)
	for i := range 7 {
		la.Detect(ctx, login("198.51.100.11", t0.Add(time.Duration(i)*time.Second)))
	}
	if v := lb.Detect(ctx, login("198.51.100.11", t0.Add(8*time.Second))); v.Action != abuse.Throttle {
		t.Fatalf("after recovery B does not see A's count: %+v", v)
	}
	if st := lb.Stats(); st.Fallbacks != 0 {
		t.Fatalf("B fell back %d times after recovery", st.Fallbacks)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		edit func(c *Config)
		want string
	}{
		{func(c *Config) { c.URL = "" }, "url: required"},
		{func(c *Config) { c.URL = "http://x" }, "url:"},
		{func(c *Config) { c.Timeout = 0 }, "timeout:"},
		{func(c *Config) { c.RetryAfter = 0 }, "retry_after:"},
		{func(c *Config) { c.Prefix = "a b" }, "prefix:"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c := DefaultConfig()
			c.URL = "redis://127.0.0.1:6379/0"
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestBurstAcrossInstancesStrikesOnce: a burst of violations from one
// IPv6 /64, decided concurrently by two instances, places one ban on the
// /64 and counts one strike; the ban covers every address of the /64 and
// no other.
func TestBurstAcrossInstancesStrikesOnce(t *testing.T) {
	srv := startRedis(t)
	a, b := newInstance(t, srv, time.Second), newInstance(t, srv, time.Second)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var es []*enforce.Enforcer
	for _, s := range []*Store{a.store, b.store} {
		e, err := enforce.New(enforce.DefaultConfig(), s, enforce.Options{Tally: s, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	const n = 32
	var banned atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := &abuse.Request{Time: t0, Client: abuse.Client{IP: netip.MustParseAddr(fmt.Sprintf("2001:db8:2::%x", i+1))}}
			_, ok, err := es[i%2].Record(ctx, r, "non_browser") // scores 20: each crosses the interval
			if err != nil {
				t.Error(err)
			}
			if ok {
				banned.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	rep, err := es[0].Violations(ctx, ban.AddrTarget(netip.MustParseAddr("2001:db8:2::1")), t0)
	if err != nil || banned.Load() != 1 || rep.Bans != 1 || rep.Target != "ip:2001:db8:2::/64" || rep.Ban == nil {
		t.Fatalf("%d banned; report %+v, %v", banned.Load(), rep, err)
	}
	if !rep.Ban.Until.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("ban until %v, want the first ban's 2h", rep.Ban.Until)
	}
	if in, err := a.client.Exists(ctx, a.store.banKey(ban.IPTarget(netip.MustParseAddr("2001:db8:2::9")))).Result(); in != 1 || err != nil {
		t.Fatalf("no ban key for the /64: %v %v", in, err)
	}
	for ip, want := range map[string]bool{"2001:db8:2::1": true, "2001:db8:2::ffff": true, "2001:db8:3::1": false} {
		network, addr, _ := ban.Scope{}.Lookups(netip.MustParseAddr(ip))
		if _, ok, err := b.store.LookupAny(ctx, []ban.Target{network, addr}, t0); ok != want || err != nil {
			t.Errorf("%s banned = %v (%v), want %v", ip, ok, err, want)
		}
	}
	list, _ := a.store.List(ctx, t0)
	if len(list) != 1 || list[0].Target.String() != "ip:2001:db8:2::/64" {
		t.Fatalf("List = %+v", list)
	}
	if removed, err := b.store.Remove(ctx, list[0].Target); !removed || err != nil {
		t.Fatalf("Remove = %v %v", removed, err)
	}
}

func TestAddIfNone(t *testing.T) {
	srv := startRedis(t)
	a, b := newInstance(t, srv, 20*time.Millisecond), newInstance(t, srv, time.Second)
	ctx := context.Background()
	tg := ban.IPTarget(netip.MustParseAddr("2001:db8:5::1"))
	first := ban.Ban{Target: tg, Reason: "first", Created: t0, Until: time.Now().Add(time.Hour)}
	if got, added, err := a.store.AddIfNone(ctx, first, t0); !added || err != nil || got.Reason != "first" {
		t.Fatalf("first claim: %+v %v %v", got, added, err)
	}
	second := first
	second.Reason = "second"
	if got, added, err := b.store.AddIfNone(ctx, second, t0); added || err != nil || got.Reason != "first" {
		t.Fatalf("second claim: %+v %v %v, want the first ban", got, added, err)
	}
	// After the ban's end (on the caller's clock) the claim succeeds.
	if _, added, err := b.store.AddIfNone(ctx, second, time.Now().Add(2*time.Hour)); !added || err != nil {
		t.Fatalf("claim after the end: %v %v", added, err)
	}
	// While Redis is away, A's mirror decides.
	srv.stop()
	other := ban.Ban{Target: ban.UserTarget("7"), Created: t0, Until: time.Now().Add(time.Hour)}
	for i, want := range []bool{true, false} {
		if _, added, err := a.store.AddIfNone(ctx, other, t0); added != want || err != nil {
			t.Fatalf("claim %d during the outage: %v %v", i+1, added, err)
		}
	}
}
