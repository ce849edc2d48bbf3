package tune

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/store/sqlite"
)

// syntheticEvents writes n events into a fresh SQLite store: a monitor
// run of many clients, a tenth of them tripping one field's false
// positive, a few attackers spraying fields and classes, the rest bot and
// rate findings on other routes.
func syntheticEvents(tb testing.TB, n int) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "warden.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	batch := make([]eventlog.Event, 0, 1000)
	for i := range n {
		ip := fmt.Sprintf("10.%d.%d.%d", i%7, (i/7)%256, (i/1792)%256)
		var e eventlog.Event
		switch i % 10 {
		case 0, 1, 2, 3:
			e = ev(ip, "POST /api/posts", "/api/posts", "block", "payload", 0.7, "xss", xssIn("body", 0.7))
		case 4:
			f := fmt.Sprintf("f%d", i%40)
			e = ev(fmt.Sprintf("203.0.113.%d", i%16), "POST /api/search", "/api/search", "block", "payload", 0.99, "sqli",
				fmt.Sprintf(`sqli: sql breakout in query %q: "1' union select password" (5 signals, confidence 0.99)`, f))
		case 5, 6:
			e = ev(ip, "GET /api/feed", "/api/feed", "block", "bot", 0.85, "bot", "automation user agent")
		default:
			e = ev(ip, "POST /api/login", "/api/login", "throttle", "ratelimit", 1, "login_limit", "login limit reached")
		}
		e.Time = t0.Add(time.Duration(i) * time.Millisecond)
		e.RequestID = fmt.Sprint("r", i)
		batch = append(batch, e)
		if len(batch) == cap(batch) || i == n-1 {
			if err := db.WriteEvents(ctx, batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return db
}

// TestHundredThousandEvents reads 100k events from SQLite and finds the
// false positive among them, not the attackers.
func TestHundredThousandEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100k events")
	}
	db := syntheticEvents(t, 100000)
	tu := New(Options{})
	if err := FromStore(context.Background(), db, t0, t0.Add(time.Hour), tu); err != nil {
		t.Fatal(err)
	}
	r := tu.Result()
	if r.Events != 100000 || r.Stopped != 100000 {
		t.Fatalf("read %d events, %d stopped; want 100000 each", r.Events, r.Stopped)
	}
	if len(r.Exclusions) != 1 || r.Exclusions[0].Route != "POST /api/posts" || r.Exclusions[0].Field != "body" {
		t.Fatalf("exclusions %+v, want only POST /api/posts body", r.Exclusions)
	}
	// The login limit's throttles are certain (confidence 1): a limit
	// to raise, not a false positive.
	if len(r.RouteModes) != 1 || r.RouteModes[0].Detector != "bot" || r.RouteModes[0].Route != "GET /api/feed" {
		t.Fatalf("route modes %+v, want only bot on GET /api/feed", r.RouteModes)
	}
}

// BenchmarkTuneSQLite100k streams 100k events from SQLite through a
// Tuner; heap-MB is the heap the Tuner holds at the end.
func BenchmarkTuneSQLite100k(b *testing.B) {
	db := syntheticEvents(b, 100000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tu := New(Options{})
		if err := FromStore(ctx, db, t0, t0.Add(time.Hour), tu); err != nil {
			b.Fatal(err)
		}
		r := tu.Result()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "heap-MB")
		if r.Events != 100000 {
			b.Fatal(r.Events)
		}
		runtime.KeepAlive(tu)
	}
}
