package tune

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/payload"
)

// Options are the heuristic's thresholds and the aggregation's bounds.
// The zero value of a field means its default.
type Options struct {
	// MinClients is how many distinct ordinary clients a group of
	// findings needs before it looks like a false positive (default 5).
	MinClients int
	// MaxConfidence is the mean confidence at or above which findings
	// look like attacks, whoever sent them (default 0.95: the payload
	// detector gives real attacks 0.98 to 1, and false positives such as a
	// video embed in a comment often 0.9 or so).
	MaxConfidence float64
	// SprayGroups is how many distinct groups (route, field and class; or
	// detector and route) one client must have findings in to count as
	// spraying, not as an ordinary client (default 4).
	SprayGroups int
	// MaxGroups bounds the groups kept (default 10000); findings of
	// further groups are counted as dropped.
	MaxGroups int
	// MaxClients bounds the clients told apart (default 200000); further
	// clients count as spraying, so a proposal never rests on clients the
	// bound hid.
	MaxClients int
	// MaxReportRows bounds the rows of the would-stop report (default 50).
	MaxReportRows int
}

func (o *Options) defaults() {
	o.MinClients = cmp.Or(o.MinClients, 5)
	o.MaxConfidence = cmp.Or(o.MaxConfidence, 0.95)
	o.SprayGroups = cmp.Or(o.SprayGroups, 4)
	o.MaxGroups = cmp.Or(o.MaxGroups, 10000)
	o.MaxClients = cmp.Or(o.MaxClients, 200000)
	o.MaxReportRows = cmp.Or(o.MaxReportRows, 50)
}

// maxGroupClients bounds the distinct clients remembered per group; a
// group with more is reported as "256+".
const maxGroupClients = 256

// untracked is the client id of clients past Options.MaxClients.
const untracked = 0

// Tuner aggregates decision events. Add them with Add, then read the
// proposals with Result. Its memory is bounded by Options: at most
// MaxClients clients (a key and a few group ids each), MaxGroups groups
// (at most maxGroupClients client ids each) and MaxGroups report rows.
// A Tuner is not safe for concurrent use.
type Tuner struct {
	opts Options

	events, findings, dropped int
	from, to                  time.Time

	clients map[string]uint32 // client key → id (1…)
	spread  []clientSpread    // by id; spread[0] is untracked

	groups  map[groupKey]*group
	ordered []*group // in creation order: ids index it
	stopped map[stopKey]int
	nStop   int
}

type clientSpread struct {
	groups [8]uint32 // distinct group ids seen, up to 8
	n      int
}

func (c *clientSpread) add(id uint32) {
	for _, g := range c.groups[:min(c.n, len(c.groups))] {
		if g == id {
			return
		}
	}
	if c.n < len(c.groups) {
		c.groups[c.n] = id
	}
	c.n++
}

// groupKey is what a proposal is about: a payload field finding (route,
// field, class) or a detector on a route (field and class empty).
type groupKey struct {
	route, field, class, detector string
}

type group struct {
	id                uint32
	key               groupKey
	count, stops      int
	confSum           float64
	confMin, confMax  float64
	clients           []uint32
	clientsOver       bool
	locs              []string
	example           string
	fromPath          bool // the route is the request's path: no pattern matched
	stopActions       map[string]int
	violationOfDetect string
}

// stopKey is a row of the would-stop report.
type stopKey struct {
	route, detector, violation, action string
}

// New returns a Tuner with opts (zero fields take their defaults).
func New(opts Options) *Tuner {
	opts.defaults()
	return &Tuner{
		opts:    opts,
		clients: map[string]uint32{},
		spread:  make([]clientSpread, 1, 1024),
		groups:  map[groupKey]*group{},
		stopped: map[stopKey]int{},
	}
}

// stops reports whether the action stops a request.
func stops(action string) bool {
	switch action {
	case "block", "throttle", "reject", "ban", "too_large":
		return true
	}
	return false
}

// Add aggregates one event.
func (t *Tuner) Add(e *eventlog.Event) {
	t.events++
	if t.from.IsZero() || e.Time.Before(t.from) {
		t.from = e.Time
	}
	if e.Time.After(t.to) {
		t.to = e.Time
	}
	// What enforce mode does with the request: would when a monitor mode
	// held it back, else the action it took.
	enforced := cmp.Or(e.Would, e.Action)
	stopped := stops(enforced)
	route, fromPath := routeOf(e)
	if e.Abuse == nil || len(e.Abuse.Detectors) == 0 {
		if stopped {
			t.countStop(stopKey{route: route, action: enforced})
		}
		return
	}
	if stopped {
		top := e.Abuse.Detectors[0]
		for _, d := range e.Abuse.Detectors[1:] {
			if d.Confidence > top.Confidence {
				top = d
			}
		}
		t.countStop(stopKey{route: route, detector: top.Name, violation: top.Violation, action: enforced})
	}
	client := t.client(e)
	for i := range e.Abuse.Detectors {
		d := &e.Abuse.Detectors[i]
		fieldFound := false
		if d.Name == payload.Name {
			for _, m := range d.Messages {
				f, ok := parseFinding(m)
				if !ok || !f.excludable() {
					continue
				}
				fieldFound = true
				conf := f.conf
				if conf < 0 {
					conf = d.Confidence
				}
				g := t.group(groupKey{route: route, field: f.field, class: f.class}, fromPath)
				if g == nil {
					continue
				}
				g.add(t, client, conf, stopped, enforced)
				if !slices.Contains(g.locs, f.loc) && len(g.locs) < 4 {
					g.locs = append(g.locs, f.loc)
				}
				if g.example == "" {
					g.example = redactExample(f.field, f.excerpt)
				}
			}
		}
		if fieldFound {
			continue
		}
		g := t.group(groupKey{route: route, detector: d.Name}, fromPath)
		if g == nil {
			continue
		}
		g.add(t, client, d.Confidence, stopped, enforced)
		if g.violationOfDetect == "" {
			g.violationOfDetect = d.Violation
		}
	}
}

func (t *Tuner) countStop(k stopKey) {
	t.nStop++
	if _, ok := t.stopped[k]; !ok && len(t.stopped) >= t.opts.MaxGroups {
		k = stopKey{route: "(other)"}
	}
	t.stopped[k]++
}

// client returns the id of the event's client: its user when known, else
// its IP; untracked past MaxClients.
func (t *Tuner) client(e *eventlog.Event) uint32 {
	key := "ip:" + e.Client.IP
	if e.Client.User != "" {
		key = "user:" + e.Client.User
	}
	if id, ok := t.clients[key]; ok {
		return id
	}
	if len(t.clients) >= t.opts.MaxClients {
		return untracked
	}
	id := uint32(len(t.spread))
	t.clients[key] = id
	t.spread = append(t.spread, clientSpread{})
	return id
}

// group returns the group for k, created when there is room; nil (and a
// dropped finding) when there is not.
func (t *Tuner) group(k groupKey, fromPath bool) *group {
	t.findings++
	if g, ok := t.groups[k]; ok {
		return g
	}
	if len(t.groups) >= t.opts.MaxGroups {
		t.dropped++
		return nil
	}
	g := &group{id: uint32(len(t.ordered) + 1), key: k, confMin: 1, fromPath: fromPath}
	t.groups[k] = g
	t.ordered = append(t.ordered, g)
	return g
}

func (g *group) add(t *Tuner, client uint32, conf float64, stopped bool, action string) {
	g.count++
	g.confSum += conf
	g.confMin, g.confMax = min(g.confMin, conf), max(g.confMax, conf)
	if stopped {
		g.stops++
		if g.stopActions == nil {
			g.stopActions = map[string]int{}
		}
		g.stopActions[action]++
	}
	if client != untracked {
		t.spread[client].add(g.id)
	}
	if !slices.Contains(g.clients, client) {
		if len(g.clients) < maxGroupClients {
			g.clients = append(g.clients, client)
		} else {
			g.clientsOver = true
		}
	}
}

// routeOf is the route an event's proposals are about: the ServeMux
// pattern that matched, or else an exact pattern made of the method and
// path; "" when the path cannot be written as a pattern.
func routeOf(e *eventlog.Event) (route string, fromPath bool) {
	if e.Route != "" {
		return e.Route, false
	}
	p := e.Path
	if p == "" || p[0] != '/' || len(p) >= eventlog.MaxPathBytes || strings.ContainsAny(p, "{}%\\") {
		return "", true // cut, or holding what a pattern reads otherwise
	}
	for _, r := range p {
		if r <= ' ' || r >= 0x7f {
			return "", true
		}
	}
	if strings.HasSuffix(p, "/") {
		p += "{$}" // the path itself, not the subtree under it
	}
	if e.Method != "" {
		p = e.Method + " " + p
	}
	return p, true
}

// Result is what a run of the Tuner found.
type Result struct {
	Events, Findings, Dropped int
	From, To                  time.Time
	Stopped                   int
	StopRows                  []StopRow
	Exclusions                []Proposal // payload.exclusions entries, one field each
	RouteModes                []Proposal // detectors.<Detector>.routes entries
	Options                   Options
	ClientsCapped             bool
}

// StopRow is one row of the would-stop report.
type StopRow struct {
	Route, Detector, Violation, Action string
	Count                              int
}

// Proposal is one proposed setting and the evidence for it.
type Proposal struct {
	Route    string
	Field    string   // exclusions: the field
	Classes  []string // exclusions: the classes, each with Counts
	Detector string   // route modes: the detector
	Count    int      // findings
	Stops    int      // findings in requests enforce mode would have stopped
	Clients  int      // distinct ordinary clients (at most maxGroupClients)
	More     bool     // more clients than Clients
	ConfMin  float64
	ConfMax  float64
	ConfMean float64
	Locs     []string
	Example  string // redacted excerpt
	FromPath bool   // Route was made from the path: no pattern matched
}

// Result applies the heuristic to what was added.
func (t *Tuner) Result() Result {
	r := Result{Events: t.events, Findings: t.findings, Dropped: t.dropped, From: t.from, To: t.to,
		Stopped: t.nStop, Options: t.opts, ClientsCapped: len(t.clients) >= t.opts.MaxClients}
	for k, n := range t.stopped {
		r.StopRows = append(r.StopRows, StopRow{Route: k.route, Detector: k.detector, Violation: k.violation, Action: k.action, Count: n})
	}
	slices.SortFunc(r.StopRows, func(a, b StopRow) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Route, b.Route),
			cmp.Compare(a.Detector, b.Detector), cmp.Compare(a.Violation, b.Violation), cmp.Compare(a.Action, b.Action))
	})

	byField := map[[2]string]*Proposal{} // (route, field) → its exclusion
	for _, g := range t.ordered {
		if g.key.route == "" || g.stops == 0 {
			continue // nothing to name, or nothing enforce mode would have stopped
		}
		mean := g.confSum / float64(g.count)
		if mean >= t.opts.MaxConfidence {
			continue
		}
		ordinary := 0
		for _, c := range g.clients {
			if c != untracked && t.spread[c].n < t.opts.SprayGroups {
				ordinary++
			}
		}
		if ordinary < t.opts.MinClients {
			continue
		}
		p := Proposal{Route: g.key.route, Count: g.count, Stops: g.stops, Clients: ordinary, More: g.clientsOver,
			ConfMin: g.confMin, ConfMax: g.confMax, ConfMean: mean, Locs: g.locs, Example: g.example, FromPath: g.fromPath}
		if g.key.detector != "" {
			p.Detector = g.key.detector
			if g.violationOfDetect != "" {
				p.Classes = []string{g.violationOfDetect}
			}
			if config.CheckPattern(p.Route) == nil {
				r.RouteModes = append(r.RouteModes, p)
			}
			continue
		}
		p.Field = g.key.field
		p.Classes = []string{g.key.class}
		if x, ok := byField[[2]string{p.Route, p.Field}]; ok {
			x.merge(p)
			continue
		}
		r.Exclusions = append(r.Exclusions, p)
		byField[[2]string{p.Route, p.Field}] = &r.Exclusions[len(r.Exclusions)-1]
	}
	r.Exclusions = validExclusions(r.Exclusions)
	sortProposals(r.Exclusions)
	sortProposals(r.RouteModes)
	return r
}

// merge folds another class of the same route and field into p.
func (p *Proposal) merge(o Proposal) {
	total := p.Count + o.Count
	p.ConfMean = (p.ConfMean*float64(p.Count) + o.ConfMean*float64(o.Count)) / float64(total)
	p.Count, p.Stops = total, p.Stops+o.Stops
	p.Classes = append(p.Classes, o.Classes...)
	p.Clients, p.More = max(p.Clients, o.Clients), p.More || o.More
	p.ConfMin, p.ConfMax = min(p.ConfMin, o.ConfMin), max(p.ConfMax, o.ConfMax)
	for _, l := range o.Locs {
		if !slices.Contains(p.Locs, l) {
			p.Locs = append(p.Locs, l)
		}
	}
	p.Example = cmp.Or(p.Example, o.Example)
}

func sortProposals(ps []Proposal) {
	slices.SortFunc(ps, func(a, b Proposal) int {
		return cmp.Or(cmp.Compare(b.Stops, a.Stops), cmp.Compare(a.Route, b.Route),
			cmp.Compare(a.Field, b.Field), cmp.Compare(a.Detector, b.Detector))
	})
	for i := range ps {
		slices.Sort(ps[i].Classes)
	}
}

// validExclusions keeps the proposals that payload's own validation
// accepts together (a field that no field path can name, a pattern that
// conflicts with an earlier one): the YAML printed must load.
func validExclusions(ps []Proposal) []Proposal {
	var kept []Proposal
	var xs []payload.Exclusion
	for _, p := range ps {
		x := p.exclusion()
		cfg := payload.DefaultConfig()
		cfg.Exclusions = append(xs, x)
		if cfg.Validate() != nil {
			continue
		}
		xs = cfg.Exclusions
		kept = append(kept, p)
	}
	return kept
}

func (p *Proposal) exclusion() payload.Exclusion {
	return payload.Exclusion{Route: p.Route, Fields: []string{p.Field}, Classes: slices.Clone(p.Classes)}
}
