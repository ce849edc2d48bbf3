package warden_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
)

// TestHalfCloseIsStillInspected: a client may close its side of the
// connection right after a complete request and still read the answer;
// net/http then cancels the request's context. The decision must not
// depend on that: the attack in the body is still found and blocked, and
// the app never sees it.
func TestHalfCloseIsStillInspected(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	g := newGuard(t, cfg)
	// A first stage slow enough for the half-close to land before the
	// payload detector runs (a store round trip on a loaded machine).
	var cancelled atomic.Bool
	g.Use(abuse.DetectorFunc{ID: "slow", Fn: func(ctx context.Context, _ *abuse.Request) abuse.Verdict {
		select {
		case <-ctx.Done():
			cancelled.Store(true)
		case <-time.After(300 * time.Millisecond):
		}
		return abuse.Verdict{}
	}})
	var reached atomic.Int64
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g.Handler(app)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	body := "expr=java.lang.Runtime.getRuntime().exec(%22id%22)"
	raw := "POST /api/search HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nConnection: close\r\n\r\n" + body
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer after a half-close: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403: the half-closed request was not inspected", resp.StatusCode)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the app saw the attack %d times", n)
	}
	if cancelled.Load() {
		t.Error("a detector saw the client's half-close as a cancelled context")
	}
}
