package protocol

import (
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// BenchmarkDetect measures a typical browser page load, a JSON API call,
// the plain GET of the root package's BenchmarkGuardDecision and a request
// that fails several checks (messages are built).
func BenchmarkDetect(b *testing.B) {
	d := newDetector(b)
	cases := []struct {
		name string
		req  *abuse.Request
	}{
		{"browser-GET", live(b, browserGET)},
		{"JSON-POST", live(b, jsonPOST)},
		{"API-GET", live(b, apiGET)},
		{"violations", live(b, "TRACE /db.sql?PHPSESSID=x&u=%0d%0aSet-Cookie:%20a=1 HTTP/1.1\r\nHost: a.example\r\nProxy: http://x\r\nRange: bytes=9-1\r\n\r\n")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := b.Context()
			for b.Loop() {
				// Each time as a new request: the Request keeps its
				// arguments' split for the next detector.
				c.req.Args().Reset()
				d.Detect(ctx, c.req)
			}
		})
	}
}

// apiGET is the request BenchmarkGuardDecision sends: two header fields.
const apiGET = "GET /api/products/42?fields=name HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\n" +
	"Accept: text/html\r\n" +
	"\r\n"
