//go:build !nowarden

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/internal/catalogue"
	"github.com/warden-dev/warden/server"
)

// BenchmarkGuardMix is the CPU Warden's pipeline spends on each request of
// the harness's mix, without any network: the GET with a query and the POST
// with the 8 KB JSON body, through g.Handler in front of a handler that
// reads the body, with the default config (every built-in detector on).
// Requests come from the harness's 65,536 client addresses in turn (so
// per-client state is as cold as under the load generator) and the Guard's
// clock advances 100 µs per reading, so no client looks like a flood. The
// peer is the same request to the handler alone.
func BenchmarkGuardMix(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.Log.Stderr = false
	cfg.TrustedProxies = []string{"127.0.0.1/32"}
	var tick atomic.Int64
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	cfg.Clock = func() time.Time { return base.Add(time.Duration(tick.Add(1)) * 100 * time.Microsecond) }
	g, err := server.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close(context.Background())
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	body := catalogue.JSON(bodySize)
	ips := newClient("http://127.0.0.1", 1, 65536, 2).clients
	for _, bc := range []struct {
		name string
		h    http.Handler
		post bool
	}{
		{"GET/bare", app, false},
		{"GET/warden", g.Handler(app), false},
		{"POST8K/bare", app, true},
		{"POST8K/warden", g.Handler(app), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rd := bytes.NewReader(body)
			b.ReportAllocs()
			b.SetBytes(0)
			i := 0
			for b.Loop() {
				var r *http.Request
				if bc.post {
					rd.Reset(body)
					r = httptest.NewRequest(http.MethodPost, postPath, rd)
					r.Header.Set("Content-Type", "application/json")
				} else {
					r = httptest.NewRequest(http.MethodGet, getPath, nil)
				}
				r.RemoteAddr = "127.0.0.1:40000"
				r.Header.Set("User-Agent", userAg)
				r.Header.Set("Accept", "application/json")
				r.Header.Set("Accept-Language", "en-GB,en;q=0.8")
				r.Header.Set("X-Forwarded-For", ips[i%len(ips)])
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("request %d answered %d: %s", i, w.Code, w.Body)
				}
				i++
			}
		})
	}
}
