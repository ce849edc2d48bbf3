package admin

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/sqlite"
)

// screenshotDir is where the browser tests leave their screenshots:
// $WARDEN_SCREENSHOTS when set (to keep them), else a temp dir.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("WARDEN_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func (b *browser) screenshot(step, path string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatal(step, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("%s: screenshot %s", step, path)
}

// TestOverviewInBrowser seeds an hour of decisions and reads the
// overview back from the page: the bars of the chart add up to the
// store's figures per action, the top lists show the stopped clients,
// users and routes (hostile ones as text), another range changes the
// figures, and the dark scheme is dark.
//
// It runs on each event store the server can use: the memory store, and
// SQLite and PostgreSQL, which count from their rollup tables.
func TestOverviewInBrowser(t *testing.T) {
	chromium := findChromium(t)
	for _, st := range seededStores {
		t.Run(st.name, func(t *testing.T) { overviewInBrowser(t, chromium, st.open(t)) })
	}
}

// seededStores are the event stores the browser tests seed: the memory
// store, and SQLite and PostgreSQL, which count and search in SQL.
var seededStores = []struct {
	name string
	open func(t *testing.T) seededStore
}{
	{"memory", func(*testing.T) seededStore { return eventlog.NewMemoryStore(2000) }},
	{"sqlite", func(t *testing.T) seededStore {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "warden.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
	{"postgres", func(t *testing.T) seededStore {
		cfg := postgres.DefaultConfig()
		cfg.DSN = pgtest.New(t).NewDatabase(t)
		s, err := postgres.Open(t.Context(), cfg, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// seededStore is an event store the overview test writes its hour into.
type seededStore interface {
	EventSource
	WriteEvents(ctx context.Context, events []eventlog.Event) error
}

func overviewInBrowser(t *testing.T, chromium string, store seededStore) {
	f := newFixture(t, nil)
	f.srv.opts.Events = store
	// The last hour in minutes ends at 12:01: the seeded hour is
	// [11:01, 12:01), with one event before it and five after.
	base := now.Add(-59 * time.Minute)
	events := overviewtest.Events(base)
	if err := store.WriteEvents(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.srv)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b := newBrowser(t, ctx, chromium)
	shots := screenshotDir(t)

	b.do("open", chromedp.Navigate(srv.URL+"/#token="+testToken), chromedp.WaitVisible(chromedp.ID("app")))
	b.waitFor("open", `document.querySelectorAll("#ov-chart rect").length > 0`)

	want := overviewtest.Want(base)
	// The hour of the page is in minutes, not in the 10-minute steps of
	// Want: the totals are the same, the bars differ.
	checkTotals := func(step string, wantActions map[string]int64) {
		t.Helper()
		bars := eval[map[string]int64](b, step, `Array.from(document.querySelectorAll("#ov-chart rect"))
			.reduce((m, r) => (m[r.dataset.action] = (m[r.dataset.action] || 0) + Number(r.dataset.n), m), {})`)
		legend := eval[map[string]string](b, step, `Object.fromEntries(Array.from(document.querySelectorAll("#counts .count"),
			(c) => [c.dataset.action, c.querySelector("b").textContent]))`)
		if fmt.Sprint(bars) != fmt.Sprint(wantActions) {
			t.Errorf("%s: chart bars add up to %v, want %v", step, bars, wantActions)
		}
		for a, n := range wantActions {
			if legend[a] != fmt.Sprint(n) {
				t.Errorf("%s: legend %s = %q, want %d", step, a, legend[a], n)
			}
		}
		if len(legend) != len(wantActions) {
			t.Errorf("%s: legend %v, want %v", step, legend, wantActions)
		}
	}
	checkTotals("last hour", want.Actions)
	// Each minute with decisions is one bar: 1 (allow), 2 (block),
	// 15, 16, 25, 45 and 50 after base.
	if n := eval[int](b, "last hour", `new Set(Array.from(document.querySelectorAll("#ov-chart rect"), (r) => r.getAttribute("x"))).size`); n != 7 {
		t.Errorf("last hour: %d bars, want 7", n)
	}
	tops := map[string][]eventlog.Count{"ov-clients": want.Clients, "ov-users": want.Users, "ov-routes": want.Routes, "ov-violations": want.Violations}
	for id, list := range tops {
		var wantRows [][]string
		for _, c := range list {
			k := c.Key
			if k == "" {
				k = map[string]string{"ov-clients": "(unknown)", "ov-users": "(anonymous)", "ov-routes": "(no configured route)", "ov-violations": "(no violation type)"}[id]
			}
			wantRows = append(wantRows, []string{k, fmt.Sprint(c.N)})
		}
		if got := b.rows("top lists", id); !slices.EqualFunc(got, wantRows, slices.Equal) {
			t.Errorf("top lists: %s = %q, want %q", id, got, wantRows)
		}
	}
	if n := eval[int](b, "no injection", `document.querySelectorAll("#overview img, #overview table :not(tbody, tr, td)").length`); n != 0 || eval[string](b, "no injection", "document.title") != "Warden dashboard" {
		t.Errorf("no injection: %d elements from client text", n)
	}
	b.screenshot("last hour", filepath.Join(shots, "overview-light-"+t.Name()[len("TestOverviewInBrowser/"):]+".png"))
	b.problems.check(t, "last hour")

	// The last day holds every seeded event.
	b.do("last day", chromedp.SetValue(chromedp.ID("ov-range"), "1d"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("ov-range").dispatchEvent(new Event("change"))`))
	b.waitFor("last day", `document.querySelector('#counts .count[data-action="block"] b').textContent === "25"`)
	day := map[string]int64{}
	for _, e := range events {
		day[e.Action]++
	}
	checkTotals("last day", day)
	b.problems.check(t, "last day")

	// Dark scheme: the page follows the system's.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		b.fatal("dark", err)
	}
	bg := eval[string](b, "dark", `getComputedStyle(document.querySelector("section")).backgroundColor`)
	if bg != "rgb(29, 33, 41)" {
		t.Errorf("dark: section background %s, want the dark one", bg)
	}
	b.screenshot("dark", filepath.Join(shots, "overview-dark-"+t.Name()[len("TestOverviewInBrowser/"):]+".png"))
	b.problems.check(t, "dark")
}

// TestDashboardWeight keeps the page small and self-contained: at most
// 200 KB, and nothing loaded from elsewhere (the admin listener may have
// no internet).
func TestDashboardWeight(t *testing.T) {
	d, err := newDashboard()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.page) > 200<<10 {
		t.Errorf("dashboard is %d bytes, want at most 200 KB", len(d.page))
	}
	// The only absolute URL allowed is the SVG namespace, which is a name,
	// never fetched.
	page := bytes.ReplaceAll(d.page, []byte(`"http://www.w3.org/2000/svg"`), nil)
	for _, re := range []string{`(?i)https?:`, `(?i)src\s*=`, `(?i)href\s*=`, `(?i)url\(`, `(?i)@import`, `(?i)//[a-z0-9.-]+\.[a-z]{2,}/`} {
		if loc := regexp.MustCompile(re).FindIndex(page); loc != nil {
			t.Errorf("dashboard refers to an outside resource (%s): %q", re, page[max(loc[0]-40, 0):min(loc[1]+40, len(page))])
		}
	}
}

// TestDecisionLogInBrowser filters, expands, pages and follows the
// decision log on seeded data: repeats read "×N", a filter changes the
// rows, a row opens to its request id and messages, "older" loads the
// next page, and a new decision shows without a reload.
func TestDecisionLogInBrowser(t *testing.T) {
	chromium := findChromium(t)
	for _, st := range seededStores {
		t.Run(st.name, func(t *testing.T) { decisionLogInBrowser(t, chromium, st.open(t)) })
	}
}

func decisionLogInBrowser(t *testing.T, chromium string, store seededStore) {
	f := newFixture(t, nil)
	f.srv.opts.Events = store
	base := now.Add(-59 * time.Minute)
	if err := store.WriteEvents(t.Context(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.srv)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b := newBrowser(t, ctx, chromium)
	shots := screenshotDir(t)

	b.do("open", chromedp.Navigate(srv.URL+"/#token="+testToken), chromedp.WaitVisible(chromedp.ID("app")))
	b.waitFor("open", `document.querySelectorAll("#events tr.row").length === 9`)
	actions := func(step string) []string {
		var out []string
		for _, r := range b.rows(step, "events") {
			if len(r) == 6 {
				out = append(out, r[1])
			}
		}
		return out
	}
	want := []string{"block ×5", "block", "log ×2", "ban ×20", "throttle ×7", "block ×3", "block ×12", "allow ×40", "block ×4"}
	if got := actions("collapsed"); !slices.Equal(got, want) {
		t.Errorf("collapsed: actions %q, want %q", got, want)
	}

	// A filter changes the rows.
	b.do("filter", chromedp.SendKeys(chromedp.ID("f-client"), "203.0.113.7"), chromedp.Click(chromedp.CSS("#log-form button")))
	b.waitFor("filter", `document.querySelectorAll("#events tr.row").length === 2`)
	if got := actions("filter"); !slices.Equal(got, []string{"ban ×20", "block ×12"}) {
		t.Errorf("filter: actions %q", got)
	}
	// A row opens to its request id and messages.
	b.clickRow("expand", `//tbody[@id="events"]/tr[contains(@class,"row")][2]`)
	b.waitFor("expand", `document.querySelector("#events tr.detail") !== null`)
	detail := eval[string](b, "expand", `document.querySelector("#events tr.detail td").textContent`)
	for _, w := range []string{"request id: req-2-block-11", "payload [sqli] 0.97", "  UNION SELECT", "12 like it since"} {
		if !strings.Contains(detail, w) {
			t.Errorf("expand: detail %q lacks %q", detail, w)
		}
	}
	b.screenshot("expand", filepath.Join(shots, "log-expanded.png"))

	// Hostile text in a search and in the rows stays text.
	b.do("search", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-client").value = ""`), chromedp.SendKeys(chromedp.ID("f-q"), "../"), chromedp.Click(chromedp.CSS("#log-form button")))
	b.waitFor("search", `document.querySelectorAll("#events tr.row").length === 1`)
	if got := b.rows("search", "events")[0]; !strings.Contains(got[3], overviewtest.Hostile) || eval[int](b, "search", `document.querySelectorAll("#events img").length`) != 0 {
		t.Errorf("search: row %q", got)
	}

	// Paging: 100 rows a page; 150 allowed requests of one client fill
	// more than one page, each a run of its own (the routes differ).
	var more []eventlog.Event
	for i := range 150 {
		more = append(more, eventlog.Event{Time: now.Add(-30*time.Second + time.Duration(i)*time.Millisecond), RequestID: fmt.Sprint("page-", i),
			Client: eventlog.Client{IP: "192.0.2.99"}, Method: "GET", Route: fmt.Sprint("/r", i), Path: "/p", Status: 200, Action: "allow", Mode: "enforce"})
	}
	if err := store.WriteEvents(t.Context(), more); err != nil {
		t.Fatal(err)
	}
	b.do("paging", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-q").value = ""`), chromedp.SendKeys(chromedp.ID("f-client"), "192.0.2.99"), chromedp.Click(chromedp.CSS("#log-form button")))
	b.waitFor("paging", `document.querySelectorAll("#events tr.row").length === 100 && !document.getElementById("log-more").hidden`)
	b.do("paging", chromedp.Click(chromedp.ID("log-more")))
	b.waitFor("paging", `document.querySelectorAll("#events tr.row").length === 150 && document.getElementById("log-more").hidden`)

	// Live: a new decision of the client shows on the next refresh.
	live := eventlog.Event{Time: now, RequestID: "live-1", Client: eventlog.Client{IP: "192.0.2.99"}, Method: "POST", Route: "/live",
		Path: "/live", Status: 403, Action: "block", Mode: "enforce"}
	if err := store.WriteEvents(t.Context(), []eventlog.Event{live}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("live", `document.querySelectorAll("#events tr.row").length === 151`)
	if got := b.rows("live", "events")[0]; got[1] != "block" || got[4] != "POST /live  (/live)" {
		t.Errorf("live: top row %q", got)
	}
	// The page keeps at most 500 rows however many arrive.
	var flood []eventlog.Event
	for i := range 600 {
		flood = append(flood, eventlog.Event{Time: now.Add(time.Duration(i) * time.Microsecond), RequestID: fmt.Sprint("flood-", i),
			Client: eventlog.Client{IP: "192.0.2.99"}, Method: "GET", Route: fmt.Sprint("/f", i), Path: "/f", Status: 403, Action: "block", Mode: "enforce"})
	}
	if err := store.WriteEvents(t.Context(), flood); err != nil {
		t.Fatal(err)
	}
	b.waitFor("bounded", `document.getElementById("log-note").textContent !== ""`)
	if n := eval[int](b, "bounded", `document.querySelectorAll("#events tr.row").length`); n != 500 {
		t.Errorf("bounded: %d rows, want 500", n)
	}
	if got := b.rows("bounded", "events")[0]; got[4] != "GET /f  (/f599)" {
		t.Errorf("bounded: top row %q, want the newest", got)
	}
	b.problems.check(t, "log")
}

// TestBanStoryInBrowser opens a ban's story: the violations that led to
// it (from GET /api/v1/violations, the shape enforce.Report has) and the
// stopped decisions of its client with their messages; then lifts one ban
// keeping its score and one clearing it.
func TestBanStoryInBrowser(t *testing.T) {
	chromium := findChromium(t)
	fg := &forgetter{}
	f := newFixture(t, func(o *Options) {
		o.Forget = fg
		o.Violations = ViolationsFunc(func(_ context.Context, tg ban.Target) (any, error) {
			if tg.String() != "ip:203.0.113.7" {
				return nil, ErrNotFound
			}
			return map[string]any{"target": "ip:203.0.113.7", "total": 40, "bans": 2,
				"scores": map[string]int{"sqli": 40}, "counts": map[string]int{"sqli": 4},
				"recent": []map[string]any{
					{"time": now.Add(-34 * time.Minute), "type": "sqli", "score": 10, "route": "/search"},
					{"time": now.Add(-57 * time.Minute), "type": "sqli", "score": 10, "route": overviewtest.Hostile},
				}}, nil
		})
	})
	store := eventlog.NewMemoryStore(1000)
	f.srv.opts.Events = store
	if err := store.WriteEvents(t.Context(), overviewtest.Events(now.Add(-59*time.Minute))); err != nil {
		t.Fatal(err)
	}
	for _, b := range []ban.Ban{
		{Target: ban.IPTarget(netip.MustParseAddr("203.0.113.7")), Reason: "violation score 40", Violation: "sqli", Created: now, Until: now.Add(time.Hour)},
		{Target: ban.IPTarget(netip.MustParseAddr("198.51.100.9")), Reason: "violation score 20", Violation: "login", Created: now, Until: now.Add(2 * time.Hour)},
	} {
		if err := f.bans.Add(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(f.srv)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b := newBrowser(t, ctx, chromium)

	b.do("open", chromedp.Navigate(srv.URL+"/#token="+testToken), chromedp.WaitVisible(chromedp.ID("app")))
	b.waitFor("open", `document.querySelectorAll("#bans tr").length === 2`)
	b.clickRow("story", `//tbody[@id="bans"]/tr[td[1][text()="ip:203.0.113.7"]]//button[text()="story"]`)
	b.waitFor("story", `(document.querySelector("#bans tr.story td") || {}).textContent?.includes("latest decisions")`)
	story := eval[string](b, "story", `document.querySelector("#bans tr.story td").textContent`)
	for _, w := range []string{"score 40, banned 2 times so far", "sqli: score 40, 4 violation(s)", "sqli +10  /search",
		"sqli +10  " + overviewtest.Hostile, "ban ×20", "block ×12", "[sqli]: UNION SELECT"} {
		if !strings.Contains(story, w) {
			t.Errorf("story: %q lacks %q", story, w)
		}
	}
	if n := eval[int](b, "story", `document.querySelectorAll("#bans img, #bans :not(tr, td, button)").length`); n != 0 {
		t.Errorf("story: %d elements from client text", n)
	}
	b.screenshot("story", filepath.Join(screenshotDir(t), "ban-story.png"))

	// Lift keeping the score: the scores are not cleared.
	b.clickRow("lift, keep score", `//tbody[@id="bans"]/tr[td[1][text()="198.51.100.9"] or td[1][text()="ip:198.51.100.9"]]//button[text()="lift, keep score"]`)
	b.waitFor("lift, keep score", `document.querySelectorAll("#bans tr:not(.story)").length === 1`)
	// Lift clearing it.
	b.clickRow("lift", `//tbody[@id="bans"]/tr[td[1][text()="ip:203.0.113.7"]]//button[text()="lift"]`)
	b.waitFor("lift", `document.querySelectorAll("#bans tr").length === 0`)
	fg.mu.Lock()
	forgot := slices.Clone(fg.got)
	fg.mu.Unlock()
	if !slices.Equal(forgot, []string{"ip:203.0.113.7"}) {
		t.Errorf("lift: scores cleared for %q, want only ip:203.0.113.7", forgot)
	}
	if list, _ := f.bans.List(t.Context(), now); len(list) != 0 {
		t.Errorf("lift: %d bans left in the store", len(list))
	}
	b.problems.check(t, "ban story")
}

// textReport is a stored report that renders itself, as *report.Report
// does.
type textReport string

func (r textReport) Render(format string) ([]byte, string, error) {
	return []byte(r), "text/plain; charset=utf-8", nil
}

// TestReportsAndAlertsInBrowser shows the alert history with each
// message's state and the stored daily report, hostile text as text.
func TestReportsAndAlertsInBrowser(t *testing.T) {
	chromium := findChromium(t)
	const report = "Warden daily report 2026-11-22\nrequests 1200, blocked 31\ntop client <script>alert(1)</script> 12\n"
	f := newFixture(t, func(o *Options) {
		o.Reports = ReportsFunc(func(_ context.Context, d time.Time) (any, error) {
			if d.Format(time.DateOnly) == "2026-11-22" {
				return textReport(report), nil
			}
			return nil, ErrNotFound
		})
	})
	srv := httptest.NewServer(f.srv)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b := newBrowser(t, ctx, chromium)
	b.do("open", chromedp.Navigate(srv.URL+"/#token="+testToken), chromedp.WaitVisible(chromedp.ID("app")))
	b.waitFor("alerts", `document.querySelectorAll("#alerts tr").length === 2`)
	var got [][]string
	for _, r := range b.rows("alerts", "alerts") {
		got = append(got, r[1:])
	}
	want := [][]string{
		{"resolved", "blocked_spike", "Blocked requests back to normal", "ops-mail", "sent"},
		{"firing", "blocked_spike", "Blocked spike <b>x</b>", "ops-mail", "failed (3 tries): smtp: 554"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("alerts: %q, want %q", got, want)
	}
	if n := eval[int](b, "alerts", `document.querySelectorAll("#alerts b, #alerts-view :not(h2, span, table, thead, tbody, tr, th, td)").length`); n != 0 {
		t.Errorf("alerts: %d elements from alert text", n)
	}

	// A day without a report says so; a stored one is shown as text.
	b.do("no report", chromedp.SetValue(chromedp.ID("report-date"), "2026-11-21"), chromedp.Click(chromedp.ID("report-load")))
	b.waitFor("no report", `document.getElementById("report-error").textContent === "no report stored for 2026-11-21"`)
	b.do("report", chromedp.SetValue(chromedp.ID("report-date"), "2026-11-22"), chromedp.Click(chromedp.ID("report-load")))
	b.waitFor("report", `document.getElementById("report").textContent.length > 0`)
	if got := eval[string](b, "report", `document.getElementById("report").textContent`); got != report {
		t.Errorf("report: %q, want %q", got, report)
	}
	if n := eval[int](b, "report", `document.querySelectorAll("#report *").length`); n != 0 {
		t.Errorf("report: %d elements in the report's text", n)
	}
	b.screenshot("report", filepath.Join(screenshotDir(t), "report-alerts.png"))
	// The 404 of the missing report is an answer, not a page problem.
	b.problems.mu.Lock()
	b.problems.list = slices.DeleteFunc(b.problems.list, func(m string) bool {
		return strings.Contains(m, "status of 404") && strings.Contains(m, "/api/v1/reports/2026-11-21")
	})
	b.problems.mu.Unlock()
	b.problems.check(t, "reports and alerts")
}
