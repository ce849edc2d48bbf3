//lint:file-ignore SA1019 the h2c upgrade is deprecated everywhere, which is the point: an upstream that still speaks it is the threat tested.

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"
)

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

// seen records the requests an upstream received.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request // clones without bodies
}

func (s *seen) add(r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r.Clone(r.Context()))
	s.mu.Unlock()
}

func (s *seen) all() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

// writeConfig writes a config file into a new data dir and returns its
// path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := os.WriteFile(path, []byte("data_dir: "+dir+"\n"+yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeRefusesH2CUpgrade is the h2c tunnel: an upstream that speaks
// h2c (golang.org/x/net/http2/h2c) would answer `Upgrade: h2c` with 101,
// and every HTTP/2 request the client then sent on that connection would
// reach it without Warden seeing it. The upgrade request itself is benign,
// so that it passes inspection; the injection comes in an HTTP/2 stream
// afterwards. Warden must serve the upgrade request as plain HTTP/1.1 and
// the upstream must never see the injected query.
func TestServeRefusesH2CUpgrade(t *testing.T) {
	var rec seen
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		fmt.Fprintf(w, "app %s upgrade=%q", r.Proto, r.Header.Get("Upgrade"))
	})
	// x/net's h2c upgrades only when Connection names HTTP2-Settings,
	// which httputil.ReverseProxy never forwards (it sends "Connection:
	// Upgrade" alone); other h2c servers do not insist on it. The shim
	// makes x/net's as lenient, so that the tunnel is reachable at all.
	h2cApp := h2c.NewHandler(app, &http2.Server{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Http2-Settings") != "" {
			r.Header.Add("Connection", "HTTP2-Settings")
		}
		h2cApp.ServeHTTP(w, r)
	}))
	defer up.Close()
	// Every upgrade Warden knows allowed; h2c cannot be listed
	// (TestServeRefusesH2CInConfig).
	s := startServe(t, "--upstream", up.URL, "--config", writeConfig(t, "proxy: {upgrades: [websocket]}\n"))

	const injection = "1 UNION SELECT password FROM users--"
	injected := "/api/items?id=" + url.PathEscape(injection)

	// Sanity: the same query over HTTP/1.1 is blocked, so an upstream that
	// sees it means an uninspected request.
	req, _ := http.NewRequest("GET", "http://"+s.proxy+injected, nil)
	req.Header.Set("User-Agent", firefox)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("injection over HTTP/1.1: %v %v, want 403", resp, err)
	}

	conn, err := net.Dial("tcp", s.proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// The client's SETTINGS, as HTTP2-Settings carries them (RFC 7540
	// 3.2.1); left out of Connection, so that a proxy passes it on.
	fmt.Fprint(conn, "GET /api/items?page=1 HTTP/1.1\r\nHost: app.test\r\nUser-Agent: "+firefox+"\r\n"+
		"Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		t.Errorf("the upgrade to h2c happened: %s", resp.Status)
	} else if resp.StatusCode != 200 || string(body) != `app HTTP/1.1 upgrade=""` {
		t.Errorf("upgrade request not served as plain HTTP/1.1: %d %q", resp.StatusCode, body)
	}

	// HTTP/2 on the same connection, as after a 101: the preface, SETTINGS,
	// then a request on stream 3 (stream 1 is the upgrade request's).
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, br)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "app.test"},
		{":path", injected}, {"user-agent", firefox}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	// Read whatever comes back until the connection ends (or the
	// injected stream is answered, were the tunnel open).
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	io.Copy(io.Discard, br)

	for _, r := range rec.all() {
		if q, _ := url.QueryUnescape(r.URL.RawQuery); strings.Contains(strings.ToUpper(q), "UNION") {
			t.Errorf("the upstream received the injected request: %s %s %s", r.Proto, r.Method, r.URL)
		}
		if r.Header.Get("Upgrade") != "" || r.Header.Get("Http2-Settings") != "" {
			t.Errorf("the upstream received an upgrade request: %v", r.Header)
		}
	}
}

func TestServeRefusesH2CInConfig(t *testing.T) {
	var out, errb bytes.Buffer
	conf := writeConfig(t, "upstream: http://127.0.0.1:3000\nproxy: {upgrades: [websocket, h2c]}\n")
	code := run(t.Context(), []string{"serve", "--config", conf}, env{strings.NewReader(""), &out, &errb, noEnv})
	if code != 2 || !strings.Contains(errb.String(), "proxy.upgrades[1]: h2c is never allowed: HTTP/2 over Upgrade was removed in RFC 9113") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// TestServeWebSocketUpgrade: a listed upgrade (websocket, the default)
// passes through and bytes flow both ways after the 101; with
// `proxy.upgrades: []` the same request reaches the upstream as plain
// HTTP/1.1 without Upgrade.
func TestServeWebSocketUpgrade(t *testing.T) {
	var rec seen
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "want a websocket upgrade", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	defer up.Close()

	handshake := func(t *testing.T, proxyAddr string) (*http.Response, *bufio.Reader, net.Conn) {
		t.Helper()
		conn, err := net.Dial("tcp", proxyAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: app.test\r\nUser-Agent: "+firefox+"\r\n"+
			"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp, br, conn
	}

	t.Run("listed", func(t *testing.T) {
		s := startServe(t, "--upstream", up.URL, "--data", t.TempDir())
		resp, br, conn := handshake(t, s.proxy)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("websocket handshake: %s", resp.Status)
		}
		io.WriteString(conn, "hello\n")
		if line, _ := br.ReadString('\n'); line != "echo: hello\n" {
			t.Fatalf("echo %q", line)
		}
	})
	t.Run("not listed", func(t *testing.T) {
		n := len(rec.all())
		s := startServe(t, "--upstream", up.URL, "--config", writeConfig(t, "proxy: {upgrades: []}\n"))
		resp, _, _ := handshake(t, s.proxy)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Fatalf("refused upgrade: %s, want the upstream's 426 for a plain request", resp.Status)
		}
		got := rec.all()[n:]
		if len(got) != 1 || got[0].Header.Get("Upgrade") != "" || strings.Contains(strings.ToLower(got[0].Header.Get("Connection")), "upgrade") {
			t.Fatalf("upstream received %d requests, headers %v", len(got), got)
		}
	})
}

// TestServeClientIPHeaders: a client's own X-Real-IP, True-Client-IP,
// CF-Connecting-IP and the like never reach the upstream, and X-Real-IP
// is the client Warden identified; from a trusted proxy they pass, but
// X-Real-IP is still Warden's.
func TestServeClientIPHeaders(t *testing.T) {
	headers := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers <- r.Header.Clone()
	}))
	defer up.Close()
	spoofed := map[string]string{
		"X-Real-IP":           "6.6.6.1",
		"True-Client-IP":      "6.6.6.2",
		"CF-Connecting-IP":    "6.6.6.3",
		"X-Client-IP":         "6.6.6.4",
		"X-Cluster-Client-IP": "6.6.6.5",
		"Fastly-Client-IP":    "6.6.6.6",
		"X-Forwarded-For":     "6.6.6.7",
		"Forwarded":           "for=6.6.6.8",
	}
	send := func(t *testing.T, proxyAddr string, h map[string]string) http.Header {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+proxyAddr+"/api/items?page=2", nil)
		req.Header.Set("User-Agent", firefox)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return <-headers
	}

	t.Run("untrusted client", func(t *testing.T) {
		s := startServe(t, "--upstream", up.URL, "--data", t.TempDir())
		got := send(t, s.proxy, spoofed)
		for k, vs := range got {
			for _, v := range vs {
				if strings.Contains(v, "6.6.6.") {
					t.Errorf("upstream received the spoofed %s: %q", k, v)
				}
			}
		}
		if ip := got.Values("X-Real-Ip"); len(ip) != 1 || ip[0] != "127.0.0.1" {
			t.Errorf("X-Real-IP %q, want the client 127.0.0.1", ip)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		s := startServe(t, "--upstream", up.URL, "--config", writeConfig(t, "trusted_proxies: [127.0.0.1/32]\n"))
		got := send(t, s.proxy, map[string]string{
			"X-Forwarded-For":  "198.51.100.7",
			"X-Real-IP":        "6.6.6.1", // the hop's own: Warden's wins
			"CF-Connecting-IP": "198.51.100.7",
		})
		if ip := got.Values("X-Real-Ip"); len(ip) != 1 || ip[0] != "198.51.100.7" {
			t.Errorf("X-Real-IP %q, want the identified client 198.51.100.7", ip)
		}
		if v := got.Get("Cf-Connecting-Ip"); v != "198.51.100.7" {
			t.Errorf("a trusted hop's CF-Connecting-IP became %q", v)
		}
		if v := got.Get("X-Forwarded-For"); v != "198.51.100.7, 127.0.0.1" {
			t.Errorf("X-Forwarded-For %q", v)
		}
	})
}

// TestServeWarnsOfExposedAdmin: the admin API over plain HTTP on a
// non-loopback address gets a warning at start-up; on loopback none.
func TestServeWarnsOfExposedAdmin(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	for _, tc := range []struct {
		admin string
		warn  bool
	}{{"0.0.0.0:0", true}, {"127.0.0.1:0", false}} {
		t.Run(tc.admin, func(t *testing.T) {
			s := startServe(t, "--upstream", up.URL, "--data", t.TempDir(), "--admin", tc.admin)
			if got := strings.Contains(s.stderr.String(), "admin API listens on a non-loopback address"); got != tc.warn {
				t.Fatalf("warning printed: %v, want %v; stderr:\n%s", got, tc.warn, s.stderr.String())
			}
			if tc.warn {
				t.Log(s.stderr.String())
			}
		})
	}
}
