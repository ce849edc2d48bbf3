package behavior

import (
	"hash/maphash"
	"net/netip"
	"runtime"
	"testing"

	ilru "github.com/warden-dev/warden/internal/lru"
)

// These benchmarks compare this package's CLOCK table with internal/lru
// on the detector's own shapes: a million client records, looked up by a
// resident client (hit) and by a new one that evicts (churn).

const benchClients = 1 << 20

func benchKeys(n, offset int) []clientKey {
	ks := make([]clientKey, n)
	for i := range ks {
		v := uint32(i + offset)
		ks[i] = clientKey{ip: netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})}
	}
	return ks
}

// order is a fixed pseudo-random visit order, so that lookups miss the
// CPU caches as a crowd of clients does.
func order(n int) []int {
	o := make([]int, n)
	x := uint32(2463534242)
	for i := range o {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		o[i] = int(x % uint32(n))
	}
	return o
}

func BenchmarkTableHit(b *testing.B) {
	ks, ord := benchKeys(benchClients, 0), order(benchClients)
	b.Run("behavior-clock", func(b *testing.B) {
		l := newLRU[clientKey, client](benchClients)
		for _, k := range ks {
			l.get(k)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c, _ := l.get(ks[ord[i%benchClients]])
			c.last++
		}
	})
	b.Run("internal-lru", func(b *testing.B) {
		seed := maphash.MakeSeed()
		t := ilru.New[client](benchClients)
		for _, k := range ks {
			t.Put(maphash.Comparable(seed, k))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c, _ := t.Put(maphash.Comparable(seed, ks[ord[i%benchClients]]))
			c.last++
		}
	})
}

func BenchmarkTableChurn(b *testing.B) {
	ks, fresh := benchKeys(benchClients, 0), benchKeys(benchClients, benchClients)
	b.Run("behavior-clock", func(b *testing.B) {
		l := newLRU[clientKey, client](benchClients)
		for _, k := range ks {
			l.get(k)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c, _ := l.get(fresh[i%benchClients])
			c.last++
		}
	})
	b.Run("internal-lru", func(b *testing.B) {
		seed := maphash.MakeSeed()
		t := ilru.New[client](benchClients)
		for _, k := range ks {
			t.Put(maphash.Comparable(seed, k))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c, _ := t.Put(maphash.Comparable(seed, fresh[i%benchClients]))
			c.last++
		}
	})
}

// BenchmarkTableFill reports the memory taken by a million client records:
// bytes allocated in all and the peak of live heap while filling.
func BenchmarkTableFill(b *testing.B) {
	ks := benchKeys(benchClients, 0)
	measure := func(b *testing.B, fill func()) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			fill()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MiB-allocated")
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-live")
		}
	}
	b.Run("behavior-clock", func(b *testing.B) {
		var keep *lru[clientKey, client]
		measure(b, func() {
			keep = newLRU[clientKey, client](benchClients)
			for _, k := range ks {
				keep.get(k)
			}
		})
		runtime.KeepAlive(keep)
	})
	b.Run("internal-lru", func(b *testing.B) {
		var keep *ilru.Table[client]
		measure(b, func() {
			seed := maphash.MakeSeed()
			keep = ilru.New[client](benchClients)
			for _, k := range ks {
				keep.Put(maphash.Comparable(seed, k))
			}
		})
		runtime.KeepAlive(keep)
	})
}
