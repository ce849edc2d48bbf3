package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/internal/syncbuf"
)

// TestServeAlertOutboxPostgres runs two `warden serve` instances on one
// PostgreSQL, each with its own data dir. An attack on the first raises
// one alert, sent once to the webhook; the outbox and incident log live
// in PostgreSQL, so the second instance's GET /api/v1/alerts and
// `warden alerts list` with its configuration show the alert the first
// sent. Ordinary requests are served throughout.
func TestServeAlertOutboxPostgres(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("app")) }))
	defer up.Close()
	key := []byte("a-webhook-secret-32-bytes-long!!")
	rcv := &signedReceiver{key: key}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	instance := func(name string) (*running, string) {
		dir := t.TempDir()
		cfgPath := filepath.Join(dir, "warden.yaml")
		cfg := fmt.Sprintf(`trusted_proxies: [127.0.0.1/32]
data_dir: %q
store: {postgres: %q}
alerts:
  webhook: {url: %q, secret: %q}
  group_wait: 0s
  rules:
    blocked: {threshold: 5}
`, filepath.Join(dir, "data"), dsn, hook.URL, "whsec_"+base64.StdEncoding.EncodeToString(key))
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return startServe(t, "--config", cfgPath, "--upstream", up.URL), cfgPath
	}
	a, _ := instance("a")
	b, cfgB := instance("b")

	get := func(s *running, ip, q string) int {
		req, _ := http.NewRequest("GET", "http://"+s.proxy+"/api/search?q="+url.QueryEscape(q), nil)
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 12 {
		if code := get(a, fmt.Sprintf("203.0.113.%d", 10+i), "1' UNION SELECT password FROM users-- -"); code != http.StatusForbidden {
			t.Fatalf("attack %d answered %d, want 403", i, code)
		}
		if code := get(b, "198.51.100.5", "winter boots"); code != http.StatusOK {
			t.Fatalf("the ordinary user got %d", code)
		}
	}

	// The second instance's incident log shows the alert the first sent.
	type logged struct {
		Channel, Status string
		Notification    struct{ Rule, Status string }
	}
	var sent []logged
	deadline := time.Now().Add(20 * time.Second)
	for len(sent) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the second instance's alert log never showed the sent alert\n%s", a.stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling, not timing a result
		resp := adminGet(t, b, "/api/v1/alerts?limit=50")
		var log struct{ Alerts []logged }
		err := json.NewDecoder(resp.Body).Decode(&log)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /api/v1/alerts on the second instance: %d %v", resp.StatusCode, err)
		}
		for _, x := range log.Alerts {
			if x.Channel == "webhook" && x.Status == "sent" && x.Notification.Rule == "blocked" {
				sent = append(sent, x)
			}
		}
	}
	if len(sent) != 1 {
		t.Errorf("%d sent blocked alerts in the shared log, want 1: %+v", len(sent), sent)
	}
	bodies, bad := rcv.received()
	n := 0
	for _, body := range bodies {
		if strings.Contains(body, `"type":"alert","status":"firing","rule":"blocked"`) {
			n++
		}
	}
	if n != 1 || bad != 0 {
		t.Errorf("webhook got the blocked alert %d times (%d unverified), want once: %q", n, bad, bodies)
	}
	for _, s := range []*running{a, b} {
		if code := s.stop(); code != 0 {
			t.Fatalf("serve exit %d: %s", code, s.stderr.String())
		}
	}

	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	code := run(context.Background(), []string{"alerts", "list", "--config", cfgB}, env{strings.NewReader(""), out, errb, noEnv})
	if code != 0 || !strings.Contains(out.String(), "requests blocked") {
		t.Fatalf("alerts list on the second instance exit %d:\n%s%s", code, out.String(), errb.String())
	}
}
