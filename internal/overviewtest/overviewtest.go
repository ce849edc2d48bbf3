// Package overviewtest holds the events that the overview tests of every
// event store seed, so each store is checked against the same answer.
package overviewtest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

// Events returns decisions over the hour after base: allowed traffic,
// SQL injection and traversal blocks, throttles, bans, a monitor-mode log
// line, an event without detectors and hostile strings in user and route.
// Want holds the figures an overview of [base, base+1h) in 10-minute
// steps must show.
func Events(base time.Time) []eventlog.Event {
	var out []eventlog.Event
	add := func(n int, minute int, ip, user, route, action string, dets ...eventlog.Detector) {
		for i := range n {
			e := eventlog.Event{
				Time:      base.Add(time.Duration(minute)*time.Minute + time.Duration(i)*time.Second),
				RequestID: fmt.Sprintf("req-%d-%s-%d", minute, action, i),
				Client:    eventlog.Client{IP: ip, User: user},
				Method:    "GET", Route: route, Path: "/x", Status: 200, Action: action, Mode: "enforce",
			}
			if len(dets) > 0 {
				e.Abuse = &eventlog.Abuse{Confidence: 0.9, Detectors: dets}
			}
			out = append(out, e)
		}
	}
	sqli := eventlog.Detector{Name: "payload", Confidence: 0.97, Violation: "sqli", Messages: []string{"UNION SELECT"}}
	trav := eventlog.Detector{Name: "payload", Confidence: 0.9, Violation: "traversal", Messages: []string{"../"}}
	flood := eventlog.Detector{Name: "ratelimit", Confidence: 1, Messages: []string{"5/min"}}
	banned := eventlog.Detector{Name: "ban", Confidence: 1, Violation: "sqli"}
	add(40, 1, "192.0.2.1", "alice", "/items/{id}", "allow")
	add(12, 2, "203.0.113.7", "", "/search", "block", sqli)
	add(3, 15, "203.0.113.8", Hostile, "/files/{path}", "block", trav)
	add(7, 16, "198.51.100.9", "bob", "/login", "throttle", flood)
	add(20, 25, "203.0.113.7", "", "/search", "ban", banned)
	add(2, 45, "192.0.2.44", "carol", "/items/{id}", "log", eventlog.Detector{Name: "behavior", Confidence: 0.6})
	add(1, 50, "192.0.2.1", "", Hostile, "block")        // abuse without detectors
	add(5, 61, "192.0.2.1", "", "/late", "block", sqli)  // after the range
	add(4, -1, "192.0.2.1", "", "/early", "block", sqli) // before it
	return out
}

// Hostile is client text that must render as text.
const Hostile = `<img src=x onerror="document.title='pwned'">`

// Want is the overview of Events(base) over [base, base+1h) in 10-minute
// steps.
func Want(base time.Time) eventlog.Overview {
	o := eventlog.NewOverview(base, base.Add(time.Hour), 10*time.Minute)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute).UTC() }
	o.Buckets = []eventlog.Bucket{
		{Start: at(0), Actions: map[string]int64{"allow": 40, "block": 12}},
		{Start: at(10), Actions: map[string]int64{"block": 3, "throttle": 7}},
		{Start: at(20), Actions: map[string]int64{"ban": 20}},
		{Start: at(40), Actions: map[string]int64{"log": 2}},
		{Start: at(50), Actions: map[string]int64{"block": 1}},
	}
	o.Actions = map[string]int64{"allow": 40, "block": 16, "throttle": 7, "ban": 20, "log": 2}
	o.Violations = []eventlog.Count{{Key: "sqli", N: 32}, {Key: "", N: 7}, {Key: "traversal", N: 3}}
	o.Detectors = []eventlog.Count{{Key: "payload", N: 15}, {Key: "ban", N: 20}, {Key: "ratelimit", N: 7}}
	o.Detectors = eventlog.TopCounts(o.Detectors)
	o.Clients = []eventlog.Count{{Key: "203.0.113.7", N: 32}, {Key: "198.51.100.9", N: 7}, {Key: "203.0.113.8", N: 3}, {Key: "192.0.2.1", N: 1}}
	o.Users = []eventlog.Count{{Key: "bob", N: 7}, {Key: Hostile, N: 3}}
	o.Routes = []eventlog.Count{{Key: "/search", N: 32}, {Key: "/login", N: 7}, {Key: "/files/{path}", N: 3}, {Key: Hostile, N: 1}}
	return o
}

// Check compares overviews by their JSON form, as the API sends them.
func Check(t testing.TB, got, want eventlog.Overview) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("overview\n got %s\nwant %s", g, w)
	}
}

// Ranges are overviews of Events(base) whose range or step cuts the
// stores' one-minute rollup buckets, beside whole ones: a store must give
// each exactly what the Go builder counts from the events.
func Ranges(base time.Time) []struct {
	Name     string
	From, To time.Time
	Step     time.Duration
} {
	at := func(d time.Duration) time.Time { return base.Add(d) }
	return []struct {
		Name     string
		From, To time.Time
		Step     time.Duration
	}{
		{"whole minutes", at(0), at(time.Hour), 10 * time.Minute},
		{"whole minutes, five-minute steps", at(time.Minute), at(26 * time.Minute), 5 * time.Minute},
		{"from and to cut minutes", at(30 * time.Second), at(time.Hour + 30*time.Second), 10 * time.Minute},
		{"odd step", at(2*time.Minute + 15*time.Second), at(25*time.Minute + 50*time.Second), 7*time.Minute + 13*time.Second},
		{"step under a minute", at(90 * time.Second), at(50 * time.Minute), 30 * time.Second},
		{"inside one minute", at(15*time.Minute + 30*time.Second), at(16*time.Minute + 10*time.Second), 10 * time.Second},
		{"everything", at(-2 * time.Minute), at(2 * time.Hour), time.Minute},
	}
}

// CheckRanges compares ov's overview of every Ranges(base) with the Go
// builder's over events (what the store holds).
func CheckRanges(t testing.TB, ov eventlog.Overviewer, base time.Time, events []eventlog.Event) {
	t.Helper()
	for _, r := range Ranges(base) {
		got, err := ov.Overview(context.Background(), r.From, r.To, r.Step)
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		b := eventlog.NewOverviewBuilder(r.From, r.To, r.Step)
		for i := range events {
			b.Add(&events[i])
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(b.Build())
		if string(g) != string(w) {
			t.Errorf("%s: overview\n got %s\nwant %s", r.Name, g, w)
		}
	}
}

// SearchCase is a query of the decision log over Events(base) and the
// request ids it must find, newest first.
type SearchCase struct {
	Name  string
	Query eventlog.Query
	Want  int // how many events match
}

// SearchCases are the log queries every store answers alike.
func SearchCases(base time.Time) []SearchCase {
	return []SearchCase{
		{"all", eventlog.Query{}, 94},
		{"range", eventlog.Query{From: base, To: base.Add(time.Hour)}, 85},
		{"client", eventlog.Query{Client: "203.0.113.7"}, 32},
		{"user", eventlog.Query{User: Hostile}, 3},
		{"route", eventlog.Query{Route: "/login"}, 7},
		{"action", eventlog.Query{Action: "ban"}, 20},
		{"detector", eventlog.Query{Detector: "payload"}, 24},
		{"violation", eventlog.Query{Violation: "sqli"}, 41},
		{"detector and violation", eventlog.Query{Detector: "payload", Violation: "sqli"}, 21},
		{"search, any case", eventlog.Query{Search: "union select"}, 21},
		{"search with a wildcard is literal", eventlog.Query{Search: "5%min"}, 0},
		{"search for an underscore", eventlog.Query{Search: "req_"}, 0},
		{"client and action", eventlog.Query{Client: "203.0.113.7", Action: "block"}, 12},
	}
}

// CheckSearch runs SearchCases on s, and pages through every case three
// events at a time: the pages together are the one-page answer, in
// order, without repeats.
func CheckSearch(t testing.TB, s eventlog.Searcher, base time.Time) {
	t.Helper()
	ctx := context.Background()
	all := Events(base)
	for _, tc := range SearchCases(base) {
		q := tc.Query
		q.Limit = 1000
		whole, err := s.Search(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", tc.Name, err)
		}
		if len(whole.Events) != tc.Want || !whole.Next.IsZero() {
			t.Errorf("%s: %d events (next %v), want %d", tc.Name, len(whole.Events), whole.Next, tc.Want)
		}
		var want []string
		for i := range all {
			e := &all[i]
			if q.Match(e, e.AppendJSON(nil)) {
				want = append(want, e.RequestID)
			}
		}
		if len(want) != tc.Want {
			t.Errorf("%s: Match finds %d, want %d", tc.Name, len(want), tc.Want)
		}
		for i := 1; i < len(whole.Events); i++ {
			if whole.Events[i].Time.After(whole.Events[i-1].Time) {
				t.Errorf("%s: not newest first at %d", tc.Name, i)
			}
		}
		q.Limit = 3
		var paged []string
		for pages := 0; ; pages++ {
			p, err := s.Search(ctx, q)
			if err != nil {
				t.Fatalf("%s: page %d: %v", tc.Name, pages, err)
			}
			for _, e := range p.Events {
				paged = append(paged, e.RequestID)
			}
			if p.Next.IsZero() || pages > 100 {
				break
			}
			q.After = p.Next
		}
		var ids []string
		for _, e := range whole.Events {
			ids = append(ids, e.RequestID)
		}
		if fmt.Sprint(paged) != fmt.Sprint(ids) {
			t.Errorf("%s: paged %v, want %v", tc.Name, paged, ids)
		}
	}
}

// Day writes n events over the day from base through write in batches:
// one in 20 blocked as SQL injection, from 2,000 clients over 20 routes,
// the data of the overview benchmarks.
func Day(base time.Time, n int, write func([]eventlog.Event) error) error {
	batch := make([]eventlog.Event, 0, 10000)
	sqli := eventlog.Detector{Name: "payload", Confidence: 0.97, Violation: "sqli", Messages: []string{"UNION SELECT"}}
	for i := range n {
		e := eventlog.Event{
			Time:      base.Add(time.Duration(i) * (24 * time.Hour / time.Duration(n))),
			RequestID: fmt.Sprint("r", i),
			Client:    eventlog.Client{IP: fmt.Sprintf("10.0.%d.%d", i%2000/250, i%250)},
			Method:    "GET", Route: fmt.Sprint("/r", i%20), Path: "/p", Status: 200, Action: "allow", Mode: "enforce",
		}
		if i%20 == 0 {
			e.Action, e.Status = "block", 403
			e.Abuse = &eventlog.Abuse{Confidence: 0.97, Detectors: []eventlog.Detector{sqli}}
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) || i == n-1 {
			if err := write(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}
