package admin

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/testbin"
)

// xssExcerpt is what a payload detector quotes from an attack: the
// dashboard must show it as text. Were it parsed as HTML, the <img> would
// be in the DOM (and its handler would be refused by the CSP).
const xssExcerpt = `excerpt: <img src=x onerror="document.title='pwned'">`

// findChromium returns the browser the dashboard test drives. Like the
// Redis and PostgreSQL tests, it skips when none is installed, unless
// CI=true.
func findChromium(t testing.TB) string {
	t.Helper()
	return testbin.Find(t, "chromium", "chromium", "chromium-browser")
}

// pageProblems collects what the page reports as broken: uncaught
// exceptions, console.error and console.assert calls, and errors of the
// browser log (a CSP violation is one). Chromium logs every 4xx answer as
// "Failed to load resource"; 401 is expected (the page itself is served
// with 401 before sign-in, and a wrong token is answered with 401), and so
// is 400 for the invalid ban the test submits.
type pageProblems struct {
	mu   sync.Mutex
	list []string
}

// record is a chromedp listener: it runs in the tab's event loop, in the
// order of the browser's messages, so every problem a page action caused
// is recorded before that action returns.
func (p *pageProblems) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		args := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			if a.Description != "" {
				args = append(args, a.Description)
			} else {
				args = append(args, string(a.Value))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level != cdplog.EntryLevelError {
			return
		}
		if e.Source == cdplog.EntrySourceNetwork &&
			(strings.Contains(e.Text, "status of 401") ||
				strings.Contains(e.Text, "status of 400") && strings.HasSuffix(e.URL, "/api/v1/bans")) {
			return
		}
		msg = fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL)
	default:
		return
	}
	p.mu.Lock()
	p.list = append(p.list, msg)
	p.mu.Unlock()
}

func (p *pageProblems) check(t *testing.T, step string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.list {
		t.Errorf("%s: page problem: %s", step, m)
	}
	p.list = nil
}

// seedDecisions logs decisions the way the Guard does (eventlog.New from
// a request and its outcome) and returns how many it logged per action.
func seedDecisions(t *testing.T, store *eventlog.MemoryStore) map[string]int {
	t.Helper()
	type decision struct {
		ip, user, method, path string
		status                 int
		action                 abuse.Action
		verdicts               []abuse.Verdict
	}
	sqli := abuse.Verdict{Detector: "payload", Confidence: 0.97, Violation: "sqli", Messages: []string{"UNION SELECT in query value"}}
	xss := abuse.Verdict{Detector: "payload", Confidence: 0.99, Violation: "xss", Messages: []string{xssExcerpt}}
	decisions := []decision{ // oldest first
		{ip: "203.0.113.7", method: "GET", path: "/search", status: 403, action: abuse.Block, verdicts: []abuse.Verdict{sqli}},
		{ip: "203.0.113.8", user: hostileUser, method: "POST", path: "/comments", status: 403, action: abuse.Block, verdicts: []abuse.Verdict{xss}},
		{ip: "198.51.100.9", method: "POST", path: "/login", status: 429, action: abuse.Throttle,
			verdicts: []abuse.Verdict{{Detector: "ratelimit", Confidence: 1, Action: abuse.Throttle, Messages: []string{"login: 5/min exceeded"}}}},
		{ip: "203.0.113.7", method: "GET", path: "/admin", status: 403, action: abuse.Ban,
			verdicts: []abuse.Verdict{{Detector: "ban", Confidence: 1, Action: abuse.Ban}}},
		{ip: "192.0.2.44", user: "42", method: "GET", path: "/api/items/17", status: 200, action: abuse.Log,
			verdicts: []abuse.Verdict{{Detector: "behavior", Confidence: 0.6, Messages: []string{"sequential id probing"}}}},
	}
	// A store may hand back an abuse object without detectors: its JSON
	// form has "detectors":null.
	bare := eventlog.Event{Time: now.Add(-time.Hour), RequestID: "req-bare", Client: eventlog.Client{IP: "192.0.2.1"},
		Method: "GET", Path: "/old", Status: 403, Action: "block", Mode: "enforce", Abuse: &eventlog.Abuse{Confidence: 0.9}}
	counts := map[string]int{bare.Action: 1}
	events := []eventlog.Event{bare}
	for i, d := range decisions {
		r := &abuse.Request{
			ID:     fmt.Sprintf("req-%d", i),
			Time:   now.Add(time.Duration(i-len(decisions)) * time.Minute),
			Client: abuse.Client{IP: netip.MustParseAddr(d.ip), User: d.user},
			Method: d.method,
			Path:   d.path,
		}
		events = append(events, eventlog.New(r, abuse.Outcome{Status: d.status, Action: d.action, Verdicts: d.verdicts}, "enforce"))
		counts[d.action.String()]++
	}
	if err := store.WriteEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	return counts
}

// hostileUser is a user id a client chose.
const hostileUser = `<svg onload="document.title='pwned'">`

// fastRefresh runs in every page before the page's own script: it makes
// the dashboard's 5 s refresh run every 100 ms and counts the runs, so the
// test sees periodic refreshes without waiting for them.
const fastRefresh = `(() => {
	const setInterval = window.setInterval;
	window.__refreshes = 0;
	window.setInterval = (fn, ms, ...args) => setInterval(() => { window.__refreshes++; fn(); }, Math.min(ms, 100), ...args);
})()`

// browser is a headless Chromium tab on a test's page.
type browser struct {
	t        *testing.T
	ctx      context.Context
	problems *pageProblems
}

// newBrowser starts Chromium with a fresh profile. It is stopped, and has
// exited, when ctx ends or the test cleans up.
func newBrowser(t *testing.T, ctx context.Context, path string) *browser {
	t.Helper()
	userData := t.TempDir() // registered before the browser's cleanup, so removed after it
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless, // --headless
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machine has no network: nothing may call out.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a small /dev/shm
		chromedp.WindowSize(800, 900),                // half a laptop screen: the tables must fit
		chromedp.UserDataDir(userData),
	)
	t.Cleanup(allocCancel) // waits for the browser to exit
	b := &browser{t: t, problems: &pageProblems{}}
	var cancel context.CancelFunc
	b.ctx, cancel = chromedp.NewContext(allocCtx, chromedp.WithListener(b.problems.record))
	t.Cleanup(cancel)
	b.init()
	return b
}

// init opens the tab and installs fastRefresh.
func (b *browser) init() {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: fastRefresh}); err != nil {
		b.t.Fatalf("start the browser: %v", err)
	}
}

// newTab opens another tab in the same browser, with its own
// sessionStorage; its problems are recorded with b's.
func (b *browser) newTab() *browser {
	b.t.Helper()
	tab := &browser{t: b.t, problems: b.problems}
	var cancel context.CancelFunc
	tab.ctx, cancel = chromedp.NewContext(b.ctx, chromedp.WithListener(b.problems.record))
	b.t.Cleanup(cancel)
	tab.init()
	return tab
}

// stepTimeout bounds one step, so a page that never gets where a step
// waits for fails with that step's name.
const stepTimeout = 10 * time.Second

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatal(step, err)
	}
}

// clickRow clicks the first element an XPath query finds in a table that
// the page rebuilds on every refresh. A rebuild between finding the
// element and clicking it leaves chromedp holding a removed node; the
// click is then tried again on the new one, as a person would click again.
func (b *browser) clickRow(step, xpath string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, chromedp.Click(xpath))
		if err == nil {
			return
		}
		if ctx.Err() != nil || !strings.Contains(err.Error(), "node with given id") {
			b.fatal(step, err)
		}
	}
}

// fatal ends the test at a failed step, with what the page reported: an
// uncaught exception often says why.
func (b *browser) fatal(step string, err error) {
	b.t.Helper()
	b.problems.check(b.t, step)
	b.t.Fatalf("%s: %v", step, err)
}

// eval returns the value of a JS expression in the page.
func eval[T any](b *browser, step, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fatal(step, fmt.Errorf("evaluate %s: %w", expr, err))
	}
	return v
}

// waitFor polls a JS expression in the page until it is true.
func (b *browser) waitFor(step, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		b.fatal(step, fmt.Errorf("waiting for %s: %w", expr, err))
	}
}

// rows returns the text of the cells of a table body's rows.
func (b *browser) rows(step, tbodyID string) [][]string {
	b.t.Helper()
	return eval[[][]string](b, step, `Array.from(document.querySelectorAll("#`+tbodyID+` tr"),
		(tr) => Array.from(tr.cells, (td) => td.textContent))`)
}

// banTargets returns the first column of the ban table.
func (b *browser) banTargets(step string) []string {
	b.t.Helper()
	var out []string
	for _, r := range b.rows(step, "bans") {
		out = append(out, r[0])
	}
	return out
}

const listedJS = `Array.from(document.querySelectorAll("#bans tr td:first-child"), (td) => td.textContent).includes(%q)`

// TestDashboardInBrowser drives the dashboard in a real headless Chromium
// against a real admin server on loopback, as an operator uses it: sign in
// with wrong tokens, then the right one; read bans and decisions; see a
// ban appear by itself; add a ban, fail to add a bad one, lift two;
// reload; open the link with the token in the fragment, whole and cut.
func TestDashboardInBrowser(t *testing.T) {
	chromium := findChromium(t)
	f := newFixture(t, nil)
	ctx := t.Context()
	seedBans := []ban.Ban{ // distinct ends: the list is ordered by them
		{Target: ban.IPTarget(netip.MustParseAddr("203.0.113.7")), Reason: "credential stuffing", Violation: "login", Created: now, Until: now.Add(2 * time.Hour)},
		{Target: ban.UserTarget("mallory/ops team"), Reason: `<b>spam</b> & "abuse"`, Created: now, Until: now.Add(3 * time.Hour)},
		{Target: ban.IPTarget(netip.MustParseAddr("2001:db8::7")), Reason: "scanner", Violation: "scan", Created: now, Until: now.Add(26 * time.Hour)},
	}
	for _, b := range seedBans {
		if err := f.bans.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	wantCounts := seedDecisions(t, f.events)
	// The counts are the overview's of the last hour, which ends at the
	// next minute: the bare event, an hour old, is before it.
	wantCounts["block"]--
	srv := httptest.NewServer(f.srv) // on 127.0.0.1
	t.Cleanup(srv.Close)

	// A bound on the whole test, browser start included, so a hang fails
	// instead of waiting for go test's timeout.
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	b := newBrowser(t, ctx, chromium)

	// 1. The page opens on the sign-in form and holds no data.
	b.do("open", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	if eval[bool](b, "open", `!document.getElementById("app").hidden`) {
		t.Error("open: the dashboard shows before sign-in")
	}
	if rows := b.rows("open", "bans"); len(rows) != 0 {
		t.Errorf("open: %d ban rows before sign-in", len(rows))
	}

	// 2. A wrong token is refused, not kept, and nothing is shown. The second
	// holds a Cyrillic o, which a header cannot carry (not Latin-1).
	for _, wrong := range []string{"wrong-token-0123456789", "t\u043eken-0123456789abcdef"} {
		step := "wrong token " + wrong
		b.do(step, chromedp.SendKeys(chromedp.ID("token"), wrong+"\n"))
		b.waitFor(step, `document.getElementById("login-error").textContent === "That token was not accepted."`)
		if eval[bool](b, step, `!document.getElementById("app").hidden`) {
			t.Errorf("%s: the dashboard is shown", step)
		}
		if s := eval[string](b, step, `sessionStorage.getItem("warden-admin-token") || ""`); s != "" {
			t.Errorf("%s: kept in sessionStorage: %q", step, s)
		}
		// The message stays while the page refreshes in the background.
		b.waitFor(step, `window.__refreshes >= 3 + `+strconv.Itoa(eval[int](b, step, `window.__refreshes`)))
		if got := eval[string](b, step, `document.getElementById("login-error").textContent`); got != "That token was not accepted." {
			t.Errorf("%s: after a background refresh the sign-in message is %q", step, got)
		}
		b.do(step, chromedp.Evaluate[chromedp.Void](`document.getElementById("login-error").textContent = ""`))
		b.problems.check(t, step)
	}

	// 3. The right token, typed and sent with the button, shows the bans
	// and the decisions.
	b.do("sign in", chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Click(chromedp.CSS("#login-form button")),
		chromedp.WaitVisible(chromedp.ID("app")))
	b.waitFor("sign in", `document.querySelectorAll("#bans tr").length === 3 && document.querySelectorAll("#events tr").length === 6`)
	wantBans := [][]string{ // the until column (index 3) is in the browser's locale
		{"ip:203.0.113.7", "credential stuffing", "login", "", "2h0m", "story lift lift, keep score"},
		{"user:mallory/ops team", `<b>spam</b> & "abuse"`, "", "", "3h0m", "story lift lift, keep score"},
		{"ip:2001:db8::/64", "scanner", "scan", "", "1d2h", "story lift lift, keep score"}, // an IPv6 ban covers the /64
	}
	for i, got := range b.rows("sign in", "bans") {
		if len(got) != 6 || got[3] == "" {
			t.Errorf("sign in: ban row %d = %q, want 6 cells with an end time", i, got)
			continue
		}
		got[3] = ""
		if !slices.Equal(got, wantBans[i]) {
			t.Errorf("sign in: ban row %d = %q, want %q", i, got, wantBans[i])
		}
	}
	if got := eval[string](b, "sign in", `document.getElementById("ban-count").textContent`); got != "(3)" {
		t.Errorf("sign in: ban count %q, want (3)", got)
	}

	// The decision counts of the overview, one box per action.
	counts := eval[map[string]string](b, "counts", `Object.fromEntries(Array.from(document.querySelectorAll("#counts .count"),
		(c) => [c.querySelector("span").textContent, c.querySelector("b").textContent]))`)
	if len(counts) != len(wantCounts) {
		t.Errorf("counts: %v, want %v", counts, wantCounts)
	}
	for action, n := range wantCounts {
		if counts[action] != fmt.Sprint(n) {
			t.Errorf("counts: %s = %q, want %d", action, counts[action], n)
		}
	}

	// The decision log, newest first; hostile text shows as text.
	events := b.rows("events", "events")
	wantEvents := [][]string{ // action, status, client, request, detectors
		{"log", "200", "192.0.2.44 user:42", "GET /api/items/17", "behavior 0.60: sequential id probing"},
		{"ban", "403", "203.0.113.7", "GET /admin", "ban 1.00"},
		{"throttle", "429", "198.51.100.9", "POST /login", "ratelimit 1.00: login: 5/min exceeded"},
		{"block", "403", "203.0.113.8 user:" + hostileUser, "POST /comments", "payload 0.99 [xss]: " + xssExcerpt},
		{"block", "403", "203.0.113.7", "GET /search", "payload 0.97 [sqli]: UNION SELECT in query value"},
		{"block", "403", "192.0.2.1", "GET /old", ""},
	}
	if len(events) != len(wantEvents) {
		t.Fatalf("events: %d rows, want %d", len(events), len(wantEvents))
	}
	for i, w := range wantEvents {
		if len(events[i]) != 6 || events[i][0] == "" || !slices.Equal(events[i][1:], w) {
			t.Errorf("events: row %d = %q, want a time and %q", i, events[i], w)
		}
	}
	type domCheck struct {
		Elements int    `json:"elements"`
		Scripts  int    `json:"scripts"`
		Title    string `json:"title"`
	}
	// In the tables only rows, cells and lift buttons are elements: any
	// other is client text parsed as HTML.
	dom := eval[domCheck](b, "no injection", `({elements: document.querySelectorAll(
			"img, svg:not(#ov-chart > svg), iframe, object, embed, #bans :not(tr, td, button), #events :not(tr, td), #overview table :not(tbody, tr, td)").length,
		scripts: document.scripts.length, title: document.title})`)
	if dom != (domCheck{Scripts: 1, Title: "Warden dashboard"}) {
		t.Errorf("no injection: %+v: an event's text was parsed as HTML", dom)
	}
	// Headings, times, actions and buttons keep to one line; the long
	// columns take the breaks.
	broken := eval[[]string](b, "layout", `Array.from(document.querySelectorAll("th, td.short:not(:has(button)), button"), (e) => {
		const r = document.createRange();
		r.selectNodeContents(e);
		return new Set(Array.from(r.getClientRects(), (x) => Math.round(x.top))).size > 1 ? e.textContent : null;
	}).filter((t) => t !== null)`)
	if len(broken) != 0 {
		t.Errorf("layout: broken over lines: %q", broken)
	}
	b.problems.check(t, "sign in")

	// A ban the Guard adds shows without the operator doing anything.
	auto := ban.Ban{Target: ban.UserTarget("bot-7"), Reason: "violation score 100", Violation: "scraping", Created: now, Until: now.Add(time.Hour)}
	if err := f.bans.Add(ctx, auto); err != nil {
		t.Fatal(err)
	}
	b.waitFor("background refresh", fmt.Sprintf(listedJS, "user:bot-7"))
	if _, err := f.bans.Remove(ctx, auto.Target); err != nil {
		t.Fatal(err)
	}
	b.waitFor("background refresh", "!"+fmt.Sprintf(listedJS, "user:bot-7"))

	// 4. A ban added through the form is listed and stored.
	b.do("add ban",
		chromedp.SendKeys(chromedp.ID("ban-target"), "ip:198.51.100.23"),
		chromedp.SendKeys(chromedp.ID("ban-duration"), "90m"),
		chromedp.SendKeys(chromedp.ID("ban-reason"), "manual <i>review</i>"),
		chromedp.Click(chromedp.CSS("#ban-form button")))
	// A background refresh may list the ban before the form's own answer
	// has been handled: wait for both.
	b.waitFor("add ban", fmt.Sprintf(listedJS, "ip:198.51.100.23")+` && document.getElementById("ban-target").value === ""`)
	stored, ok, err := f.bans.Lookup(ctx, ban.IPTarget(netip.MustParseAddr("198.51.100.23")), now)
	if err != nil || !ok || stored.Reason != "manual <i>review</i>" || !stored.Until.Equal(now.Add(90*time.Minute)) {
		t.Errorf("add ban: store has %+v, %v, %v; want the 90m ban with its reason", stored, ok, err)
	}
	for _, r := range b.rows("add ban", "bans") {
		if r[0] == "ip:198.51.100.23" && (r[1] != "manual <i>review</i>" || r[4] != "1h30m") {
			t.Errorf("add ban: row %q", r)
		}
	}
	form := eval[[]string](b, "add ban", `[document.getElementById("ban-target").value,
		document.getElementById("ban-reason").value, document.getElementById("ban-error").textContent]`)
	if !slices.Equal(form, []string{"", "", ""}) {
		t.Errorf("add ban: form left with target, reason, error = %q", form)
	}

	// An invalid ban is refused with the API's message and not stored.
	b.do("bad ban", chromedp.SendKeys(chromedp.ID("ban-target"), "ip:not-an-address"),
		chromedp.Click(chromedp.CSS("#ban-form button")))
	b.waitFor("bad ban", `document.getElementById("ban-error").textContent.startsWith("target: ")`)
	if got := b.banTargets("bad ban"); len(got) != 4 {
		t.Errorf("bad ban: listed %q, want 4 bans", got)
	}
	if list, _ := f.bans.List(ctx, now); len(list) != 4 {
		t.Errorf("bad ban: %d bans stored, want 4", len(list))
	}

	// 5. Lifting a ban removes it from the page and the store. The user id
	// holds a slash and a space and the network colons and a slash, which
	// the lift URL must carry intact.
	for _, target := range []string{"user:mallory/ops team", "ip:2001:db8::/64"} {
		lift := fmt.Sprintf(`//tbody[@id="bans"]/tr[td[1][text()=%q]]//button[text()="lift"]`, target)
		b.clickRow("lift "+target, lift)
		b.waitFor("lift "+target, "!"+fmt.Sprintf(listedJS, target))
		tg, err := ban.ParseTarget(target)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := f.bans.Lookup(ctx, tg, now); ok {
			t.Errorf("lift %s: still in the store", target)
		}
	}
	if got, want := b.banTargets("lift"), []string{"ip:198.51.100.23", "ip:203.0.113.7"}; !slices.Equal(got, want) {
		t.Errorf("lift: bans listed %q, want %q", got, want)
	}
	if got := eval[string](b, "lift", `document.getElementById("ban-error").textContent`); got != "" {
		t.Errorf("lift: error shown: %q", got)
	}

	// 6. A reload keeps the session: the token lives in sessionStorage.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("app")))
	b.waitFor("reload", `document.querySelectorAll("#bans tr").length === 2`)
	b.problems.check(t, "reload")

	// 7. The link that `warden demo` prints hands the token over in the
	// fragment; a new tab has an empty sessionStorage.
	tab := b.newTab()
	tab.do("fragment", chromedp.Navigate(srv.URL+"/#token="+testToken), chromedp.WaitVisible(chromedp.ID("app")))
	tab.waitFor("fragment", `document.querySelectorAll("#bans tr").length === 2`)
	if u := eval[string](tab, "fragment", `location.href`); u != srv.URL+"/" {
		t.Errorf("fragment: the address still shows the token: %q", u)
	}
	// A link cut short in the middle of an escape is refused, not fatal.
	cut := b.newTab()
	cut.do("cut link", chromedp.Navigate(srv.URL+"/#token="+testToken[:20]+"%E2%82"), chromedp.WaitVisible(chromedp.ID("token")))
	cut.waitFor("cut link", `document.getElementById("login-error").textContent === "That token was not accepted."`)
	if u := eval[string](cut, "cut link", `location.href`); u != srv.URL+"/" {
		t.Errorf("cut link: the address still shows the token: %q", u)
	}
	b.problems.check(t, "fragment")
}
