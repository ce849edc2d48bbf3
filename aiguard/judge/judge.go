package judge

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/internal/airoute"
	"github.com/warden-dev/warden/internal/clip"
	"github.com/warden-dev/warden/internal/lru"
	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/llm"
)

// Client rates content; *llm.Client implements it.
type Client interface {
	Judge(ctx context.Context, in llm.Input) (llm.Judgement, error)
}

// Config configures the LLM judge for the grey zone (YAML section
// ai.judge). The endpoint itself is the llm section.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// GreyLow and GreyHigh bound the grey zone of the wrapped detector's
	// confidence, [GreyLow, GreyHigh): below is clean, above is already
	// acted on without the judge.
	GreyLow  float64 `yaml:"grey_low"`
	GreyHigh float64 `yaml:"grey_high"`
	// ActAt is the judge's confidence from which a "malicious" judgement
	// acts (default 0.7).
	ActAt float64 `yaml:"act_at"`
	// WaitRoutes are ServeMux patterns on which the request waits for the
	// judgement (under WaitTimeout) instead of judging asynchronously.
	WaitRoutes  []string      `yaml:"wait_routes"`
	WaitTimeout time.Duration `yaml:"wait_timeout"` // default 2s
	// Remember is how long an asynchronous malicious judgement waits for
	// the client's next request (default 15m).
	Remember time.Duration `yaml:"remember"`
	// MaxClients bounds the clients with a pending judgement (default 10000).
	MaxClients int `yaml:"max_clients"`
	// MaxPending bounds judgements in flight in the background (default 32);
	// beyond, grey requests are not judged and Dropped counts them.
	MaxPending int `yaml:"max_pending"`

	matching *route.Variants // WithRouteMatching; nil: every variant
}

// DefaultConfig returns the defaults: enabled (it only acts when the
// llm section has a base_url), grey zone [0.3, 0.8).
func DefaultConfig() Config {
	return Config{Enabled: true, GreyLow: 0.3, GreyHigh: 0.8, ActAt: 0.7, WaitTimeout: 2 * time.Second,
		Remember: 15 * time.Minute, MaxClients: 10000, MaxPending: 32}
}

// WithRouteMatching returns c with WaitRoutes matched under the
// route_matching variants v (aiguard.Config.WithRouteMatching).
func (c Config) WithRouteMatching(v route.Variants) Config {
	c.matching = &v
	return c
}

// Validate checks the section; errors start with the field path.
func (c Config) Validate() error {
	switch {
	case c.GreyLow < 0 || c.GreyLow > 1:
		return fmt.Errorf("grey_low: must be within 0..1")
	case c.GreyHigh < c.GreyLow || c.GreyHigh > 1:
		return fmt.Errorf("grey_high: must be within grey_low..1")
	case c.ActAt < 0 || c.ActAt > 1:
		return fmt.Errorf("act_at: must be within 0..1")
	case c.WaitTimeout < 0:
		return fmt.Errorf("wait_timeout: must be >= 0")
	case c.Remember < 0:
		return fmt.Errorf("remember: must be >= 0")
	case c.MaxClients < 0:
		return fmt.Errorf("max_clients: must be >= 0")
	case c.MaxPending < 0:
		return fmt.Errorf("max_pending: must be >= 0")
	}
	for i, r := range c.WaitRoutes {
		if err := airoute.Check(r); err != nil {
			return fmt.Errorf("wait_routes[%d]: %w", i, err)
		}
	}
	return nil
}

// Stats counts what the judge detector did.
type Stats struct {
	Scheduled uint64 // asynchronous judgements started
	Waited    uint64 // synchronous judgements on wait routes
	Dropped   uint64 // grey requests not judged: MaxPending reached
	Failed    uint64 // judgements that failed: failed open
	Acted     uint64 // verdicts escalated by a malicious judgement
}

// Detector wraps a detector (prompt, payload, behaviour) and asks an
// LLM judge about requests in its grey zone. By default the judgement runs
// in the background and acts on the client's next request: that request
// is blocked (403) with the wrapped detector's violation type. On
// WaitRoutes the request itself waits for the judgement under
// WaitTimeout. Whatever the judge does — slow, failing, over budget — the
// wrapped verdict is returned unchanged (fail open).
//
// What is sent is the chat text for chat-shaped bodies, else a request
// summary (method, path, query, bounded body); never headers, so no
// Authorization or cookies, and llm redacts credentials in the text.
// Pending judgements are kept per client in a capped map that evicts the
// oldest. Safe for concurrent use; Close stops background judgements.
type Detector struct {
	cfg   Config
	inner abuse.Detector
	judge Client
	kind  string
	wait  []airoute.Pattern
	chat  chat.Limits
	chats *chat.Cache // the Set's shared parses (the wrapped detector's), nil alone

	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending *lru.Keyed[pendingJudgement] // by client key

	scheduled, waited, dropped, failed, acted atomic.Uint64

	afterJudge func() // tests: called when a background judgement is done
}

type pendingJudgement struct {
	j       llm.Judgement
	expires time.Time
}

// NewDetector wraps inner. kind is the llm.Input kind ("prompt",
// "payload" or "behavior"). A nil judge (or a disabled config) makes it a
// transparent wrapper.
func NewDetector(cfg Config, judge Client, inner abuse.Detector, kind string) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aiguard judge config: %w", err)
	}
	if inner == nil {
		return nil, fmt.Errorf("aiguard judge: nil inner detector")
	}
	switch kind {
	case "prompt", "payload", "behavior":
	default:
		return nil, fmt.Errorf("aiguard judge: kind %q (want prompt, payload or behavior)", kind)
	}
	def := DefaultConfig()
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = def.WaitTimeout
	}
	if cfg.Remember == 0 {
		cfg.Remember = def.Remember
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = def.MaxClients
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = def.MaxPending
	}
	if c, ok := judge.(*llm.Client); ok && !c.Enabled() {
		judge = nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Detector{cfg: cfg, inner: inner, judge: judge, kind: kind, chat: chat.DefaultLimits(),
		ctx: ctx, cancel: cancel, slots: make(chan struct{}, cfg.MaxPending), pending: lru.NewKeyed[pendingJudgement](cfg.MaxClients)}
	for _, r := range cfg.WaitRoutes {
		p, _ := airoute.New(r, airoute.Variants(cfg.matching))
		d.wait = append(d.wait, p)
	}
	return d, nil
}

// Name returns the wrapped detector's name: the wrapper is a drop-in.
func (d *Detector) Name() string { return d.inner.Name() }

// Stats returns the detector's counters.
func (d *Detector) Stats() Stats {
	return Stats{Scheduled: d.scheduled.Load(), Waited: d.waited.Load(), Dropped: d.dropped.Load(), Failed: d.failed.Load(), Acted: d.acted.Load()}
}

// Close cancels background judgements and waits for them.
func (d *Detector) Close() error {
	d.cancel()
	d.wg.Wait()
	return nil
}

// Detect runs the wrapped detector, applies an earlier malicious
// judgement about the client, and judges grey verdicts.
func (d *Detector) Detect(ctx context.Context, r *abuse.Request) abuse.Verdict {
	v := d.inner.Detect(ctx, r)
	if !d.cfg.Enabled || d.judge == nil {
		return v
	}
	key := r.Client.Key()
	if p, ok := d.take(key, r.Time); ok {
		return d.escalate(v, p.j, "an earlier request was judged malicious by the LLM judge")
	}
	if v.Confidence < d.cfg.GreyLow || v.Confidence >= d.cfg.GreyHigh || v.Action != abuse.Allow {
		return v
	}
	in := llm.Input{Kind: d.kind, Content: d.content(r)}
	if in.Content == "" {
		return v
	}
	for i := range d.wait {
		if d.wait[i].Match(r) {
			d.waited.Add(1)
			wctx, cancel := context.WithTimeout(ctx, d.cfg.WaitTimeout)
			j, err := d.judge.Judge(wctx, in)
			cancel()
			if err != nil {
				d.failed.Add(1)
				return v
			}
			if j.Malicious && j.Confidence >= d.cfg.ActAt {
				return d.escalate(v, j, "judged malicious by the LLM judge")
			}
			return v
		}
	}
	select {
	case d.slots <- struct{}{}:
	default:
		d.dropped.Add(1)
		return v
	}
	d.scheduled.Add(1)
	d.wg.Add(1)
	at := r.Time
	go func() {
		defer d.wg.Done()
		defer func() { <-d.slots }()
		if d.afterJudge != nil {
			defer d.afterJudge()
		}
		j, err := d.judge.Judge(d.ctx, in)
		if err != nil {
			d.failed.Add(1)
			return
		}
		if j.Malicious && j.Confidence >= d.cfg.ActAt {
			d.remember(key, j, at)
		}
	}()
	return v
}

// escalate turns v into a block carrying the judgement.
func (d *Detector) escalate(v abuse.Verdict, j llm.Judgement, why string) abuse.Verdict {
	d.acted.Add(1)
	if v.Detector == "" {
		v.Detector = d.inner.Name()
	}
	if v.Violation == "" {
		v.Violation = d.inner.Name()
	}
	v.Confidence = max(v.Confidence, j.Confidence, 0.8)
	v.Action = max(v.Action, abuse.Block)
	if v.Reason == "" {
		v.Reason = "request judged malicious"
	}
	msg := "llm_judge: " + why
	if j.Category != "" {
		msg += " (" + clip.Prefix(j.Category, 40) + ")"
	}
	v.Messages = append(append([]string(nil), v.Messages...), msg)
	return v
}

// take removes and returns the client's pending malicious judgement.
func (d *Detector) take(key string, now time.Time) (pendingJudgement, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pending.Take(key)
	if !ok {
		return p, false
	}
	return p, !now.After(p.expires)
}

func (d *Detector) remember(key string, j llm.Judgement, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, _ := d.pending.Put(key) // when full, the least recently remembered goes
	*p = pendingJudgement{j: j, expires: at.Add(d.cfg.Remember)}
}

// content is what the judge sees: chat text, else a request summary.
// Headers are never included.
func (d *Detector) content(r *abuse.Request) string {
	if len(r.Body) > 0 && chat.IsJSONContentType(r.ContentType) {
		if c, ok := d.chats.Parse(r, d.chat); ok {
			var b strings.Builder
			for _, s := range c.Segments {
				if s.Source == chat.SourceSystem || s.Source == chat.SourceAssistant {
					continue
				}
				fmt.Fprintf(&b, "[%s] %s\n", s.Source, s.Text)
				if b.Len() > 16<<10 {
					break
				}
			}
			return b.String()
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Method, r.Path)
	if r.RawQuery != "" {
		b.WriteString("?" + clip.Prefix(r.RawQuery, 2048))
	}
	if len(r.Body) > 0 {
		b.WriteString("\n\n" + clip.Prefix(strings.ToValidUTF8(string(r.Body[:min(len(r.Body), 4096)]), "?"), 4096))
	}
	return b.String()
}

// UseChatCache makes d read chat bodies through cc, the cache of the
// prompt detector it wraps within an aiguard.Set, so the judge reads the
// parse that detector has just made. Call it before the first Detect.
func (d *Detector) UseChatCache(cc *chat.Cache) { d.chats = cc }

// Interface guards.
var (
	_ abuse.Detector = (*Detector)(nil)
	_ Client         = (*llm.Client)(nil)
)
