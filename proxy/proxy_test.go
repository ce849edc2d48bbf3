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

	"github.com/warden-dev/warden/config"
)

func newProxy(t *testing.T, upstream string, trusted ...string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().Proxy
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

func TestUpgradePassThrough(t *testing.T) {
	// A minimal upgrade handshake and echo, as WebSocket does.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want upgrade", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	defer up.Close()
	p := newProxy(t, up.URL)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	fmt.Fprint(conn, "hello\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, _ := br.ReadString('\n'); line != "echo: hello\n" {
		t.Fatalf("echo %q", line)
	}
}
