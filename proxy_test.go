package warden_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/proxy"
)

// TestGuardInFrontOfProxy runs the pipeline around the reverse proxy, as
// `warden serve` does: an upgrade passes through the status recorder and
// a blocked request never reaches the upstream.
func TestGuardInFrontOfProxy(t *testing.T) {
	var hits int
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get("Upgrade") == "websocket" {
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
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer up.Close()
	cfg := testConfig(t)
	g := newGuard(t, cfg)
	obs := &recordingObserver{}
	g.Use(obs, containsDetector("test", "evil", abuse.Verdict{Confidence: 1}))
	u, _ := url.Parse(up.URL)
	front := httptest.NewServer(g.Handler(proxy.New(u, cfg.Proxy, g.TrustedProxy, nil)))
	defer front.Close()

	resp, err := http.Get(front.URL + "/x?evil")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || hits != 0 {
		t.Fatalf("blocked request: status %d, upstream hits %d", resp.StatusCode, hits)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	r2, err := http.ReadResponse(br, nil)
	if err != nil || r2.StatusCode != 101 {
		t.Fatalf("upgrade through the guard: %v %v", r2, err)
	}
	fmt.Fprint(conn, "hi\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, _ := br.ReadString('\n'); line != "echo: hi\n" {
		t.Fatalf("echo %q", line)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for obs.calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if last := obs.last.Load(); obs.calls.Load() != 2 || last.Status != 101 {
		t.Fatalf("observer: %d calls, last %+v; want 2 and status 101", obs.calls.Load(), last)
	}
}
