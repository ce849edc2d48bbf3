package warden_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/internal/cputime"
	"github.com/warden-dev/warden/server"
)

// BenchmarkStreamedAnswer measures a streamed chat answer (OpenAI
// server-sent events, 400 events of one to three words, each flushed)
// through Warden in front of a local upstream, over loopback HTTP, with
// and without the response guard. It reports the throughput and the
// time to the first byte of the answer (ttfb-µs), and the CPU time of
// the whole exchange (cpu-ns/op: client, Warden and upstream, all in this
// process), which a shared machine does not stretch as it does wall time.
func BenchmarkStreamedAnswer(b *testing.B) {
	words := strings.Fields("To reverse a list in Python use slicing with a negative step, or call reverse() on the list itself; both are linear, and the first returns a copy while the second works in place.")
	var stream strings.Builder
	for i := 0; i < 400; i++ {
		q, _ := json.Marshal(" " + words[i%len(words)])
		fmt.Fprintf(&stream, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", q)
	}
	stream.WriteString("data: [DONE]\n\n")
	events := strings.SplitAfter(stream.String(), "\n\n")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			io.WriteString(w, e)
			w.(http.Flusher).Flush()
		}
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	for _, guard := range []bool{false, true} {
		b.Run(fmt.Sprintf("guard=%v", guard), func(b *testing.B) {
			cfg := config.Default()
			cfg.DataDir = b.TempDir()
			cfg.Log.Stderr = false
			cfg.RateLimit.Enabled = false
			cfg.AI.Budget.Enabled = false
			cfg.Behavior.Enabled = false // one client asking 300 times in a row is a flood
			cfg.Routes = map[string][]string{"message": {"POST /v1/chat/completions"}}
			cfg.AI.Response.Enabled = guard
			g, err := server.New(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close(context.Background())
			front := httptest.NewServer(g.Handler(httputil.NewSingleHostReverseProxy(u)))
			defer front.Close()
			body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"How do I reverse a list in Python?"}]}`
			var ttfb time.Duration
			b.SetBytes(int64(stream.Len()))
			c0 := cputime.Process()
			for b.Loop() {
				req, _ := http.NewRequest("POST", front.URL+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var one [1]byte
				if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
					b.Fatal(err)
				}
				ttfb += time.Since(start)
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || int(n)+1 != stream.Len() {
					b.Fatalf("status %d, %d bytes of %d", resp.StatusCode, n+1, stream.Len())
				}
			}
			cputime.Report(b, c0) // client, Warden and upstream together: the guard's share is the difference
			b.ReportMetric(float64(ttfb.Microseconds())/float64(b.N), "ttfb-µs")
		})
	}
}
