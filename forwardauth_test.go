package warden_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
)

func TestForwardAuth(t *testing.T) {
	cfg := testConfig(t)
	cfg.TrustedProxies = []string{"10.0.0.0/8"}
	g := newGuard(t, cfg)
	g.Use(containsDetector("needle", "attack", abuse.Verdict{Confidence: 0.95, Violation: "sqli"}))
	ctx := context.Background()
	banned := netip.MustParseAddr("203.0.113.7")
	if err := g.Bans().Add(ctx, ban.Ban{Target: ban.IPTarget(banned), Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := g.ForwardAuth()

	// check builds the subrequest a front proxy sends for the original
	// request: Traefik / Caddy headers, or nginx's with nginx set.
	check := func(remote, client, method, uri string, nginx bool) *http.Request {
		r := httptest.NewRequest("GET", "/auth", nil)
		r.RemoteAddr = remote + ":5000"
		r.Header.Set("X-Forwarded-For", client)
		if nginx {
			r.Header.Set("X-Original-Method", method)
			r.Header.Set("X-Original-URI", uri)
		} else if uri != "" {
			r.Header.Set("X-Forwarded-Method", method)
			r.Header.Set("X-Forwarded-Uri", uri)
			r.Header.Set("X-Forwarded-Host", "app.example")
		}
		return r
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		kind   string
	}{
		{"benign", check("10.0.0.2", "198.51.100.1", "GET", "/api/items?id=3", false), 200, ""},
		{"benign nginx", check("10.0.0.2", "198.51.100.1", "POST", "/api/items", true), 200, ""},
		{"attack in uri", check("10.0.0.2", "198.51.100.1", "GET", "/api/items?q=attack", false), 403, "blocked"},
		{"attack nginx", check("10.0.0.2", "198.51.100.1", "GET", "/api/items?q=attack", true), 403, "blocked"},
		{"banned client", check("10.0.0.2", banned.String(), "GET", "/api/items", false), 403, "banned"},
		{"untrusted caller", check("192.0.2.50", "198.51.100.1", "GET", "/api/items", false), 403, "untrusted_caller"},
		{"untrusted caller naming a banned client", check("192.0.2.50", banned.String(), "GET", "/", false), 403, "untrusted_caller"},
		{"no original uri", check("10.0.0.2", "198.51.100.1", "GET", "", false), 400, "invalid_input"},
		{"bad original uri", check("10.0.0.2", "198.51.100.1", "GET", "not a uri", false), 400, "invalid_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, a := do(t, h, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if a.Error != tt.kind {
				t.Errorf("error %q, want %q", a.Error, tt.kind)
			}
			if tt.status != 200 && a.RequestID == "" {
				t.Error("answer without request_id")
			}
			if strings.Contains(w.Body.String(), "attack") {
				t.Errorf("answer echoes the payload: %s", w.Body)
			}
		})
	}
}
