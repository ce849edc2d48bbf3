package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/syncbuf"
)

func noEnv(string) (string, bool) { return "", false }

// running is a `warden serve` started in-process.
type running struct {
	proxy, admin, tokenPath string
	stop                    func() int
	stdout, stderr          *syncbuf.Buffer
}

var addrLine = regexp.MustCompile(`(?:proxy|forward-auth) http://(\S+) .*\nadmin:  http://(\S+)  \(token in (.+)\)`)

func startServe(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"}, args...),
			env{strings.NewReader(""), out, errb, noEnv})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := addrLine.FindStringSubmatch(out.String()); m != nil {
			stopped := false
			r := &running{proxy: m[1], admin: m[2], tokenPath: m[3], stdout: out, stderr: errb}
			r.stop = func() int {
				if stopped {
					return 0
				}
				stopped = true
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(15 * time.Second):
					t.Fatal("serve did not stop")
					return -1
				}
			}
			t.Cleanup(func() { r.stop() })
			return r
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s %s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeBansSurviveRestart(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	data := t.TempDir()
	s := startServe(t, "--upstream", up.URL, "--data", data)

	// The generated token is in the data dir, readable by the owner only.
	if want := filepath.Join(data, "admin.token"); s.tokenPath != want {
		t.Fatalf("token path %q, want %q", s.tokenPath, want)
	}
	fi, err := os.Stat(s.tokenPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v mode %v", err, fi.Mode())
	}
	tokenBytes, _ := os.ReadFile(s.tokenPath)
	token := strings.TrimSpace(string(tokenBytes))

	resp, err := http.Get("http://" + s.proxy + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "app" {
		t.Fatalf("proxy answered %q", body)
	}
	if resp, err := http.Get("http://" + s.admin + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	if resp, _ := http.Get("http://" + s.admin + "/api/v1/bans"); resp.StatusCode != 401 {
		t.Fatalf("bans without token: %d", resp.StatusCode)
	}

	// Ban this client's address through the admin API.
	req, _ := http.NewRequest("POST", "http://"+s.admin+"/api/v1/bans", strings.NewReader(`{"target":"ip:127.0.0.1","duration":"2h","reason":"test"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("add ban: %v %v", resp, err)
	}
	resp.Body.Close()
	checkBanned(t, s.proxy)

	if code := s.stop(); code != 0 {
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}
	s2 := startServe(t, "--upstream", up.URL, "--data", data)
	checkBanned(t, s2.proxy)
	if s2.tokenPath != s.tokenPath {
		t.Fatal("token changed across restart")
	}
}

func checkBanned(t *testing.T, proxyAddr string) {
	t.Helper()
	resp, err := http.Get("http://" + proxyAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Error      string `json:"error"`
		RetryAfter int    `json:"retry_after"`
		RequestID  string `json:"request_id"`
	}
	json.NewDecoder(resp.Body).Decode(&a)
	if resp.StatusCode != 403 || a.Error != "banned" || a.RetryAfter < 7000 || a.RequestID == "" {
		t.Fatalf("banned client got %d %+v", resp.StatusCode, a)
	}
}

func TestServeBadInput(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "app")
	}))
	defer up.Close()
	s := startServe(t, "--upstream", up.URL, "--data", t.TempDir())

	raw := func(t *testing.T, request string) string {
		t.Helper()
		conn, err := net.Dial("tcp", s.proxy)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, request)
		line, _ := bufio.NewReader(conn).ReadString('\n')
		return line
	}
	tests := []struct {
		name    string
		request string
		want    string
	}{
		{"header flood", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Junk: "+strings.Repeat("a", 1000)+"\r\n", 100) + "\r\n", "HTTP/1.1 431"},
		{"malformed request line", "GARBAGE\r\n\r\n", "HTTP/1.1 400"},
		{"invalid UTF-8 in the path", "GET /\xff\xfe?q=\xc0\xaf HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 "},
		{"absurd Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", "HTTP/1.1 400"},
		{"conflicting Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "HTTP/1.1 400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := raw(t, tc.request); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("status line %q, want %q", got, tc.want)
			}
		})
	}
	// A huge declared body that never comes: the read timeout ends it, the
	// proxy keeps serving others.
	conn, _ := net.Dial("tcp", s.proxy)
	fmt.Fprint(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\npartial")
	defer conn.Close()
	if resp, err := http.Get("http://" + s.proxy + "/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("proxy unusable while a slow client waits: %v %v", resp, err)
	}
}

// TestServeForwardAuth runs serve as a forward-auth service, called the
// way nginx's auth_request and Traefik's ForwardAuth call it.
func TestServeForwardAuth(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "warden.yaml")
	if err := os.WriteFile(conf, []byte("forward_auth: true\ntrusted_proxies: [127.0.0.1/32]\ndata_dir: "+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", conf)
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"traefik benign", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/api/items?page=2", "X-Forwarded-For": "198.51.100.4"}, 200},
		{"traefik sqli", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/api/items?id=1%27%20union%20select%20password%20from%20users--", "X-Forwarded-For": "198.51.100.5"}, 403},
		{"nginx traversal", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/download?file=../../../../etc/passwd", "X-Forwarded-For": "198.51.100.6"}, 403},
		{"no original uri", map[string]string{"X-Forwarded-For": "198.51.100.7"}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+s.proxy+"/auth", nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if resp.StatusCode != 200 && resp.Header.Get("X-Request-Id") == "" {
				t.Error("refusal without X-Request-Id")
			}
		})
	}
}

func TestServeForwardAuthNeedsTrustedProxies(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--forward-auth", "--data", t.TempDir()}, env{strings.NewReader(""), &out, &errb, noEnv})
	if code != 2 || !strings.Contains(errb.String(), "forward_auth: needs trusted_proxies") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestCommandsUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: warden"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"version"}, 0, "warden "},
		{[]string{"serve"}, 2, "upstream: required"},
		{[]string{"serve", "--upstream", "ftp://x"}, 2, "upstream: must be an http"},
		{[]string{"check-config"}, 2, "usage: warden check-config [--env-file FILE] [--print] FILE"},
		{[]string{"check-config", "/nonexistent/warden.yaml"}, 2, "config error"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, env{strings.NewReader(""), &out, &errb, noEnv})
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("exit %d, output %q %q; want %d containing %q", code, out.String(), errb.String(), tc.code, tc.want)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("upstream: http://127.0.0.1:3000\nmode: monitor\n"), 0o600)
	os.WriteFile(bad, []byte("upstream: http://127.0.0.1:3000\nmode: loud\nproxy:\n  dial_timeout: soon\nunknown_key: 1\nstore:\n  postgres: postgres://w:hunter2secret@db:port/w\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check-config", good}, env{nil, &out, &errb, noEnv}); code != 0 {
		t.Fatalf("good config: exit %d: %s", code, errb.String())
	}
	out.Reset()
	code := run(context.Background(), []string{"check-config", bad}, env{nil, &out, &errb, noEnv})
	for _, want := range []string{"mode:", "proxy.dial_timeout:", "unknown_key: unknown field", "store.postgres: not a valid PostgreSQL connection string"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("errors %q do not name %q", errb.String(), want)
		}
	}
	if strings.Contains(errb.String(), "hunter2") {
		t.Errorf("errors %q show the password", errb.String())
	}
	if code != 2 {
		t.Fatalf("bad config: exit %d", code)
	}
}

// The demo mails its alerts to the local mailbox it starts and prints
// them: at least one "[FIRING] Warden" mail arrives while attackers run,
// and no printed mail carries an attack payload, a stuffed password or the
// admin token.
func TestDemoMailsAlerts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--every", "200ms"}, env{strings.NewReader(""), out, errb, noEnv})
	}()
	const firing = "mail → ops@demo.local (from warden@demo.local): [FIRING] Warden"
	for !strings.Contains(out.String(), firing) && ctx.Err() == nil {
		select {
		case code := <-done:
			t.Fatalf("demo exited %d before any alert mail: %s", code, errb.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
	text := out.String()
	if !strings.Contains(text, firing) {
		t.Fatalf("no alert mail printed during the demo:\n%s", text)
	}
	_, tok, _ := strings.Cut(text, "#token=")
	tok, _, _ = strings.Cut(tok, " ")
	if len(tok) < 16 {
		t.Fatalf("admin token not found in the demo output")
	}
	var mails strings.Builder // the mail lines and their indented text
	inMail := false
	for line := range strings.Lines(text) {
		inMail = strings.HasPrefix(line, "mail → ") || inMail && strings.HasPrefix(line, "    ")
		if inMail {
			mails.WriteString(line)
		}
	}
	for _, secret := range []string{tok, "UNION SELECT", "<script", "../", "DAN", "letmein", "Summer2024!", "alice-demo-pass", "enumerator-pass-1"} {
		if strings.Contains(mails.String(), secret) {
			t.Errorf("a printed mail contains %q:\n%s", secret, mails.String())
		}
	}
}

func TestDemoCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	code := run(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--every", "1s"}, env{strings.NewReader(""), out, errb, noEnv})
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"through Warden:", "dashboard and admin:", "#token=", "alert mailbox:", "final count:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
