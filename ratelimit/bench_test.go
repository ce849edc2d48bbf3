package ratelimit

import (
	"context"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/cputime"
	"golang.org/x/time/rate"
)

func benchIPs(n int) []netip.Addr {
	ips := make([]netip.Addr, n)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	}
	return ips
}

func benchLimiter(b *testing.B) *Limiter {
	cfg := DefaultConfig()
	cfg.Policies = []Policy{{Name: "api", Algorithm: GCRA, Limit: 1_000_000, Window: time.Second}}
	l, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkDecision compares one limiter decision for one of 10k clients:
// Warden's Limiter (keyed, GCRA) against golang.org/x/time/rate, both as a
// single unkeyed token bucket and as the usual keyed pattern (a map of
// rate.Limiter behind a mutex). Run with
//
//	go test ./ratelimit -run '^$' -bench Decision -benchmem -count 6
func BenchmarkDecision(b *testing.B) {
	ips := benchIPs(10_000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Run("warden", func(b *testing.B) {
		l := benchLimiter(b)
		r := &abuse.Request{Time: now}
		ctx := context.Background()
		b.ReportAllocs()
		defer cputime.Report(b, cputime.Process())
		for i := 0; b.Loop(); i++ {
			r.Client.IP = ips[i%len(ips)]
			if v := l.Detect(ctx, r); v.Found() {
				b.Fatal("throttled")
			}
		}
	})
	b.Run("x-time-rate-single", func(b *testing.B) {
		lim := rate.NewLimiter(1_000_000, 1_000_000)
		b.ReportAllocs()
		defer cputime.Report(b, cputime.Process())
		for i := 0; b.Loop(); i++ {
			if !lim.AllowN(now.Add(time.Duration(i)*time.Microsecond), 1) {
				b.Fatal("throttled")
			}
		}
	})
	b.Run("x-time-rate-keyed", func(b *testing.B) {
		var mu sync.Mutex
		m := map[netip.Addr]*rate.Limiter{}
		b.ReportAllocs()
		defer cputime.Report(b, cputime.Process())
		for i := 0; b.Loop(); i++ {
			ip := ips[i%len(ips)]
			mu.Lock()
			lim, ok := m[ip]
			if !ok {
				lim = rate.NewLimiter(1_000_000, 1_000_000)
				m[ip] = lim
			}
			mu.Unlock()
			if !lim.AllowN(now, 1) {
				b.Fatal("throttled")
			}
		}
	})
}

// BenchmarkDecisionParallel is BenchmarkDecision from GOMAXPROCS goroutines.
func BenchmarkDecisionParallel(b *testing.B) {
	ips := benchIPs(10_000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Run("warden", func(b *testing.B) {
		l := benchLimiter(b)
		ctx := context.Background()
		b.ReportAllocs()
		defer cputime.Report(b, cputime.Process())
		b.RunParallel(func(pb *testing.PB) {
			r := &abuse.Request{Time: now}
			for i := 0; pb.Next(); i++ {
				r.Client.IP = ips[i%len(ips)]
				l.Detect(ctx, r)
			}
		})
	})
	b.Run("x-time-rate-keyed", func(b *testing.B) {
		var mu sync.Mutex
		m := map[netip.Addr]*rate.Limiter{}
		b.ReportAllocs()
		defer cputime.Report(b, cputime.Process())
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				ip := ips[i%len(ips)]
				mu.Lock()
				lim, ok := m[ip]
				if !ok {
					lim = rate.NewLimiter(1_000_000, 1_000_000)
					m[ip] = lim
				}
				mu.Unlock()
				lim.AllowN(now, 1)
			}
		})
	})
}

// BenchmarkLibreChatMessage is a message request under LibreChat's default
// limits: per-IP and per-user windows and the concurrency slot, released
// by Observe.
func BenchmarkLibreChatMessage(b *testing.B) {
	l, err := New(DefaultConfig(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ips := benchIPs(10_000)
	users := make([]string, len(ips))
	for i := range users {
		users[i] = "user-" + ips[i].String()
	}
	r := &abuse.Request{Class: "message"}
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	defer cputime.Report(b, cputime.Process())
	for i := 0; b.Loop(); i++ {
		r.Client.IP, r.Client.User = ips[i%len(ips)], users[i%len(ips)]
		r.Time = now.Add(time.Duration(i) * time.Millisecond)
		if v := l.Detect(ctx, r); v.Found() {
			b.Fatal("throttled")
		}
		l.Observe(r, abuse.Outcome{Status: 200})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryBounded floods a limiter capped at 100k clients with 1M
// distinct addresses: the table stays at its cap, memory stays what the
// cap costs, and each tracked client costs at most 300 bytes.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("floods 1M addresses")
	}
	const capClients, flood = 100_000, 1_000_000
	cfg := DefaultConfig()
	cfg.MaxClients = capClients
	cfg.Policies = []Policy{{Name: "login", Algorithm: Window, Limit: 7, Window: 5 * time.Minute, Classes: []string{"login"}}}
	before := heapInUse()
	l, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &abuse.Request{Class: "login", Time: t0}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			r.Client.IP = netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
			l.Detect(ctx, r)
		}
	}
	send(0, capClients)
	atCap := heapInUse()
	send(capClients, flood)
	after := heapInUse()
	st := l.Stats()
	perClient := float64(atCap-before) / capClients
	t.Logf("tracked %d of cap %d, evicted %d; heap %.1f MiB at cap, %.1f MiB after %d clients; %.0f bytes per client",
		st.Tracked, st.Capacity, st.Evictions, float64(atCap-before)/(1<<20), float64(after-before)/(1<<20), flood, perClient)
	if st.Tracked > capClients || st.Evictions < flood-capClients {
		t.Fatalf("tracked %d (cap %d), evictions %d", st.Tracked, capClients, st.Evictions)
	}
	if perClient > 300 {
		t.Fatalf("%.0f bytes per tracked client, want <= 300", perClient)
	}
	if after > atCap+atCap/10 {
		t.Fatalf("heap grew from %d to %d bytes past the cap", atCap, after)
	}
	runtime.KeepAlive(l)
}
