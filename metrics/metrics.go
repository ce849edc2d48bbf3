package metrics

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/payload"
)

// numActions counts abuse's actions; index numActions is "unknown".
const numActions = int(abuse.Ban) + 1

// MaxViolationLabels caps the distinct (violation type, route pattern)
// pairs of warden_violations_total; pairs past it are counted under
// violation="other", route="other".
const MaxViolationLabels = 1024

// MaxDetectorLabels caps the distinct detector label values. Detector
// names come from code and config, not from clients, but a cap keeps a
// misbehaving detector from growing the series without bound; names past
// the cap are counted as "other".
const MaxDetectorLabels = 256

// latencyBuckets are the decision-latency histogram buckets, in seconds:
// 1µs to 100ms, dense where a decision should be (a few µs).
var latencyBuckets = []float64{
	1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3,
}

// requestBuckets are the request-duration histogram buckets, in seconds,
// for whole requests including the upstream.
var requestBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

type actionCounters [numActions + 1]prometheus.Counter

// Metrics is one Guard's metrics. All methods are safe for concurrent use;
// Observe, DecisionLatency, UpstreamResponse, DroppedEvent, PanicRecovered,
// StoreFallback and DetectorLatency's functions are cheap enough for the
// request path and do not allocate once a
// detector or store name has been seen.
//
// Series:
//
//	warden_requests_total{action}                 requests by final action
//	warden_decisions_total{detector,action}       verdicts that found something, by detector and the request's action
//	warden_violations_total{violation,route,action} verdicts that named a violation type, by type, route pattern and action
//	warden_decision_duration_seconds              time to decide (identify → policy), histogram
//	warden_detector_duration_seconds{detector}    time each detector took, histogram
//	warden_upstream_responses_total{route,class}  upstream answers to requests let through, by route pattern and status class
//	warden_request_duration_seconds               whole request including the upstream, histogram
//	warden_events_dropped_total                   decision-log events dropped (queue full)
//	warden_panics_recovered_total                 panics turned into 500 answers
//	warden_store_fallbacks_total{store}           operations that fell back to local state because a store failed
//	warden_store_backfilled_total{store}          events kept locally during an outage, copied to the store once it was back
//	warden_bans_issued_total{kind}                bans added (ip, user)
//	warden_bans_active                            bans in force (when WatchBans is called)
type Metrics struct {
	reg *prometheus.Registry

	requests   actionCounters
	incomplete actionCounters // requests not inspected in full, by action
	decisions  *prometheus.CounterVec
	// detectors maps a detector name to its pre-resolved children; it is
	// copied on write (rare: once per new name) and read without locks.
	detectors atomic.Pointer[map[string]*actionCounters]
	detMu     sync.Mutex // serialises writers of detectors

	decisionLatency prometheus.Histogram
	requestLatency  prometheus.Histogram
	dropped         prometheus.Counter
	panics          prometheus.Counter

	requestsVec, incompleteVec *prometheus.CounterVec // for the rare "unknown" action

	// violations maps a (violation, route) pair to its children, copied
	// on write under detMu like detectors.
	violations    atomic.Pointer[map[violationKey]*actionCounters]
	violationsVec *prometheus.CounterVec

	fallbacks     *prometheus.CounterVec
	fallbackCache sync.Map // store name → prometheus.Counter
	backfilled    *prometheus.CounterVec

	bansIssued [3]prometheus.Counter // by ban.Kind; [0] unused
	bansActive atomic.Bool           // WatchBans was called

	// upstream maps a (route, class) pair to its counter, copied on
	// write under detMu; upstreamRoutes counts the routes labelled.
	upstream       atomic.Pointer[map[upstreamKey]prometheus.Counter]
	upstreamRoutes map[string]struct{} // guarded by detMu
	upstreamVec    *prometheus.CounterVec

	detectorDuration *prometheus.HistogramVec
	timedDetectors   map[string]struct{} // labels given out; guarded by detMu
}

// New returns metrics on a fresh registry.
func New(cfg Config) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_requests_total",
		Help: "Requests seen by Warden, by the action taken.",
	}, []string{"action"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_decisions_total",
		Help: "Detector verdicts that found something, by detector and the action taken on the request.",
	}, []string{"detector", "action"})
	m.decisionLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "warden_decision_duration_seconds",
		Help:    "Time Warden spent deciding about a request, from identification to the policy decision.",
		Buckets: latencyBuckets,
	})
	m.requestLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "warden_request_duration_seconds",
		Help:    "Whole request duration as Warden saw it, upstream included.",
		Buckets: requestBuckets,
	})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "warden_events_dropped_total",
		Help: "Decision-log events dropped because the writer's queue was full or the store kept failing.",
	})
	m.panics = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "warden_panics_recovered_total",
		Help: "Panics recovered and answered with 500.",
	})
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_store_fallbacks_total",
		Help: "Operations that fell back to local state because a shared store failed, by store.",
	}, []string{"store"})
	m.backfilled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_store_backfilled_total",
		Help: "Events kept in local state while a shared store was unreachable, copied to it once it was back, by store.",
	}, []string{"store"})
	incomplete := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_inspection_incomplete_total",
		Help: "Requests the payload detector could not inspect in full (past a limit), by the action taken.",
	}, []string{"action"})
	bans := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_bans_issued_total",
		Help: "Bans added, by target kind.",
	}, []string{"kind"})
	m.violationsVec = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_violations_total",
		Help: "Detector verdicts that named a violation type, by violation type, route pattern (the configured pattern that matched; empty when none did) and the action taken on the request.",
	}, []string{"violation", "route", "action"})
	reg.MustRegister(m.violationsVec)
	m.upstreamVec, m.detectorDuration = newUpstreamVec(), newDetectorDurationVec()
	reg.MustRegister(m.upstreamVec, m.detectorDuration)
	m.upstreamRoutes, m.timedDetectors = map[string]struct{}{}, map[string]struct{}{}
	noUpstream := map[upstreamKey]prometheus.Counter{}
	m.upstream.Store(&noUpstream)
	reg.MustRegister(requests, m.decisions, m.decisionLatency, m.requestLatency, m.dropped, m.panics, m.fallbacks, m.backfilled, bans, incomplete)
	if cfg.RuntimeMetrics {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	// The "unknown" children (an action out of range, which Warden never
	// produces) are made on first use: a series that is always zero only
	// clutters dashboards.
	m.requestsVec, m.incompleteVec = requests, incomplete
	for a := range numActions {
		m.requests[a] = requests.WithLabelValues(abuse.Action(a).String())
	}
	for a := range numActions {
		m.incomplete[a] = incomplete.WithLabelValues(abuse.Action(a).String())
	}
	m.bansIssued[ban.KindIP] = bans.WithLabelValues("ip")
	m.bansIssued[ban.KindUser] = bans.WithLabelValues("user")
	empty := map[string]*actionCounters{}
	m.detectors.Store(&empty)
	noViolations := map[violationKey]*actionCounters{}
	m.violations.Store(&noViolations)
	return m
}

func actionIndex(a abuse.Action) int {
	if int(a) < numActions {
		return int(a)
	}
	return numActions
}

// Observe implements abuse.Observer: it counts the request by its action,
// each verdict that found something by detector and action, and the
// request's duration. It does not allocate once the detectors' names have
// been seen.
func (m *Metrics) Observe(r *abuse.Request, o abuse.Outcome) {
	ai := actionIndex(o.Action)
	if ai == numActions {
		m.requestsVec.WithLabelValues("unknown").Inc()
	} else {
		m.requests[ai].Inc()
	}
	m.requestLatency.Observe(o.Latency.Seconds())
	route := ""
	if r != nil {
		route = r.Route
	}
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		if !v.Found() {
			continue
		}
		if ai == numActions {
			m.decisions.WithLabelValues(detectorLabel(v.Detector), "unknown").Inc()
			continue
		}
		m.detector(v.Detector)[ai].Inc()
		if v.Violation != "" {
			m.violation(v.Violation, route)[ai].Inc()
		}
		if payload.Incomplete(v) {
			m.incomplete[ai].Inc()
		}
	}
}

func detectorLabel(name string) string {
	if name == "" {
		return "unnamed"
	}
	return name
}

// violationKey is a (violation type, route pattern) pair of
// warden_violations_total.
type violationKey struct{ violation, route string }

// violation returns the pre-resolved children for a violation type on a
// route pattern. Route patterns are the configured ones (abuse.Request's
// Route, never the client's path) and violation types come from the
// detectors, so the pairs are few; past MaxViolationLabels they are
// counted as "other".
func (m *Metrics) violation(viol, route string) *actionCounters {
	k := violationKey{viol, route}
	if c, ok := (*m.violations.Load())[k]; ok {
		return c
	}
	m.detMu.Lock()
	defer m.detMu.Unlock()
	cur := *m.violations.Load()
	if c, ok := cur[k]; ok {
		return c
	}
	if len(cur) >= MaxViolationLabels {
		k = violationKey{"other", "other"}
		if c, ok := cur[k]; ok {
			return c
		}
	}
	c := new(actionCounters)
	for a := range numActions {
		c[a] = m.violationsVec.WithLabelValues(k.violation, k.route, abuse.Action(a).String())
	}
	next := make(map[violationKey]*actionCounters, len(cur)+1)
	for kk, v := range cur {
		next[kk] = v
	}
	next[k] = c
	m.violations.Store(&next)
	return c
}

// detector returns the pre-resolved children for a detector name.
func (m *Metrics) detector(name string) *actionCounters {
	if c, ok := (*m.detectors.Load())[name]; ok {
		return c
	}
	m.detMu.Lock()
	defer m.detMu.Unlock()
	cur := *m.detectors.Load()
	if c, ok := cur[name]; ok {
		return c
	}
	label := name
	switch {
	case name == "":
		label = "unnamed"
	case len(cur) >= MaxDetectorLabels:
		label = "other"
	}
	c := new(actionCounters)
	for a := range numActions {
		c[a] = m.decisions.WithLabelValues(label, abuse.Action(a).String())
	}
	if len(cur) >= MaxDetectorLabels {
		return c // not cached: the map stays bounded
	}
	next := make(map[string]*actionCounters, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[name] = c
	m.detectors.Store(&next)
	return c
}

// DecisionLatency records how long a decision took.
func (m *Metrics) DecisionLatency(d time.Duration) { m.decisionLatency.Observe(d.Seconds()) }

// DroppedEvent counts one dropped decision-log event; pass it as
// eventlog.Options.OnDrop.
func (m *Metrics) DroppedEvent() { m.dropped.Inc() }

// PanicRecovered counts one recovered panic.
func (m *Metrics) PanicRecovered() { m.panics.Inc() }

// StoreFallback counts one operation that fell back to local state because
// the named store ("redis", "postgres", "sqlite", "eventlog", …) failed.
// Store names come from code, never from clients.
func (m *Metrics) StoreFallback(store string) {
	if c, ok := m.fallbackCache.Load(store); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c, _ := m.fallbackCache.LoadOrStore(store, m.fallbacks.WithLabelValues(store))
	c.(prometheus.Counter).Inc()
}

// StoreBackfilled counts n events copied from local state into the named
// store after an outage (store/postgres's Options.OnBackfill). It runs
// per batch in the background, not on the request path.
func (m *Metrics) StoreBackfilled(store string, n int) {
	if n > 0 {
		m.backfilled.WithLabelValues(store).Add(float64(n))
	}
}

// BanIssued counts one ban added on a target of kind k.
func (m *Metrics) BanIssued(k ban.Kind) {
	if int(k) < len(m.bansIssued) && m.bansIssued[k] != nil {
		m.bansIssued[k].Inc()
	}
}

// WatchBans registers the warden_bans_active gauge, read from s at each
// scrape with the time from now (nil means time.Now). Call it at most once.
func (m *Metrics) WatchBans(s ban.Store, now func() time.Time) error {
	if !m.bansActive.CompareAndSwap(false, true) {
		return fmt.Errorf("metrics: WatchBans called twice")
	}
	if now == nil {
		now = time.Now
	}
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "warden_bans_active",
		Help: "Bans in force on IP addresses and users, read from the ban store at each scrape.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		l, err := s.List(ctx, now())
		if err != nil {
			return math.NaN()
		}
		return float64(len(l))
	})
	if err := m.reg.Register(g); err != nil {
		return fmt.Errorf("metrics: register bans gauge: %w", err)
	}
	return nil
}

// Register adds another package's collector (rate limiter, LLM client, …)
// to this Guard's registry.
func (m *Metrics) Register(c prometheus.Collector) error {
	if err := m.reg.Register(c); err != nil {
		return fmt.Errorf("metrics: register: %w", err)
	}
	return nil
}

// RegisterCounters exports read's snapshot of monotonic counters, keyed by
// metric name, as Prometheus counters (the AI protections' counters).
func (m *Metrics) RegisterCounters(read func() map[string]uint64) error {
	return m.Register(countersCollector{read})
}

// countersCollector exports a snapshot of monotonic counters, keyed by
// metric name, as Prometheus counters.
type countersCollector struct{ read func() map[string]uint64 }

func (c countersCollector) Describe(chan<- *prometheus.Desc) {} // unchecked: names vary with the configuration

func (c countersCollector) Collect(ch chan<- prometheus.Metric) {
	for name, v := range c.read() {
		desc := prometheus.NewDesc(name, counterHelp(name), nil, nil)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v))
	}
}

// Registry returns the registry, for gathering in tests or merging into an
// application's own registry.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (and
// OpenMetrics when asked). At most 4 scrapes run at once.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

var _ abuse.Observer = (*Metrics)(nil)

// counterHelp is the help text of a counter that RegisterCounters
// exports: the AI protections name their counters, this says what each
// counts.
func counterHelp(name string) string {
	switch name {
	case "warden_ai_llm_malicious_total":
		return "Requests the AI judge's model found malicious."
	case "warden_ai_judge_scheduled_total":
		return "Requests handed to the AI judge."
	case "warden_ai_judge_waited_total":
		return "Requests held until the AI judge answered (judge.wait)."
	case "warden_ai_judge_dropped_total":
		return "Requests the AI judge skipped because its queue was full."
	case "warden_ai_judge_failed_total":
		return "AI judge calls that failed; the requests were let through."
	case "warden_ai_judge_acted_total":
		return "AI judge verdicts that changed the action taken on a client."
	case "warden_ai_moderation_flagged_total":
		return "Prompts or answers the moderation model flagged."
	case "warden_ai_budget_throttled_total":
		return "Requests throttled because the client's token budget was spent."
	case "warden_ai_budget_corrected_total":
		return "Token budget charges corrected to the usage the model reported."
	case "warden_ai_budget_refunded_total":
		return "Token budget charges refunded (answer not delivered)."
	case "warden_ai_extraction_flagged_clients_total":
		return "Clients flagged for model extraction (many varied prompts)."
	case "warden_ai_response_scanned_total":
		return "Model answers scanned by the response guard."
	case "warden_ai_response_unparsed_total":
		return "Model answers or stream events the response guard could not read and passed unchanged."
	case "warden_ai_response_findings_total":
		return "Findings of the response guard in model answers (secrets, system prompt leaks)."
	case "warden_ai_response_redacted_total":
		return "Findings the response guard redacted in model answers."
	case "warden_ai_response_cut_total":
		return "Model answers the response guard cut short."
	}
	client := "the AI judge's model client"
	if strings.HasPrefix(name, "warden_ai_moderation_") {
		client = "the moderation model client"
	}
	for _, s := range []struct{ suffix, text string }{
		{"_calls_total", "Calls made by "},
		{"_cache_hits_total", "Answers served from the cache, without a call, by "},
		{"_failures_total", "Calls that failed (the request was let through) by "},
		{"_timeouts_total", "Calls that timed out by "},
		{"_bad_answers_total", "Answers that could not be read, to "},
		{"_over_budget_total", "Calls skipped because the call budget was spent, by "},
		{"_busy_total", "Calls skipped because too many were in flight, by "},
		{"_content_cuts_total", "Contents cut to the size limit before a call, by "},
	} {
		if strings.HasSuffix(name, s.suffix) {
			return s.text + client + "."
		}
	}
	return "Count of " + strings.TrimSuffix(strings.TrimPrefix(name, "warden_"), "_total") + " events of the AI protections."
}
