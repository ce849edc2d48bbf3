package budget

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/internal/airoute"
	"github.com/warden-dev/warden/internal/lru"
	"github.com/warden-dev/warden/internal/route"
)

// Price is what a model costs, in USD per million tokens.
type Price struct {
	Input  float64 `yaml:"input"`
	Output float64 `yaml:"output"`
}

// Config configures token and cost budgets (YAML section ai.budget),
// OWASP LLM10 Unbounded Consumption.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Classes and Routes select the requests counted: route classes
	// (default ["message"]) and ServeMux patterns. With both empty every
	// chat-shaped request counts.
	Classes []string `yaml:"classes"`
	Routes  []string `yaml:"routes"`

	matching *route.Variants // WithRouteMatching; nil: every variant
	// Token budgets per client (user, else IP); 0 is unlimited.
	TokensPerHour int64 `yaml:"tokens_per_hour"`
	TokensPerDay  int64 `yaml:"tokens_per_day"`
	// Cost budgets in USD per client; 0 is unlimited. Prices are per
	// model name, "*" for any other model.
	CostPerHour float64          `yaml:"cost_per_hour"`
	CostPerDay  float64          `yaml:"cost_per_day"`
	Prices      map[string]Price `yaml:"prices"`
	// DefaultOutputTokens is the output estimate when the request sets no
	// max_tokens (default 512).
	DefaultOutputTokens int `yaml:"default_output_tokens"`
	// MaxClients bounds the clients tracked (default 100000); the least
	// recently seen are evicted, which forgets their spending.
	MaxClients int `yaml:"max_clients"`
	// MaxPending bounds requests awaiting their usage correction
	// (default 10000).
	MaxPending int         `yaml:"max_pending"`
	Chat       chat.Limits `yaml:"chat"`
}

// DefaultConfig returns the defaults: enabled on the message class,
// 200k tokens per hour and 1M per day per client, no cost budget.
func DefaultConfig() Config {
	return Config{Enabled: true, Classes: []string{"message"}, TokensPerHour: 200_000, TokensPerDay: 1_000_000,
		DefaultOutputTokens: 512, MaxClients: 100_000, MaxPending: 10_000, Chat: chat.DefaultLimits()}
}

// WithRouteMatching returns c with Routes matched under the
// route_matching variants v (aiguard.Config.WithRouteMatching).
func (c Config) WithRouteMatching(v route.Variants) Config {
	c.matching = &v
	return c
}

// Validate checks the section; errors start with the field path.
func (c Config) Validate() error {
	switch {
	case c.TokensPerHour < 0:
		return fmt.Errorf("tokens_per_hour: must be >= 0")
	case c.TokensPerDay < 0:
		return fmt.Errorf("tokens_per_day: must be >= 0")
	case c.CostPerHour < 0 || math.IsNaN(c.CostPerHour):
		return fmt.Errorf("cost_per_hour: must be >= 0")
	case c.CostPerDay < 0 || math.IsNaN(c.CostPerDay):
		return fmt.Errorf("cost_per_day: must be >= 0")
	case c.DefaultOutputTokens < 0:
		return fmt.Errorf("default_output_tokens: must be >= 0")
	case c.MaxClients < 0:
		return fmt.Errorf("max_clients: must be >= 0")
	case c.MaxPending < 0:
		return fmt.Errorf("max_pending: must be >= 0")
	}
	if (c.CostPerHour > 0 || c.CostPerDay > 0) && len(c.Prices) == 0 {
		return fmt.Errorf("prices: required for a cost budget")
	}
	for m, p := range c.Prices {
		if p.Input < 0 || p.Output < 0 {
			return fmt.Errorf("prices.%s: must be >= 0", m)
		}
	}
	for i, r := range c.Routes {
		if err := airoute.Check(r); err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
	}
	if err := c.Chat.Validate(); err != nil {
		return fmt.Errorf("chat.%w", err)
	}
	return nil
}

// Detector enforces per-client token and cost budgets over fixed
// hour and day windows (UTC). Before forwarding it estimates a request's
// tokens — input ≈ text bytes / 4 plus 4 per message, output = max_tokens
// or DefaultOutputTokens — and answers Throttle (429, Retry-After until
// the window ends) when the estimate would exceed a budget; otherwise it
// charges the estimate. When the pipeline lets it see the response
// (WrapResponse) it replaces the estimate with the upstream's usage,
// streamed (SSE) or not, OpenAI or Anthropic shaped; Observe settles the
// charge and refunds requests that were blocked or failed.
//
// Fixed windows allow up to twice a budget across a window boundary; that
// is the price of two counters per client. Clients live in a capped map
// that evicts the least recently seen. Safe for concurrent use.
type Detector struct {
	cfg     Config
	routes  []airoute.Pattern
	classes map[string]bool
	chats   *chat.Cache // shared parses within a Set, nil alone

	mu      sync.Mutex
	clients *lru.Keyed[spend]   // by value: a new client does not allocate
	pending *lru.Keyed[*charge] // by request ID

	throttled, corrected, refunded atomic.Uint64
}

// Stats counts what the budget detector did.
type Stats struct {
	Throttled uint64 // requests answered 429
	Corrected uint64 // charges replaced by the upstream's usage
	Refunded  uint64 // charges refunded (blocked or failed requests)
}

// Stats returns the detector's counters.
func (d *Detector) Stats() Stats {
	return Stats{Throttled: d.throttled.Load(), Corrected: d.corrected.Load(), Refunded: d.refunded.Load()}
}

type spend struct {
	hour, day             int64 // window index: unix hour / unix day
	hourTokens, dayTokens int64
	hourCost, dayCost     float64
}

type charge struct {
	key       string
	hour, day int64
	tokens    int64
	cost      float64
	price     Price
	model     string // bounded copy: the body it came from is reused
	in        int64  // the input estimate, reported when the answer has no usage
	w         *usageWriter
}

// maxModelBytes bounds the model name kept per pending charge and
// reported in abuse.Tokens: it comes from the client.
const maxModelBytes = 64

// NewDetector returns a detector for cfg.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aiguard budget config: %w", err)
	}
	def := DefaultConfig()
	if cfg.DefaultOutputTokens == 0 {
		cfg.DefaultOutputTokens = def.DefaultOutputTokens
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = def.MaxClients
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = def.MaxPending
	}
	d := &Detector{cfg: cfg, classes: map[string]bool{}, clients: lru.NewKeyed[spend](cfg.MaxClients), pending: lru.NewKeyed[*charge](cfg.MaxPending)}
	for _, c := range cfg.Classes {
		d.classes[c] = true
	}
	for _, r := range cfg.Routes {
		p, _ := airoute.New(r, airoute.Variants(cfg.matching))
		d.routes = append(d.routes, p)
	}
	return d, nil
}

// Name returns "token_budget".
func (d *Detector) Name() string { return "token_budget" }

func (d *Detector) applies(r *abuse.Request) bool {
	if len(d.classes) == 0 && len(d.routes) == 0 {
		return true
	}
	if d.classes[r.Class] {
		return true
	}
	for i := range d.routes {
		if d.routes[i].Match(r) {
			return true
		}
	}
	return false
}

// covers reports whether the budget charges r at all.
func (d *Detector) covers(r *abuse.Request) bool {
	return d.cfg.Enabled && len(r.Body) > 0 && d.applies(r)
}

// charged reports whether Detect may have left a pending charge for r, so
// that the requests a budget does not cover (most of them) take no lock on
// the way out.
func (d *Detector) charged(r *abuse.Request) bool {
	return r.ID != "" && d.covers(r)
}

func (d *Detector) price(model string) Price {
	if p, ok := d.cfg.Prices[model]; ok {
		return p
	}
	return d.cfg.Prices["*"]
}

// estimateBody returns the estimated input and output tokens of a chat body.
func (d *Detector) estimateBody(body []byte) (model string, in, out int64, ok bool) {
	c, ok := chat.Parse(body, d.cfg.Chat)
	return d.estimate(&c, ok)
}

func (d *Detector) estimate(c *chat.Chat, ok bool) (model string, in, out int64, _ bool) {
	if !ok {
		return "", 0, 0, false
	}
	in = int64((c.TextLen()+3)/4 + 4*c.Messages + 3)
	out = int64(c.MaxOutput)
	if out == 0 {
		out = int64(d.cfg.DefaultOutputTokens)
	}
	return c.Model, in, out, true
}

// Detect charges the request's estimate or throttles when a budget is spent.
func (d *Detector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	if !d.covers(r) {
		return abuse.Verdict{}
	}
	c, ok := d.chats.Parse(r, d.cfg.Chat)
	model, in, out, ok := d.estimate(&c, ok)
	if !ok {
		if !chat.IsJSONContentType(r.ContentType) {
			return abuse.Verdict{}
		}
		in, out = int64(len(r.Body)/4), int64(d.cfg.DefaultOutputTokens)
	}
	if r.BodyTruncated {
		in *= 2 // only a prefix was seen: charge more rather than less
	}
	p := d.price(model)
	tokens := in + out
	cost := (float64(in)*p.Input + float64(out)*p.Output) / 1e6
	now := r.Time
	hour, day := now.Unix()/3600, now.Unix()/86400
	key := r.Client.Key()

	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.clientLocked(key)
	s.rollLocked(hour, day)
	var which string
	var retry time.Duration
	switch {
	case d.cfg.TokensPerHour > 0 && s.hourTokens+tokens > d.cfg.TokensPerHour:
		which, retry = "hourly token budget", time.Unix((hour+1)*3600, 0).Sub(now)
	case d.cfg.CostPerHour > 0 && s.hourCost+cost > d.cfg.CostPerHour:
		which, retry = "hourly cost budget", time.Unix((hour+1)*3600, 0).Sub(now)
	}
	switch {
	case d.cfg.TokensPerDay > 0 && s.dayTokens+tokens > d.cfg.TokensPerDay:
		which, retry = "daily token budget", time.Unix((day+1)*86400, 0).Sub(now)
	case d.cfg.CostPerDay > 0 && s.dayCost+cost > d.cfg.CostPerDay:
		which, retry = "daily cost budget", time.Unix((day+1)*86400, 0).Sub(now)
	}
	if which != "" {
		d.throttled.Add(1)
		retry = max(retry.Round(time.Second), time.Second)
		return abuse.Verdict{
			Detector:   d.Name(),
			Confidence: 1,
			Violation:  "token_budget",
			Action:     abuse.Throttle,
			Reason:     which + " spent",
			RetryAfter: retry,
			Messages: []string{fmt.Sprintf("%s spent: %d tokens this hour, %d today, request needs about %d",
				which, s.hourTokens, s.dayTokens, tokens)},
			Header: http.Header{"X-Warden-Budget": []string{which}}, // names the budget that throttled
		}
	}
	s.hourTokens += tokens
	s.dayTokens += tokens
	s.hourCost += cost
	s.dayCost += cost
	if r.ID != "" {
		c, _ := d.pending.Put(r.ID) // when full, the oldest charge is dropped: its estimate stands
		*c = &charge{key: key, hour: hour, day: day, tokens: tokens, cost: cost, price: p, model: boundModel(model), in: in}
	}
	return abuse.Verdict{}
}

// clientLocked returns the client's spending, zero when new; the pointer
// is valid until the next change of d.clients.
func (d *Detector) clientLocked(key string) *spend {
	s, _ := d.clients.Put(key)
	return s
}

func (s *spend) rollLocked(hour, day int64) {
	if s.hour != hour {
		s.hour, s.hourTokens, s.hourCost = hour, 0, 0
	}
	if s.day != day {
		s.day, s.dayTokens, s.dayCost = day, 0, 0
	}
}

// spent returns a client's tokens this hour and today at time now.
func (d *Detector) spent(key string, now time.Time) (hour, day int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.clients.Peek(key)
	if !ok {
		return 0, 0
	}
	if s.hour == now.Unix()/3600 {
		hour = s.hourTokens
	}
	if s.day == now.Unix()/86400 {
		day = s.dayTokens
	}
	return hour, day
}

// WrapResponse returns a ResponseWriter that reads the upstream's usage
// from the response body (JSON or server-sent events) as it passes, for
// requests this detector charged; other requests get w back unchanged.
// The pipeline calls it before forwarding to the upstream and Observe
// after the response ended.
func (d *Detector) WrapResponse(w http.ResponseWriter, r *abuse.Request) http.ResponseWriter {
	if !d.charged(r) {
		return w
	}
	d.mu.Lock()
	p, ok := d.pending.Peek(r.ID)
	d.mu.Unlock()
	if !ok {
		return w
	}
	c := *p
	uw := &usageWriter{ResponseWriter: w}
	d.mu.Lock()
	c.w = uw
	d.mu.Unlock()
	return uw
}

// Observe settles the charge of a request: refunds it when Warden blocked
// the request or the upstream failed (status >= 400), replaces the
// estimate with the upstream's usage when WrapResponse saw it. It sets
// r.Tokens to what the answer cost: the upstream's usage, or, when the
// answer reported none, the input estimate marked Estimated.
func (d *Detector) Observe(r *abuse.Request, o abuse.Outcome) {
	if !d.charged(r) {
		return
	}
	d.mu.Lock()
	c, ok := d.pending.Take(r.ID)
	d.mu.Unlock()
	if !ok {
		return
	}
	var tokens int64
	var cost float64
	switch {
	case o.Action >= abuse.Reject || o.Status >= 400 || o.Status == 0:
		d.refunded.Add(1) // nothing was generated
	case c.w != nil:
		in, out, ok := c.w.usage()
		if !ok {
			r.Tokens = abuse.Tokens{Model: c.model, Prompt: c.in, Estimated: true}
			return // keep the estimate
		}
		r.Tokens = abuse.Tokens{Model: c.model, Prompt: in, Completion: out}
		tokens = in + out
		cost = (float64(in)*c.price.Input + float64(out)*c.price.Output) / 1e6
		d.corrected.Add(1)
	default:
		r.Tokens = abuse.Tokens{Model: c.model, Prompt: c.in, Estimated: true}
		return // keep the estimate
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.clients.Peek(c.key)
	if !ok {
		return
	}
	if s.hour == c.hour {
		s.hourTokens = max(s.hourTokens+tokens-c.tokens, 0)
		s.hourCost = max(s.hourCost+cost-c.cost, 0)
	}
	if s.day == c.day {
		s.dayTokens = max(s.dayTokens+tokens-c.tokens, 0)
		s.dayCost = max(s.dayCost+cost-c.cost, 0)
	}
}

// boundModel copies a model name cut to maxModelBytes (on a rune
// boundary), so that a pending charge does not keep the body alive.
func boundModel(m string) string {
	if len(m) > maxModelBytes {
		cut := maxModelBytes
		for cut > 0 && !utf8.RuneStart(m[cut]) {
			cut--
		}
		m = m[:cut]
	}
	return strings.Clone(m)
}

// UseChatCache makes d parse chat bodies through cc, which the other
// detectors of an aiguard.Set that parse with the same limits share, so a
// body is parsed once per request. Call it before the first Detect.
func (d *Detector) UseChatCache(cc *chat.Cache) { d.chats = cc }

// Interface guards.
var (
	_ abuse.Detector = (*Detector)(nil)
	_ abuse.Observer = (*Detector)(nil)
)
