package alert

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/alertconfig"
	"github.com/warden-dev/warden/internal/redact"
)

// Bounds on the Engine's state. Routes, stores and classes come from
// code and config, clients from the network: a flood of clients fills a
// rule's counters up to its cap and the rest are not counted apart
// (repeat bans of clients past the cap go unnoticed; the ban rule still
// counts them all).
const (
	maxCountersPerRule = 1024
	maxClients         = 5    // sample of clients an alert names
	maxBanned          = 4096 // recently banned targets remembered for muting
	maxClasses         = 256  // attack classes remembered for new_attack_class
	maxHeld            = 50   // titles a digest lists
	maxSendAttempts    = 10
	dueBatch           = 50
)

// MaxListed is the most alerts one message lists; it counts the rest.
const MaxListed = 50

// Claimer lets several Warden instances on one Redis or PostgreSQL tell
// each alert once. Each alert state (rule, scope, action, firing or
// resolved) is claimed before it goes into a message; the instance that
// holds the claim tells it, the others leave it out.
type Claimer interface {
	// ClaimAlert reports whether owner holds key for ttl from now: it
	// was free or expired (Redis SET NX, a PostgreSQL unique insert), or
	// owner held it already, in which case the claim is extended.
	ClaimAlert(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	// ReleaseAlert frees key whoever holds it: the alert changed state,
	// so its next occurrence is news again.
	ReleaseAlert(ctx context.Context, key string) error
}

// Options are an Engine's collaborators.
type Options struct {
	Channels []Channel
	Outbox   Outbox  // nil: a MemoryOutbox
	Claimer  Claimer // nil: this instance sends everything it raises
	// Now is the clock; nil means time.Now. Tests pass a fake one and
	// call Tick themselves.
	Now func() time.Time
	// Registerer receives the alert metrics; nil registers none.
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// key is an alert's dedup key.
type key struct{ rule, scope, action string }

// counter counts what a rule sees for one key in a tumbling window.
type counter struct {
	start   time.Time
	n       int
	clients []string // sample, at most maxClients
}

type alertState struct {
	Alert
	lastOver time.Time
	notified bool // the current state went out in a message
	event    bool // no resolved message: a one-off finding
}

type group struct {
	created  time.Time
	lastSent time.Time
	sent     bool
	changed  bool
}

// Engine turns what a Warden instance decides into alerts, groups and
// deduplicates them as Alertmanager does, and delivers them through an
// outbox. The feeding methods (Observe, Banned, StoreFallback,
// DroppedEvent, PanicRecovered) are cheap: a request that found nothing
// costs one comparison, others one short critical section updating a
// counter. Tick, called every few seconds by Run, evaluates the rules and
// sends. Memory is bounded (see the max constants) whatever the number of
// clients. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	rules    map[string]alertconfig.Rule
	channels []Channel
	outbox   Outbox
	claimer  Claimer
	id       string // this instance, as the owner of its claims
	now      func() time.Time
	log      *slog.Logger

	mu        sync.Mutex
	counters  map[key]*counter
	perRule   map[string]int
	alerts    map[key]*alertState
	groups    map[string]*group
	banned    map[string]time.Time // target → until, for muting
	classes   map[string]time.Time // attack class → last seen
	counters0 map[string]uint64    // last polled AI counters
	readAI    func() map[string]uint64
	hour      time.Time
	perHour   map[string]int      // channel → messages this hour
	held      map[string][]string // channel → titles held back this hour
	heldN     map[string]int

	sendMu sync.Mutex // one delivery pass at a time

	sent, failed, suppressed *prometheus.CounterVec
}

// New returns an Engine for cfg (validated by the caller).
func New(cfg Config, opts Options) *Engine {
	if opts.Outbox == nil {
		opts.Outbox = &MemoryOutbox{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	e := &Engine{
		cfg: cfg, rules: map[string]alertconfig.Rule{}, channels: opts.Channels, outbox: opts.Outbox,
		claimer: opts.Claimer, id: newID(), now: opts.Now, log: opts.Log,
		counters: map[key]*counter{}, perRule: map[string]int{}, alerts: map[key]*alertState{},
		groups: map[string]*group{}, banned: map[string]time.Time{}, classes: map[string]time.Time{},
		perHour: map[string]int{}, held: map[string][]string{}, heldN: map[string]int{},
	}
	for _, r := range cfg.Rules.Named() {
		if r.Rule.Enabled {
			e.rules[r.Name] = *r.Rule
		}
	}
	e.sent = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_alerts_sent_total",
		Help: "Alert messages delivered, by channel."}, []string{"channel"})
	e.failed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_alerts_failures_total",
		Help: "Failed attempts to deliver an alert message, by channel and whether it will be retried."}, []string{"channel", "final"})
	e.suppressed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_alerts_suppressed_total",
		Help: "Alert messages not sent, by reason: muted by a ban, sent by another instance, held for the hourly digest."}, []string{"reason"})
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{e.sent, e.failed, e.suppressed} {
			_ = opts.Registerer.Register(c)
		}
	}
	return e
}

// Run calls Tick every interval until ctx is done.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.Tick(ctx)
		}
	}
}

// WatchCounters sets the AI protections' counters (aiguard's, by metric
// name), read at each Tick for llm_unavailable and budget_exhausted.
func (e *Engine) WatchCounters(read func() map[string]uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.readAI = read
}

// Observe implements abuse.Observer: blocked requests by route and
// action, new attack classes, credential-stuffing findings. A request
// that found nothing returns at once.
func (e *Engine) Observe(r *abuse.Request, o abuse.Outcome) {
	if len(o.Verdicts) == 0 && o.Action <= abuse.Log {
		return
	}
	now := e.now()
	client := clientOf(r)
	route := r.Route
	if route == "" {
		route = "unmatched routes"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if o.Action > abuse.Log && o.Action != abuse.Ban {
		e.countLocked(now, key{"blocked", route, o.Action.String()}, 1, client)
	}
	// The decision log's outcome carries no Acts: a refused request's
	// most confident finding is what refused it.
	top := -1
	if o.Action > abuse.Log && o.Action != abuse.Ban {
		for i := range o.Verdicts {
			if top < 0 || o.Verdicts[i].Confidence > o.Verdicts[top].Confidence {
				top = i
			}
		}
	}
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		if !v.Found() || v.Violation == "" || v.Detector == "ban" {
			continue
		}
		switch v.Violation {
		case "credential_stuffing", "brute_force", "id_enumeration":
			e.countLocked(now, key{"credential_stuffing", route + " " + v.Violation, ""}, 1, client)
		}
		if !o.Acted(i) && i != top {
			continue // grey findings are no attack class yet
		}
		if _, seen := e.classes[v.Violation]; !seen && len(e.classes) < maxClasses {
			e.countLocked(now, key{"new_attack_class", v.Violation, ""}, 1, client)
		}
		if len(e.classes) < maxClasses || e.classes[v.Violation] != (time.Time{}) {
			e.classes[v.Violation] = now
		}
	}
}

// Banned counts a ban enforcement placed (config.Backends.OnBan).
func (e *Engine) Banned(b ban.Ban) {
	now := e.now()
	t := redact.Excerpt(b.Target.String())
	e.mu.Lock()
	defer e.mu.Unlock()
	e.countLocked(now, key{"ban", "", "ban"}, 1, t)
	e.countLocked(now, key{"repeat_ban", t, "ban"}, 1, t)
	if len(e.banned) >= maxBanned {
		// Forget half, at random (map order): amortised O(1) a ban. A
		// forgotten ban only stops muting the warnings it explains.
		for k := range e.banned {
			if len(e.banned) <= maxBanned/2 {
				break
			}
			delete(e.banned, k)
		}
	}
	e.banned[t] = b.Until
}

// StoreFallback counts a decision taken in memory because store failed.
func (e *Engine) StoreFallback(store string) { e.count(key{"store_outage", store, ""}, 1) }

// DroppedEvent counts one decision-log event dropped.
func (e *Engine) DroppedEvent() { e.count(key{"dropped_events", "", ""}, 1) }

// PanicRecovered counts one of Warden's own errors.
func (e *Engine) PanicRecovered() { e.count(key{"error_rate", "", ""}, 1) }

func (e *Engine) count(k key, n int) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.countLocked(now, k, n, "")
}

// countLocked adds n to k's counter; e.mu is held.
func (e *Engine) countLocked(now time.Time, k key, n int, client string) {
	r, on := e.rules[k.rule]
	if !on {
		return
	}
	c := e.counters[k]
	if c == nil {
		if e.perRule[k.rule] >= maxCountersPerRule {
			return
		}
		c = &counter{start: now}
		e.counters[k] = c
		e.perRule[k.rule]++
	}
	if now.Sub(c.start) >= r.Window {
		c.start, c.n, c.clients = now, 0, c.clients[:0]
	}
	c.n += n
	if client != "" && len(c.clients) < maxClients && !slices.Contains(c.clients, client) {
		c.clients = append(c.clients, client)
	}
}

func clientOf(r *abuse.Request) string {
	if r.Client.User != "" {
		return redact.Excerpt("user:" + r.Client.User)
	}
	if r.Client.IP.IsValid() {
		var buf [3 + 45]byte // "ip:" and the longest IPv6 text
		return string(r.Client.IP.AppendTo(append(buf[:0], "ip:"...)))
	}
	return ""
}

// Tick evaluates the rules at the current time, sends the messages that
// are due and retries deliveries whose time came.
func (e *Engine) Tick(ctx context.Context) {
	now := e.now()
	e.pollAI(now)
	e.rollHour(ctx, now)
	msgs := e.evaluate(now)
	for _, n := range msgs {
		e.dispatch(ctx, n, now)
	}
	e.deliver(ctx, now)
}

func (e *Engine) pollAI(now time.Time) {
	e.mu.Lock()
	read := e.readAI
	e.mu.Unlock()
	if read == nil {
		return
	}
	cur := read()
	e.mu.Lock()
	defer e.mu.Unlock()
	delta := func(names ...string) int {
		d := 0
		for _, n := range names {
			if e.counters0 != nil && cur[n] > e.counters0[n] {
				d += int(cur[n] - e.counters0[n])
			}
		}
		return d
	}
	if d := delta("warden_ai_llm_failures_total", "warden_ai_llm_timeouts_total", "warden_ai_judge_failed_total"); d > 0 {
		e.countLocked(now, key{"llm_unavailable", "judge", ""}, d, "")
	}
	if d := delta("warden_ai_moderation_failures_total", "warden_ai_moderation_timeouts_total"); d > 0 {
		e.countLocked(now, key{"llm_unavailable", "moderation", ""}, d, "")
	}
	if d := delta("warden_ai_budget_throttled_total"); d > 0 {
		e.countLocked(now, key{"budget_exhausted", "", "throttle"}, d, "")
	}
	e.counters0 = maps.Clone(cur)
}

// evaluate turns counters into alert states and returns the messages
// that are due.
func (e *Engine) evaluate(now time.Time) []Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, c := range e.counters {
		r := e.rules[k.rule]
		if c.n >= r.Threshold {
			e.fireLocked(now, k, c, r)
		}
		if now.Sub(c.start) >= r.Window {
			delete(e.counters, k)
			e.perRule[k.rule]--
		}
	}
	for k, a := range e.alerts {
		r := e.rules[k.rule]
		if a.State == Firing && now.Sub(a.lastOver) >= r.Window {
			if a.event || !a.notified {
				// A one-off finding ends silently, and so does an alert
				// nobody was told about.
				delete(e.alerts, k)
				continue
			}
			a.State, a.EndsAt, a.notified = Resolved, now, false
			if g := e.groups[k.rule]; g != nil {
				g.changed = true
			}
		}
	}
	for b, until := range e.banned {
		if !until.After(now) {
			delete(e.banned, b)
		}
	}
	for c, seen := range e.classes {
		if now.Sub(seen) >= e.rules["new_attack_class"].Window {
			delete(e.classes, c)
		}
	}
	var out []Notification
	for _, rule := range slices.Sorted(maps.Keys(e.groups)) {
		g := e.groups[rule]
		var members []*alertState
		for k, a := range e.alerts {
			if k.rule == rule {
				members = append(members, a)
			}
		}
		if len(members) == 0 {
			delete(e.groups, rule)
			continue
		}
		firing := false
		for _, a := range members {
			firing = firing || a.State == Firing
		}
		var due bool
		switch {
		case !g.sent:
			due = !now.Before(g.created.Add(e.cfg.GroupWait))
		case g.changed:
			due = !now.Before(g.lastSent.Add(e.cfg.GroupInterval))
		case firing:
			due = !now.Before(g.lastSent.Add(e.cfg.RepeatInterval)) && !allEvents(members)
		}
		if !due {
			continue
		}
		if n, ok := e.notificationLocked(now, rule, members); ok {
			out = append(out, n)
		}
		g.sent, g.changed, g.lastSent = true, false, now
		for _, a := range members {
			if a.State == Resolved {
				delete(e.alerts, key{a.Rule, a.Scope, a.Action})
			}
		}
	}
	return out
}

func allEvents(as []*alertState) bool {
	for _, a := range as {
		if !a.event {
			return false
		}
	}
	return true
}

// fireLocked marks k's alert as firing, creating it (and its group).
func (e *Engine) fireLocked(now time.Time, k key, c *counter, r alertconfig.Rule) {
	a := e.alerts[k]
	if a == nil || a.State == Resolved {
		if a == nil && len(e.alerts) >= maxCountersPerRule {
			return
		}
		a = &alertState{Alert: Alert{Rule: k.rule, Scope: k.scope, Action: k.action, State: Firing,
			Threshold: r.Threshold, Window: r.Window, StartsAt: now}, event: k.rule == "new_attack_class"}
		e.alerts[k] = a
		g := e.groups[k.rule]
		if g == nil {
			e.groups[k.rule] = &group{created: now}
		} else {
			g.changed = true
		}
	}
	a.lastOver = now
	a.Value = c.n // the latest window's count
	for _, cl := range c.clients {
		if len(a.Clients) < maxClients && !slices.Contains(a.Clients, cl) {
			a.Clients = append(a.Clients, cl)
		}
	}
	a.Summary = summary(a.Alert)
}

// notificationLocked builds the message of a group, leaving out alerts
// that a ban explains (every client they name is banned). It reports
// false when nothing is left to say.
func (e *Engine) notificationLocked(now time.Time, rule string, members []*alertState) (Notification, bool) {
	slices.SortFunc(members, func(a, b *alertState) int {
		return strings.Compare(a.Scope+a.Action, b.Scope+b.Action)
	})
	var list []Alert
	firing := 0
	for _, a := range members {
		if a.State == Firing && a.notified && a.event {
			continue // a one-off finding is told once
		}
		if rule != "ban" && rule != "repeat_ban" && e.explainedLocked(a, now) {
			// Not told, so not notified: muted to the end, it resolves
			// silently.
			e.suppressed.WithLabelValues("muted_by_ban").Inc()
			continue
		}
		a.notified = true
		if a.State == Firing {
			firing++
		}
		list = append(list, a.Alert)
	}
	if len(list) == 0 {
		return Notification{}, false
	}
	n := Notification{ID: newID(), Type: "alert", Status: Resolved, Rule: rule, Time: now, Alerts: list}
	if len(list) > MaxListed {
		// A message stays readable and within mail and chat limits; the
		// count says how many it leaves out.
		n.Alerts, n.More = list[:MaxListed], len(list)-MaxListed
	}
	if firing > 0 {
		n.Status = Firing
	}
	n.Title = title(n)
	return n, true
}

func (e *Engine) explainedLocked(a *alertState, now time.Time) bool {
	if len(a.Clients) == 0 {
		return false
	}
	for _, c := range a.Clients {
		if until, ok := e.banned[c]; !ok || !until.After(now) {
			return false
		}
	}
	return true
}
