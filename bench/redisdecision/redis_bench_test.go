package redisdecision

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/testbin"
	"github.com/warden-dev/warden/ratelimit"
	"github.com/warden-dev/warden/store/redis"
)

// BenchmarkRedisDecision compares one shared GCRA decision for one of 10k
// clients, on the same redis-server: Warden's Limiter on store/redis
// against redis_rate. Both make one round trip.
func BenchmarkRedisDecision(b *testing.B) {
	addr := startRedis(b)
	ips := make([]netip.Addr, 10_000)
	keys := make([]string, len(ips))
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		keys[i] = "ip:" + ips[i].String()
	}
	ctx := context.Background()
	now := time.Now()
	b.Run("warden", func(b *testing.B) {
		cfg := ratelimit.DefaultConfig()
		cfg.Policies = []ratelimit.Policy{{Name: "api", Algorithm: ratelimit.GCRA, Limit: 1_000_000, Window: time.Second}}
		l := limiter(b, cfg, newStore(b, client(b, addr)))
		r := &abuse.Request{Time: now}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Client.IP = ips[i%len(ips)]
			if v := l.Detect(ctx, r); v.Found() {
				b.Fatal("throttled")
			}
		}
		if l.Stats().Fallbacks != 0 {
			b.Fatal("fell back to memory")
		}
	})
	b.Run("redis_rate", func(b *testing.B) {
		lim := redis_rate.NewLimiter(client(b, addr))
		limit := redis_rate.PerSecond(1_000_000)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			res, err := lim.Allow(ctx, keys[i%len(keys)], limit)
			if err != nil || res.Allowed == 0 {
				b.Fatal("throttled", err)
			}
		}
	})
	b.Run("warden-librechat-message", func(b *testing.B) {
		// LibreChat's message limits: per IP, per user and concurrency,
		// decided in one round trip, plus the slot release in Observe.
		l := limiter(b, ratelimit.DefaultConfig(), newStore(b, client(b, addr)))
		r := &abuse.Request{Class: "message", ID: "bench"}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Client.IP, r.Client.User = ips[i%len(ips)], keys[i%len(keys)]
			r.Time = now.Add(time.Duration(i) * time.Millisecond)
			if v := l.Detect(ctx, r); v.Found() {
				b.Fatal("throttled", v.Messages)
			}
			l.Observe(r, abuse.Outcome{Status: 200})
		}
	})
}

// startRedis starts redis-server without persistence on a free port and
// returns its address. It skips when redis-server is not installed, unless
// CI=true.
func startRedis(tb testing.TB) string {
	tb.Helper()
	bin := testbin.Find(tb, "redis-server", "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := client(tb, addr)
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			tb.Fatal("redis-server did not answer within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling readiness, not timing a result
	}
	return addr
}

// client opens a go-redis client closed with tb, so that each sub-benchmark
// has its own connection pool.
func client(tb testing.TB, addr string) *goredis.Client {
	tb.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: 1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	tb.Cleanup(func() { c.Close() })
	return c
}

func newStore(tb testing.TB, c *goredis.Client) *redis.Store {
	tb.Helper()
	s, err := redis.New(context.Background(), redis.DefaultConfig(), redis.Options{Client: c})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func limiter(tb testing.TB, cfg ratelimit.Config, b ratelimit.Backend) *ratelimit.Limiter {
	tb.Helper()
	l, err := ratelimit.New(cfg, ratelimit.Options{Backend: b})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}
