package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
)

// fakeClock is a settable clock for the engine.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is a Channel that keeps what it was sent, failing first with
// the errors in fail.
type recorder struct {
	name string
	mu   sync.Mutex
	got  []Notification
	fail []error
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Send(_ context.Context, n Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		return err
	}
	r.got = append(r.got, n)
	return nil
}

// firing returns the firing messages sent.
func (r *recorder) firing() []Notification {
	var out []Notification
	for _, n := range r.sent() {
		if n.Status == Firing {
			out = append(out, n)
		}
	}
	return out
}

func (r *recorder) sent() []Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Notification(nil), r.got...)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestEngine(t *testing.T, cfg Config, opts Options) (*Engine, *fakeClock, *recorder) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	rec := &recorder{name: "rec"}
	if opts.Channels == nil {
		opts.Channels = []Channel{rec}
	}
	opts.Now, opts.Log = clk.Now, quiet()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(cfg, opts), clk, rec
}

func blocked(ip, route string) (*abuse.Request, abuse.Outcome) {
	r := &abuse.Request{Route: route, Client: abuse.Client{IP: netip.MustParseAddr(ip)}}
	return r, abuse.Outcome{Status: 403, Action: abuse.Block,
		Verdicts: []abuse.Verdict{{Detector: "payload", Confidence: 0.9, Action: abuse.Block, Violation: "sqli"}}}
}

// run advances the clock by step, ticking each time, for total.
func run(ctx context.Context, e *Engine, clk *fakeClock, total, step time.Duration, each func()) {
	for d := time.Duration(0); d < total; d += step {
		if each != nil {
			each()
		}
		clk.Add(step)
		e.Tick(ctx)
	}
}

func TestGroupingAndResolve(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Rules.NewAttackClass.Enabled = false
	e, clk, rec := newTestEngine(t, cfg, Options{})
	// 30 minutes of 200 blocked requests a minute on one route, then
	// quiet.
	run(ctx, e, clk, 30*time.Minute, 10*time.Second, func() {
		for i := range 33 {
			e.Observe(blocked(fmt.Sprintf("203.0.113.%d", i), "POST /api/auth/login"))
		}
	})
	firing := rec.sent()
	if len(firing) != 1 || firing[0].Status != Firing || firing[0].Rule != "blocked" {
		t.Fatalf("during the attack got %d messages %+v, want one firing message", len(firing), firing)
	}
	if !strings.Contains(firing[0].Title, "POST /api/auth/login") {
		t.Errorf("title %q does not name the route", firing[0].Title)
	}
	run(ctx, e, clk, 30*time.Minute, 10*time.Second, nil)
	all := rec.sent()
	if len(all) != 2 || all[1].Status != Resolved {
		t.Fatalf("after the attack got %d messages, want the firing one and one resolved: %+v", len(all), all)
	}
	run(ctx, e, clk, 5*time.Hour, time.Minute, nil)
	if n := len(rec.sent()); n != 2 {
		t.Fatalf("quiet hours sent %d messages in all, want still 2 (resolved once)", n)
	}
}

func TestRepeatInterval(t *testing.T) {
	ctx := context.Background()
	e, clk, rec := newTestEngine(t, DefaultConfig(), Options{})
	// A store outage that lasts 9 hours: sent once, then every 4h.
	run(ctx, e, clk, 9*time.Hour, time.Minute, func() { e.StoreFallback("redis") })
	got := rec.sent()
	if len(got) != 3 {
		t.Fatalf("a 9h outage sent %d messages, want 3 (start, +4h, +8h)", len(got))
	}
	for _, n := range got {
		if n.Rule != "store_outage" || n.Status != Firing || n.Alerts[0].Scope != "redis" {
			t.Fatalf("message %+v, want store_outage firing on redis", n)
		}
	}
}

func TestRulesOff(t *testing.T) {
	tests := []struct {
		name string
		off  func(*Config)
		feed func(*Engine)
	}{
		{"store_outage", func(c *Config) { c.Rules.StoreOutage.Enabled = false }, func(e *Engine) { e.StoreFallback("postgres") }},
		{"dropped_events", func(c *Config) { c.Rules.DroppedEvents.Enabled = false }, func(e *Engine) { e.DroppedEvent() }},
		{"error_rate", func(c *Config) { c.Rules.ErrorRate.Enabled = false }, func(e *Engine) { e.PanicRecovered() }},
		{"ban", func(c *Config) { c.Rules.Ban.Enabled, c.Rules.RepeatBan.Enabled = false, false }, func(e *Engine) {
			e.Banned(ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("198.51.100.9")), Until: e.now().Add(time.Hour)})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, off := range []bool{false, true} {
				cfg := DefaultConfig()
				if off {
					tc.off(&cfg)
				}
				e, clk, rec := newTestEngine(t, cfg, Options{})
				run(context.Background(), e, clk, 2*time.Minute, 10*time.Second, func() {
					for range 10 {
						tc.feed(e)
					}
				})
				if got := len(rec.sent()); (got == 0) != off {
					t.Fatalf("off=%v: %d messages", off, got)
				}
			}
		})
	}
}

func TestBanMutesWarnings(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Rules.NewAttackClass.Enabled = false
	cfg.Rules.Blocked.Threshold = 10
	e, clk, rec := newTestEngine(t, cfg, Options{})
	for range 20 {
		e.Observe(blocked("203.0.113.7", "POST /api/search"))
	}
	e.Banned(ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("203.0.113.7")), Until: clk.Now().Add(3 * time.Minute)})
	run(ctx, e, clk, 2*time.Minute, 10*time.Second, nil)
	got := rec.sent()
	if len(got) != 1 || got[0].Rule != "ban" {
		t.Fatalf("got %+v, want only the ban message (the block alert is explained by it)", got)
	}
	if !strings.Contains(Text(got[0]), "ip:203.0.113.7") {
		t.Errorf("ban message does not name the client:\n%s", Text(got[0]))
	}
	// The muted alert also ends silently: only the ban resolves.
	run(ctx, e, clk, time.Hour, time.Minute, nil)
	for _, n := range rec.sent()[1:] {
		if n.Rule != "ban" || n.Status != Resolved {
			t.Errorf("after the attack: %s, want only the ban resolved", n.Title)
		}
	}
}

func TestCapAndDigest(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.MaxPerHour = 2
	cfg.Rules.NewAttackClass.Enabled = false
	e, clk, rec := newTestEngine(t, cfg, Options{})
	// Five different rules fire at once; two messages fit the cap.
	e.StoreFallback("redis")
	e.DroppedEvent()
	e.PanicRecovered()
	for range 5 {
		e.PanicRecovered()
	}
	e.Banned(ban.Ban{Target: ban.UserTarget("42"), Until: clk.Now().Add(time.Hour)})
	run(ctx, e, clk, time.Hour, time.Minute, nil)
	got := rec.sent()
	var alerts, digests int
	for _, n := range got {
		switch n.Type {
		case "alert":
			alerts++
		case "digest":
			digests++
			if len(n.Held) == 0 {
				t.Errorf("digest lists nothing: %+v", n)
			}
		}
	}
	if alerts != 2 || digests != 1 {
		t.Fatalf("got %d alert messages and %d digests, want 2 and 1: %+v", alerts, digests, got)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{name: "rec", fail: []error{
		&RetryError{Err: errors.New("receiver answered 429"), RetryAfter: 20 * time.Minute},
	}}
	ob := &MemoryOutbox{}
	reg := prometheus.NewRegistry()
	e, clk, _ := newTestEngine(t, DefaultConfig(), Options{Channels: []Channel{rec}, Outbox: ob, Registerer: reg})
	e.DroppedEvent()
	run(ctx, e, clk, time.Minute, 10*time.Second, nil)
	if got := counterValue(t, reg, "warden_alerts_failures_total", "final", "false"); got != 1 {
		t.Errorf("warden_alerts_failures_total{final=false} = %v, want 1", got)
	}
	if len(rec.firing()) != 0 {
		t.Fatal("sent although the receiver refused")
	}
	run(ctx, e, clk, 18*time.Minute, time.Minute, nil)
	if len(rec.firing()) != 0 {
		t.Fatal("retried before Retry-After")
	}
	run(ctx, e, clk, 3*time.Minute, time.Minute, nil)
	if len(rec.firing()) != 1 {
		t.Fatalf("not retried after Retry-After: %d sent", len(rec.firing()))
	}
	h, _ := ob.Deliveries(ctx, time.Time{}, 10)
	if got := counterValue(t, reg, "warden_alerts_sent_total", "channel", "rec"); got < 1 {
		t.Errorf("warden_alerts_sent_total = %v, want at least 1", got)
	}
	if first := h[len(h)-1]; first.Status != Sent || first.Attempts != 2 {
		t.Fatalf("history %+v, want the first delivery sent on attempt 2", h)
	}
}

func TestFinalFailure(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{name: "rec", fail: []error{errors.New("receiver answered 400")}}
	ob := &MemoryOutbox{}
	e, clk, _ := newTestEngine(t, DefaultConfig(), Options{Channels: []Channel{rec}, Outbox: ob})
	e.DroppedEvent()
	run(ctx, e, clk, time.Hour, time.Minute, nil)
	h, _ := ob.Deliveries(ctx, time.Time{}, 10)
	if first := h[len(h)-1]; first.Status != Failed || first.Attempts != 1 || !strings.Contains(first.Error, "400") {
		t.Fatalf("history %+v, want the first delivery failed after one attempt", h)
	}
}

// A restart loses nothing: what the outbox holds is sent by the next
// engine.
func TestOutboxSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	ob := &MemoryOutbox{}
	down := &recorder{name: "rec", fail: []error{&RetryError{Err: errors.New("connection refused")}}}
	e, clk, _ := newTestEngine(t, DefaultConfig(), Options{Channels: []Channel{down}, Outbox: ob})
	e.StoreFallback("postgres")
	run(ctx, e, clk, time.Minute, 10*time.Second, nil)
	up := &recorder{name: "rec"}
	e2 := New(DefaultConfig(), Options{Channels: []Channel{up}, Outbox: ob, Now: func() time.Time { return clk.Now().Add(2 * time.Hour) }, Log: quiet()})
	e2.Tick(ctx)
	if got := up.sent(); len(got) != 1 || got[0].Rule != "store_outage" {
		t.Fatalf("after restart sent %+v, want the stored store_outage message", got)
	}
}

// counterValue reads the counter name{label=value} from reg; 0 when absent.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// With no channel, alerts are still kept in the incident log.
func TestNoChannelLogs(t *testing.T) {
	ob := &MemoryOutbox{}
	clk := &fakeClock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	e := New(DefaultConfig(), Options{Outbox: ob, Now: clk.Now, Log: quiet()})
	e.StoreFallback("redis")
	run(context.Background(), e, clk, time.Minute, 10*time.Second, nil)
	h, _ := ob.Deliveries(context.Background(), time.Time{}, 10)
	if len(h) != 1 || h[0].Channel != "log" || h[0].Status != Logged || h[0].Notification.Rule != "store_outage" {
		t.Fatalf("incident log %+v, want the store_outage alert logged", h)
	}
}

// A group of many alerts lists MaxListed and counts the rest.
func TestMessageListsAtMost(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules.Ban.Enabled = false
	e, clk, rec := newTestEngine(t, cfg, Options{})
	for i := range MaxListed + 20 {
		target := ban.IPTarget(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}))
		e.Banned(ban.Ban{Target: target, Until: clk.Now().Add(time.Minute)})
		e.Banned(ban.Ban{Target: target, Until: clk.Now().Add(time.Minute)})
	}
	run(context.Background(), e, clk, time.Minute, 10*time.Second, nil)
	got := rec.sent()
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	if len(got[0].Alerts) != MaxListed || got[0].More != 20 {
		t.Fatalf("the message lists %d and counts %d more, want %d and 20", len(got[0].Alerts), got[0].More, MaxListed)
	}
	if !strings.Contains(got[0].Title, "(70)") || !strings.Contains(Text(got[0]), "and 20 more") {
		t.Errorf("title %q or text does not count all 70", got[0].Title)
	}
}
