//go:build !nowarden

package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkProxyGET is the harness's GET through each proxy over loopback
// TCP, one request at a time, from the harness's 65,536 client addresses
// in turn: the whole cost of a proxied request (client, proxy, upstream),
// so that Warden's proxy can be compared with the bare one per request
// with a repeatable instruction count (valgrind --tool=callgrind) rather
// than req/s on a shared machine. "plumbing" is Warden's proxy with every
// detector off: what the pipeline, its proxy and its server cost alone.
func BenchmarkProxyGET(b *testing.B) {
	off := filepath.Join(b.TempDir(), "off.yaml")
	if err := os.WriteFile(off, []byte(`trusted_proxies: ["127.0.0.1/32"]
log: {stderr: false}
ratelimit: {enabled: false}
bot: {enabled: false}
payload: {enabled: false}
behavior: {enabled: false}
protocol: {enabled: false}
ai: {prompt: {enabled: false}, budget: {enabled: false}}
`), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, config string }{{"default", ""}, {"plumbing", off}} {
		s, err := startServers(bc.config, true)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range []struct{ name, url string }{{"bare", s.Bare}, {"warden", s.Warden}} {
			b.Run(bc.name+"/"+p.name, func(b *testing.B) {
				c := newClient(p.url, 1, 65536, 0)
				ctx := context.Background()
				i := 0
				for b.Loop() {
					if code := c.do(ctx, i); code != http.StatusOK {
						b.Fatalf("request %d: status %d", i, code)
					}
					i++
				}
			})
		}
		s.close()
	}
}
