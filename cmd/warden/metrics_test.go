package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeUpstreamMetrics: through `warden serve`, /metrics counts the
// upstream's answers by configured route pattern and status class, an
// upstream that drops the connection as class="error" (Warden answered
// 502), and never a request Warden stopped; each detector that ran has
// its own duration histogram; every series has help text.
func TestServeUpstreamMetrics(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/items/missing":
			http.NotFound(w, r)
		case "/items/boom":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/items/drop":
			c, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				c.Close()
			}
		default:
			io.WriteString(w, "app")
		}
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	yaml := "trusted_proxies: [127.0.0.1/32]\nmetrics:\n  detector_sample: 1 # every request, so the counts are exact\nroutes:\n  items: [\"GET /items/{id}\"]\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())
	for i, c := range []struct {
		path string
		want int
	}{
		{"/items/1", 200}, {"/items/2", 200}, {"/items/missing", 404}, {"/items/boom", 500},
		{"/items/drop", 502}, {"/about", 200},
		{"/items/3?q=1%27%20UNION%20SELECT%20password%20FROM%20users--", 403}, // stopped: never reaches the app
	} {
		req, _ := http.NewRequest("GET", "http://"+s.proxy+c.path, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
		req.Header.Set("Accept", "*/*")
		req.Header.Set("X-Forwarded-For", "198.51.100."+string(rune('1'+i)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}
	resp := adminGet(t, s, "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(b)
	for _, want := range []string{
		`warden_upstream_responses_total{class="2xx",route="GET /items/{id}"} 2`,
		`warden_upstream_responses_total{class="4xx",route="GET /items/{id}"} 1`,
		`warden_upstream_responses_total{class="5xx",route="GET /items/{id}"} 1`,
		`warden_upstream_responses_total{class="error",route="GET /items/{id}"} 1`,
		`warden_upstream_responses_total{class="2xx",route=""} 1`,
		`warden_detector_duration_seconds_count{detector="payload"} 7`,
		`warden_detector_duration_seconds_count{detector="bot"} 7`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if name, help, ok := strings.Cut(strings.TrimPrefix(line, "# HELP "), " "); ok && strings.HasPrefix(line, "# HELP ") && len(help) < 15 {
			t.Errorf("%s: help text %q", name, help)
		}
	}
}
