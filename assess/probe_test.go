package assess

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/warden-dev/warden/config"
)

// TestSecretEchoRefused: when a request-side control refuses the message
// holding the key, the probe is skipped and says why, not that the
// upstream repeats nothing (cmd/warden's TestAssessSecretEcho covers the
// answers through `warden serve`).
func TestSecretEchoRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"forbidden"}`))
	}))
	defer srv.Close()
	p, err := NewProber(config.Default(), ProbeOptions{Target: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := p.secretEcho(context.Background())
	if r.Result() != "skipped" || strings.Contains(r.Got, "did not repeat") || !strings.Contains(r.Got, "plain: 403, the request was refused; streamed: 403, the request was refused") {
		t.Fatalf("%s: %q", r.Result(), r.Got)
	}
}
