package ratehdr

import (
	"testing"
	"time"
)

func TestHeaders(t *testing.T) {
	tests := []struct {
		name               string
		q                  int64
		window, retry      time.Duration
		policy, retryAfter string
	}{
		{"window", 50, 10 * time.Second, 10 * time.Second, `"flood";q=50;w=10`, "10"},
		{"partial seconds round up", 7, 300 * time.Second, 1500 * time.Millisecond, `"flood";q=7;w=300`, "2"},
		{"at least one second", 4, 0, 0, `"flood";q=4`, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy("flood", tt.q, tt.window)
			h := Denied("flood", p, tt.retry)
			if p != tt.policy || h.Get("RateLimit-Policy") != tt.policy || h.Get("Retry-After") != tt.retryAfter ||
				h.Get("RateLimit") != `"flood";r=0;t=`+tt.retryAfter {
				t.Fatalf("policy %q headers %v", p, h)
			}
		})
	}
}
