package warden

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
	"unsafe"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/inspect"
	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/internal/sniff"
)

// Handler returns next wrapped in the Guard's pipeline. Requests that the
// Guard answers itself (blocked, throttled, banned, too large) never reach
// next.
func (g *Guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.serve(w, r, next)
	})
}

// run holds one request's pipeline state; it is pooled with its Request
// (Guard.reqPool holds only *run).
type run struct {
	req      abuse.Request
	args     args.Set // req's arguments, kept with the run for their buffers
	verdicts []abuse.Verdict
	modes    []config.Mode
	acts     []abuse.Action // acts[i]: the action verdicts[i] took (see abuse.Outcome.Acts)
	observed []abuse.Observer
	wrappers []abuse.ResponseWrapper
	wrapMon  []bool // wrapMon[i]: wrappers[i]'s detector monitors this request
	rec      recorder
	idHeader []string // X-Request-Id's value: req.ID
}

// getRun takes a run from the pool, or allocates one on a miss. The pool
// has no New: a pool miss is one allocation, the run.
func (g *Guard) getRun() *run {
	if r, ok := g.reqPool.Get().(*run); ok {
		r.req.UseArgs(&r.args)
		return r
	}
	r := new(run)
	r.req.UseArgs(&r.args)
	return r
}

func (g *Guard) putRun(r *run) {
	clear(r.verdicts) // drop references to messages and headers
	clear(r.observed)
	clear(r.wrappers)
	r.req = abuse.Request{}
	r.args.Reset()
	r.verdicts, r.modes, r.acts, r.observed, r.wrappers = r.verdicts[:0], r.modes[:0], r.acts[:0], r.observed[:0], r.wrappers[:0]
	r.wrapMon = r.wrapMon[:0]
	r.rec = recorder{}
	r.idHeader = nil
	g.reqPool.Put(r)
}

func (g *Guard) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	start := g.now()
	run := g.getRun()
	req := &run.req
	g.identify(run, r, start)
	if g.allowed(req.Client) {
		g.putRun(run)
		next.ServeHTTP(w, r)
		return
	}
	rec := &run.rec
	rec.ResponseWriter = w
	w.Header()["X-Request-Id"] = run.idHeader
	var d Decision
	var decided time.Duration // time to decide; the rest is the upstream's
	var forwarded bool        // next was called
	var out http.ResponseWriter = rec
	defer func() {
		p := recover()
		if p != nil {
			g.recovered(rec, req, p)
		}
		g.finishResponse(out, rec, run, &d)
		latency := g.now().Sub(start)
		status := rec.status
		if status == 0 {
			status = http.StatusOK // handler wrote nothing: net/http answers 200
		}
		if decided == 0 {
			decided = latency
		}
		// The upstream answered unless it was never called or the client
		// left before anything was written.
		if forwarded && g.metrics != nil && (rec.wrote || rec.upstreamFailed || r.Context().Err() == nil) {
			up := status
			if rec.upstreamFailed {
				up = 0
			}
			g.metrics.UpstreamResponse(req.Route, up)
		}
		g.finish(run, &d, status, latency, decided)
		g.putRun(run)
		if p != nil && errors.Is(asError(p), http.ErrAbortHandler) {
			panic(p) // let net/http abort the connection as intended
		}
	}()

	g.decideRun(rec, r, run, start, &d)
	decided = g.now().Sub(start)
	if d.Action.Status() != 0 {
		g.answer(rec, req, &d)
		return
	}
	for i, wr := range run.wrappers {
		if mw, ok := wr.(abuse.MonitorWrapper); ok && run.wrapMon[i] {
			out = mw.WrapResponseMonitor(out, req)
			continue
		}
		out = wr.WrapResponse(out, req)
	}
	forwarded = true
	next.ServeHTTP(out, r)
}

// finishResponse lets the writers that read the answer (the response
// guard) write what they held and adds their verdicts to the decision:
// a finding in the answer is logged like one in the request.
func (g *Guard) finishResponse(out http.ResponseWriter, rec *recorder, run *run, d *Decision) {
	n := len(run.verdicts)
	for w := out; w != nil && w != http.ResponseWriter(rec); {
		if f, ok := w.(abuse.ResponseFinisher); ok {
			for _, v := range f.FinishResponse() {
				run.verdicts = append(run.verdicts, v)
				run.modes = append(run.modes, g.cfg.Mode)
				d.Confidence = max(d.Confidence, v.Confidence)
			}
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	if len(run.verdicts) == n {
		return
	}
	d.Verdicts = run.verdicts
	if d.Would == abuse.Allow {
		d.Action, d.Would, d.Detector = abuse.Log, abuse.Log, run.verdicts[n].Detector
	}
}

// decideRun decides about an identified request, not on the allow list:
// ban, route, body, detectors, then the violations it scores. Handler and
// Check both decide here, so a checked request is decided exactly as a
// served one. w is only for http.MaxBytesReader. d.Verdicts lies in run.
func (g *Guard) decideRun(w http.ResponseWriter, r *http.Request, run *run, start time.Time, d *Decision) {
	req := &run.req
	ctx := decisionContext(r)
	if b, ok := g.banned(ctx, req.Client, start); ok {
		*d = banDecision(b, start)
		run.verdicts = append(run.verdicts, d.Verdicts...)
		run.modes = append(run.modes, g.cfg.Mode)
		d.Verdicts = run.verdicts
		if g.cfg.Mode != config.Monitor {
			return
		}
		// A dry run goes on as if there were no ban, so that its
		// detectors see what they would see once the ban is lifted.
		d.Action, d.Mode = abuse.Log, config.Monitor
	}

	t := g.routes.Load()
	e := t.match(req)
	if e != nil {
		req.Route, req.Class = e.pattern, e.class
	}
	if a := g.readBody(w, r, req); a != abuse.Allow {
		*d = Decision{Action: a, Would: a, Mode: config.Enforce, Confidence: 1, Detector: "inspect",
			Reason: "request body too large to inspect"}
		return
	}

	g.runAll(ctx, r, run, t, e)
	if d.Would == abuse.Allow { // not already decided by a monitored ban
		*d = g.decide(run.verdicts, run.modes)
	} else {
		d.Verdicts = run.verdicts
	}
	g.enforce(ctx, req, run)
}

// finish tells the observers how the request ended and records it.
func (g *Guard) finish(run *run, d *Decision, status int, latency, decided time.Duration) {
	out := abuse.Outcome{Status: status, Latency: latency, Action: d.Action, Verdicts: d.Verdicts, Acts: g.acts(run)}
	for _, o := range run.observed {
		o.Observe(&run.req, out)
	}
	g.record(&run.req, d, status, latency, decided)
}

// banDecision is the decision for a request from a banned client.
func banDecision(b ban.Ban, now time.Time) Decision {
	v := abuse.Verdict{Detector: "ban", Confidence: 1, Action: abuse.Ban, Violation: "",
		Messages: []string{"banned " + b.Target.String() + " until " + b.Until.UTC().Format(time.RFC3339)},
		Reason:   "client is banned", RetryAfter: b.Until.Sub(now)}
	return Decision{Action: abuse.Ban, Would: abuse.Ban, Mode: config.Enforce, Confidence: 1,
		Verdicts: []abuse.Verdict{v}, Detector: "ban", Reason: v.Reason, RetryAfter: v.RetryAfter}
}

// decisionContext is the context the decision runs under: r's values,
// but not its cancellation. net/http cancels a request's context when the
// client closes its side of the connection, which a client can do right
// after sending a complete request and still read the answer; a ban lookup
// or detector that stopped on that cancellation would let the request
// through uninspected. Each store call and the LLM judge bound their own
// time instead.
func decisionContext(r *http.Request) context.Context {
	return context.WithoutCancel(r.Context())
}

// runAll runs the global detectors, then the route's own, or the default
// set when no Detect pattern matched.
func (g *Guard) runAll(ctx context.Context, r *http.Request, run *run, t *routeTable, e *routeEntry) {
	timed := g.timeDetectors()
	g.runStages(ctx, run, t.global, timed)
	switch {
	case e != nil && e.hasCustom:
		g.runStages(ctx, run, e.stages, timed)
	default:
		g.runStages(ctx, run, t.defaults, timed)
	}
}

// timeDetectors reports whether this request's detectors are timed for
// metrics: one request in metrics.detector_sample, picked at random.
func (g *Guard) timeDetectors() bool {
	n := g.cfg.Metrics.DetectorSample
	return g.metrics != nil && n > 0 && (n == 1 || rand.Uint32N(uint32(n)) == 0)
}

// runStages runs the detectors of stages on run's request; timed, it
// records each detector's time. Times are read from the monotonic clock,
// not the Guard's (which tests and replay drive): one reading per
// detector, each ending one detector's time and starting the next's.
func (g *Guard) runStages(ctx context.Context, run *run, stages []stage, timed bool) {
	var last time.Time
	if timed {
		last = time.Now()
	}
	for i := range stages {
		s := &stages[i]
		mode := s.modeFor(&run.req)
		if mode == config.Off {
			continue
		}
		v := s.d.Detect(ctx, &run.req)
		if timed && s.took != nil {
			now := time.Now()
			s.took(now.Sub(last))
			last = now
		}
		if s.obs != nil {
			run.observed = append(run.observed, s.obs)
		}
		if s.wrap != nil {
			run.wrappers = append(run.wrappers, s.wrap)
			run.wrapMon = append(run.wrapMon, mode == config.Monitor)
		}
		if !v.Found() {
			continue
		}
		if v.Detector == "" {
			v.Detector = s.name
		}
		v.Confidence = min(max(v.Confidence, 0), 1)
		run.verdicts = append(run.verdicts, v)
		run.modes = append(run.modes, mode)
	}
}

// enforce records each violation type once per request, for detectors in
// enforce mode whose verdict acts (throttles, rejects, blocks). Findings
// that are only logged — the grey zone — do not score: as in LibreChat,
// only what was stopped counts towards a ban, so a client is never banned
// for requests that were all let through. A grey finding that the LLM
// judge confirms comes back as an acting verdict and scores then. Each
// blocking violation goes with its verdict's abuse.Finding, so the same
// blocked request retried scores once per enforce.repeat_window.
func (g *Guard) enforce(ctx context.Context, req *abuse.Request, run *run) {
	if g.enforcer == nil {
		return
	}
	for i := range run.verdicts {
		v := &run.verdicts[i]
		if v.Violation == "" || run.modes[i] != config.Enforce || g.verdictAction(v) <= abuse.Log {
			continue
		}
		dup := false
		for j := range run.verdicts[:i] {
			w := &run.verdicts[j]
			dup = dup || (w.Violation == v.Violation && g.verdictAction(w) > abuse.Log)
		}
		if dup {
			continue
		}
		// A rate finding (throttled) is a new violation with each request
		// past the limit, as in LibreChat: it has no finding to repeat.
		var finding uint64
		if g.verdictAction(v) != abuse.Throttle {
			finding = abuse.Finding(g.seed, req, v)
		}
		if _, _, err := g.enforcer.RecordFinding(ctx, req, v.Violation, finding); err != nil {
			g.logger().Warn("recording violation failed", "violation", v.Violation, "err", err)
		}
	}
}

// acts fills run.acts with the action each verdict took, for observers
// (abuse.Outcome.Acts): policy applied, and Log for a verdict of a
// detector held back by its own monitor mode. Under the global monitor
// mode every detector is monitored; there the action is what enforce mode
// would take, so that a dry run's behaviour windows match enforcing.
func (g *Guard) acts(run *run) []abuse.Action {
	for i := range run.verdicts {
		a := g.verdictAction(&run.verdicts[i])
		if run.modes[i] == config.Monitor && g.cfg.Mode != config.Monitor {
			a = min(a, abuse.Log)
		}
		run.acts = append(run.acts, a)
	}
	return run.acts
}

func (g *Guard) identify(run *run, r *http.Request, now time.Time) {
	req := &run.req
	ip, viaTrusted := g.ident.ClientIP(r)
	user, plan := g.ident.User(r, viaTrusted)
	run.idHeader = g.nextID()
	req.ID = run.idHeader[0]
	req.Time = now
	req.Client = abuse.Client{IP: ip, User: user, Plan: plan}
	req.Method = r.Method
	req.Host = r.Host
	req.Path = r.URL.EscapedPath()
	req.RawQuery = r.URL.RawQuery
	req.UserAgent = firstValue(r.Header, "User-Agent")
	req.Header = r.Header
	req.ContentType = firstValue(r.Header, "Content-Type")
	req.HTTP = r
}

// firstValue is Header.Get for a key already in canonical form, as net/http
// stores them: it skips Get's canonicalisation, a measurable share of the
// per-request cost.
func firstValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// requestID is a request's ID and the one-element header value that
// carries it, in one allocation: every answer has an X-Request-Id, and the
// ID's bytes and that slice used to be two allocations of each request.
type requestID struct {
	header [1]string
	buf    [24]byte // prefix (8) + '-' + a uint64 in base 36 (≤ 13)
}

// nextID returns a new request ID as X-Request-Id's value: header[0] is
// the ID.
func (g *Guard) nextID() []string {
	id := new(requestID)
	n := copy(id.buf[:len(id.buf)-14], g.idPrefix)
	id.buf[n] = '-'
	b := strconv.AppendUint(id.buf[:n+1], g.seq.Add(1), 36)
	// b lies in id.buf, which nothing writes again: the string may share it.
	id.header[0] = unsafe.String(&b[0], len(b))
	return id.header[:]
}

func (g *Guard) allowed(c abuse.Client) bool {
	for _, p := range g.allowNets {
		if p.Contains(c.IP) {
			return true
		}
	}
	if c.User != "" && len(g.allowUsers) > 0 {
		_, ok := g.allowUsers[c.User]
		return ok
	}
	return false
}

// banned reports a ban in force on the client's user or IP. An IPv6
// client is banned by its network (enforce.ipv6_prefix, a /64 by default)
// or its own address. A store error fails open: requests flow, the error
// is logged.
func (g *Guard) banned(ctx context.Context, c abuse.Client, now time.Time) (ban.Ban, bool) {
	if g.bans == nil {
		return ban.Ban{}, false
	}
	var network, addr ban.Target
	var two bool
	if c.IP.IsValid() {
		network, addr, two = g.banScope.Lookups(c.IP)
	}
	if g.banLookup != nil && (c.User != "" && c.IP.IsValid() || two) {
		targets := make([]ban.Target, 0, 3)
		if c.User != "" {
			targets = append(targets, ban.UserTarget(c.User))
		}
		targets = append(targets, network)
		if two {
			targets = append(targets, addr)
		}
		b, ok, err := g.banLookup.LookupAny(ctx, targets, now)
		if err != nil {
			g.logger().Warn("ban lookup failed", "err", err)
		}
		return b, ok
	}
	lookup := func(t ban.Target) (ban.Ban, bool) {
		b, ok, err := g.bans.Lookup(ctx, t, now)
		if err != nil {
			g.logger().Warn("ban lookup failed", "err", err)
		}
		return b, ok
	}
	if c.User != "" {
		if b, ok := lookup(ban.UserTarget(c.User)); ok {
			return b, true
		}
	}
	if c.IP.IsValid() {
		if b, ok := lookup(network); ok {
			return b, true
		}
	}
	if two {
		if b, ok := lookup(addr); ok {
			return b, true
		}
	}
	return ban.Ban{}, false
}

// readBody buffers up to the inspection limit of the body into req.Body and
// gives r a body that replays the buffered bytes before the rest, so the
// upstream receives it untouched. It returns TooLarge when the body must be
// refused.
func (g *Guard) readBody(w http.ResponseWriter, r *http.Request, req *abuse.Request) abuse.Action {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return abuse.Allow
	}
	lim := g.cfg.Inspect
	if lim.MaxBody > 0 {
		if r.ContentLength > lim.MaxBody {
			return abuse.TooLarge
		}
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBody)
	}
	if lim.BodyLimit == 0 {
		return abuse.Allow
	}
	in := io.Reader(r.Body)
	if mt, _ := args.Essence(req.ContentType); sniff.Binary(mt) && !sniff.Protobuf(mt) {
		// The declared type is a claim: a body is buffered and inspected
		// unless its first bytes are binary (an image, an archive),
		// which no detector reads and an upload can be large.
		var peek [sniff.Peek]byte
		n, err := io.ReadFull(r.Body, peek[:])
		head := peek[:n]
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return abuse.TooLarge
			}
		}
		if !sniff.Text(head) {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(bytes.Clone(head)), r.Body), r.Body}
			return abuse.Allow
		}
		in = io.MultiReader(bytes.NewReader(bytes.Clone(head)), r.Body)
	}
	// Read at most BodyLimit+1 bytes, to learn whether there is more,
	// into one buffer sized from Content-Length when it is declared.
	size := lim.BodyLimit + 1
	if r.ContentLength > 0 && r.ContentLength < size {
		size = r.ContentLength + 1
	}
	body := make([]byte, 0, min(size, 64<<10))
	src := io.LimitReader(in, lim.BodyLimit+1)
	var err error
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)] // grow
		}
		var n int
		n, err = src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err != nil {
			break
		}
	}
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return abuse.TooLarge
		}
		// The client went away or was too slow; the upstream would fail
		// the same way. Hand it what was read and let it answer.
	}
	n := int64(len(body))
	truncated := n > lim.BodyLimit
	if truncated {
		if lim.Oversize == inspect.OversizeReject {
			return abuse.TooLarge
		}
		req.Body, req.BodyTruncated = body[:lim.BodyLimit], true
		r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		return abuse.Allow
	}
	req.Body = body
	r.Body = readCloser{bytes.NewReader(body), r.Body}
	return abuse.Allow
}

type readCloser struct {
	io.Reader
	io.Closer
}

// answer writes Warden's own JSON answer for a decision.
func (g *Guard) answer(w http.ResponseWriter, req *abuse.Request, d *Decision) {
	h := w.Header()
	for k, vs := range d.Header {
		h[k] = vs
	}
	status := d.Action.Status()
	retry := 0
	if d.RetryAfter > 0 {
		retry = int((d.RetryAfter + time.Second - 1) / time.Second)
		if h.Get("Retry-After") == "" {
			h.Set("Retry-After", strconv.Itoa(retry))
		}
	}
	var kind, reason string
	switch d.Action {
	case abuse.Throttle:
		kind, reason = "rate_limited", "rate limit exceeded"
	case abuse.Ban:
		kind, reason = "banned", "client is banned"
	case abuse.TooLarge:
		kind, reason = "too_large", "request too large to inspect"
	case abuse.Reject:
		kind, reason = "invalid_input", "request breaks an input constraint"
	default:
		kind, reason = "blocked", "request blocked"
	}
	if d.Reason != "" {
		reason = d.Reason
	}
	body := errorBody{Error: kind, Reason: reason, RequestID: req.ID}
	if d.Action == abuse.Throttle || d.Action == abuse.Ban {
		body.RetryAfter = &retry
	}
	writeError(w, status, body)
}

type errorBody struct {
	Error      string `json:"error"`
	Reason     string `json:"reason,omitempty"`
	RetryAfter *int   `json:"retry_after,omitempty"`
	RequestID  string `json:"request_id"`
}

// recovered answers 500 for a panic if nothing was written yet, and logs it.
func (g *Guard) recovered(rec *recorder, req *abuse.Request, p any) {
	if errors.Is(asError(p), http.ErrAbortHandler) {
		return
	}
	if g.metrics != nil {
		g.metrics.PanicRecovered()
	}
	g.logger().Error("panic serving request", "request_id", req.ID, "route", req.Route, "panic", boundedString(p))
	if !rec.wrote && !rec.hijacked {
		writeError(rec, http.StatusInternalServerError,
			errorBody{Error: "internal", Reason: "internal error", RequestID: req.ID})
	}
}

func asError(p any) error {
	if err, ok := p.(error); ok {
		return err
	}
	return nil
}

func (g *Guard) logger() *slog.Logger { return slog.Default() }

// recorder captures the status the request ended with, passing flushes and
// hijacks (WebSocket upgrades) through to the real writer.
type recorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	hijacked bool
	// upstreamFailed: the proxy could not reach the upstream, and the
	// status is its own 502 or 504.
	upstreamFailed bool
}

// UpstreamFailed is how package proxy says that it answers for an
// upstream it could not reach.
func (r *recorder) UpstreamFailed() { r.upstreamFailed = true }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status = code
		r.wrote = code >= 200 || code == http.StatusSwitchingProtocols
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for streamed answers (SSE).
func (r *recorder) Flush() {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for protocol upgrades.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
		if !r.wrote {
			r.status, r.wrote = http.StatusSwitchingProtocols, true
		}
	}
	return c, brw, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
