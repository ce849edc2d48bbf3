package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
)

// ctxProbe is a detector that reports whether its context was cancelled
// while it ran: it waits up to wait for a cancellation, the time a slow
// detector under load might take.
type ctxProbe struct {
	wait time.Duration

	mu        sync.Mutex
	cancelled []bool
}

func (p *ctxProbe) Name() string { return "ctxprobe" }

func (p *ctxProbe) Detect(ctx context.Context, r *abuse.Request) abuse.Verdict {
	t := time.NewTimer(p.wait)
	defer t.Stop()
	cancelled := false
	select {
	case <-ctx.Done():
		cancelled = true
	case <-t.C:
	}
	p.mu.Lock()
	p.cancelled = append(p.cancelled, cancelled)
	p.mu.Unlock()
	return abuse.Verdict{Confidence: 0.1, Violation: "probe", Messages: []string{"body " + strconv.Quote(string(r.Body))}}
}

func (p *ctxProbe) take() []bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.cancelled
	p.cancelled = nil
	return out
}

// send half-closes each connection after its request, which makes
// net/http cancel the request's context; the detectors must never see
// that (a verdict would otherwise depend on goroutine timing, and the
// payload detector would skip the body), whatever the body: the Guard
// decides under a context the client cannot cancel.
func TestClientCancellationNeverReachesDetectors(t *testing.T) {
	probe := &ctxProbe{wait: 300 * time.Millisecond}
	h, err := newWireHarness(config.Default(), probe)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	full := "a=1&b=2"
	tests := []struct {
		name       string
		raw        string
		bodyInView string
	}{
		{"no body", "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", ""},
		{"full body", "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
			strconv.Itoa(len(full)) + "\r\nConnection: close\r\n\r\n" + full, full},
		{"full body, keep-alive", "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
			strconv.Itoa(len(full)) + "\r\n\r\n" + full, full},
		{"short body", "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" + full, full},
		{"chunked", "POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
			"7\r\n" + full + "\r\n0\r\n\r\n", full},
		{"chunked, last chunk missing", "POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
			"7\r\n" + full + "\r\n", full},
		{"chunked, malformed", "POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
			"7\r\n" + full + "\r\nzz\r\n", full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.send([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			got := probe.take()
			if res.rejected || len(got) != 1 {
				t.Fatalf("rejected %v, detector ran %d times; want it run once", res.rejected, len(got))
			}
			if got[0] {
				t.Error("a detector saw the client's cancellation")
			}
			if len(res.verdicts) != 1 || res.verdicts[0].Messages[0] != "body "+strconv.Quote(tt.bodyInView) {
				t.Errorf("verdicts %+v, want the probe's on body %q", res.verdicts, tt.bodyInView)
			}
		})
	}
}

// A request on another connection than the one send is judging (a
// smuggled request a previous sample's connection still serves) is not
// taken for the sample: it neither marks the sample as having reached
// the handler nor adds verdicts to it.
func TestOtherConnectionsAreNotTheSample(t *testing.T) {
	probe := &ctxProbe{}
	h, err := newWireHarness(config.Default(), probe)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	// As send leaves things just before its own request arrives.
	h.mu.Lock()
	h.client, h.reached, h.verdicts = "127.0.0.1:1", false, nil
	h.mu.Unlock()
	resp, err := http.Get("http://" + h.ln.Addr().String() + "/stray")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := probe.take(); len(got) != 1 {
		t.Fatalf("the Guard judged the stray request %d times, want once", len(got))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.reached || len(h.verdicts) != 0 {
		t.Errorf("stray request taken for the sample: reached %v, %d verdicts", h.reached, len(h.verdicts))
	}
}

// routeProbe records the route and class the pipeline gave each request.
type routeProbe struct {
	mu   sync.Mutex
	seen [][2]string
}

func (p *routeProbe) Name() string { return "routeprobe" }

func (p *routeProbe) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	p.mu.Lock()
	p.seen = append(p.seen, [2]string{r.Route, r.Class})
	p.mu.Unlock()
	return abuse.Verdict{}
}

// The harness keeps the default configuration's route classes, so the
// detectors see a LibreChat message as `warden serve` shows it to them.
func TestDefaultRouteClasses(t *testing.T) {
	probe := &routeProbe{}
	h, err := newWireHarness(config.Default(), probe)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	tests := []struct {
		method, uri  string
		route, class string
	}{
		{"POST", "/api/ask/openAI", "POST /api/ask/{rest...}", "message"},
		{"POST", "/api/auth/login", "POST /api/auth/login", "login"},
		{"POST", "/v1/chat/completions", "", ""},
		{"GET", "/api/ask/openAI", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.uri, func(t *testing.T) {
			r := row{Method: tt.method, URI: tt.uri, Headers: map[string]string{"User-Agent": "Mozilla/5.0"}}
			if _, err := h.send(wireBytes(&r)); err != nil {
				t.Fatal(err)
			}
			probe.mu.Lock()
			seen := probe.seen
			probe.seen = nil
			probe.mu.Unlock()
			if len(seen) != 1 || seen[0] != [2]string{tt.route, tt.class} {
				t.Errorf("route and class %q, want %q", seen, [2]string{tt.route, tt.class})
			}
		})
	}
}

// Warden's column runs the default configuration's stateless request
// detectors, as `warden serve` orders them; -protocol=false leaves the
// protocol detector out and nothing else.
func TestDetectorsOfTheDefaultConfig(t *testing.T) {
	for _, tt := range []struct {
		withProtocol bool
		want         string
	}{
		{true, "protocol bot payload prompt_injection"},
		{false, "bot payload prompt_injection"},
	} {
		ds, err := detectors(config.Default(), tt.withProtocol)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range ds {
			names = append(names, d.Name())
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("withProtocol %v: detectors %q, want %q", tt.withProtocol, got, tt.want)
		}
	}
}
