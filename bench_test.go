package warden_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/server"
)

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkGuardDecision measures one request through the pipeline with
// the default configuration (every built-in detector on) and no body, the
// upstream a no-op.
func BenchmarkGuardDecision(b *testing.B) {
	cfg := config.Default()
	benchGuard(b, cfg)
}

// BenchmarkGuardDecisionBrowser is the same decision for a page load as a
// browser sends it: 15 headers, a referer, client hints, and cookies of
// its own (a session, analytics ids, a consent record) that each client
// sends again with every request.
func BenchmarkGuardDecisionBrowser(b *testing.B) {
	cfg := config.Default()
	benchGuard(b, cfg, browserHeaders...)
}

// browserHeaders are Chrome's headers on a same-site navigation.
var browserHeaders = []string{
	"Connection", "keep-alive",
	"Sec-Ch-Ua", `"Chromium";v="140", "Not=A?Brand";v="24", "Google Chrome";v="140"`,
	"Sec-Ch-Ua-Mobile", "?0",
	"Sec-Ch-Ua-Platform", `"Linux"`,
	"Upgrade-Insecure-Requests", "1",
	"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
	"Sec-Fetch-Site", "same-origin",
	"Sec-Fetch-Mode", "navigate",
	"Sec-Fetch-User", "?1",
	"Sec-Fetch-Dest", "document",
	"Referer", "https://shop.example.com/products?q=shoes",
	"Accept-Encoding", "gzip, deflate, br, zstd",
	"Accept-Language", "en-GB,en;q=0.9,de;q=0.8",
	"If-None-Match", `W/"5f3-abc"`,
}

// BenchmarkGuardPipelineOnly is the pipeline with no detector: identity,
// ban check, route match, policy, metrics.
func BenchmarkGuardPipelineOnly(b *testing.B) {
	cfg := config.Default()
	bare(&cfg)
	benchGuard(b, cfg)
}

// benchGuard sends benign requests from 4096 clients in turn, on a clock
// that advances 100µs per reading, so that no client looks like a flood:
// the figure is the cost of deciding about ordinary traffic.
// Extra headers, as name-value pairs, replace the default Accept.
func benchGuard(b *testing.B, cfg warden.Config, headers ...string) {
	cfg.DataDir = b.TempDir()
	cfg.Log.Stderr = false
	var tick atomic.Int64
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	cfg.Clock = func() time.Time { return base.Add(time.Duration(tick.Add(1)) * 100 * time.Microsecond) }
	// The server's wiring (metrics, the decision log into SQLite), as the
	// figure has always been measured: the cost `warden serve` pays.
	g, err := server.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close(context.Background())
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	reqs := make([]*http.Request, 4096)
	for i := range reqs {
		r := httptest.NewRequest("GET", fmt.Sprintf("/api/products/%d?fields=name", i%300), nil)
		r.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4321", i/256, i%256)
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
		r.Header.Set("Accept", "text/html")
		for j := 0; j+1 < len(headers); j += 2 {
			r.Header.Set(headers[j], headers[j+1])
		}
		if len(headers) > 0 {
			r.Header.Set("Cookie", fmt.Sprintf("session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI%05d.sig; _ga=GA1.2.%d.1764979200; consent=%%7B%%22ads%%22%%3Afalse%%7D", i, 100000+i*7919))
		}
		reqs[i] = r
	}
	w := &nopWriter{h: http.Header{}}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, reqs[i&4095])
		i++
	}
	b.StopTimer()
	if n := g.Metrics(); n == nil {
		b.Fatal("no metrics")
	}
}

// BenchmarkBare is the same request straight to the handler: the peer.
func BenchmarkBare(b *testing.B) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	r := httptest.NewRequest("GET", "/api/users/42?fields=name", nil)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

var _ = warden.New
