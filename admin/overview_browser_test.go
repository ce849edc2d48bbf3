package admin

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
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
func TestOverviewInBrowser(t *testing.T) {
	chromium := findChromium(t)
	f := newFixture(t, nil)
	store := eventlog.NewMemoryStore(1000)
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
				k = "(none)"
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
	b.screenshot("last hour", filepath.Join(shots, "overview-light.png"))
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
	b.screenshot("dark", filepath.Join(shots, "overview-dark.png"))
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
