package response

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/redact"
	"github.com/warden-dev/warden/internal/route"
)

// Options are the settings of a Guard that come from outside its section.
type Options struct {
	// Variants are the route_matching variants Routes match under.
	Variants route.Variants
	// Monitor reports findings without acting on them: nothing is
	// redacted or cut (the global or the detector's monitor mode).
	Monitor bool
}

// Guard reads the answers to the requests of its routes. As an
// abuse.Detector it finds nothing in requests; as an
// abuse.ResponseWrapper it wraps the writer of each answer it covers in
// a scanner whose findings the pipeline collects when the answer ended
// (abuse.ResponseFinisher). It is safe for concurrent use; its state per
// answer is bounded by Config.MaxEventBytes and MaxJSONBytes plus a
// fixed look-behind, and lives only as long as the answer.
type Guard struct {
	cfg       Config
	det       detectors
	mon       detectors // det with every action at most Log: monitor mode
	promptDet detectors // secrets and personal data, logged, for Detect
	prompt    *prompt
	classes   map[string]bool
	routes    *route.Table[bool]
	monitor   bool
	// eventByEvent turns writer.fast off: tests compare the two readers.
	eventByEvent bool

	scanned, unparsed, redacted, cut, findings, placeholders atomic.Uint64
}

// New returns the Guard for cfg.
func New(cfg Config, o Options) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ai.response: %w", err)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("ai.response.%w", err)
	}
	g := &Guard{cfg: cfg, classes: map[string]bool{}, monitor: o.Monitor}
	a := cfg.Actions
	g.det.act = [nKinds]Action{kSecret: a.Secrets, kEmail: a.Email, kPhone: a.Phone, kCard: a.Card,
		kIBAN: a.IBAN, kCanary: a.Canary, kSystemPrompt: a.SystemPrompt, kHTML: a.HTML}
	if cfg.Canary == "" {
		g.det.act[kCanary] = Off
	}
	if !cfg.RendersMarkdown {
		g.det.act[kHTML] = Off
	}
	if o.Monitor {
		// A dry run finds and reports; held-back text would only delay.
		for k, act := range g.det.act {
			g.det.act[k] = weaker(act, Log)
		}
	}
	g.det.setHolds()
	g.det.canary = []byte(cfg.Canary)
	g.mon = g.det
	for k, act := range g.mon.act {
		g.mon.act[k] = weaker(act, Log)
	}
	g.mon.setHolds()
	g.promptDet.act = [nKinds]Action{kSecret: Log, kEmail: Log, kPhone: Log, kCard: Log, kIBAN: Log,
		kCanary: Off, kSystemPrompt: Off, kHTML: Off}
	if cfg.SystemPrompt != "" && g.det.act[kSystemPrompt] != Off {
		g.prompt = newPrompt(cfg.SystemPrompt, cfg.Similarity)
	}
	for _, c := range cfg.Classes {
		g.classes[c] = true
	}
	if len(cfg.Routes) > 0 {
		g.routes = route.NewTable[bool](o.Variants)
		for _, r := range cfg.Routes {
			if err := g.routes.Add(r, true); err != nil {
				return nil, fmt.Errorf("ai.response.routes: %w", err)
			}
		}
	}
	return g, nil
}

// weaker returns the action of a and b that changes the answer less.
func weaker(a, b Action) Action {
	if rank(a) < rank(b) {
		return a
	}
	return b
}

func rank(a Action) int {
	switch a {
	case Log:
		return 1
	case Redact:
		return 2
	case Cut:
		return 3
	}
	return 0
}

// Name returns "response".
func (g *Guard) Name() string { return "response" }

// Detect reads the user's messages of a chat request on the guard's
// routes for secrets and personal data when Config.Prompt is log or
// redact, and reports them (Action Log, no violation: it never scores).
// It finds nothing otherwise: the guard's work is on the answer.
func (g *Guard) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	if g.cfg.Prompt == Off || len(r.Body) == 0 || r.Body[0] != '{' || !g.applies(r) {
		return abuse.Verdict{}
	}
	var buf [8]strSpan
	spans, ok := userTexts(buf[:0], r.Body)
	if !ok {
		return abuse.Verdict{}
	}
	var found [nKinds]bool
	var ms [8]match
	var text []byte
	for _, s := range spans {
		text = unquote(text[:0], r.Body[s.start:s.end])
		for _, m := range g.promptDet.find(ms[:0], text, false, false, 0) {
			found[m.k] = true
		}
	}
	var what []string
	for k, f := range found {
		if f {
			what = append(what, kindNames[k])
		}
	}
	if len(what) == 0 {
		return abuse.Verdict{}
	}
	return abuse.Verdict{Detector: "prompt_data", Confidence: 0.3, Action: abuse.Log,
		Messages: []string{"prompt: " + strings.Join(what, ", ") + " in the user's message"}}
}

func (g *Guard) applies(r *abuse.Request) bool {
	if !g.cfg.Enabled {
		return false
	}
	if g.classes[r.Class] {
		return true
	}
	if g.routes != nil {
		if _, _, ok := g.routes.Match(r.Method, r.Host, r.Path); ok {
			return true
		}
	}
	return g.cfg.ChatBodies && chatBody(r.Body)
}

// chatBody reports whether body looks like a chat request to an LLM API:
// a JSON object naming "model" and "messages". It is a cheap look, not a
// parse: a false match only means an answer is read.
func chatBody(body []byte) bool {
	if len(body) == 0 || body[0] != '{' {
		return false
	}
	return bytes.Contains(body, []byte(`"messages"`)) && bytes.Contains(body, []byte(`"model"`))
}

// WrapResponse returns the scanning writer for an answer the guard
// covers, and w itself for any other. It asks the upstream for an
// uncompressed answer (a compressed one could not be read) and, with a
// canary, adds it to the request's system message.
func (g *Guard) WrapResponse(w http.ResponseWriter, r *abuse.Request) http.ResponseWriter {
	return g.wrap(w, r, g.monitor)
}

// WrapResponseMonitor is WrapResponse for a request the guard monitors
// (detectors.response.routes): findings are reported as they would be
// acted on, and the answer passes unchanged. The canary is still added,
// so that a leak is seen.
func (g *Guard) WrapResponseMonitor(w http.ResponseWriter, r *abuse.Request) http.ResponseWriter {
	return g.wrap(w, r, true)
}

func (g *Guard) wrap(w http.ResponseWriter, r *abuse.Request, monitor bool) http.ResponseWriter {
	if !g.applies(r) {
		return w
	}
	g.scanned.Add(1)
	// The text grows to the look-behind and a piece to drop (trim)
	// in most answers: one allocation instead of one per doubling.
	sw := &writer{w: w, g: g, det: &g.det, monitor: monitor, req: r, ps: newPlainScan(),
		text: make([]byte, 0, lookBehind+trimAt+512), spans: make([]strSpan, 0, 4)}
	if monitor {
		sw.det = &g.mon
	}
	if r.HTTP != nil {
		r.HTTP.Header.Del("Accept-Encoding")
		if !r.BodyTruncated && len(r.Body) > 0 {
			body, changed := r.Body, false
			if g.cfg.Prompt == Redact && !monitor {
				// The user's values go upstream as placeholders; the
				// writer puts them back where the answer repeats one.
				if b, ph, ok := withPlaceholders(body, &g.promptDet); ok {
					body, changed, sw.ph, sw.phLen = b, true, ph, longestName(ph)
					g.placeholders.Add(uint64(len(ph)))
				}
			}
			if g.cfg.Canary != "" {
				if b, ok := addCanary(body, g.cfg.Canary, strings.HasSuffix(r.Path, "/v1/messages")); ok {
					body, changed = b, true
				}
			}
			if changed {
				r.HTTP.Body = readCloser{bytes.NewReader(body), r.HTTP.Body}
				r.HTTP.ContentLength = int64(len(body))
			}
		}
	}
	for k := range sw.reported {
		sw.reported[k] = -1
	}
	if g.prompt != nil {
		sw.sim.p = g.prompt
	}
	return sw
}

type readCloser struct {
	io.Reader
	io.Closer
}

// addCanary returns body with canary added to its system prompt: to the
// first message when it is a system (or developer) message with text
// content, else in a system message of its own put first; for the
// Anthropic messages API (anthropic, or a body with "system") to the
// top-level system text. ok is false when body is no chat request. The
// Anthropic shape is chosen by its path (/v1/messages) or a "system" key:
// a top-level "system" sent to an OpenAI-style API would be refused.
func addCanary(body []byte, canary string, anthropic bool) ([]byte, bool) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, false
	}
	msgs, ok := top["messages"]
	if !ok {
		return nil, false
	}
	if sys, ok := top["system"]; ok || anthropic {
		var s string
		if ok && json.Unmarshal(sys, &s) != nil {
			return nil, false // system blocks: left as they are
		}
		s = strings.TrimSpace(s + "\n\n" + canary)
		top["system"], _ = json.Marshal(s)
	} else {
		var list []json.RawMessage
		if json.Unmarshal(msgs, &list) != nil {
			return nil, false
		}
		var first struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		}
		var text string
		if len(list) > 0 && json.Unmarshal(list[0], &first) == nil && (first.Role == "system" || first.Role == "developer") &&
			json.Unmarshal(first.Content, &text) == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(list[0], &m) != nil {
				return nil, false
			}
			m["content"], _ = json.Marshal(text + "\n\n" + canary)
			list[0], _ = json.Marshal(m)
		} else {
			sys, _ := json.Marshal(map[string]string{"role": "system", "content": canary})
			list = append([]json.RawMessage{sys}, list...)
		}
		top["messages"], _ = json.Marshal(list)
	}
	b, err := json.Marshal(top)
	return b, err == nil
}

// Counters returns the guard's counters by metric name (Prometheus
// style totals): answers scanned, answers or events that could not be
// read and passed unchanged, findings, redactions and cut answers.
func (g *Guard) Counters() map[string]uint64 {
	return map[string]uint64{
		"warden_ai_response_scanned_total":  g.scanned.Load(),
		"warden_ai_response_unparsed_total": g.unparsed.Load(),
		"warden_ai_response_findings_total": g.findings.Load(),
		"warden_ai_response_redacted_total": g.redacted.Load(),
		"warden_ai_response_cut_total":      g.cut.Load(),
		// Values of users' messages sent upstream as placeholders.
		"warden_ai_prompt_placeholders_total": g.placeholders.Load(),
	}
}

// Interface guards.
var (
	_ abuse.Detector         = (*Guard)(nil)
	_ abuse.ResponseWrapper  = (*Guard)(nil)
	_ abuse.MonitorWrapper   = (*Guard)(nil)
	_ abuse.ResponseFinisher = (*writer)(nil)
	_ http.Flusher           = (*writer)(nil)
)

// mark is what a redacted finding becomes.
const mark = redact.Mark
