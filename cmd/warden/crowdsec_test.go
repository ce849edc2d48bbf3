package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lapi is a CrowdSec Local API (Debian's crowdsec, LAPI only) run by a
// test, with its own config, SQLite database and port, and no Central
// API.
type lapi struct {
	url, cfg string
	cmd      *exec.Cmd
	log      *os.File
}

// crowdsecBins finds crowdsec and cscli, or skips the test (fails it
// under CI=true, where .ci/run installs them).
func crowdsecBins(t *testing.T) {
	t.Helper()
	for _, b := range []string{"crowdsec", "cscli"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (.ci/run installs crowdsec)", b)
			}
			t.Skipf("%s is not installed: apt-get install -y crowdsec (see docs/escalation.md) to run the tests against a real CrowdSec Local API", b)
		}
	}
}

// startLAPI writes a LAPI config into a temp dir and starts it; cscli
// talks to it through the same config.
func startLAPI(t *testing.T) *lapi {
	t.Helper()
	crowdsecBins(t)
	dir := t.TempDir()
	addr := freePort(t)
	for _, d := range []string{"data", "hub"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"profiles.yaml":   "name: default_ip_remediation\nfilters:\n - Alert.Remediation == true && Alert.GetScope() == \"Ip\"\non_success: break\n",
		"simulation.yaml": "simulation: off\n",
		"creds.yaml":      "",
		"config.yaml": fmt.Sprintf(`common:
  daemonize: false
  log_media: stdout
  log_level: info
  working_dir: .
config_paths:
  config_dir: %[1]s/
  data_dir: %[1]s/data/
  simulation_path: %[1]s/simulation.yaml
  hub_dir: %[1]s/hub/
  index_path: %[1]s/hub/.index.json
  notification_dir: %[1]s/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: %[1]s/acquis.yaml
db_config:
  type: sqlite
  db_path: %[1]s/data/crowdsec.db
  use_wal: true
api:
  client:
    credentials_path: %[1]s/creds.yaml
  server:
    listen_uri: %[2]s
    profiles_path: %[1]s/profiles.yaml
    trusted_ips:
      - 127.0.0.1
prometheus:
  enabled: false
`, dir, addr),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l := &lapi{url: "http://" + addr, cfg: filepath.Join(dir, "config.yaml")}
	var err error
	if l.log, err = os.Create(filepath.Join(dir, "lapi.log")); err != nil {
		t.Fatal(err)
	}
	l.start(t)
	t.Cleanup(l.stop)
	// cscli adds decisions through the LAPI, as a machine of its own.
	l.cscli(t, "machines", "add", "cscli", "--auto", "-f", filepath.Join(dir, "creds.yaml"), "--url", l.url)
	return l
}

func (l *lapi) start(t *testing.T) {
	t.Helper()
	l.cmd = exec.Command("crowdsec", "-c", l.cfg, "-no-cs")
	l.cmd.Stdout, l.cmd.Stderr = l.log, l.log
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(l.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(l.log.Name())
			t.Fatalf("the CrowdSec LAPI did not start: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *lapi) stop() {
	if l.cmd != nil && l.cmd.Process != nil {
		l.cmd.Process.Kill()
		l.cmd.Wait()
		l.cmd = nil
	}
}

// cscli runs cscli against the LAPI's config and returns its standard
// output.
func (l *lapi) cscli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("cscli", append([]string{"-c", l.cfg}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cscli %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// wardenDecisions returns the decisions Warden reported that `cscli
// decisions list` shows, by value: "type scenario".
func (l *lapi) wardenDecisions(t *testing.T) map[string]string {
	t.Helper()
	var alerts []struct {
		Decisions []struct {
			Origin, Scenario, Type, Value string
		} `json:"decisions"`
	}
	out := l.cscli(t, "decisions", "list", "-o", "json")
	if strings.TrimSpace(out) == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(out), &alerts); err != nil {
		t.Fatalf("cscli decisions list: %v: %s", err, out)
	}
	got := map[string]string{}
	for _, a := range alerts {
		for _, d := range a.Decisions {
			if strings.HasPrefix(d.Scenario, "warden/") {
				got[d.Value] = d.Type + " " + d.Scenario
			}
		}
	}
	return got
}

// eventually retries cond until it holds or a deadline passes, and
// returns how long it took.
func eventually(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not after %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// TestServeCrowdSec runs `warden serve` against a real CrowdSec LAPI:
// a decision added with cscli (address, IPv6 range, captcha) is enforced
// with Warden's ban answer and logged as detector crowdsec, deleting it
// lifts it, allow-listed clients stay allowed; a Warden ban shows in
// `cscli decisions list` and lifting it removes it there, without the
// decision coming back to block the client; and the decisions survive a
// restart of Warden with the LAPI down.
func TestServeCrowdSec(t *testing.T) {
	l := startLAPI(t)
	key := strings.TrimSpace(l.cscli(t, "bouncers", "add", "warden-test", "-o", "raw"))
	l.cscli(t, "machines", "add", "warden-test", "--password", "warden-test-password", "-f", filepath.Join(t.TempDir(), "m.yaml"))

	upSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	t.Cleanup(upSrv.Close)
	up := upSrv.URL
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	data := t.TempDir()
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`trusted_proxies: [127.0.0.1/32]
enforce: {ban_interval: 1}
allow:
  cidrs: [198.51.100.0/24]
crowdsec:
  lapi_url: %s
  bouncer_key: %s
  machine_id: warden-test
  password: warden-test-password
  poll_interval: 1s
`, l.url, key)), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() *ipv6Serve {
		s := startServe(t, "--config", cfg, "--upstream", up, "--data", data)
		tok, err := os.ReadFile(s.tokenPath)
		if err != nil {
			t.Fatal(err)
		}
		return &ipv6Serve{running: s, token: strings.TrimSpace(string(tok))}
	}
	s := start()
	code := func(ip string) string {
		c, e := s.send(t, "GET", "/", ip, "")
		return fmt.Sprint(c, " ", e)
	}
	for _, ip := range []string{"203.0.113.7", "2001:db8:5::9", "203.0.113.8", "198.51.100.9"} {
		if got := code(ip); got != "200 " {
			t.Fatalf("before any decision, %s got %s", ip, got)
		}
	}

	l.cscli(t, "decisions", "add", "-i", "198.51.100.9", "-d", "2h") // allow-listed
	l.cscli(t, "decisions", "add", "-r", "2001:db8:5::/48", "-d", "2h")
	l.cscli(t, "decisions", "add", "-i", "203.0.113.8", "-t", "captcha", "-d", "2h")
	l.cscli(t, "decisions", "add", "-i", "203.0.113.7", "-d", "2h", "-R", "test scenario")
	took := eventually(t, "a CrowdSec ban enforced", 15*time.Second, func() bool { return code("203.0.113.7") == "403 banned" })
	t.Logf("a cscli decision took %v to be enforced (poll_interval 1s)", took.Round(10*time.Millisecond))
	want := map[string]string{
		"203.0.113.7":        "403 banned",
		"2001:db8:5::9":      "403 banned",  // in the banned range
		"2001:db8:6::9":      "200 ",        // outside it
		"203.0.113.8":        "403 blocked", // captcha_action: block
		"198.51.100.9":       "200 ",        // allow-listed
		"203.0.113.9":        "200 ",
		"::ffff:203.0.113.7": "403 banned",
	}
	for ip, w := range want {
		if got := code(ip); got != w {
			t.Errorf("%s: %s, want %s", ip, got, w)
		}
	}

	// The decision log names the detector and the scenario.
	eventually(t, "the decision log names crowdsec", 10*time.Second, func() bool {
		var page struct {
			Events []struct {
				Action string `json:"action"`
				Abuse  struct {
					Detectors []struct {
						Name     string   `json:"name"`
						Messages []string `json:"messages"`
					} `json:"detectors"`
				} `json:"abuse"`
			} `json:"events"`
		}
		s.admin(t, "GET", "/api/v1/events?limit=100", "", &page)
		for _, e := range page.Events {
			for _, d := range e.Abuse.Detectors {
				if d.Name == "crowdsec" && e.Action == "ban" && len(d.Messages) > 0 &&
					strings.Contains(d.Messages[0], "203.0.113.7 (scenario test scenario, origin cscli)") {
					return true
				}
			}
		}
		return false
	})

	// Deleting the decision in CrowdSec lifts it in Warden.
	l.cscli(t, "decisions", "delete", "-i", "203.0.113.7")
	eventually(t, "a deleted CrowdSec decision lifted", 15*time.Second, func() bool { return code("203.0.113.7") == "200 " })
	if got := code("2001:db8:5::9"); got != "403 banned" {
		t.Fatalf("the range's decision went with the other one: %s", got)
	}

	// A Warden ban reaches CrowdSec; lifting it in Warden removes it there.
	if c := s.admin(t, "POST", "/api/v1/bans", `{"target":"ip:192.0.2.55","duration":"2h","reason":"test"}`, nil); c != 201 && c != 200 {
		t.Fatalf("admin ban: %d", c)
	}
	took = eventually(t, "a Warden ban in cscli decisions list", 15*time.Second, func() bool {
		return l.wardenDecisions(t)["192.0.2.55"] == "ban warden/manual"
	})
	t.Logf("a Warden ban took %v to show in cscli decisions list", took.Round(10*time.Millisecond))
	if got := code("192.0.2.55"); got != "403 banned" {
		t.Fatalf("banned client: %s", got)
	}
	// An enforcement ban, and an IPv6 one, which covers the /64.
	const sqli = "/api/items?id=1%27%20union%20select%20password%20from%20users--"
	if c, _ := s.send(t, "GET", sqli, "192.0.2.66", ""); c != 403 {
		t.Fatalf("sqli: %d", c)
	}
	if c := s.admin(t, "POST", "/api/v1/bans", `{"target":"ip:2001:db8:7::1","duration":"2h","reason":"test"}`, nil); c != 201 {
		t.Fatalf("admin ban: %d", c)
	}
	eventually(t, "an enforcement ban and an IPv6 ban in cscli decisions list", 15*time.Second, func() bool {
		got := l.wardenDecisions(t)
		return got["192.0.2.66"] == "ban warden/sqli" && got["2001:db8:7::/64"] == "ban warden/manual"
	})
	// A client under a CrowdSec decision that Warden bans too is not
	// reported back.
	if c, _ := s.send(t, "GET", sqli, "2001:db8:5::9", ""); c != 403 {
		t.Fatalf("sqli from a CrowdSec-banned client: %d", c)
	}
	eventually(t, "the ban of a CrowdSec-banned client skipped", 10*time.Second, func() bool {
		return strings.Contains(s.metrics(t), `warden_crowdsec_skipped_total{reason="crowdsec"} 1`)
	})
	for v := range l.wardenDecisions(t) {
		if strings.HasPrefix(v, "2001:db8:5:") {
			t.Fatalf("a client banned by CrowdSec was reported back: %s", v)
		}
	}

	for _, target := range []string{"ip:192.0.2.55", "ip:2001:db8:7::/64"} {
		if c := s.admin(t, "DELETE", "/api/v1/bans/"+target, "", nil); c != 200 {
			t.Fatalf("admin lift %s: %d", target, c)
		}
	}
	eventually(t, "lifted Warden bans gone from CrowdSec", 15*time.Second, func() bool {
		got := l.wardenDecisions(t)
		_, a := got["192.0.2.55"]
		_, b := got["2001:db8:7::/64"]
		return !a && !b && got["192.0.2.66"] != ""
	})
	// Its decision went through the stream meanwhile: the bouncer must
	// not have taken it back (no loop), so the client stays let in.
	time.Sleep(2 * time.Second)
	if got := code("192.0.2.55"); got != "200 " {
		t.Fatalf("after the lift: %s (Warden's own decision came back from CrowdSec)", got)
	}

	// A restart with the LAPI down keeps the decisions last known.
	s.stop()
	l.stop()
	s = start()
	if got := code("2001:db8:5::9"); got != "403 banned" {
		t.Fatalf("after a restart with the LAPI down: %s", got)
	}
	if got := code("203.0.113.7"); got != "200 " {
		t.Fatalf("a deleted decision came back after the restart: %s", got)
	}
	eventually(t, "the unreachable LAPI counted", 10*time.Second, func() bool {
		return strings.Contains(s.metrics(t), `warden_crowdsec_requests_total{op="stream",result="error"}`)
	})
}

// metrics returns the admin API's Prometheus text.
func (s *ipv6Serve) metrics(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.running.admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
