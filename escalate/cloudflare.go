package escalate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/escalateconfig"
)

// Cloudflare's API allows 1,200 requests per five minutes per token. The
// default budget leaves a tenth of it to whatever else uses the token.
const (
	LimitPeriod   = 5 * time.Minute
	DefaultBudget = 1080
)

// maxTracked bounds the clients whose bans are counted towards min_bans,
// and the entries kept: past it, the oldest counts are dropped, so memory
// stays bounded whatever the number of clients banned.
const maxTracked = 100_000

// sweepEvery is how often entries are checked for expiry.
const sweepEvery = 30 * time.Second

// CloudflareOptions are what the pusher needs besides its configuration.
type CloudflareOptions struct {
	Store      Store // nil keeps entries in memory only
	HTTP       *http.Client
	Now        func() time.Time
	Registerer prometheus.Registerer
	// Protected are never pushed: the allow list and trusted proxies.
	Protected []netip.Prefix
	// Budget is the requests allowed per LimitPeriod; 0 means
	// DefaultBudget.
	Budget int
	Log    *slog.Logger
}

// Cloudflare pushes repeat offenders to Cloudflare as IP Access Rules and
// removes them when their ban ends or is lifted. Banned and Lifted only
// touch memory; Run makes the API calls at the pace the budget allows.
// It is safe for concurrent use.
type Cloudflare struct {
	cfg  escalateconfig.Cloudflare
	opts CloudflareOptions
	hc   *http.Client

	mu      sync.Mutex
	bans    map[string][]time.Time // ban times within the window, per value
	entries map[string]*Entry
	queued  map[string]bool
	queue   []string
	unsaved map[string]bool // new entries not in the store yet
	sent    []time.Time     // the last Budget request times, oldest first
	pause   time.Time       // no call before this (429 Retry-After, errors)
	fails   int             // consecutive failures, for backoff
	swept   time.Time
	wake    chan struct{}
	list    listState // List mode only

	calls   *prometheus.CounterVec
	skipped *prometheus.CounterVec
	pending prometheus.GaugeFunc
}

// NewCloudflare returns the pusher, with the entries the store kept
// queued for reconciliation: pushed and still due ones are kept, expired
// ones removed, unpushed ones pushed.
func NewCloudflare(ctx context.Context, cfg escalateconfig.Cloudflare, opts CloudflareOptions) (*Cloudflare, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Budget <= 0 {
		opts.Budget = DefaultBudget
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &Cloudflare{cfg: cfg, opts: opts, hc: hc,
		bans: map[string][]time.Time{}, entries: map[string]*Entry{}, queued: map[string]bool{}, unsaved: map[string]bool{},
		wake: make(chan struct{}, 1)}
	c.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_cloudflare_requests_total",
		Help: "Calls to the Cloudflare API, by operation and result."}, []string{"op", "result"})
	c.skipped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_cloudflare_skipped_total",
		Help: "Escalations not pushed, by reason: protected (allow list, trusted proxy), untracked (table full), rejected (by the API)."}, []string{"reason"})
	c.pending = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_cloudflare_queue",
		Help: "Escalations waiting for an API call."}, func() float64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		return float64(len(c.queue))
	})
	if r := opts.Registerer; r != nil {
		for _, col := range []prometheus.Collector{c.calls, c.skipped, c.pending} {
			if err := r.Register(col); err != nil {
				return nil, fmt.Errorf("cloudflare: metrics: %w", err)
			}
		}
	}
	if opts.Store != nil {
		es, err := opts.Store.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudflare: load: %w", err)
		}
		for _, e := range es {
			c.entries[e.Value] = &e
			c.enqueueLocked(e.Value)
		}
	}
	return c, nil
}

// Banned counts b and queues its client for pushing when the rule says
// so. It does no I/O and never blocks.
func (c *Cloudflare) Banned(b ban.Ban) {
	value, target, ok := cfTarget(b.Target)
	if !ok {
		return
	}
	if protected(b.Target, c.opts.Protected) {
		c.skipped.WithLabelValues("protected").Inc()
		return
	}
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	times, ok := c.bans[value]
	if !ok && len(c.bans) >= maxTracked {
		c.pruneLocked(now)
		if len(c.bans) >= maxTracked {
			c.skipped.WithLabelValues("untracked").Inc()
			return
		}
	}
	// Only the last min_bans times matter.
	times = append(slices.DeleteFunc(times, func(t time.Time) bool { return now.Sub(t) >= c.cfg.Window }), now)
	if len(times) > c.cfg.MinBans {
		times = times[len(times)-c.cfg.MinBans:]
	}
	c.bans[value] = times
	if len(times) < c.cfg.MinBans && !slices.Contains(c.cfg.Violations, b.Violation) &&
		(c.cfg.MinScore <= 0 || b.Score < c.cfg.MinScore) {
		return
	}
	e, ok := c.entries[value]
	if !ok {
		if len(c.entries) >= maxTracked {
			c.skipped.WithLabelValues("untracked").Inc()
			return
		}
		e = &Entry{Value: value, Target: target}
		c.entries[value] = e
		// Saved by Step, off the request path: a restart then pushes
		// what was still waiting for the budget.
		c.unsaved[value] = true
	}
	if b.Until.After(e.Until) {
		e.Until = b.Until
	}
	c.enqueueLocked(value)
}

// Lifted removes the client's rule, if pushed, and forgets its bans: a
// lift forgives.
func (c *Cloudflare) Lifted(t ban.Target) {
	value, _, ok := cfTarget(t)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.bans, value)
	if e, ok := c.entries[value]; ok {
		e.Until = time.Time{}
		c.enqueueLocked(value)
	}
}

func (c *Cloudflare) enqueueLocked(value string) {
	if !c.queued[value] {
		c.queued[value] = true
		c.queue = append(c.queue, value)
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pruneLocked drops ban counts that have left the window.
func (c *Cloudflare) pruneLocked(now time.Time) {
	for v, ts := range c.bans {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= c.cfg.Window {
			delete(c.bans, v)
		}
	}
}

// Run makes the queued API calls until ctx ends.
func (c *Cloudflare) Run(ctx context.Context) {
	for {
		wait := c.Step(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Step sweeps expired entries and works through the queue as far as the
// budget allows, and returns how long to wait before the next step. Run
// calls it; tests call it with a simulated clock.
func (c *Cloudflare) Step(ctx context.Context) time.Duration {
	if c.cfg.ListID != "" {
		return c.stepList(ctx)
	}
	c.saveNew(ctx)
	for ctx.Err() == nil {
		now := c.opts.Now()
		c.mu.Lock()
		if now.Sub(c.swept) >= sweepEvery {
			c.swept = now
			c.pruneLocked(now)
			for v, e := range c.entries {
				if e.RuleID != "" && !now.Before(e.Until) {
					c.enqueueLocked(v)
				}
			}
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return sweepEvery
		}
		if now.Before(c.pause) {
			d := c.pause.Sub(now)
			c.mu.Unlock()
			return d
		}
		value := c.queue[0]
		e, ok := c.entries[value]
		if !ok {
			c.dequeueLocked()
			c.mu.Unlock()
			continue
		}
		active := now.Before(e.Until)
		if active == (e.RuleID != "") {
			// Nothing to call: record the state and move on.
			snap := *e
			c.dequeueLocked()
			if !active {
				delete(c.entries, value)
			}
			c.mu.Unlock()
			c.persist(ctx, snap, active)
			continue
		}
		if d := c.budgetWaitLocked(now); d > 0 {
			c.mu.Unlock()
			return d
		}
		c.sent = append(c.sent, now)
		snap := *e
		c.mu.Unlock()
		c.call(ctx, snap, active)
	}
	return 0
}

// saveNew stores the entries created since the last step.
func (c *Cloudflare) saveNew(ctx context.Context) {
	if c.opts.Store == nil {
		return
	}
	c.mu.Lock()
	var snaps []Entry
	for v := range c.unsaved {
		if e, ok := c.entries[v]; ok && e.RuleID == "" {
			snaps = append(snaps, *e)
		}
		delete(c.unsaved, v)
	}
	c.mu.Unlock()
	for _, e := range snaps {
		c.persist(ctx, e, true)
	}
}

func (c *Cloudflare) dequeueLocked() {
	delete(c.queued, c.queue[0])
	c.queue[0] = ""
	c.queue = c.queue[1:]
}

// budgetWaitLocked returns how long until one more request fits in the
// budget, and forgets request times older than the period.
func (c *Cloudflare) budgetWaitLocked(now time.Time) time.Duration {
	i := 0
	for i < len(c.sent) && now.Sub(c.sent[i]) >= LimitPeriod {
		i++
	}
	c.sent = c.sent[i:]
	if len(c.sent) < c.opts.Budget {
		return 0
	}
	return c.sent[0].Add(LimitPeriod).Sub(now)
}

func (c *Cloudflare) persist(ctx context.Context, e Entry, keep bool) {
	if c.opts.Store == nil {
		return
	}
	// What Cloudflare now holds is recorded even while Run is being
	// stopped: a write lost at shutdown would push or keep a rule twice
	// after the restart.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var err error
	if keep {
		err = c.opts.Store.Save(ctx, e)
	} else {
		err = c.opts.Store.Delete(ctx, e.Value)
	}
	if err != nil {
		c.opts.Log.Warn("cloudflare: store", "value", e.Value, "err", err)
	}
}

// call creates (active) or deletes the entry's rule and records the
// outcome; on a 429 or a failure it keeps the entry queued and pauses.
func (c *Cloudflare) call(ctx context.Context, e Entry, create bool) {
	// A call under way finishes even when Run is being stopped: cut off
	// after Cloudflare acted, its answer (the rule id) would be lost and
	// the restart would push or delete again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	op := "delete"
	var err error
	var id string
	if create {
		op = "create"
		id, err = c.create(ctx, e)
	} else {
		err = c.delete(ctx, e.RuleID)
	}
	var apiErr *APIError
	errors.As(err, &apiErr)
	if save := c.record(err, apiErr, e, id, op, create); save != nil {
		c.persist(ctx, *save, true)
	}
}

// record applies a call's outcome and returns the entry to save, if any.
func (c *Cloudflare) record(err error, apiErr *APIError, e Entry, id, op string, create bool) *Entry {
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.entries[e.Value]
	switch {
	case err == nil || (!create && apiErr != nil && apiErr.Status == http.StatusNotFound):
		c.calls.WithLabelValues(op, "ok").Inc()
		c.fails = 0
		if !ok {
			return nil
		}
		if create {
			cur.RuleID = id
		} else {
			cur.RuleID = ""
		}
		// The entry may have changed during the call (extended, lifted):
		// it stays queued until the state matches.
		c.dequeueLocked()
		if cur.RuleID != "" && now.Before(cur.Until) {
			snap := *cur
			return &snap
		}
		c.enqueueLocked(e.Value)
	case apiErr != nil && apiErr.Status == http.StatusTooManyRequests:
		c.calls.WithLabelValues(op, "rate_limited").Inc()
		c.pause = now.Add(apiErr.RetryAfter)
	case apiErr != nil && apiErr.Status >= 400 && apiErr.Status < 500:
		// Refused for good (a bad token, a value Cloudflare will not
		// take): retrying would spend the budget on the same answer.
		c.calls.WithLabelValues(op, "rejected").Inc()
		c.skipped.WithLabelValues("rejected").Inc()
		c.opts.Log.Warn("cloudflare: refused", "op", op, "value", e.Value, "err", err)
		c.dequeueLocked()
		if create && ok && cur.RuleID == "" {
			delete(c.entries, e.Value)
		}
	default:
		c.calls.WithLabelValues(op, "error").Inc()
		c.fails++
		c.pause = now.Add(min(time.Second<<min(c.fails, 9), LimitPeriod))
		c.opts.Log.Warn("cloudflare: call failed", "op", op, "value", e.Value, "err", err)
	}
	return nil
}

// APIError is an answer other than success from the Cloudflare API.
type APIError struct {
	Status     int
	RetryAfter time.Duration // from a 429's Retry-After; a minute when absent
	Messages   []string
	Codes      []int
}

// duplicateCode is Cloudflare's error for a rule on a value that has one
// (firewallaccessrules.api.duplicate_of_existing).
const duplicateCode = 10009

func (e *APIError) duplicate() bool {
	return e.Status == http.StatusBadRequest && slices.Contains(e.Codes, duplicateCode)
}

func (e *APIError) Error() string {
	return fmt.Sprintf("cloudflare: HTTP %d: %v", e.Status, e.Messages)
}

type envelope struct {
	Success bool            `json:"success"`
	Errors  []apiMessage    `json:"errors"`
	Result  json.RawMessage `json:"result"`
}

type apiMessage struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (c *Cloudflare) rulesURL() string {
	return c.cfg.APIBase + "/zones/" + c.cfg.ZoneID + "/firewall/access_rules/rules"
}

func (c *Cloudflare) create(ctx context.Context, e Entry) (string, error) {
	body := map[string]any{"mode": c.cfg.Mode,
		"configuration": map[string]string{"target": e.Target, "value": e.Value},
		"notes":         "warden: repeat offender until " + e.Until.UTC().Format(time.RFC3339)}
	var res struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, c.rulesURL(), body, &res); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.duplicate() {
			// Pushed before, and the store lost it (a crash between
			// the call and the save): adopt the rule there is.
			return c.find(ctx, e)
		}
		return "", err
	}
	if res.ID == "" {
		return "", errors.New("cloudflare: create: no rule id in the answer")
	}
	return res.ID, nil
}

// find returns the id of the zone's rule on e's value. Its request
// takes a place in the budget like any other.
func (c *Cloudflare) find(ctx context.Context, e Entry) (string, error) {
	c.mu.Lock()
	c.sent = append(c.sent, c.opts.Now())
	c.mu.Unlock()
	q := url.Values{"configuration.target": {e.Target}, "configuration.value": {e.Value}}
	var res []struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodGet, c.rulesURL()+"?"+q.Encode(), nil, &res)
	c.calls.WithLabelValues("find", resultOf(err)).Inc()
	if err != nil {
		return "", err
	}
	if len(res) == 0 || res[0].ID == "" {
		return "", errors.New("cloudflare: a duplicate rule was reported but none was found")
	}
	return res[0].ID, nil
}

func (c *Cloudflare) delete(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, c.rulesURL()+"/"+id, nil, nil)
}

// do sends one API request and decodes the envelope's result into out.
func (c *Cloudflare) do(ctx context.Context, method, target string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("cloudflare: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("cloudflare: %w", err)
	}
	defer resp.Body.Close()
	var env envelope
	dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20))
	decErr := dec.Decode(&env)
	if resp.StatusCode/100 != 2 || !env.Success {
		ae := &APIError{Status: resp.StatusCode}
		if ae.Status/100 == 2 {
			ae.Status = http.StatusBadGateway // success status, failed envelope
		}
		for _, m := range env.Errors {
			ae.Messages = append(ae.Messages, strconv.Itoa(m.Code)+" "+m.Message)
			ae.Codes = append(ae.Codes, m.Code)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			ae.RetryAfter = time.Minute
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				ae.RetryAfter = time.Duration(s) * time.Second
			}
		}
		return ae
	}
	if decErr != nil {
		return fmt.Errorf("cloudflare: decode: %w", decErr)
	}
	if out != nil {
		if err := json.Unmarshal(env.Result, out); err != nil {
			return fmt.Errorf("cloudflare: decode result: %w", err)
		}
	}
	return nil
}
