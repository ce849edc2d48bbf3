package enforce

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func request(ip, user string, at time.Time) *abuse.Request {
	r := &abuse.Request{Time: at, Route: "POST /api/auth/login", Client: abuse.Client{User: user}}
	if ip != "" {
		r.Client.IP = netip.MustParseAddr(ip)
	}
	return r
}

func newEnforcer(t *testing.T, cfg Config, opt Options) (*Enforcer, *ban.Memory) {
	t.Helper()
	bans, err := ban.NewMemory(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Logger == nil {
		opt.Logger = discard()
	}
	e, err := New(cfg, bans, opt)
	if err != nil {
		t.Fatal(err)
	}
	return e, bans
}

func TestCrossed(t *testing.T) {
	tests := []struct {
		prev, total, interval int64
		want                  bool
	}{
		{0, 19, 20, false},
		{19, 20, 20, true}, // reaching a multiple bans
		{18, 19, 20, false},
		{20, 21, 20, false}, // just past it does not ban again
		{19, 39, 20, true},
		{21, 39, 20, false},
		{39, 40, 20, true},
		{0, 40, 20, true}, // crossing two multiples at once bans once
		{10, 30, 20, true},
		{0, 0, 20, false}, // score 0
		{0, 1, 1, true},
		{5, 5, 1, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d->%d/%d", tt.prev, tt.total, tt.interval), func(t *testing.T) {
			if got := crossed(tt.prev, tt.total, tt.interval); got != tt.want {
				t.Fatalf("crossed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRecordBansUserAndIP(t *testing.T) {
	e, bans := newEnforcer(t, DefaultConfig(), Options{})
	ctx := context.Background()
	for i := range 19 {
		_, banned, err := e.Record(ctx, request("203.0.113.7", "42", t0.Add(time.Duration(i)*time.Second)), "login_limit")
		if err != nil || banned {
			t.Fatalf("violation %d: banned=%v err=%v", i+1, banned, err)
		}
	}
	at := t0.Add(time.Minute)
	b, banned, err := e.Record(ctx, request("203.0.113.7", "42", at), "login_limit")
	if err != nil || !banned {
		t.Fatalf("20th violation: banned=%v err=%v", banned, err)
	}
	if b.Target != ban.UserTarget("42") || !b.Until.Equal(at.Add(2*time.Hour)) || b.Violation != "login_limit" || b.Score != 20 {
		t.Fatalf("ban = %+v", b)
	}
	for _, target := range []ban.Target{ban.UserTarget("42"), ban.IPTarget(netip.MustParseAddr("203.0.113.7"))} {
		got, ok, _ := bans.Lookup(ctx, target, at.Add(time.Hour))
		if !ok || !got.Until.Equal(at.Add(2*time.Hour)) {
			t.Fatalf("%s: ban %+v ok=%v", target, got, ok)
		}
	}
	// A violation while the ban is in force (a request in flight when it
	// was placed) neither bans again nor scores.
	if again, banned, err := e.Record(ctx, request("203.0.113.7", "42", at), "login_limit"); banned || err != nil || again != b {
		t.Fatalf("21st violation: %+v banned=%v err=%v, want the ban in force", again, banned, err)
	}
	rep, err := e.Violations(ctx, ban.UserTarget("42"), at)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != 20 || rep.Counts["login_limit"] != 20 || rep.Bans != 1 || len(rep.Recent) != 10 ||
		rep.Ban == nil || rep.Ban.RetryAfter != 7200 || rep.Recent[0].IP != "203.0.113.7" || rep.Recent[0].Route == "" {
		t.Fatalf("report = %+v", rep)
	}
	if st := e.Stats(); st.Suppressed != 1 {
		t.Fatalf("stats = %+v, want 1 suppressed", st)
	}
}

func TestRecord(t *testing.T) {
	type step struct {
		ip, user, violation string
		banned              bool
	}
	tests := []struct {
		name  string
		edit  func(c *Config)
		steps []step
		check func(t *testing.T, bans *ban.Memory)
	}{
		{"non_browser bans at once", nil, []step{{"198.51.100.1", "7", "non_browser", true}}, nil},
		{"anonymous scores and bans the IP", func(c *Config) { c.Interval = 2 }, []step{
			{"198.51.100.2", "", "login_limit", false},
			{"198.51.100.2", "", "login_limit", true},
		}, func(t *testing.T, bans *ban.Memory) {
			l, _ := bans.List(context.Background(), t0)
			if len(l) != 1 || l[0].Target.Kind != ban.KindIP {
				t.Fatalf("bans = %+v", l)
			}
		}},
		{"users and IPs score apart", func(c *Config) { c.Interval = 2 }, []step{
			{"198.51.100.3", "a", "login_limit", false},
			{"198.51.100.3", "b", "login_limit", false},
			{"198.51.100.3", "", "login_limit", false},
			{"198.51.100.3", "a", "login_limit", true},
		}, nil},
		{"types add up", func(c *Config) { c.Interval = 3 }, []step{
			{"198.51.100.4", "c", "login_limit", false},
			{"198.51.100.4", "c", "message_limit", false},
			{"198.51.100.4", "c", "sqli", true}, // an unknown type scores the default 1
		}, nil},
		{"score 0 never bans", func(c *Config) { c.Interval = 1; c.Scores["tts_limit"] = 0 }, []step{
			{"198.51.100.5", "d", "tts_limit", false},
		}, nil},
		{"BAN_VIOLATIONS=false logs only", func(c *Config) { c.Ban = false }, []step{
			{"198.51.100.6", "e", "non_browser", false},
		}, func(t *testing.T, bans *ban.Memory) {
			if l, _ := bans.List(context.Background(), t0); len(l) != 0 {
				t.Fatalf("bans = %+v", l)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			e, bans := newEnforcer(t, cfg, Options{})
			for i, s := range tt.steps {
				_, banned, err := e.Record(context.Background(), request(s.ip, s.user, t0), s.violation)
				if err != nil || banned != s.banned {
					t.Fatalf("step %d: banned=%v err=%v, want %v", i, banned, err, s.banned)
				}
			}
			if tt.check != nil {
				tt.check(t, bans)
			}
		})
	}
}

func TestEscalation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Escalation = Escalation{Enabled: true, Factor: 3, Max: 10 * time.Hour}
	e, _ := newEnforcer(t, cfg, Options{})
	want := []time.Duration{2 * time.Hour, 6 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	at := t0
	for i, w := range want {
		if i > 0 {
			at = at.Add(want[i-1]) // the previous ban is over; scores are kept a day
		}
		b, banned, err := e.Record(context.Background(), request("192.0.2.1", "f", at), "non_browser")
		if err != nil || !banned || b.Until.Sub(at) != w {
			t.Fatalf("ban %d: %v banned=%v err=%v, want %v", i+1, b.Until.Sub(at), banned, err, w)
		}
	}
}

func TestClockBackwardsNeverShortensBan(t *testing.T) {
	e, bans := newEnforcer(t, DefaultConfig(), Options{})
	ctx := context.Background()
	if _, banned, _ := e.Record(ctx, request("192.0.2.2", "g", t0), "non_browser"); !banned {
		t.Fatal("not banned")
	}
	// The clock jumps back 3 hours and another user on the same IP is
	// banned: that IP ban (2h from t0-3h) would end at t0-1h, so the 2h
	// ban from t0 stays.
	b, banned, err := e.Record(ctx, request("192.0.2.2", "h", t0.Add(-3*time.Hour)), "non_browser")
	if err != nil || !banned || b.Target != ban.UserTarget("h") {
		t.Fatalf("user h: %+v banned=%v err=%v", b, banned, err)
	}
	got, ok, _ := bans.Lookup(ctx, ban.IPTarget(netip.MustParseAddr("192.0.2.2")), t0.Add(time.Hour))
	if !ok || !got.Until.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("IP ban after backwards clock = %+v ok=%v", got, ok)
	}
	// User g, banned on the jumped-back clock too, is neither scored nor
	// banned again: no double count, and its ban stays.
	if _, banned, err := e.Record(ctx, request("192.0.2.2", "g", t0.Add(-3*time.Hour)), "non_browser"); banned || err != nil {
		t.Fatalf("user g banned again: %v %v", banned, err)
	}
	rep, _ := e.Violations(ctx, ban.UserTarget("g"), t0.Add(-3*time.Hour))
	if rep.Total != 20 || rep.Counts["non_browser"] != 1 || rep.Bans != 1 || rep.Ban == nil || !rep.Ban.Until.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("user g: %+v", rep)
	}
}

// TestIPv6ScoredPerNetwork: the violations of the addresses of one IPv6
// /64 add up and ban the /64; another /64 is another client.
func TestIPv6ScoredPerNetwork(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Interval = 3
	e, bans := newEnforcer(t, cfg, Options{})
	ctx := context.Background()
	for i, ip := range []string{"2001:db8:2::1", "2001:db8:2::2", "2001:db8:3::1"} {
		if _, banned, err := e.Record(ctx, request(ip, "", t0), "login_limit"); banned || err != nil {
			t.Fatalf("violation %d: banned=%v err=%v", i+1, banned, err)
		}
	}
	b, banned, err := e.Record(ctx, request("2001:db8:2:0:abcd::1", "", t0), "login_limit")
	if !banned || err != nil || b.Target.String() != "ip:2001:db8:2::/64" {
		t.Fatalf("third violation of the /64: %+v banned=%v err=%v", b, banned, err)
	}
	for ip, want := range map[string]bool{"2001:db8:2::1": true, "2001:db8:2::ffff": true, "2001:db8:3::1": false} {
		if _, ok, _ := bans.Lookup(ctx, ban.IPTarget(netip.MustParseAddr(ip)), t0); ok != want {
			t.Errorf("%s banned = %v, want %v", ip, ok, want)
		}
	}
	// Asked about one address, the report is its network's.
	rep, _ := e.Violations(ctx, ban.AddrTarget(netip.MustParseAddr("2001:db8:2::9")), t0)
	if rep.Target != "ip:2001:db8:2::/64" || rep.Total != 3 || rep.Ban == nil || rep.Recent[0].IP != "2001:db8:2:0:abcd::1" {
		t.Fatalf("report = %+v", rep)
	}
	// IPv4-mapped addresses are their IPv4 address.
	e.Record(ctx, request("::ffff:198.51.100.9", "", t0), "login_limit")
	if rep, _ := e.Violations(ctx, ban.IPTarget(netip.MustParseAddr("198.51.100.9")), t0); rep.Total != 1 {
		t.Fatalf("mapped: %+v", rep)
	}
}

func TestIPv6PrefixConfigured(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Interval = 2
	cfg.IPv6Prefix = 128
	e, _ := newEnforcer(t, cfg, Options{})
	ctx := context.Background()
	for _, ip := range []string{"2001:db8:2::1", "2001:db8:2::2"} {
		if _, banned, _ := e.Record(ctx, request(ip, "", t0), "login_limit"); banned {
			t.Fatalf("%s banned: /128 scores each address on its own", ip)
		}
	}
	cfg.IPv6Prefix = 48
	e, _ = newEnforcer(t, cfg, Options{})
	e.Record(ctx, request("2001:db8:2:1::1", "", t0), "login_limit")
	if b, banned, _ := e.Record(ctx, request("2001:db8:2:2::1", "", t0), "login_limit"); !banned || b.Target.String() != "ip:2001:db8:2::/48" {
		t.Fatalf("/48: %+v %v", b, banned)
	}
}

// plainStore is a ban store without ban.Claimer.
type plainStore struct{ m *ban.Memory }

func (p plainStore) Add(ctx context.Context, b ban.Ban) error { return p.m.Add(ctx, b) }
func (p plainStore) Remove(ctx context.Context, t ban.Target) (bool, error) {
	return p.m.Remove(ctx, t)
}
func (p plainStore) Lookup(ctx context.Context, t ban.Target, now time.Time) (ban.Ban, bool, error) {
	return p.m.Lookup(ctx, t, now)
}
func (p plainStore) List(ctx context.Context, now time.Time) ([]ban.Ban, error) {
	return p.m.List(ctx, now)
}

// TestBurstStrikesOnce: a burst of violations decided concurrently — the
// requests were all in flight when the first of them got the client banned
// — places one ban and counts one strike, however many of them cross the
// ban interval (non_browser scores 20: each one would). Before, one burst
// escalated a client to its 4th strike (16h) within a second.
func TestBurstStrikesOnce(t *testing.T) {
	const n = 64
	for _, tc := range []struct {
		name, user string
		plain      bool
	}{
		{"anonymous IPv6", "", false},
		{"user", "u", false},
		{"store without AddIfNone", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bans, _ := ban.NewMemory(context.Background(), nil)
			var store ban.Store = bans
			if tc.plain {
				store = plainStore{bans}
			}
			var onBan atomic.Int32
			e, err := New(DefaultConfig(), store, Options{Logger: discard(), OnBan: func(ban.Ban) { onBan.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var banned atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					// Each request from another address of the client's /64.
					r := request(fmt.Sprintf("2001:db8:2::%x", i+1), tc.user, t0.Add(time.Duration(i)*time.Millisecond))
					_, ok, err := e.Record(ctx, r, "non_browser")
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
			subject := ban.IPTarget(netip.MustParseAddr("2001:db8:2::1"))
			if tc.user != "" {
				subject = ban.UserTarget(tc.user)
			}
			rep, _ := e.Violations(ctx, subject, t0)
			if banned.Load() != 1 || rep.Bans != 1 {
				t.Fatalf("%d requests banned, %d strikes; want 1 and 1", banned.Load(), rep.Bans)
			}
			l, _ := bans.List(ctx, t0)
			wantBans := 1
			if tc.user != "" {
				wantBans = 2 // the user's and the IP's
			}
			if len(l) != wantBans || int(onBan.Load()) != wantBans {
				t.Fatalf("bans %+v, OnBan called %d times, want %d", l, onBan.Load(), wantBans)
			}
			for _, b := range l {
				if d := b.Until.Sub(b.Created); d != 2*time.Hour {
					t.Errorf("%s banned for %v, want the first ban's 2h", b.Target, d)
				}
			}
			if st := e.Stats(); st.Banned != uint64(wantBans) || st.Recorded != n {
				t.Fatalf("stats = %+v", st)
			}
		})
	}
}

type failingTally struct{ calls int }

func (f *failingTally) AddViolation(context.Context, string, Violation, time.Duration, int) (int64, int64, error) {
	f.calls++
	return 0, 0, errors.New("connection refused")
}
func (f *failingTally) Strike(context.Context, string, time.Duration) (int64, error) {
	return 0, errors.New("connection refused")
}
func (f *failingTally) Report(context.Context, string, time.Time) (Report, error) {
	return Report{}, errors.New("connection refused")
}
func (f *failingTally) Forget(context.Context, string) error {
	return errors.New("connection refused")
}

func TestSharedTallyOutage(t *testing.T) {
	ft := &failingTally{}
	e, _ := newEnforcer(t, DefaultConfig(), Options{Tally: ft})
	_, banned, err := e.Record(context.Background(), request("192.0.2.3", "h", t0), "non_browser")
	if err != nil || !banned || ft.calls != 1 {
		t.Fatalf("banned=%v err=%v calls=%d", banned, err, ft.calls)
	}
	if st := e.Stats(); st.Fallbacks != 1 || st.Banned != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestTallyBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients = 100
	e, _ := newEnforcer(t, cfg, Options{})
	for i := range 10_000 {
		ip := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		_, _, _ = e.Record(context.Background(), &abuse.Request{Time: t0, Client: abuse.Client{IP: ip}}, "login_limit")
	}
	if n := e.local.Len(); n != 100 {
		t.Fatalf("tracked %d clients, want the cap 100", n)
	}
}

func TestScoresExpire(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ScoreTTL = time.Hour
	e, _ := newEnforcer(t, cfg, Options{})
	ctx := context.Background()
	e.Record(ctx, request("192.0.2.4", "i", t0), "login_limit")
	e.Record(ctx, request("192.0.2.4", "i", t0.Add(50*time.Minute)), "login_limit")
	rep, _ := e.Violations(ctx, ban.UserTarget("i"), t0.Add(100*time.Minute))
	if rep.Total != 2 {
		t.Fatalf("total %d within ttl of the last violation, want 2", rep.Total)
	}
	rep, _ = e.Violations(ctx, ban.UserTarget("i"), t0.Add(111*time.Minute))
	if rep.Total != 0 {
		t.Fatalf("total %d after ttl, want 0", rep.Total)
	}
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(c Config) bool
		err   string
	}{
		{"librechat arithmetic", map[string]string{"BAN_DURATION": "1000 * 60 * 60 * 2", "BAN_INTERVAL": "20", "BAN_VIOLATIONS": "true"},
			func(c Config) bool { return c.Duration == 2*time.Hour && c.Interval == 20 && c.Ban }, ""},
		{"go duration", map[string]string{"BAN_DURATION": "90m"}, func(c Config) bool { return c.Duration == 90*time.Minute }, ""},
		{"off", map[string]string{"BAN_VIOLATIONS": "false"}, func(c Config) bool { return !c.Ban }, ""},
		{"scores", map[string]string{"NON_BROWSER_VIOLATION_SCORE": "5", "LOGIN_VIOLATION_SCORE": "0"},
			func(c Config) bool { return c.Scores["non_browser"] == 5 && c.Scores["login_limit"] == 0 }, ""},
		{"bad duration", map[string]string{"BAN_DURATION": "abc"}, nil, `BAN_DURATION: "abc" is neither`},
		{"tiny duration", map[string]string{"BAN_DURATION": "5"}, nil, "BAN_DURATION: must be at least 1000"},
		{"overflow", map[string]string{"BAN_DURATION": "99999999999 * 99999999999"}, nil, "BAN_DURATION:"},
		{"interval", map[string]string{"BAN_INTERVAL": "0"}, nil, "BAN_INTERVAL: must be > 0"},
		{"bool", map[string]string{"BAN_VIOLATIONS": "sometimes"}, nil, "BAN_VIOLATIONS:"},
		{"negative score", map[string]string{"MESSAGE_VIOLATION_SCORE": "-1"}, nil, "MESSAGE_VIOLATION_SCORE: must be >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			err := c.ApplyEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("ApplyEnv = %v, want prefix %q", err, tt.err)
				}
				return
			}
			if err != nil || c.Validate() != nil || !tt.check(c) {
				t.Fatalf("ApplyEnv = %v, config %+v", err, c)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		edit func(c *Config)
		want string
	}{
		{func(c *Config) { c.Interval = 0 }, "ban_interval:"},
		{func(c *Config) { c.Duration = 0 }, "ban_duration:"},
		{func(c *Config) { c.Scores = map[string]int64{"Bad Type": 1} }, "scores.Bad Type:"},
		{func(c *Config) { c.Scores = map[string]int64{"x": -1} }, "scores.x:"},
		{func(c *Config) { c.Escalation.Max = time.Minute }, "escalation.max:"},
		{func(c *Config) { c.Escalation.Factor = 0.5 }, "escalation.factor:"},
		{func(c *Config) { c.MaxClients = 0 }, "max_clients:"},
		{func(c *Config) { c.IPv6Prefix = 0 }, "ipv6_prefix:"},
		{func(c *Config) { c.IPv6Prefix = 16 }, "ipv6_prefix:"},
		{func(c *Config) { c.IPv6Prefix = 129 }, "ipv6_prefix:"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func ExampleEnforcer_Record() {
	bans, _ := ban.NewMemory(context.Background(), nil)
	cfg := DefaultConfig()
	_ = cfg.ApplyEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"BAN_DURATION": "1000 * 60 * 60 * 2", "BAN_INTERVAL": "20"}[k]
		return v, ok
	})
	e, _ := New(cfg, bans, Options{Logger: discard()})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &abuse.Request{Time: at, Client: abuse.Client{IP: netip.MustParseAddr("203.0.113.7"), User: "42"}}
	b, banned, _ := e.Record(context.Background(), r, "non_browser") // scores 20
	fmt.Println(banned, b.Target, b.Until.Sub(at))
	l, _ := bans.List(context.Background(), at)
	fmt.Println(len(l))
	// Output:
	// true user:42 2h0m0s
	// 2
}
