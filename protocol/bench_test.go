package protocol

import (
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// BenchmarkDetect measures a typical browser page load, a JSON API call
// and a request that fails several checks (messages are built).
func BenchmarkDetect(b *testing.B) {
	d := newDetector(b)
	cases := []struct {
		name string
		req  *abuse.Request
	}{
		{"browser-GET", live(b, browserGET)},
		{"JSON-POST", live(b, jsonPOST)},
		{"violations", live(b, "TRACE /db.sql?PHPSESSID=x&u=%0d%0aSet-Cookie:%20a=1 HTTP/1.1\r\nHost: a.example\r\nProxy: http://x\r\nRange: bytes=9-1\r\n\r\n")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := b.Context()
			for b.Loop() {
				d.Detect(ctx, c.req)
			}
		})
	}
}
