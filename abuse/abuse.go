// Package abuse defines the vocabulary shared by Warden's pipeline and its
// detectors: the view of a request that detectors read, the Verdict each one
// returns, the Action policy may take, and the Outcome observed after the
// upstream answered. It imports none of Warden's packages but two leaf
// helpers under internal/ (redaction, the argument split), so every
// detector package (payload, behavior, bot, aiguard, ratelimit, …) and
// the root package can depend on it without cycles.
package abuse

import (
	"context"
	"hash/maphash"
	"net/http"
	"net/netip"
	"time"

	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/internal/redact"
)

// Action is what Warden does with a request. The constants are ordered by
// severity: when several verdicts ask for different actions, policy takes
// the most severe one.
type Action uint8

const (
	// Allow forwards the request.
	Allow Action = iota
	// Log forwards the request and writes it to the decision log.
	Log
	// Reject answers 400: the request breaks an input constraint (for
	// example a numeric model input out of range).
	Reject
	// Throttle answers 429 with Retry-After and RateLimit headers.
	Throttle
	// TooLarge answers 413: the request cannot be inspected within limits.
	TooLarge
	// Block answers 403.
	Block
	// Ban answers 403 with Retry-After: the client is banned.
	Ban
)

var actionNames = [...]string{"allow", "log", "reject", "throttle", "too_large", "block", "ban"}

// String returns the action's name as used in logs, config and JSON.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Status is the HTTP status Warden answers with for the action, or 0 when the
// request goes on to the upstream.
func (a Action) Status() int {
	switch a {
	case Reject:
		return http.StatusBadRequest
	case Throttle:
		return http.StatusTooManyRequests
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Block, Ban:
		return http.StatusForbidden
	}
	return 0
}

// Client is who is asking, as established by the identity stage.
type Client struct {
	IP   netip.Addr
	User string // empty when the request carries no trusted user id
	Plan string // the user's plan, empty when unknown
}

// keyIPv6Prefix is the prefix length of the network Key names an IPv6
// client by.
const keyIPv6Prefix = 64

// Key identifies the client for per-client state: "user:<id>" when a user is
// known, else "ip:<addr>" — for an IPv6 client its /64, as in
// "ip:2001:db8:2::/64", the text of its ban target, so a client cannot
// start afresh by moving to another address of its own network. An
// IPv4-mapped address is unmapped and a zone dropped. It allocates; hot
// paths that key on IP or user separately should use those fields.
func (c Client) Key() string {
	if c.User != "" {
		return "user:" + c.User
	}
	ip := c.IP.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(keyIPv6Prefix); err == nil {
			return "ip:" + p.String()
		}
	}
	return "ip:" + ip.String()
}

// Request is the view of one request that detectors read. The pipeline fills
// it once; detectors must treat it as read-only and must not retain it after
// Detect returns. Offline (warden inspect, warden replay) HTTP is nil and
// Header may be nil.
type Request struct {
	ID        string    // request id, also sent to the client in answers
	Time      time.Time // when the request arrived; detectors take time from here, never time.Now
	Client    Client
	Method    string
	Host      string
	Path      string // URL path, as sent (escaped form)
	RawQuery  string // query string without '?', as sent
	Route     string // the ServeMux-style pattern that matched, "" when none
	Class     string // route class from config ("login", "register", "message", …), "" when none
	UserAgent string
	Header    http.Header
	// Body is the buffered request body (at most the configured inspection
	// limit), nil when the request has none or it was not buffered.
	Body          []byte
	BodyTruncated bool // Body holds only a prefix of the real body
	ContentType   string
	HTTP          *http.Request // nil offline
	// Tokens is the model usage of the answer, zero when none was
	// measured. It is the one field written after Detect: the observer
	// that measures it (aiguard/budget) sets it in Observe, and the
	// decision log and the usage rollup read it once every observer ran.
	Tokens Tokens

	args *args.Set // see Args
}

// Tokens is what answering one request cost in model tokens. Prompt and
// Completion come from the answer's usage object; when the answer had
// none, Estimated is set, Prompt is estimated from the request body
// (bytes / 4) and Completion is 0 (not counted rather than guessed).
type Tokens struct {
	Model      string // as the request named it, "" when it named none
	Prompt     int64
	Completion int64
	Estimated  bool
}

// Known reports whether any tokens were measured.
func (t Tokens) Known() bool { return t.Prompt > 0 || t.Completion > 0 }

// Args returns the request's arguments (query string, form body), split
// by the first detector that reads them and kept for the others.
// Detectors of one request run one after another, which is what lets
// them share it. A Request given no Set by UseArgs allocates one here.
func (r *Request) Args() *args.Set {
	if r.args == nil {
		r.args = new(args.Set)
	}
	return r.args
}

// UseArgs has r keep its arguments in s, which must be zero or Reset: a
// pool of Requests keeps one Set with each and saves the allocation.
func (r *Request) UseArgs(s *args.Set) { r.args = s }

// Verdict is one detector's finding about one request. The zero Verdict
// means "nothing found". Verdicts stand alone: policy combines them, no
// detector can overwrite another's.
type Verdict struct {
	Detector   string   // name of the detector that produced it
	Confidence float64  // 0..1: how sure the detector is that this is abuse
	Violation  string   // violation type scored by enforcement, "" for none
	Messages   []string // evidence; never more of the payload than a bounded excerpt

	// Action, when not Allow, is the action the detector asks for (a rate
	// limiter asks for Throttle, a model-input check for Reject). When it is
	// Allow, policy derives the action from Confidence.
	Action     Action
	Reason     string        // short, safe, client-facing reason; never the payload
	RetryAfter time.Duration // for Throttle and Ban
	Header     http.Header   // extra response headers when the action is taken
}

// Found reports whether the verdict says anything.
func (v *Verdict) Found() bool {
	return v.Confidence > 0 || v.Action != Allow || v.Violation != ""
}

// Detector inspects a request before it is forwarded. Detect must be safe
// for concurrent use, bounded in time and memory whatever the request
// holds, and must not panic on hostile input. It returns the zero Verdict
// when it finds nothing.
type Detector interface {
	Name() string
	Detect(ctx context.Context, r *Request) Verdict
}

// DetectorFunc adapts a function to the Detector interface.
type DetectorFunc struct {
	ID string
	Fn func(ctx context.Context, r *Request) Verdict
}

// Name returns f.ID.
func (f DetectorFunc) Name() string { return f.ID }

// Detect calls f.Fn and fills in the detector name when it is empty.
func (f DetectorFunc) Detect(ctx context.Context, r *Request) Verdict {
	v := f.Fn(ctx, r)
	if v.Detector == "" && v.Found() {
		v.Detector = f.ID
	}
	return v
}

// Outcome is what happened to a request: Warden's own answer or the
// upstream's, after the response ended.
type Outcome struct {
	Status   int
	Latency  time.Duration
	Action   Action
	Verdicts []Verdict // the non-empty verdicts of this request; read-only
	// Acts[i] is the action Verdicts[i] took: policy applied (a verdict
	// asking for nothing gets Block or Log from its confidence), Log for a
	// detector held back by its own monitor mode. Under the global monitor
	// mode it is what enforce mode would do, so a dry run predicts. Nil
	// when unknown (offline replay): see Acted.
	Acts []Action
}

// Acted reports whether Verdicts[i] acted — stopped the request (Reject,
// Throttle, Block, …) rather than only being logged. Aggregates over
// other detectors' findings (behaviour's payload probing) count only
// these: grey findings that were let through never add up to a block.
// Without Acts, a verdict acted when it asked for such an action itself.
func (o *Outcome) Acted(i int) bool {
	a := o.Verdicts[i].Action
	if i < len(o.Acts) {
		a = o.Acts[i]
	}
	return a > Log
}

// Finding identifies what verdict v found in request r, for counting
// repeats: the detector, the violation, the route (the method and path
// when no route matched) and the messages, which name the field, the
// class and an excerpt of the value. A client sending the same request
// again gets the same Finding; another payload, field, class or route
// gives another. The hash is keyed by seed, so a client cannot craft
// different payloads that count as one. It does not allocate.
func Finding(seed maphash.Seed, r *Request, v *Verdict) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	field := func(s string) {
		h.WriteString(s)
		h.WriteByte(0) // a separator: ("ab","c") and ("a","bc") differ
	}
	field(v.Detector)
	field(v.Violation)
	if r.Route != "" {
		field(r.Route)
	} else {
		field(r.Method)
		field(r.Path)
	}
	for _, m := range v.Messages {
		field(m)
	}
	return h.Sum64()
}

// Observer is told how each request ended. Stateful detectors (behaviour
// windows, token budgets corrected from usage) implement it next to
// Detector. Observe must be cheap and safe for concurrent use.
type Observer interface {
	Observe(r *Request, o Outcome)
}

// Forgetter is a detector holding per-client state that can drop it on
// request: when an admin lifts a client's ban, the Guard asks each one to
// forget the client, so that the state which led to the ban (a window
// still full of findings) does not block and ban it again.
type Forgetter interface {
	// Forget drops the state of user (when not "") and of every client
	// address in network (when valid), and returns how many clients'
	// state it dropped. It must be safe for concurrent use with Detect.
	Forget(user string, network netip.Prefix) int
}

// ResponseWrapper is a detector that needs to see the upstream's answer
// (token budgets corrected from the response's usage). The pipeline wraps
// the response writer of every forwarded request with each such detector
// that ran; the wrapper must pass Flush through and implement
// Unwrap() http.ResponseWriter.
type ResponseWrapper interface {
	WrapResponse(w http.ResponseWriter, r *Request) http.ResponseWriter
}

// MonitorWrapper is a ResponseWrapper that can read an answer without
// acting on it. The pipeline calls WrapResponseMonitor instead of
// WrapResponse where the detector is in monitor mode for the request
// (the global mode, detectors.<name>.mode or its routes): the writer
// reports what it would change and changes nothing.
type MonitorWrapper interface {
	WrapResponseMonitor(w http.ResponseWriter, r *Request) http.ResponseWriter
}

// ResponseFinisher is a response writer, returned by a ResponseWrapper,
// that reads the answer for findings of its own (the response guard) and
// may hold part of it back. Once the handler returned, the pipeline
// calls FinishResponse, which writes what was held and returns the
// verdicts about the answer; they join the request's verdicts in the
// decision log and events. They come after enforcement and never score:
// what the upstream said is not the client's violation.
type ResponseFinisher interface {
	FinishResponse() []Verdict
}

// MaxExcerpt is the most bytes of request data a message may quote.
const MaxExcerpt = redact.MaxExcerpt

// Excerpt bounds request data quoted in messages: the values of keys named
// for secrets (password=…, Cookie: …) and secrets found by their shape
// (JWTs, private keys, card numbers, bearer tokens, API keys) become
// "[redacted]", then it is cut to at most MaxExcerpt bytes with bytes
// outside printable ASCII replaced by '?', so a message can carry
// evidence without carrying the payload, a secret or control characters.
func Excerpt(s string) string { return redact.Excerpt(s) }
