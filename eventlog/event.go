package eventlog

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/redact"
)

// Bounds on what one Event holds. Everything in an event except the status
// and the confidences can come from the client, so every string and list is
// capped before it is logged or stored.
const (
	MaxPathBytes      = 512 // Event.Path; the query string is never logged
	MaxRouteBytes     = 256
	MaxUserBytes      = 256
	MaxRequestIDBytes = 128
	MaxMethodBytes    = 32
	MaxNameBytes      = 64  // detector name and violation type
	MaxDetectors      = 16  // detectors listed in Abuse
	MaxMessages       = 8   // messages per detector
	MaxMessageBytes   = 256 // bytes per message
	// MaxMessagesBytes caps all messages of one event together, so the
	// queue's worst case stays near QueueSize × 6 KiB; messages past it
	// are left out.
	MaxMessagesBytes = 4096
)

// AbuseThreshold is the confidence above which a decision's abuse object is
// written even when the action is allow (GitLab's rule).
const AbuseThreshold = 0.5

// Event is one line of the decision log. Its JSON form is the contract's
// log line, field for field:
//
//	{"time":…,"request_id":…,"client":{"ip":…,"user":…},"method":…,"route":…,
//	 "path":…,"status":…,"action":…,"mode":…,"would":…,"abuse":{"confidence":…,"detectors":[
//	 {"name":…,"confidence":…,"violation":…,"messages":[…]}]},
//	 "tokens":{"prompt":…,"completion":…,"model":…,"estimated":true}}
//
// would is present only when a monitor mode held an action back. abuse is
// present when the highest confidence is above AbuseThreshold or the
// action is not allow. tokens is present on AI requests whose answer's
// token usage was measured (abuse.Request.Tokens), estimated only when
// the answer reported none. Build events with New, which applies the
// bounds.
type Event struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Client    Client    `json:"client"`
	Method    string    `json:"method"`
	Route     string    `json:"route"`
	Path      string    `json:"path"` // escaped path without the query, at most MaxPathBytes
	Status    int       `json:"status"`
	Action    string    `json:"action"` // what Warden did, abuse.Action's name: allow, log, reject, throttle, too_large, block, ban
	Mode      string    `json:"mode"`   // enforce or monitor
	// Would is what enforce mode would have done, set only when a monitor
	// mode held that back (Action is then log): a monitor-mode line says
	// what would have happened without claiming it happened.
	Would  string  `json:"would,omitempty"`
	Abuse  *Abuse  `json:"abuse,omitempty"`
	Tokens *Tokens `json:"tokens,omitempty"`
}

// Tokens is the model usage of an AI request's answer (abuse.Tokens).
// Estimated is set when the answer reported no usage: Prompt is then
// estimated from the request and Completion is 0.
type Tokens struct {
	Prompt     int64  `json:"prompt"`
	Completion int64  `json:"completion"`
	Model      string `json:"model"` // as the request named it, at most MaxNameBytes
	Estimated  bool   `json:"estimated,omitempty"`
}

// Client is who asked.
type Client struct {
	IP   string `json:"ip"`
	User string `json:"user"`
}

// Abuse is the combined finding of the detectors about one request.
type Abuse struct {
	Confidence float64    `json:"confidence"` // the highest detector confidence, 0..1
	Detectors  []Detector `json:"detectors"`
}

// Detector is one detector's verdict as logged.
type Detector struct {
	Name       string   `json:"name"`
	Confidence float64  `json:"confidence"`
	Violation  string   `json:"violation"`
	Messages   []string `json:"messages"`
}

// Wanted reports whether a decision goes to the decision log when the
// request log is off: the action is not allow, or some detector is more
// than AbuseThreshold sure. It does not allocate.
func Wanted(o abuse.Outcome) bool {
	return o.Action != abuse.Allow || maxConfidence(o.Verdicts) > AbuseThreshold
}

// New builds the event for a request and how it ended. mode is the mode the
// decision was taken in ("enforce" or "monitor"). The event copies and
// bounds what it keeps, so r may be reused afterwards. The query string is
// never kept: it may hold the attack payload.
func New(r *abuse.Request, o abuse.Outcome, mode string) Event {
	return FromDecision(r, o.Status, o.Action, mode, o.Verdicts)
}

// FromDecision is New for a pipeline that keeps its decision in its own
// type: status is the answer's HTTP status, action the action taken (in
// monitor mode at most log; the caller sets Would to what enforce mode
// would have done), verdicts the detectors' verdicts (read, not retained).
func FromDecision(r *abuse.Request, status int, action abuse.Action, mode string, verdicts []abuse.Verdict) Event {
	conf := maxConfidence(verdicts)
	withAbuse := conf > AbuseThreshold || action != abuse.Allow

	// The event's strings are copied into one fresh allocation: a bounded
	// substring would otherwise keep its whole source alive (the request
	// URI, a detector's view of the body) while the event waits in the
	// queue, letting an attacker pin far more memory than the bounds say.
	//
	// Secrets are redacted here too, whatever the detectors did: this is
	// the last place before the log, the store, the dashboard, alerts and
	// reports. It knows the default secret names (the event log has no
	// configuration) and every secret shape. Redacting text without
	// secrets does not allocate.
	id, user, method := bound(r.ID, MaxRequestIDBytes), bound(r.Client.User, MaxUserBytes), bound(r.Method, MaxMethodBytes)
	route, path := bound(r.Route, MaxRouteBytes), bound(redact.Names{}.Text(r.Path), MaxPathBytes)
	var model string
	if r.Tokens.Known() {
		model = bound(redact.Names{}.Text(r.Tokens.Model), MaxNameBytes)
	}
	size := len(id) + len(user) + len(method) + len(route) + len(path) + len(model)
	nDet, nMsg, msgBytes := 0, 0, 0
	var perDet [MaxDetectors]int                // messages kept per detector
	var msgs [MaxDetectors * MaxMessages]string // the kept messages, redacted and bounded
	if withAbuse {
		for i := range verdicts {
			v := &verdicts[i]
			if !v.Found() {
				continue
			}
			if nDet == MaxDetectors {
				break
			}
			size += len(bound(v.Detector, MaxNameBytes)) + len(bound(v.Violation, MaxNameBytes))
			for _, m := range v.Messages[:min(len(v.Messages), MaxMessages)] {
				m = bound(redact.Names{}.Text(m), MaxMessageBytes)
				if msgBytes+len(m) > MaxMessagesBytes {
					break
				}
				msgBytes += len(m)
				msgs[nMsg+perDet[nDet]] = m
				perDet[nDet]++
			}
			nMsg += perDet[nDet]
			nDet++
		}
	}
	size += msgBytes
	var c copier
	c.b.Grow(size)
	e := Event{
		Time:      r.Time.UTC(),
		RequestID: c.copy(id),
		Client:    Client{User: c.copy(user)},
		Method:    c.copy(method),
		Route:     c.copy(route),
		Path:      c.copy(path),
		Status:    status,
		Action:    action.String(),
		Mode:      mode,
	}
	if r.Client.IP.IsValid() {
		e.Client.IP = r.Client.IP.Unmap().String()
	}
	if t := r.Tokens; t.Known() {
		e.Tokens = &Tokens{Prompt: max(t.Prompt, 0), Completion: max(t.Completion, 0), Model: c.copy(model), Estimated: t.Estimated}
	}
	if !withAbuse {
		return e
	}
	a := &Abuse{Confidence: conf, Detectors: make([]Detector, 0, nDet)}
	kept := make([]string, nMsg) // one backing array for every detector's messages
	k := 0
	for i := range verdicts {
		v := &verdicts[i]
		if !v.Found() {
			continue
		}
		if len(a.Detectors) == nDet {
			break
		}
		d := Detector{
			Name:       c.copy(bound(v.Detector, MaxNameBytes)),
			Confidence: clamp01(v.Confidence),
			Violation:  c.copy(bound(v.Violation, MaxNameBytes)),
		}
		start := k
		for range perDet[len(a.Detectors)] {
			kept[k] = c.copy(msgs[k])
			k++
		}
		d.Messages = kept[start:k:k]
		a.Detectors = append(a.Detectors, d)
	}
	e.Abuse = a
	return e
}

// copier copies strings into one buffer grown up front, so that every
// string it returns shares a single allocation and none aliases its source.
type copier struct{ b strings.Builder }

func (c *copier) copy(s string) string {
	if s == "" {
		return ""
	}
	start := c.b.Len()
	c.b.WriteString(s) // no reallocation: the buffer was grown to fit all
	return c.b.String()[start:]
}

func maxConfidence(vs []abuse.Verdict) float64 {
	var c float64
	for i := range vs {
		c = max(c, clamp01(vs[i].Confidence))
	}
	return c
}

// clamp01 keeps a confidence encodable: JSON has no NaN or infinities.
func clamp01(f float64) float64 {
	switch {
	case math.IsNaN(f) || f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// bound returns s cut to at most n bytes without splitting a UTF-8
// sequence. Invalid UTF-8 is left to the JSON encoder, which replaces it.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
