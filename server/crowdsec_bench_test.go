package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/server"
)

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkCrowdSecDecision is one benign request through `warden serve`'s
// Guard (every built-in detector on) from 4096 clients in turn, with the
// CrowdSec bouncer off and on, holding 10,000 decisions (addresses, IPv4
// /24s and IPv6 /48s) none of which matches: what the bouncer costs
// ordinary traffic.
func BenchmarkCrowdSecDecision(b *testing.B) {
	var stream strings.Builder
	stream.WriteString(`{"deleted":null,"new":[`)
	for i := range 10_000 {
		if i > 0 {
			stream.WriteByte(',')
		}
		scope, value := "Ip", fmt.Sprintf("100.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		switch i % 10 {
		case 0:
			scope, value = "Range", fmt.Sprintf("10.%d.%d.0/24", i>>8&255, i&255)
		case 1:
			scope, value = "Range", fmt.Sprintf("2001:db8:%x::/48", i)
		}
		fmt.Fprintf(&stream, `{"duration":"4h","origin":"crowdsec","scenario":"crowdsecurity/http-probing","scope":%q,"type":"ban","value":%q}`, scope, value)
	}
	stream.WriteString(`]}`)
	lapi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("startup") == "true" {
			fmt.Fprint(w, stream.String())
			return
		}
		fmt.Fprint(w, `{"deleted":null,"new":null}`)
	}))
	defer lapi.Close()
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "10k-decisions"
		}
		b.Run(name, func(b *testing.B) {
			cfg := config.Default()
			cfg.DataDir = b.TempDir()
			cfg.Log.Stderr = false
			if on {
				cfg.CrowdSec.LAPIURL, cfg.CrowdSec.BouncerKey = lapi.URL, "k"
			}
			var tick atomic.Int64
			base := time.Now()
			cfg.Clock = func() time.Time { return base.Add(time.Duration(tick.Add(1)) * 100 * time.Microsecond) }
			g, err := server.New(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close(context.Background())
			h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			if on {
				// Wait for the decisions: a banned client gets 403.
				probe := httptest.NewRequest("GET", "/", nil)
				probe.RemoteAddr = "100.0.0.5:1"
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, probe)
					if rec.Code == http.StatusForbidden {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("the decisions did not load")
					}
				}
				// The bouncer writes them to SQLite after enforcing them;
				// let that finish rather than measure it.
				time.Sleep(2 * time.Second)
			}
			reqs := make([]*http.Request, 4096)
			for i := range reqs {
				r := httptest.NewRequest("GET", fmt.Sprintf("/api/products/%d?fields=name", i%300), nil)
				r.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4321", i/256, i%256)
				r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
				r.Header.Set("Accept", "text/html")
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
		})
	}
}
