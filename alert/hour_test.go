package alert_test

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/internal/testbin"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/redis"
)

// startRedis starts a redis-server the test owns and returns its URL. It
// skips when redis-server is not installed, and fails when CI=true.
func startRedis(t *testing.T) string {
	t.Helper()
	bin := testbin.Find(t, "redis-server", "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling readiness, not timing a result
	}
	return "redis://" + addr + "/0"
}

// attacker is one simulated client of the hour, after the demo's cast.
type attacker struct {
	ip        netip.Addr
	route     string
	violation string
	action    abuse.Action
	perMinute float64
	strikes   int
	banned    time.Time // until
}

// attackHour feeds one simulated hour (fake clock) of traffic to the
// engines, splitting clients between them as a load balancer would: a
// crowd of ordinary users and the demo's attackers (credential stuffers,
// enumerators, scanners, injectors, prompt injectors, flooders), banned
// after 5 blocked requests for 15 minutes, then back. It returns how many
// decisions were made.
func attackHour(ctx context.Context, clk *alert.FakeClock, engines []*alert.Engine) int {
	rng := rand.New(rand.NewPCG(1, 2))
	var cast []*attacker
	add := func(n int, route, violation string, action abuse.Action, perMinute float64) {
		for range n {
			ip := netip.AddrFrom4([4]byte{203, 0, byte(113 + len(cast)/250), byte(len(cast) % 250)})
			cast = append(cast, &attacker{ip: ip, route: route, violation: violation, action: action, perMinute: perMinute})
		}
	}
	add(20, "POST /api/auth/login", "credential_stuffing", abuse.Block, 6)
	add(10, "GET /api/users/{id}", "id_enumeration", abuse.Block, 6)
	add(10, "", "sensitive_path", abuse.Block, 4)
	add(30, "GET /api/search", "sqli", abuse.Block, 3)
	add(10, "POST /api/ask/{rest...}", "prompt_injection", abuse.Block, 2)
	add(10, "POST /api/ask/{rest...}", "rate_limit", abuse.Throttle, 20)
	pick := func(ip netip.Addr) *alert.Engine { return engines[int(ip.As4()[3])%len(engines)] }
	decisions := 0
	for sec := 0; sec < 3600; sec++ {
		now := clk.Now()
		// Ordinary users: 5 requests a second, allowed.
		for range 5 {
			ip := netip.AddrFrom4([4]byte{198, 51, byte(rng.IntN(200)), byte(rng.IntN(250))})
			r := &abuse.Request{Route: "GET /api/items", Client: abuse.Client{IP: ip}}
			pick(ip).Observe(r, abuse.Outcome{Status: 200, Action: abuse.Allow})
			decisions++
		}
		for _, a := range cast {
			if rng.Float64() >= a.perMinute/60 {
				continue
			}
			e := pick(a.ip)
			r := &abuse.Request{Route: a.route, Client: abuse.Client{IP: a.ip}}
			decisions++
			if now.Before(a.banned) {
				e.Observe(r, abuse.Outcome{Status: 403, Action: abuse.Ban,
					Verdicts: []abuse.Verdict{{Detector: "ban", Confidence: 1, Action: abuse.Ban}}})
				continue
			}
			e.Observe(r, abuse.Outcome{Status: 403, Action: a.action,
				Verdicts: []abuse.Verdict{{Detector: "test", Confidence: 0.95, Action: a.action, Violation: a.violation}}})
			if a.strikes++; a.strikes%5 == 0 {
				a.banned = now.Add(15 * time.Minute)
				e.Banned(ban.Ban{Target: ban.IPTarget(a.ip), Created: now, Until: a.banned})
			}
		}
		clk.Add(time.Second)
		if sec%5 == 4 {
			// Alternate who ticks first, so neither instance always
			// wins the claims.
			for i := range engines {
				engines[(i+sec/5)%len(engines)].Tick(ctx)
			}
		}
	}
	return decisions
}

// TestAttackHour: an hour of attack traffic (about 50,000 decisions)
// over two instances sharing a real Redis, or a real PostgreSQL (claims
// and the outbox, as warden serve shares them), makes at most 10
// messages per channel, and no alert is told by both instances.
func TestAttackHour(t *testing.T) {
	tests := []struct {
		store   string
		claimer func(t *testing.T) func() alert.Claimer
	}{
		{"redis", func(t *testing.T) func() alert.Claimer {
			url := startRedis(t)
			return func() alert.Claimer {
				rc := redis.DefaultConfig()
				rc.URL = url
				rs, err := redis.New(context.Background(), rc, redis.Options{Logger: alert.Quiet()})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { rs.Close() })
				return rs
			}
		}},
		{"postgres", func(t *testing.T) func() alert.Claimer {
			dsn := pgtest.New(t).NewDatabase(t)
			return func() alert.Claimer {
				pc := postgres.DefaultConfig()
				pc.DSN = dsn
				ps, err := postgres.Open(context.Background(), pc, postgres.Options{Logger: alert.Quiet()})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ps.Close() })
				return ps
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.store, func(t *testing.T) { attackHourOver(t, tc.claimer(t)) })
	}
}

func attackHourOver(t *testing.T, newClaimer func() alert.Claimer) {
	ctx := context.Background()
	clk := alert.NewFakeClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	type instance struct {
		e     *alert.Engine
		email *alert.Recorder
		hook  *alert.Recorder
	}
	var insts []instance
	var engines []*alert.Engine
	for range 2 {
		in := instance{email: alert.NewRecorder("email"), hook: alert.NewRecorder("webhook")}
		opts := alert.Options{Channels: []alert.Channel{in.email, in.hook}, Claimer: newClaimer(), Now: clk.Now, Log: alert.Quiet()}
		if ps, ok := opts.Claimer.(*postgres.Store); ok {
			// As warden serve: instances on PostgreSQL share its outbox,
			// so either may send what the other queued.
			opts.Outbox = &alert.Failover{Shared: ps.AlertOutbox(), Local: &alert.MemoryOutbox{}}
		}
		in.e = alert.New(alert.DefaultConfig(), opts)
		insts = append(insts, in)
		engines = append(engines, in.e)
	}
	decisions := attackHour(ctx, clk, engines)
	// The hour ends; the digest of what the caps held back goes out.
	clk.Add(time.Minute)
	for _, e := range engines {
		e.Tick(ctx)
	}
	if decisions < 45000 || decisions > 60000 {
		t.Fatalf("the hour made %d decisions, want about 50,000", decisions)
	}
	for _, ch := range []string{"email", "webhook"} {
		var msgs []alert.Notification
		told := map[string]int{} // alert state → the instance that told it
		for i, in := range insts {
			rec := in.email
			if ch == "webhook" {
				rec = in.hook
			}
			for _, n := range rec.Sent() {
				msgs = append(msgs, n)
				for _, a := range n.Alerts {
					k := alert.ClaimKey(a, a.State)
					if j, ok := told[k]; ok && j != i {
						t.Errorf("%s: alert %s told by both instances", ch, k)
					}
					told[k] = i
				}
			}
		}
		var titles []string
		for _, n := range msgs {
			titles = append(titles, n.Title)
		}
		t.Logf("%s: %d decisions gave %d messages:\n%s", ch, decisions, len(msgs), strings.Join(titles, "\n"))
		if len(msgs) > 10 {
			t.Errorf("%s got %d messages in the hour, want at most 10", ch, len(msgs))
		}
		if len(msgs) == 0 {
			t.Errorf("%s got no message about an hour of attacks", ch)
		}
	}
}
