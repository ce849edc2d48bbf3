package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// stubTransport answers every request at once with a small body: the
// benchmark measures the proxy's own work (header rewriting, the copy),
// not a network.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header:        http.Header{"Content-Type": {"text/plain"}},
		Body:          io.NopCloser(strings.NewReader("ok")),
		ContentLength: 2,
	}, nil
}

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkServeHTTP is one GET through New's ReverseProxy with the
// transport stubbed out, from a client (untrusted peer) and through a
// trusted proxy that sends X-Forwarded-For.
func BenchmarkServeHTTP(b *testing.B) {
	up, _ := url.Parse("http://127.0.0.1:3000")
	trusted := netip.MustParsePrefix("10.0.0.0/8")
	for _, bc := range []struct {
		name, peer string
		header     map[string]string
	}{
		{"client", "198.51.100.7:4321", nil},
		{"trusted-hop", "10.0.0.1:4321", map[string]string{"X-Forwarded-For": "198.51.100.7"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rp := New(up, DefaultConfig(), trusted.Contains, nil)
			rp.Transport = stubTransport{}
			r := httptest.NewRequest("GET", "/api/products/42?fields=name", nil)
			r.RemoteAddr = bc.peer
			r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
			r.Header.Set("Accept", "text/html")
			for k, v := range bc.header {
				r.Header.Set(k, v)
			}
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				rp.ServeHTTP(w, r)
			}
		})
	}
}
