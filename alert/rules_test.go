package alert

import (
	"context"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/race"
)

// Each rule raises its alert from what the server feeds the engine, and
// names what happened.
func TestRulesFire(t *testing.T) {
	var judgeFailures, throttled atomic.Uint64
	tests := []struct {
		rule string
		feed func(e *Engine, i int)
		want string // in the summary
	}{
		{"credential_stuffing", func(e *Engine, i int) {
			r := &abuse.Request{Route: "POST /api/auth/login", Client: abuse.Client{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})}}
			e.Observe(r, abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: []abuse.Verdict{
				{Detector: "behavior", Confidence: 0.95, Action: abuse.Block, Violation: "credential_stuffing"}}})
		}, "credential_stuffing findings on POST /api/auth/login"},
		{"new_attack_class", func(e *Engine, i int) {
			if i == 0 {
				e.Observe(blocked("203.0.113.9", "GET /api/search"))
			}
		}, `attack class "sqli" seen`},
		{"new_attack_class", func(e *Engine, i int) {
			// As the server sees it: no Acts, the policy refused the
			// request on the verdict's confidence.
			r := &abuse.Request{Route: "POST /api/comments", Client: abuse.Client{IP: netip.MustParseAddr("203.0.113.8")}}
			e.Observe(r, abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: []abuse.Verdict{
				{Detector: "payload", Confidence: 0.4, Violation: "grey_thing"},
				{Detector: "payload", Confidence: 0.92, Violation: "xss"}}})
		}, `attack class "xss" seen`},
		{"repeat_ban", func(e *Engine, i int) {
			if i < 2 {
				e.Banned(ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("203.0.113.5")), Until: e.now().Add(time.Minute)})
			}
		}, "ip:203.0.113.5 banned"},
		{"llm_unavailable", func(e *Engine, i int) { judgeFailures.Add(1) }, "judge calls failed or timed out"},
		{"budget_exhausted", func(e *Engine, i int) { throttled.Add(2) }, "throttled by an exhausted token budget"},
		{"store_outage", func(e *Engine, i int) { e.StoreFallback("postgres") }, "because postgres failed"},
		{"dropped_events", func(e *Engine, i int) { e.DroppedEvent() }, "decision-log events dropped"},
		{"error_rate", func(e *Engine, i int) { e.PanicRecovered() }, "internal errors"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			e, clk, rec := newTestEngine(t, DefaultConfig(), Options{})
			e.WatchCounters(func() map[string]uint64 {
				return map[string]uint64{"warden_ai_llm_failures_total": judgeFailures.Load(), "warden_ai_budget_throttled_total": throttled.Load()}
			})
			e.Tick(context.Background()) // the counters' starting point
			run(context.Background(), e, clk, 2*time.Minute, 10*time.Second, func() {
				for i := range 10 {
					tc.feed(e, i)
				}
			})
			var found bool
			for _, n := range rec.sent() {
				for _, a := range n.Alerts {
					if a.Rule == tc.rule && strings.Contains(a.Summary, tc.want) {
						found = true
					}
				}
			}
			if !found {
				t.Fatalf("no %s alert saying %q in %+v", tc.rule, tc.want, rec.sent())
			}
		})
	}
}

// Nobody is alerted about ordinary traffic, however much of it.
func TestOrdinaryTrafficIsQuiet(t *testing.T) {
	e, clk, rec := newTestEngine(t, DefaultConfig(), Options{})
	run(context.Background(), e, clk, time.Hour, 10*time.Second, func() {
		for i := range 200 {
			r := &abuse.Request{Route: "GET /api/items", Client: abuse.Client{IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})}}
			e.Observe(r, abuse.Outcome{Status: 200, Action: abuse.Allow})
			// A grey finding that was let through is no attack.
			e.Observe(r, abuse.Outcome{Status: 200, Action: abuse.Log, Verdicts: []abuse.Verdict{
				{Detector: "payload", Confidence: 0.6, Violation: "xss"}}, Acts: []abuse.Action{abuse.Log}})
		}
	})
	if got := rec.sent(); len(got) != 0 {
		t.Fatalf("ordinary traffic raised %d messages: %+v", len(got), got)
	}
}

// A million clients, each blocked once and banned once, leave the engine
// within its bounds.
func TestMillionClientsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a million clients")
	}
	e, clk, _ := newTestEngine(t, DefaultConfig(), Options{})
	n := 1_000_000
	if race.Enabled {
		n = 100_000 // still 100 times the caps; the race detector makes a million take a minute
	}
	for i := range n {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		r := &abuse.Request{Route: "GET /api/search", Client: abuse.Client{IP: ip}}
		e.Observe(r, abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: []abuse.Verdict{{Detector: "payload", Confidence: 0.9, Action: abuse.Block, Violation: "sqli"}}})
		e.Banned(ban.Ban{Target: ban.IPTarget(ip), Until: clk.Now().Add(time.Hour)})
		if i%100_000 == 0 {
			e.Tick(context.Background())
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.counters) > maxCountersPerRule*len(e.rules) || len(e.banned) > maxBanned || len(e.alerts) > maxCountersPerRule {
		t.Fatalf("state grew: %d counters, %d banned, %d alerts", len(e.counters), len(e.banned), len(e.alerts))
	}
}

// BenchmarkObserve is the engine's cost per request: an allowed request
// that found nothing, and a blocked one.
func BenchmarkObserve(b *testing.B) {
	e := New(DefaultConfig(), Options{Log: quiet()})
	allow := &abuse.Request{Route: "GET /api/items", Client: abuse.Client{IP: netip.MustParseAddr("198.51.100.7")}}
	b.Run("allow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Observe(allow, abuse.Outcome{Status: 200})
		}
	})
	r, o := blocked("203.0.113.7", "GET /api/search")
	b.Run("block", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Observe(r, o)
		}
	})
}

// BenchmarkObserveParallel: refused requests from many goroutines, the
// engine's one lock under contention.
func BenchmarkObserveParallel(b *testing.B) {
	e := New(DefaultConfig(), Options{Log: quiet()})
	r, o := blocked("203.0.113.7", "GET /api/search")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.Observe(r, o)
		}
	})
}
