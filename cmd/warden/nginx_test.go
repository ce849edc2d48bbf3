package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nginxBin finds nginx, or skips the test (fails it under CI=true,
// where .ci/run installs it).
func nginxBin(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is not installed (.ci/run installs it)")
	}
	t.Skip("nginx is not installed: apt-get install -y nginx to run the forward-auth test with a real nginx")
	return ""
}

// readmeNginx returns the README's nginx snippet for forward auth, with
// the app and Warden at the addresses given.
func readmeNginx(t *testing.T, app, warden string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "### Beside a proxy you already run (forward auth)")
	if ok {
		_, rest, ok = strings.Cut(rest, "```nginx\n")
	}
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no nginx block in the README's forward-auth section")
	}
	if !strings.Contains(block, "http://app;") || !strings.Contains(block, "http://127.0.0.1:8080;") {
		t.Fatal("the README's nginx block no longer names http://app and http://127.0.0.1:8080")
	}
	block = strings.ReplaceAll(block, "http://app;", "http://"+app+";")
	return strings.ReplaceAll(block, "http://127.0.0.1:8080;", "http://"+warden+";")
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startNginx runs nginx in the foreground with the README's snippet in
// its server block, and returns its address.
func startNginx(t *testing.T, snippet string) string {
	t.Helper()
	bin := nginxBin(t)
	dir := t.TempDir()
	addr := freePort(t)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
daemon off;
master_process off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    server {
        listen %[3]s;
        %[4]s
    }
}
`, user, dir, addr, snippet)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	t.Fatalf("nginx did not start: %s %s", stderr.String(), log)
	return ""
}

// TestForwardAuthNginx runs the README's nginx snippet in a real nginx in
// front of `warden serve --forward-auth`: ordinary POSTs pass with no
// protocol finding, Warden's 429 reaches the client as 429 with
// Retry-After, and attacks are still refused.
func TestForwardAuthNginx(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer app.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "warden.yaml")
	if err := os.WriteFile(conf, []byte("forward_auth: true\ntrusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", conf, "--data", dir)
	front := startNginx(t, readmeNginx(t, strings.TrimPrefix(app.URL, "http://"), s.proxy))

	send := func(method, path, host, body string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+front+path, strings.NewReader(body))
		if body == "" {
			req.Body = nil
		}
		req.Host = host
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}

	steps := []struct {
		name, method, path, host, body string
		status                         int
		retryAfter                     bool
	}{
		{name: "ordinary POST", method: "POST", path: "/api/items", host: "shop.example", body: `{"name":"tea"}`, status: 200},
		{name: "ordinary GET", method: "GET", path: "/api/items?page=2", host: "shop.example", status: 200},
		{name: "sqli still refused", method: "GET", path: "/api/items?id=1%27%20union%20select%20password%20from%20users--", host: "shop.example", status: 403},
	}
	for i := range 7 {
		steps = append(steps, struct {
			name, method, path, host, body string
			status                         int
			retryAfter                     bool
		}{name: fmt.Sprintf("login %d", i+1), method: "POST", path: "/api/auth/login", host: "shop.example",
			body: `{"email":"a@example.com","password":"x"}`, status: 200})
	}
	steps = append(steps, struct {
		name, method, path, host, body string
		status                         int
		retryAfter                     bool
	}{name: "login over the limit is 429, not 500", method: "POST", path: "/api/auth/login", host: "shop.example",
		body: `{"email":"a@example.com","password":"x"}`, status: 429, retryAfter: true})
	for _, st := range steps {
		code, body, h := send(st.method, st.path, st.host, st.body)
		if code != st.status {
			t.Fatalf("%s: %d %q, want %d", st.name, code, body, st.status)
		}
		if code == http.StatusForbidden {
			// Warden's JSON, not nginx's HTML page.
			var e struct {
				Error     string `json:"error"`
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != "blocked" || e.RequestID == "" || h.Get("X-Request-Id") != e.RequestID {
				t.Fatalf("%s: refusal %q (X-Request-Id %q), want Warden's JSON with its request id", st.name, body, h.Get("X-Request-Id"))
			}
		}
		if st.retryAfter && h.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", st.name)
		}
	}

	// Nothing but the refusals is in the decision log: the ordinary
	// requests drew no protocol finding (nginx's framing, its Host).
	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		Path  string `json:"path"`
		Abuse struct {
			Detectors []struct {
				Name     string   `json:"name"`
				Messages []string `json:"messages"`
			} `json:"detectors"`
		} `json:"abuse"`
	}
	var page struct{ Events []event }
	// The decision log is written in batches: wait for the two refusals.
	for end := time.Now().Add(10 * time.Second); len(page.Events) < 2 && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/events?limit=100", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(page.Events) == 0 {
		t.Fatal("no events: the refusals should be there")
	}
	for _, e := range page.Events {
		for _, d := range e.Abuse.Detectors {
			if d.Name == "protocol" {
				t.Errorf("%s: protocol finding %v", e.Path, d.Messages)
			}
		}
	}
}
