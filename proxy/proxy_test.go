package proxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func newProxy(t *testing.T, upstream string, trusted ...string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.ResponseHeaderTimeout = 2 * time.Second
	isTrusted := func(a netip.Addr) bool {
		for _, s := range trusted {
			if netip.MustParsePrefix(s).Contains(a) {
				return true
			}
		}
		return false
	}
	srv := httptest.NewServer(New(u, cfg, isTrusted, nil))
	t.Cleanup(srv.Close)
	return srv
}

func TestForwardedHeaders(t *testing.T) {
	seen := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		seen <- h
	}))
	defer up.Close()

	tests := []struct {
		name     string
		trusted  []string
		xff      string
		wantXFF  string
		wantHost string
	}{
		{"untrusted client's forged header is replaced", nil, "6.6.6.6", "127.0.0.1", "app.test"},
		{"trusted hop's header is extended", []string{"127.0.0.0/8"}, "198.51.100.7", "198.51.100.7, 127.0.0.1", "app.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newProxy(t, up.URL, tc.trusted...)
			req, _ := http.NewRequest("GET", p.URL+"/x", nil)
			req.Host = "app.test"
			req.Header.Set("X-Forwarded-For", tc.xff)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := <-seen
			if got := h.Get("X-Forwarded-For"); got != tc.wantXFF {
				t.Fatalf("X-Forwarded-For %q, want %q", got, tc.wantXFF)
			}
			if h.Get("Host") != tc.wantHost || h.Get("X-Forwarded-Host") != "app.test" || h.Get("X-Forwarded-Proto") != "http" {
				t.Fatalf("host headers %v", h)
			}
		})
	}
}

func TestUpstreamDownIsJSON502(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	p := newProxy(t, "http://"+addr)
	start := time.Now()
	resp, err := http.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 502 || body.Error != "bad_gateway" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", resp.StatusCode, body.Error)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("down upstream took too long to report")
	}
}

func TestSlowUpstreamIs504(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer up.Close()
	p := newProxy(t, up.URL) // response header timeout 2s
	resp, err := http.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 504 {
		t.Fatalf("got %d, want 504", resp.StatusCode)
	}
}

func TestStreamingAndLargeBodies(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: got %d\n\n", n)
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
		fmt.Fprint(w, "data: done\n\n")
	}))
	defer up.Close()
	p := newProxy(t, up.URL)
	body := strings.NewReader(strings.Repeat("x", 3<<20))
	resp, err := http.Post(p.URL+"/stream", "application/octet-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if first != fmt.Sprintf("data: got %d\n", 3<<20) {
		t.Fatalf("first event %q", first)
	}
}

// TestLargeResponsesThroughPooledBuffers sends responses larger than the
// pooled copy buffer, concurrently, so that buffers are reused while others
// are in use: every byte must come through unchanged.
func TestLargeResponsesThroughPooledBuffers(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.URL.Query().Get("n")) * 40000
		io.WriteString(w, strings.Repeat(r.URL.Query().Get("n"), n/len(r.URL.Query().Get("n"))))
	}))
	defer up.Close()
	p := newProxy(t, up.URL)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			tag := strings.Repeat(string(rune('a'+i)), i+1)
			resp, err := http.Get(p.URL + "/big?n=" + tag)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			switch {
			case err != nil:
				errs <- err
			case string(b) != strings.Repeat(tag, 40000):
				errs <- fmt.Errorf("response %d: %d bytes, corrupted or cut", i, len(b))
			default:
				errs <- nil
			}
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var pool BufferPool
	b := pool.Get()
	if len(b) != copyBufferSize {
		t.Fatalf("buffer of %d bytes", len(b))
	}
	pool.Put(b[:10]) // a shortened buffer comes back whole
	if got := pool.Get(); len(got) != copyBufferSize {
		t.Fatalf("reused buffer of %d bytes", len(got))
	}
}

// echoUpstream answers an upgrade to protocol (any other request with
// 426) with 101 and then echoes a line; always answers 101 whatever
// the request asked, as a broken or hostile upstream might.
func echoUpstream(t *testing.T, protocol string, always bool) (*httptest.Server, chan http.Header) {
	seen := make(chan http.Header, 4)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		if !always && !strings.EqualFold(r.Header.Get("Upgrade"), protocol) {
			http.Error(w, "want upgrade", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + protocol + "\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	t.Cleanup(up.Close)
	return up, seen
}

// upgrade sends an upgrade request with the extra header lines and returns
// the response, and the reader and connection to go on with.
func upgrade(t *testing.T, proxyURL, headers string) (*http.Response, *bufio.Reader, net.Conn) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(proxyURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: x\r\n"+headers+"\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp, br, conn
}

func TestUpgradePassThrough(t *testing.T) {
	up, _ := echoUpstream(t, "websocket", false)
	p := newProxy(t, up.URL)
	resp, br, conn := upgrade(t, p.URL, "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n")
	if resp.StatusCode != 101 {
		t.Fatalf("handshake: %s", resp.Status)
	}
	fmt.Fprint(conn, "hello\n")
	if line, _ := br.ReadString('\n'); line != "echo: hello\n" {
		t.Fatalf("echo %q", line)
	}
}

// TestUpgradeNotAllowed: a request for a protocol not listed reaches the
// upstream as plain HTTP/1.1, and h2c never passes, even listed by a
// caller that did not validate its configuration.
func TestUpgradeNotAllowed(t *testing.T) {
	tests := []struct {
		name     string
		upgrades []string
		headers  string
	}{
		{"websocket, none listed", nil, "Upgrade: websocket\r\nConnection: Upgrade\r\n"},
		{"h2c, listed", []string{"websocket", "h2c"}, "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"},
		{"h2c, settings outside Connection", []string{"h2c"}, "Upgrade: h2c\r\nConnection: Upgrade\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"},
		{"two protocols", []string{"websocket"}, "Upgrade: websocket, h2c\r\nConnection: Upgrade\r\n"},
		{"two Upgrade lines", []string{"websocket"}, "Upgrade: h2c\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"},
		{"unknown protocol, listed", []string{"echo"}, "Upgrade: echo\r\nConnection: Upgrade\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, seen := echoUpstream(t, "websocket", false)
			u, _ := url.Parse(up.URL)
			cfg := DefaultConfig()
			cfg.Upgrades = tc.upgrades
			p := httptest.NewServer(New(u, cfg, nil, nil))
			defer p.Close()
			resp, _, _ := upgrade(t, p.URL, tc.headers)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUpgradeRequired {
				t.Fatalf("status %s, want the upstream's answer to a plain request", resp.Status)
			}
			h := <-seen
			for _, k := range []string{"Upgrade", "Connection", "Http2-Settings"} {
				if v := h.Values(k); len(v) > 0 {
					t.Errorf("upstream received %s: %q", k, v)
				}
			}
		})
	}
}

// TestUnaskedSwitchIs502: an upstream that answers 101 to a request whose
// upgrade was removed, or switches to another protocol than asked, opens
// no tunnel: the client gets a 502.
func TestUnaskedSwitchIs502(t *testing.T) {
	for _, tc := range []struct{ name, headers string }{
		{"no upgrade asked", ""},
		{"h2c asked, removed", "Upgrade: h2c\r\nConnection: Upgrade\r\n"},
		{"websocket asked", "Upgrade: websocket\r\nConnection: Upgrade\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := echoUpstream(t, "h2c", true)
			p := newProxy(t, up.URL)
			resp, br, conn := upgrade(t, p.URL, tc.headers)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status %s, want 502", resp.Status)
			}
			fmt.Fprint(conn, "hello\n")
			conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			if rest, _ := io.ReadAll(br); strings.Contains(string(rest), "echo") {
				t.Fatalf("bytes went through a tunnel: %q", rest)
			}
		})
	}
	var u upgrades = newUpgrades([]string{"websocket"})
	req := &http.Request{Header: http.Header{"Upgrade": {"websocket"}}}
	if err := u.checkResponse(&http.Response{StatusCode: 101, Request: req, Header: http.Header{"Upgrade": {"WebSocket"}}}); err != nil {
		t.Fatalf("a websocket switch refused: %v", err)
	}
	if err := u.checkResponse(&http.Response{StatusCode: 101, Header: http.Header{"Upgrade": {"websocket"}}}); err == nil {
		t.Fatal("a switch without a request accepted")
	}
}

// TestClientIPHeaders: an untrusted client's own client-IP headers are
// removed and X-Real-IP is its address; a trusted proxy's pass, with
// X-Real-IP the client it names.
func TestClientIPHeaders(t *testing.T) {
	seen := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Clone() }))
	defer up.Close()
	spoof := map[string]string{"X-Real-IP": "6.6.6.1", "True-Client-IP": "6.6.6.2", "CF-Connecting-IP": "6.6.6.3", "X-Client-IP": "6.6.6.4", "Client-IP": "6.6.6.5"}
	send := func(t *testing.T, p *httptest.Server, h map[string]string) http.Header {
		t.Helper()
		req, _ := http.NewRequest("GET", p.URL+"/", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-seen
	}
	t.Run("untrusted", func(t *testing.T) {
		h := map[string]string{"Cf_Connecting_Ip": "6.6.6.7", "X_REAL_IP": "6.6.6.8"} // CGI reads them as the dashed ones
		for k, v := range spoof {
			h[k] = v
		}
		got := send(t, newProxy(t, up.URL), h)
		for k, vs := range got {
			for _, v := range vs {
				if strings.HasPrefix(v, "6.6.6.") {
					t.Errorf("%s passed: %q", k, v)
				}
			}
		}
		if v := got.Values("X-Real-Ip"); len(v) != 1 || v[0] != "127.0.0.1" {
			t.Errorf("X-Real-IP %q", v)
		}
	})
	t.Run("trusted", func(t *testing.T) {
		h := map[string]string{"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
		for k, v := range spoof {
			h[k] = v
		}
		got := send(t, newProxy(t, up.URL, "127.0.0.0/8"), h)
		for k, v := range spoof {
			if k != "X-Real-IP" && got.Get(k) != v {
				t.Errorf("trusted hop's %s became %q", k, got.Get(k))
			}
		}
		// The rightmost untrusted address, as package identity decides.
		if v := got.Values("X-Real-Ip"); len(v) != 1 || v[0] != "198.51.100.7" {
			t.Errorf("X-Real-IP %q", v)
		}
	})
	t.Run("list configured", func(t *testing.T) {
		u, _ := url.Parse(up.URL)
		cfg := DefaultConfig()
		cfg.ClientIPHeaders = []string{"x-my-client"} // any case
		p := httptest.NewServer(New(u, cfg, nil, nil))
		defer p.Close()
		got := send(t, p, map[string]string{"X-My-Client": "6.6.6.6", "CF-Connecting-IP": "6.6.6.3", "X-Real-IP": "6.6.6.1"})
		if got.Get("X-My-Client") != "" || got.Get("CF-Connecting-IP") != "6.6.6.3" || got.Get("X-Real-IP") != "127.0.0.1" {
			t.Errorf("headers %v", got)
		}
	})
}

func TestRealIPValue(t *testing.T) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		"fe80::1%eth0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%" + strings.Repeat("z", 40)} {
		a := netip.MustParseAddr(s)
		h := http.Header{}
		setRealIP(h, a)
		if v := h.Values("X-Real-IP"); len(v) != 1 || v[0] != a.String() {
			t.Errorf("%s: X-Real-IP %q", s, v)
		}
	}
	h := http.Header{"X-Real-Ip": {"6.6.6.6"}}
	setRealIP(h, netip.Addr{})
	if len(h) != 0 {
		t.Errorf("unknown client: %v", h)
	}
}
