package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/inspect"
	"github.com/warden-dev/warden/server"
)

// wireBytes serialises a sample the way its test runner put it on the
// wire: the raw request of encoded_request stages as given; otherwise the
// request line, the headers in their wire order (or, for sets without
// one, Host first and the rest sorted, plus Content-Length), a blank line
// and the body.
func wireBytes(r *row) []byte {
	if r.RawRequest != "" {
		return bodyBytes(r.RawRequest, r.BodyEncoding)
	}
	var b bytes.Buffer
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(r.URI)
	version := "HTTP/1.1"
	if r.Version != nil {
		version = *r.Version
	}
	if version != "" {
		b.WriteByte(' ')
		b.WriteString(version)
	}
	b.WriteString("\r\n")
	body := bodyBytes(r.Body, r.BodyEncoding)
	if r.WireHeaders != nil {
		for _, kv := range r.WireHeaders {
			if len(kv) != 2 {
				continue
			}
			b.WriteString(kv[0])
			b.WriteString(": ")
			b.WriteString(kv[1])
			b.WriteString("\r\n")
		}
	} else {
		names := make([]string, 0, len(r.Headers))
		host := "localhost"
		for k, v := range r.Headers {
			if http.CanonicalHeaderKey(k) == "Host" {
				host = v
				continue
			}
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteString("Host: " + host + "\r\n")
		for _, k := range names {
			b.WriteString(k + ": " + r.Headers[k] + "\r\n")
		}
		if len(body) > 0 {
			b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
		}
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// bodyBytes turns a corpus string into the bytes that were sent: UTF-8,
// or one byte per character for latin-1 bodies.
func bodyBytes(s, encoding string) []byte {
	if encoding != "latin-1" {
		return []byte(s)
	}
	out := make([]byte, 0, len(s))
	for _, c := range s {
		out = append(out, byte(c))
	}
	return out
}

// wireResult is what happened to one request sent over TCP.
type wireResult struct {
	status   int     // the answer's status, 0 when none came
	rejected bool    // the HTTP server answered without calling Warden's handler
	conf     float64 // highest verdict confidence Warden's detectors gave
	verdicts []abuse.Verdict
}

// wireHarness is `warden serve` in miniature: a net/http server on a
// loopback port whose handler is a Guard running the detectors under
// test, in front of an upstream that answers 200. Requests are sent one
// at a time as raw bytes; the harness tells apart the server's own
// rejections (the handler never ran), Warden's answers and the upstream's.
//
// The client half-closes its connection after the request (see send),
// which a test runner waiting for its answer does not do. net/http
// cancels a request's context as soon as it reads that EOF, racing the
// detectors (the payload detector skips the body of a cancelled
// request), so the handler gives the Guard a context that only a failed
// body read cancels, as a waiting client's read timeout would.
type wireHarness struct {
	ln    net.Listener
	srv   *http.Server
	guard *server.Guard
	dir   string

	mu       sync.Mutex
	client   string // local address of the connection send is judging
	reached  bool
	verdicts []abuse.Verdict
}

// firstKey marks the context of the first request read from a
// connection.
type firstKey struct{}

// recorder wraps a detector and keeps its verdicts for the harness.
type recorder struct {
	d abuse.Detector
	h *wireHarness
}

func (r recorder) Name() string { return r.d.Name() }

func (r recorder) Detect(ctx context.Context, req *abuse.Request) abuse.Verdict {
	v := r.d.Detect(ctx, req)
	if v.Found() && ctx.Value(firstKey{}) != nil {
		r.h.mu.Lock()
		r.h.verdicts = append(r.h.verdicts, v)
		r.h.mu.Unlock()
	}
	return v
}

// newWireHarness starts the server. The Guard runs under cfg with every
// stateful part off (rate limits, behaviour, bans) so each request is
// judged on its own, and with its own detectors off: it runs exactly
// detectors. It keeps cfg's route classes, so the pipeline sets each
// request's Route and Class as `warden serve` does, for the detectors
// that treat some classes apart (the bot detector's browser-only routes).
func newWireHarness(cfg config.Config, detectors ...abuse.Detector) (*wireHarness, error) {
	dir, err := os.MkdirTemp("", "payloadeval-")
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	cfg.Log.Stderr = false
	cfg.Log.Store = false
	cfg.RateLimit.Enabled = false
	cfg.Enforce.Ban = false
	cfg.Bot.Enabled = false
	cfg.Payload.Enabled = false
	cfg.Protocol.Enabled = false
	cfg.Behavior.Enabled = false
	cfg.AI.Prompt.Enabled = false
	cfg.AI.Budget.Enabled = false
	cfg.AI.Moderation.Enabled = false
	cfg.AI.Extraction.Enabled = false
	cfg.AI.Input.Enabled = false
	// Only the detectors registered below run; warnings about the
	// violations recorded would flood stderr.
	g, err := server.New(context.Background(), cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	h := &wireHarness{guard: g, dir: dir}
	for _, d := range detectors {
		g.Use(recorder{d, h})
	}
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	guarded := g.Handler(upstream)
	h.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.mu.Lock()
			// Only the first request on the connection send opened is the
			// sample: bytes after its end are a smuggled second request,
			// and a previous sample's connection may still be serving one.
			first := !h.reached && r.RemoteAddr == h.client
			if first {
				h.reached = true
			}
			h.mu.Unlock()
			// send half-closes its connection, which cancels r's context;
			// the Guard decides under a context that ignores that, as it
			// does for any client.
			if first {
				r = r.WithContext(context.WithValue(r.Context(), firstKey{}, true))
			}
			guarded.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		MaxHeaderBytes:    cfg.Proxy.MaxHeaderBytes,
		ErrorLog:          nil,
	}
	h.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.close()
		return nil, err
	}
	go func() { _ = h.srv.Serve(h.ln) }()
	return h, nil
}

func (h *wireHarness) close() {
	if h.srv != nil {
		_ = h.srv.Close()
	}
	if h.guard != nil {
		_ = h.guard.Close(context.Background())
	}
	os.RemoveAll(h.dir)
}

// send writes raw to a new connection, half-closes it (so a body shorter
// than its Content-Length ends instead of waiting for a timeout) and reads
// the answer.
func (h *wireHarness) send(raw []byte) (wireResult, error) {
	c, err := net.Dial("tcp", h.ln.Addr().String())
	if err != nil {
		return wireResult{}, err
	}
	defer c.Close()
	h.mu.Lock()
	h.client, h.reached, h.verdicts = c.LocalAddr().String(), false, nil
	h.mu.Unlock()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(raw); err != nil {
		return wireResult{}, fmt.Errorf("write: %w", err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	var res wireResult
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		res.status = resp.StatusCode
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	} else if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return wireResult{}, fmt.Errorf("read answer: %w", err)
	}
	// A request that never reached the handler was refused by the server
	// (an error status, or the connection closed without an answer): it
	// never reaches the upstream either.
	h.mu.Lock()
	res.rejected = !h.reached
	res.verdicts = h.verdicts
	for _, v := range h.verdicts {
		res.conf = max(res.conf, v.Confidence)
	}
	h.mu.Unlock()
	return res, nil
}

// inProcess builds the detectors' view of a request for the in-process
// throughput run: parsed from its wire bytes by net/http's request parser
// and its body buffered, as the pipeline does; for requests the parser
// refuses, from the corpus fields as `warden inspect` does (nil when even
// that fails: such requests are only sent over TCP).
func inProcess(raw []byte, r *row) *abuse.Request {
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err == nil {
		body, _ := io.ReadAll(io.LimitReader(hr.Body, inspect.DefaultMaxBodyBytes))
		if req, err := inspect.BuildRequest(hr.Method, hr.RequestURI, hr.Header, body, inspect.DefaultMaxBodyBytes, time.Time{}); err == nil {
			req.Host, req.HTTP = hr.Host, hr // net/http moved Host out of the header
			hr.Body = io.NopCloser(bytes.NewReader(body))
			return req
		}
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	req, err := inspect.BuildRequest(r.Method, r.URI, h, bodyBytes(r.Body, r.BodyEncoding), inspect.DefaultMaxBodyBytes, time.Time{})
	if err != nil {
		return nil
	}
	return req
}

// detectors are the detectors of Warden's column: inspect.Detectors, the
// stateless request detectors `warden serve` runs with cfg, in serve's
// order, with the protocol detector left out when withProtocol is false.
func detectors(cfg config.Config, withProtocol bool) ([]abuse.Detector, error) {
	if !withProtocol {
		cfg.Protocol.Enabled = false
	}
	return inspect.Detectors(cfg.DetectorSections())
}
