package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
)

func blockedOutcome() abuse.Outcome {
	return abuse.Outcome{
		Status:  403,
		Latency: 3 * time.Millisecond,
		Action:  abuse.Block,
		Verdicts: []abuse.Verdict{
			{Detector: "payload", Confidence: 0.9, Violation: "sqli"},
			{Detector: "bot", Confidence: 0.2},
			{}, // found nothing: not counted
		},
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestObserveCounts(t *testing.T) {
	m := New(Config{})
	r := &abuse.Request{}
	m.Observe(r, blockedOutcome())
	m.Observe(r, blockedOutcome())
	m.Observe(r, abuse.Outcome{Status: 200})
	m.Observe(r, abuse.Outcome{Action: abuse.Action(200)}) // out of range: "unknown", made then, no panic
	m.DecisionLatency(4 * time.Microsecond)
	m.DroppedEvent()
	m.PanicRecovered()
	m.StoreFallback("redis")
	m.StoreFallback("redis")
	m.StoreBackfilled("postgres", 20)
	m.StoreBackfilled("postgres", 3)
	m.StoreBackfilled("postgres", 0)
	m.BanIssued(ban.KindUser)
	m.BanIssued(ban.Kind(9)) // ignored
	m.Observe(r, abuse.Outcome{Action: abuse.Block, Verdicts: []abuse.Verdict{
		{Detector: "payload", Confidence: 0.85, Violation: "inspection_incomplete"}}})
	m.Observe(r, abuse.Outcome{Action: abuse.Block, Verdicts: []abuse.Verdict{
		{Detector: "payload", Confidence: 0.9, Violation: "sqli", Messages: []string{"sqli: …", "inspection incomplete: body longer than inspect.body_limit"}}}})
	m.Observe(r, abuse.Outcome{Action: abuse.Log, Verdicts: []abuse.Verdict{
		{Detector: "payload", Confidence: 0.6, Violation: "inspection_incomplete"}}})

	out := scrape(t, m)
	for _, want := range []string{
		`warden_requests_total{action="block"} 4`,
		`warden_inspection_incomplete_total{action="block"} 2`,
		`warden_inspection_incomplete_total{action="log"} 1`,
		`warden_requests_total{action="allow"} 1`,
		`warden_requests_total{action="unknown"} 1`,
		`warden_decisions_total{action="block",detector="payload"} 4`,
		`warden_decisions_total{action="block",detector="bot"} 2`,
		`warden_decision_duration_seconds_bucket{le="5e-06"} 1`,
		`warden_decision_duration_seconds_count 1`,
		`warden_request_duration_seconds_count 7`,
		`warden_events_dropped_total 1`,
		`warden_panics_recovered_total 1`,
		`warden_store_fallbacks_total{store="redis"} 2`,
		`warden_store_backfilled_total{store="postgres"} 23`,
		`warden_bans_issued_total{kind="user"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(out, `detector=""`) {
		t.Error("a verdict that found nothing was counted")
	}
	if strings.Contains(out, "go_goroutines") {
		t.Error("runtime metrics present although RuntimeMetrics is off")
	}
}

func TestRegistriesAreSeparate(t *testing.T) {
	a, b := New(DefaultConfig()), New(DefaultConfig())
	a.PanicRecovered()
	if got := counterValue(b.panics); got != 0 {
		t.Errorf("second Metrics sees %v panics from the first", got)
	}
	if !strings.Contains(scrape(t, a), "go_goroutines") {
		t.Error("runtime metrics missing with RuntimeMetrics on")
	}
}

func TestDetectorLabelsBounded(t *testing.T) {
	m := New(Config{})
	for i := range MaxDetectorLabels + 50 {
		m.Observe(nil, abuse.Outcome{Verdicts: []abuse.Verdict{{Detector: fmt.Sprint("d", i), Confidence: 1}}})
	}
	if n := len(*m.detectors.Load()); n != MaxDetectorLabels {
		t.Errorf("cached %d detector names, want the cap %d", n, MaxDetectorLabels)
	}
	if got := counterValue(m.decisions.WithLabelValues("other", "allow")); got != 50 {
		t.Errorf("other = %v, want 50", got)
	}
	// The unnamed detector gets a readable label.
	m2 := New(Config{})
	m2.Observe(nil, abuse.Outcome{Verdicts: []abuse.Verdict{{Confidence: 1}}})
	if got := counterValue(m2.decisions.WithLabelValues("unnamed", "allow")); got != 1 {
		t.Errorf("unnamed = %v", got)
	}
}

func TestWatchBans(t *testing.T) {
	ctx := context.Background()
	bans, _ := ban.NewMemory(ctx, nil)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	_ = bans.Add(ctx, ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("203.0.113.7")), Until: now.Add(time.Hour)})
	_ = bans.Add(ctx, ban.Ban{Target: ban.UserTarget("old"), Until: now.Add(-time.Hour)})
	m := New(Config{})
	if err := m.WatchBans(bans, func() time.Time { return now }); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchBans(bans, nil); err == nil {
		t.Error("second WatchBans succeeded")
	}
	if !strings.Contains(scrape(t, m), "warden_bans_active 1\n") {
		t.Error("bans gauge is not 1")
	}
}

func TestHotPathAllocs(t *testing.T) {
	m := New(Config{})
	o := blockedOutcome()
	m.Observe(nil, o) // resolve the detector names
	m.StoreFallback("redis")
	m.UpstreamResponse("GET /x", 200)
	took := m.DetectorLatency("payload")
	tests := []struct {
		name string
		fn   func()
	}{
		{"Observe", func() { m.Observe(nil, o) }},
		{"UpstreamResponse", func() { m.UpstreamResponse("GET /x", 200) }},
		{"DetectorLatency", func() { took(2 * time.Microsecond) }},
		{"DecisionLatency", func() { m.DecisionLatency(3 * time.Microsecond) }},
		{"StoreFallback", func() { m.StoreFallback("redis") }},
		{"DroppedEvent", m.DroppedEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("%v allocs per call, want 0", n)
			}
		})
	}
}

func ExampleMetrics_Observe() {
	m := New(Config{})
	m.Observe(&abuse.Request{}, abuse.Outcome{Action: abuse.Throttle, Verdicts: []abuse.Verdict{{Detector: "ratelimit", Action: abuse.Throttle}}})
	fmt.Println(counterValue(m.requests[abuse.Throttle]))
	// Output: 1
}

func BenchmarkObserve(b *testing.B) {
	m := New(Config{})
	o := blockedOutcome()
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(nil, o)
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	m := New(Config{})
	o := blockedOutcome()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(nil, o)
		}
	})
}

// BenchmarkDetectorLatency is one detector's time recorded: the
// request-path half of DetectorLatency.
func BenchmarkDetectorLatency(b *testing.B) {
	took := New(Config{}).DetectorLatency("payload")
	b.ReportAllocs()
	for b.Loop() {
		took(3 * time.Microsecond)
	}
}

func BenchmarkUpstreamResponse(b *testing.B) {
	m := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		m.UpstreamResponse("GET /api/products/{id}", 200)
	}
}

func BenchmarkDecisionLatency(b *testing.B) {
	m := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		m.DecisionLatency(3 * time.Microsecond)
	}
}

// BenchmarkWithLabelValues is the peer of BenchmarkObserve: the same
// series updated the naive way, resolving label children on every call.
func BenchmarkWithLabelValues(b *testing.B) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "r"}, []string{"action"})
	decisions := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "d"}, []string{"detector", "action"})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "l", Buckets: requestBuckets})
	o := blockedOutcome()
	b.ReportAllocs()
	for b.Loop() {
		action := o.Action.String()
		requests.WithLabelValues(action).Inc()
		latency.Observe(o.Latency.Seconds())
		for i := range o.Verdicts {
			if o.Verdicts[i].Found() {
				decisions.WithLabelValues(o.Verdicts[i].Detector, action).Inc()
			}
		}
	}
}

// counterValue reads a counter's current value.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// TestViolationsByRoute: verdicts with a violation type are counted by
// type, the configured route pattern and the action; a request without a
// matched pattern counts under route="".
func TestViolationsByRoute(t *testing.T) {
	m := New(Config{})
	m.Observe(&abuse.Request{Route: "GET /search"}, blockedOutcome())
	m.Observe(&abuse.Request{Route: "GET /search"}, blockedOutcome())
	m.Observe(&abuse.Request{Path: "/nowhere/<script>"}, blockedOutcome())
	m.Observe(&abuse.Request{Route: "POST /login"}, abuse.Outcome{Action: abuse.Throttle, Verdicts: []abuse.Verdict{
		{Detector: "behavior", Confidence: 1, Violation: "credential_stuffing"}}})
	out := scrape(t, m)
	for _, want := range []string{
		`warden_violations_total{action="block",route="GET /search",violation="sqli"} 2`,
		`warden_violations_total{action="block",route="",violation="sqli"} 1`,
		`warden_violations_total{action="throttle",route="POST /login",violation="credential_stuffing"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("a client's path became a label")
	}
}

func TestViolationLabelsBounded(t *testing.T) {
	m := New(Config{})
	for i := range MaxViolationLabels + 50 {
		m.Observe(&abuse.Request{Route: fmt.Sprint("GET /r", i)}, blockedOutcome())
	}
	// The cap's pairs and the "other" pair.
	if n := len(*m.violations.Load()); n != MaxViolationLabels+1 {
		t.Errorf("%d violation pairs cached, want %d", n, MaxViolationLabels+1)
	}
	if !strings.Contains(scrape(t, m), `warden_violations_total{action="block",route="other",violation="other"} 50`+"\n") {
		t.Error("pairs past the cap are not counted as other")
	}
}

// TestNoPlaceholderSeries: a fresh registry has no always-zero
// "unknown" series, and every series has real help text.
func TestNoPlaceholderSeries(t *testing.T) {
	m := New(Config{RuntimeMetrics: true})
	if err := m.RegisterCounters(func() map[string]uint64 {
		return map[string]uint64{"warden_ai_llm_calls_total": 3, "warden_ai_moderation_busy_total": 1, "warden_ai_judge_acted_total": 2}
	}); err != nil {
		t.Fatal(err)
	}
	m.Observe(&abuse.Request{}, blockedOutcome())
	out := scrape(t, m)
	if strings.Contains(out, `"unknown"`) {
		t.Error(`an "unknown" series is exported before any unknown action`)
	}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "# HELP ") {
			continue
		}
		name, help, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
		if len(help) < 15 || strings.Contains(help, "AI protection counter") || strings.Contains(help, "events of the AI protections") {
			t.Errorf("%s: help text %q", name, help)
		}
	}
	for name, want := range map[string]string{
		"warden_ai_llm_calls_total":       "Calls made by the AI judge's model client.",
		"warden_ai_moderation_busy_total": "Calls skipped because too many were in flight, by the moderation model client.",
	} {
		if !strings.Contains(out, "# HELP "+name+" "+want+"\n") {
			t.Errorf("%s: help text is not %q", name, want)
		}
	}
	// An unknown action still counts, under "unknown".
	m.Observe(&abuse.Request{}, abuse.Outcome{Action: abuse.Action(200), Verdicts: []abuse.Verdict{{Detector: "x", Confidence: 1}}})
	if out := scrape(t, m); !strings.Contains(out, `warden_requests_total{action="unknown"} 1`) ||
		!strings.Contains(out, `warden_decisions_total{action="unknown",detector="x"} 1`) {
		t.Error("an unknown action is not counted")
	}
}

// TestCounterHelpCoversAI: every counter name the AI protections export
// has its own help text, not the generic one.
func TestCounterHelpCoversAI(t *testing.T) {
	names := []string{"warden_ai_llm_malicious_total", "warden_ai_judge_scheduled_total", "warden_ai_judge_waited_total",
		"warden_ai_judge_dropped_total", "warden_ai_judge_failed_total", "warden_ai_judge_acted_total",
		"warden_ai_moderation_flagged_total", "warden_ai_budget_throttled_total", "warden_ai_budget_corrected_total",
		"warden_ai_budget_refunded_total", "warden_ai_extraction_flagged_clients_total",
		"warden_ai_response_scanned_total", "warden_ai_response_unparsed_total", "warden_ai_response_findings_total",
		"warden_ai_response_redacted_total", "warden_ai_response_cut_total"}
	for _, p := range []string{"warden_ai_llm", "warden_ai_moderation"} {
		for _, s := range []string{"_calls_total", "_cache_hits_total", "_failures_total", "_timeouts_total", "_bad_answers_total",
			"_over_budget_total", "_busy_total", "_content_cuts_total"} {
			names = append(names, p+s)
		}
	}
	for _, n := range names {
		if h := counterHelp(n); strings.HasPrefix(h, "Count of ") {
			t.Errorf("%s: generic help %q", n, h)
		}
	}
}

// TestUpstreamResponses: the upstream's answers are counted by route
// pattern and status class, transport errors as "error"; a class a route
// never answered is not exported, and routes past the cap are "other".
func TestUpstreamResponses(t *testing.T) {
	m := New(Config{})
	for _, c := range []struct {
		route  string
		status int
	}{
		{"GET /items/{id}", 200}, {"GET /items/{id}", 204}, {"GET /items/{id}", 404},
		{"GET /items/{id}", 503}, {"GET /items/{id}", UpstreamUnreachable},
		{"", 302}, {"", 101}, {"", 999},
	} {
		m.UpstreamResponse(c.route, c.status)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`warden_upstream_responses_total{class="2xx",route="GET /items/{id}"} 2`,
		`warden_upstream_responses_total{class="4xx",route="GET /items/{id}"} 1`,
		`warden_upstream_responses_total{class="5xx",route="GET /items/{id}"} 1`,
		`warden_upstream_responses_total{class="error",route="GET /items/{id}"} 1`,
		`warden_upstream_responses_total{class="3xx",route=""} 1`,
		`warden_upstream_responses_total{class="1xx",route=""} 1`,
		`warden_upstream_responses_total{class="5xx",route=""} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(out, `class="3xx",route="GET /items/{id}"`) {
		t.Error("a class the route never answered is exported")
	}

	capped := New(Config{})
	for i := range MaxRouteLabels + 20 {
		capped.UpstreamResponse(fmt.Sprint("GET /r", i), 200)
		capped.UpstreamResponse(fmt.Sprint("GET /r", i), 500)
	}
	if !strings.Contains(scrape(t, capped), `warden_upstream_responses_total{class="5xx",route="other"} 20`+"\n") {
		t.Error("routes past the cap are not counted as other")
	}
	if n := len(*capped.upstream.Load()); n != 2*MaxRouteLabels {
		t.Errorf("%d (route, class) pairs cached, want %d", n, 2*MaxRouteLabels)
	}
}

// TestDetectorLatency: each detector's times go to its own histogram,
// which appears with its first request; names past the cap are "other".
func TestDetectorLatency(t *testing.T) {
	m := New(Config{})
	payload, bot := m.DetectorLatency("payload"), m.DetectorLatency("bot")
	if strings.Contains(scrape(t, m), "warden_detector_duration_seconds_count") {
		t.Error("a detector's histogram is exported before it ran")
	}
	payload(3 * time.Microsecond)
	payload(40 * time.Microsecond)
	bot(300 * time.Nanosecond)
	out := scrape(t, m)
	for _, want := range []string{
		`warden_detector_duration_seconds_count{detector="payload"} 2`,
		`warden_detector_duration_seconds_bucket{detector="payload",le="5e-06"} 1`,
		`warden_detector_duration_seconds_bucket{detector="payload",le="5e-05"} 2`,
		`warden_detector_duration_seconds_count{detector="bot"} 1`,
		`warden_detector_duration_seconds_bucket{detector="bot",le="5e-07"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}

	capped := New(Config{})
	for i := range MaxDetectorLabels + 5 {
		capped.DetectorLatency(fmt.Sprint("d", i))(time.Microsecond)
	}
	if !strings.Contains(scrape(t, capped), `warden_detector_duration_seconds_count{detector="other"} 5`+"\n") {
		t.Error("detectors past the cap are not counted as other")
	}
}
