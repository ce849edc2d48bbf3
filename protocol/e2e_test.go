package protocol_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/config"
)

// TestEndToEnd sends raw requests over TCP to Warden as `warden serve`
// builds it (default configuration: the protocol detector is on): the
// server parses them, the Guard judges them. Smuggling-style requests get
// 403 {"error":"blocked"} and never reach the upstream; ordinary ones,
// chunked uploads included, do.
func TestEndToEnd(t *testing.T) {
	smuggled := "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: internal\r\n\r\n"
	field := "a=1%0d%0a%0d%0aGET%20/admin%20HTTP/1.1%0d%0aHost:%20x"
	tests := []struct {
		name    string
		raw     string
		blocked bool
	}{
		{"request smuggled in a body", "POST /api/notes HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\nContent-Type: text/plain\r\n" +
			"Content-Length: " + strconv.Itoa(len(smuggled)) + "\r\n\r\n" + smuggled, true},
		{"request line in a form field", "POST /api/notes HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: " + strconv.Itoa(len(field)) + "\r\n\r\n" + field, true},
		{"response splitting", "GET /go?next=%0d%0aSet-Cookie:%20admin=1 HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\n\r\n", true},
		{"chunked GET", "GET / HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", true},
		{"chunked upload", "POST /api/files HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false},
		{"ordinary GET", "GET /api/items?page=2 HTTP/1.1\r\nHost: app.example\r\nAccept: application/json\r\nUser-Agent: Mozilla/5.0 Firefox/140.0\r\n\r\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, reached := newServer(t, true)
			status, body := send(t, addr, tc.raw)
			if !tc.blocked {
				if status != http.StatusOK || reached.Load() != 1 {
					t.Fatalf("answered %d, upstream reached %d times; want 200 and 1", status, reached.Load())
				}
				return
			}
			if status != http.StatusForbidden || reached.Load() != 0 {
				t.Fatalf("answered %d, upstream reached %d times; want 403 and 0 (%s)", status, reached.Load(), body)
			}
			var a struct {
				Error     string `json:"error"`
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(body), &a); err != nil || a.Error != "blocked" || a.RequestID == "" {
				t.Fatalf("answer %q (%v)", body, err)
			}
			if strings.Contains(body, "admin") {
				t.Fatalf("answer echoes the payload: %s", body)
			}
		})
	}
}

// TestEndToEndWiring shows that it is the protocol detector that stops
// the smuggled body: with it off, the same request reaches the upstream.
func TestEndToEndWiring(t *testing.T) {
	smuggled := "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: internal\r\n\r\n"
	raw := "POST /api/notes HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\nContent-Type: text/plain\r\n" +
		"Content-Length: " + strconv.Itoa(len(smuggled)) + "\r\n\r\n" + smuggled
	addr, reached := newServer(t, false)
	if status, _ := send(t, addr, raw); status != http.StatusOK || reached.Load() != 1 {
		t.Fatalf("protocol off: answered %d, upstream reached %d times", status, reached.Load())
	}
}

// newServer starts the default Guard (protocol detector on or off) in
// front of an upstream that counts its requests, on a real listener so
// that net/http parses the bytes.
func newServer(t *testing.T, protocol bool) (string, *atomic.Int64) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	cfg.Protocol.Enabled = protocol
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	reached := new(atomic.Int64)
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), reached
}

func send(t *testing.T, addr, raw string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
