package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/syncbuf"
)

// signedReceiver is a webhook endpoint that verifies the Standard
// Webhooks signature itself (HMAC-SHA256 over id.timestamp.body) and keeps
// the bodies that verify.
type signedReceiver struct {
	key    []byte
	mu     sync.Mutex
	bodies []string
	bad    int
}

func (sr *signedReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, sr.key)
	mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if r.Header.Get("webhook-id") == "" || !hmac.Equal([]byte(want), []byte(r.Header.Get("webhook-signature"))) {
		sr.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	sr.bodies = append(sr.bodies, string(body))
	w.WriteHeader(http.StatusNoContent)
}

func (sr *signedReceiver) received() ([]string, int) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return append([]string(nil), sr.bodies...), sr.bad
}

// TestServeAlerts runs `warden serve` with a webhook channel: an
// injection attack from many addresses raises a signed alert naming the
// route (never the payload), listed by GET /api/v1/alerts and by
// `warden alerts list`; an ordinary user is served throughout.
func TestServeAlerts(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	key := []byte("a-webhook-secret-32-bytes-long!!")
	rcv := &signedReceiver{key: key}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfgPath := filepath.Join(dir, "warden.yaml")
	cfg := fmt.Sprintf(`trusted_proxies: [127.0.0.1/32]
alerts:
  webhook: {url: %q, secret: %q}
  group_wait: 0s
  rules:
    blocked: {threshold: 5}
`, hook.URL, "whsec_"+base64.StdEncoding.EncodeToString(key))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfgPath, "--upstream", up.URL, "--data", data)

	const attack = "1' UNION SELECT password FROM users-- -"
	get := func(ip, q string) int {
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
		if code := get(fmt.Sprintf("203.0.113.%d", 10+i), attack); code != http.StatusForbidden {
			t.Fatalf("attack %d answered %d, want 403", i, code)
		}
		if code := get("198.51.100.5", "winter boots"); code != http.StatusOK {
			t.Fatalf("the ordinary user got %d", code)
		}
	}

	var bodies []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		var bad int
		bodies, bad = rcv.received()
		if bad != 0 {
			t.Fatalf("%d webhook calls failed verification", bad)
		}
		if strings.Contains(strings.Join(bodies, "\n"), `"rule":"blocked"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no blocked alert reached the webhook; got %q\n%s", bodies, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling the receiver, not timing a result
	}
	all := strings.Join(bodies, "\n")
	if !strings.Contains(all, "GET /api/search") && !strings.Contains(all, "unmatched routes") {
		t.Errorf("the alert names no route: %s", all)
	}
	for _, leak := range []string{"UNION", "password FROM", "198.51.100.5"} {
		if strings.Contains(all, leak) {
			t.Errorf("an alert carries %q: %s", leak, all)
		}
	}

	// The incident log, through the admin API.
	token, _ := os.ReadFile(s.tokenPath)
	req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/alerts?limit=50", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Alerts []struct {
			Channel, Status string
			Notification    struct{ Rule, Status, Title string }
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&log)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/alerts: %d %v", resp.StatusCode, err)
	}
	found := false
	for _, a := range log.Alerts {
		found = found || (a.Channel == "webhook" && a.Status == "sent" && a.Notification.Rule == "blocked" && a.Notification.Status == "firing")
	}
	if !found {
		t.Fatalf("the alert log lacks the sent blocked alert: %+v", log.Alerts)
	}
	req, _ = http.NewRequest("GET", "http://"+s.admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `warden_alerts_sent_total{channel="webhook"}`) {
		t.Errorf("/metrics lacks warden_alerts_sent_total for the webhook")
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	code := run(context.Background(), []string{"alerts", "list", "--data", data}, env{strings.NewReader(""), out, errb, noEnv})
	if code != 0 || !strings.Contains(out.String(), "requests blocked") || !strings.Contains(out.String(), "webhook") {
		t.Fatalf("alerts list exit %d:\n%s%s", code, out.String(), errb.String())
	}

	// The day's report from the command line counts the alert sent.
	out, errb = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	code = run(context.Background(), []string{"report", "--data", data, "--date", "today", "--format", "json"}, env{strings.NewReader(""), out, errb, noEnv})
	var rep struct {
		Alerts *struct {
			Sent  int64
			Rules []struct{ Name string }
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(out.String()), &rep); code != 0 || err != nil {
		t.Fatalf("report exit %d, %v:\n%s%s", code, err, out.String(), errb.String())
	}
	if rep.Alerts == nil || rep.Alerts.Sent < 1 || len(rep.Alerts.Rules) == 0 || rep.Alerts.Rules[0].Name != "blocked" {
		t.Errorf("report alerts = %+v, want the blocked alert sent", rep.Alerts)
	}
}

// TestAlertsTestCommand sends the sample through a working webhook and
// a failing Slack URL: each channel gets its own line, and the command
// fails because one channel did.
func TestAlertsTestCommand(t *testing.T) {
	key := []byte("another-secret")
	rcv := &signedReceiver{key: key}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	defer slack.Close()
	cfgPath := filepath.Join(t.TempDir(), "warden.yaml")
	cfg := fmt.Sprintf("alerts:\n  webhook: {url: %q, secret: %q}\n  slack: {webhook_url: %q}\n", hook.URL, string(key), slack.URL+"/services/T0/B0/SECRETPART")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	code := run(context.Background(), []string{"alerts", "test", "--config", cfgPath}, env{strings.NewReader(""), out, errb, noEnv})
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one channel failed):\n%s%s", code, out.String(), errb.String())
	}
	text := out.String()
	if !strings.Contains(text, "slack    failed: slack: receiver answered 404") || !strings.Contains(text, "webhook  sent") {
		t.Fatalf("output:\n%s", text)
	}
	if strings.Contains(text, "SECRETPART") {
		t.Fatal("the output quotes the Slack webhook URL")
	}
	if bodies, bad := rcv.received(); len(bodies) != 1 || bad != 0 || !strings.Contains(bodies[0], `"type":"test"`) {
		t.Fatalf("webhook got %q (%d bad)", bodies, bad)
	}

	// No channel: a usage error that says what to set.
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	_ = os.WriteFile(empty, nil, 0o600)
	out, errb = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	if code := run(context.Background(), []string{"alerts", "test", "--config", empty}, env{strings.NewReader(""), out, errb, noEnv}); code != 2 ||
		!strings.Contains(errb.String(), "alerts.webhook.url") {
		t.Fatalf("no channel: exit %d, %s", code, errb.String())
	}
}
