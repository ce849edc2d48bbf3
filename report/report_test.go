package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/llm/openaitest"
	"github.com/warden-dev/warden/report"
	"github.com/warden-dev/warden/store/sqlite"
	"github.com/warden-dev/warden/usage"
)

// day is the reported day in the tests.
var day = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

// jwtUser is a user id shaped like a JWT: a secret, which no rendering
// may show.
const jwtUser = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

func ev(at time.Time, ip, user, route, action string, dets ...eventlog.Detector) eventlog.Event {
	e := eventlog.Event{Time: at, RequestID: fmt.Sprintf("r%d-%s", at.UnixNano(), ip), Client: eventlog.Client{IP: ip, User: user},
		Method: "POST", Route: route, Path: "/x", Status: 200, Action: action, Mode: "enforce"}
	if len(dets) > 0 {
		e.Abuse = &eventlog.Abuse{Confidence: dets[0].Confidence, Detectors: dets}
	}
	return e
}

func det(name, violation string, conf float64) eventlog.Detector {
	return eventlog.Detector{Name: name, Violation: violation, Confidence: conf, Messages: []string{"m"}}
}

// fixture is a known week: the figures the tests expect are worked out
// by hand in the comments.
func fixture() []eventlog.Event {
	var es []eventlog.Event
	at := func(d, h, m int) time.Time {
		return day.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	// Three days before: 198.51.100.1 offended (it comes back: a repeat offender).
	es = append(es, ev(at(-3, 10, 0), "198.51.100.1", "", "POST /api/login", "block", det("payload", "sqli", 0.9)))
	// The day before: 10 allowed, 2 blocked from one offender.
	for i := range 10 {
		es = append(es, ev(at(-1, 9, i), "192.0.2.1", "", "GET /api/items", "allow"))
	}
	for i := range 2 {
		es = append(es, ev(at(-1, 9, 30+i), "198.51.100.2", "", "POST /api/login", "block", det("payload", "sqli", 0.9)))
	}
	// The day: 100 allowed at 00h; 5 blocks (sqli) and 3 throttles at 03h;
	// 2 banned and 4 held back by monitor mode (xss) at 14h; 1 logged
	// finding that stopped nothing at 23h.
	for i := range 100 {
		es = append(es, ev(at(0, 0, i%60), fmt.Sprintf("192.0.2.%d", i%50), "", "GET /api/items", "allow"))
	}
	for i := range 5 {
		es = append(es, ev(at(0, 3, i), "198.51.100.1", "", "POST /api/login", "block", det("payload", "sqli", 0.95)))
	}
	for i := range 3 {
		es = append(es, ev(at(0, 3, 10+i), "198.51.100.9", jwtUser, "POST /api/ask/{rest...}", "throttle", det("ratelimit", "message_limit", 1)))
	}
	for i := range 2 {
		es = append(es, ev(at(0, 14, i), "198.51.100.9", jwtUser, "POST /api/ask/{rest...}", "ban", det("ban", "", 1)))
	}
	for i := range 4 {
		e := ev(at(0, 14, 10+i), "203.0.113.5", "", "POST /api/<posts>", "log", det("payload", "xss", 0.9))
		e.Mode, e.Would = "monitor", "block"
		es = append(es, e)
	}
	es = append(es, ev(at(0, 23, 59), "192.0.2.77", "alice", "GET /api/items", "log", det("bot", "non_browser", 0.6)))
	// The next day: not in the report.
	es = append(es, ev(at(1, 0, 0), "198.51.100.1", "", "POST /api/login", "block", det("payload", "sqli", 0.9)))
	return es
}

// fixtureStore is what the report tests write through: the SQLite and
// PostgreSQL stores `warden serve` uses.
type fixtureStore interface {
	usage.Store
	usage.Pruner
	WriteEvents(context.Context, []eventlog.Event) error
	AddBanChanges(context.Context, []ban.Change) error
	DeleteBanChangesBefore(context.Context, time.Time) (int64, error)
}

// openSQLite opens a fresh SQLite store and the report source on it; both
// are closed when the test ends.
func openSQLite(t testing.TB) (fixtureStore, *report.Source) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	src, err := report.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return db, src
}

// writeFixture writes usage rows and events, the events in batches as
// the recorder writes them.
func writeFixture(t testing.TB, st fixtureStore, events []eventlog.Event, rows []usage.Row) {
	t.Helper()
	ctx := context.Background()
	if len(rows) > 0 {
		if err := st.AddUsage(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	for len(events) > 0 {
		n := min(len(events), 5000)
		if err := st.WriteEvents(ctx, events[:n]); err != nil {
			t.Fatal(err)
		}
		events = events[n:]
	}
}

// sqliteSource writes events and usage rows into a fresh SQLite store and
// opens it for reports.
func sqliteSource(t testing.TB, events []eventlog.Event, rows ...usage.Row) *report.Source {
	t.Helper()
	st, src := openSQLite(t)
	writeFixture(t, st, events, rows)
	return src
}

func build(t *testing.T, src *report.Source, model report.Completer) *report.Report {
	t.Helper()
	b, err := report.New(report.Options{Source: src, Config: report.DefaultConfig(), Model: model,
		Now: func() time.Time { return day.Add(30 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Build(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkFigures asserts the fixture's figures, worked out by hand.
func checkFigures(t *testing.T, r *report.Report) {
	t.Helper()
	want := report.Headline{Requests: 115, Allowed: 100, Logged: 5, Throttled: 3, Blocked: 5, Banned: 2,
		Offenders: 3, NewOffenders: 2, RepeatOffenders: 1}
	if r.Today != want {
		t.Errorf("today = %+v\nwant    %+v", r.Today, want)
	}
	wantPrev := report.Headline{Requests: 12, Allowed: 10, Blocked: 2, Offenders: 1}
	if r.Yesterday != wantPrev {
		t.Errorf("previous day = %+v\nwant           %+v", r.Yesterday, wantPrev)
	}
	if len(r.Hours) != 24 {
		t.Fatalf("%d hours, want 24", len(r.Hours))
	}
	for _, c := range []struct {
		h    int
		want report.Hour
	}{
		{0, report.Hour{Allowed: 100}},
		{3, report.Hour{Blocked: 5, Throttled: 3}},
		{14, report.Hour{Banned: 2, Logged: 4}},
		{23, report.Hour{Logged: 1}},
		{12, report.Hour{}},
	} {
		got := r.Hours[c.h]
		got.Start, got.Label = time.Time{}, ""
		if got != c.want {
			t.Errorf("hour %d = %+v, want %+v", c.h, got, c.want)
		}
	}
	rows := func(name string, got []report.Row, want ...report.Row) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v\nwant %v", name, got, want)
		}
	}
	rows("top clients", r.TopClients, report.Row{Name: "198.51.100.1", Events: 5, Stopped: 5},
		report.Row{Name: "198.51.100.9", Events: 5, Stopped: 5}, report.Row{Name: "203.0.113.5", Events: 4})
	rows("top routes", r.TopRoutes, report.Row{Name: "POST /api/ask/{rest...}", Events: 5, Stopped: 5},
		report.Row{Name: "POST /api/login", Events: 5, Stopped: 5}, report.Row{Name: "POST /api/<posts>", Events: 4},
		report.Row{Name: "GET /api/items", Events: 1})
	rows("detectors", r.Detectors, report.Row{Name: "payload", Events: 9, Stopped: 5}, report.Row{Name: "ratelimit", Events: 3, Stopped: 3},
		report.Row{Name: "ban", Events: 2, Stopped: 2}, report.Row{Name: "bot", Events: 1})
	rows("violations", r.Violations, report.Row{Name: "sqli", Events: 5, Stopped: 5}, report.Row{Name: "xss", Events: 4},
		report.Row{Name: "message_limit", Events: 3, Stopped: 3}, report.Row{Name: "non_browser", Events: 1})
	rows("attack classes", r.AttackClasses, report.Row{Name: "sqli", Events: 5, Stopped: 5}, report.Row{Name: "xss", Events: 4})
	if len(r.TopUsers) != 1 || r.TopUsers[0].Events != 5 || strings.Contains(r.TopUsers[0].Name, "eyJ") {
		t.Errorf("top users = %v, want one user with 5 events, its JWT-shaped id redacted", r.TopUsers)
	}
	if r.Bans.Refused != 2 || r.Bans.Clients != 1 {
		t.Errorf("bans = %+v, want 2 refused from 1 client", r.Bans)
	}
}

func TestBuildSQLite(t *testing.T) {
	r := build(t, sqliteSource(t, fixture()), nil)
	checkFigures(t, r)
	if r.Source != "SQLite" || r.Date != "2026-12-06" {
		t.Errorf("source, date = %q, %q", r.Source, r.Date)
	}
	// Without the request log the events are the decisions other than a
	// plain allow, and the summary says so: its allowed requests are
	// those with a finding, not all of them.
	if r.Summary.Generated || !strings.Contains(r.Summary.Text, "115 decisions other than a plain allow") || !strings.Contains(r.Summary.Text, ": 100 allowed with a finding,") {
		t.Errorf("summary = %+v, want the template's, stating 115 decisions and 100 allowed with a finding", r.Summary)
	}
}

func TestEmptyDay(t *testing.T) {
	r := build(t, sqliteSource(t, nil), nil)
	if r.Today != (report.Headline{}) || len(r.Hours) != 24 || len(r.TopClients) != 0 {
		t.Errorf("empty day: %+v, %d hours, top %v", r.Today, len(r.Hours), r.TopClients)
	}
	for _, f := range report.Formats() {
		if _, _, err := r.Render(f); err != nil {
			t.Errorf("render %s: %v", f, err)
		}
	}
}

func TestSummaryModel(t *testing.T) {
	src := sqliteSource(t, fixture())
	for _, c := range []struct {
		name, reply   string
		wantGenerated bool
		wantRejected  string
	}{
		{"grounded", "Warden saw 115 requests on 2026-12-06, up 858.3% on the 12 of the previous day. It blocked 5 and throttled 3; 3 distinct offenders, 1 of them a repeat. The busiest hour began at 00:00 with 100 events.", true, ""},
		{"thousands separator and rounding", "Requests rose 858% to 115, with 1 repeat offender.", true, ""},
		{"invented number", "Warden saw 115 requests and stopped 1,234 attacks from 3 offenders.", false, "1,234"},
		{"computed number", "Warden saw 115 requests, 15 of them flagged.", false, "15"},
		{"link", "See https://example.com for 115 requests.", false, "link"},
		{"terminal escape", "Warden saw 115 requests.\x1b[2J", false, "control"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := openaitest.NewServer()
			defer api.Close()
			api.Reply = func(openaitest.ChatRequest) string { return c.reply }
			cfg := llm.DefaultConfig()
			cfg.BaseURL, cfg.Model = api.BaseURL, "stand-in"
			cl, err := llm.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := build(t, src, cl)
			if r.Summary.Generated != c.wantGenerated {
				t.Fatalf("generated = %v, want %v (summary %+v)", r.Summary.Generated, c.wantGenerated, r.Summary)
			}
			if c.wantGenerated && r.Summary.Text != c.reply {
				t.Errorf("text = %q, want the model's", r.Summary.Text)
			}
			if !c.wantGenerated && (!strings.Contains(r.Summary.Rejected, c.wantRejected) || !strings.Contains(r.Summary.Text, "recorded 115 ")) {
				t.Errorf("summary = %+v, want the template, rejected naming %q", r.Summary, c.wantRejected)
			}
			reqs := api.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d model calls, want 1", len(reqs))
			}
			var body struct {
				Temperature *float64 `json:"temperature"`
				Messages    []struct{ Content string }
			}
			if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Temperature == nil || *body.Temperature != 0 {
				t.Errorf("temperature = %v, want 0", body.Temperature)
			}
			facts := body.Messages[len(body.Messages)-1].Content
			for _, private := range []string{"198.51.100", "192.0.2.", "203.0.113", "eyJ", "alice"} {
				if strings.Contains(facts, private) {
					t.Errorf("the model was sent %q: %s", private, facts)
				}
			}
			if !strings.Contains(facts, `"requests":115`) {
				t.Errorf("facts lack the day's requests: %s", facts)
			}
		})
	}
}

func TestModelDown(t *testing.T) {
	api := openaitest.NewServer()
	defer api.Close()
	api.Status = 503
	cfg := llm.DefaultConfig()
	cfg.BaseURL, cfg.Model = api.BaseURL, "stand-in"
	cl, err := llm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := build(t, sqliteSource(t, fixture()), cl)
	if r.Summary.Generated || r.Summary.Rejected == "" || r.Summary.Text == "" {
		t.Errorf("summary = %+v, want the template with the failure said", r.Summary)
	}
}

func TestRender(t *testing.T) {
	r := build(t, sqliteSource(t, fixture()), nil)
	text, ct, err := r.Render("text")
	if err != nil || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("text: %v, %q", err, ct)
	}
	md, _, err := r.Render("md")
	if err != nil {
		t.Fatal(err)
	}
	html, ct, err := r.Render("html")
	if err != nil || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("html: %v, %q", err, ct)
	}
	js, _, err := r.Render("json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		out    []byte
		want   []string
	}{
		{"text", text, []string{"Warden daily report: 2026-12-06 (UTC)", "Summary (from the template)",
			"  requests                     115            12   +858.3%", "  repeat offenders               1",
			"  03:00 ███ 8\n", "  01:00  0\n  02:00  0\n", "  04:00 … 13:00  0\n", "  00:00 ░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░ 100\n", "  198.51.100.1", "Attack classes\n  sqli", "issued: not read   lifted: 0 (scores cleared: 0)   expired: 0\n  refused requests: 2   banned clients seen: 1"}},
		{"md", md, []string{"# Warden daily report: 2026-12-06 (UTC)", "| requests | 115 | 12 | +858.3% |",
			"| POST /api/\\<posts\\> | 4 | 0 |", "| 198.51.100.1 | 5 | 5 |", "```\n█ stopped"}},
		{"html", html, []string{"<svg", `aria-label="5 events, 5 stopped"><rect width="160.0"`, "<title>03:00: 8 events</title>", "POST /api/&lt;posts&gt;", "<td align=\"right\">&#43;858.3%</td>"}},
		{"json", js, []string{`"date": "2026-12-06"`, `"requests": 115`}},
	} {
		s := string(c.out)
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s lacks %q:\n%s", c.format, w, s)
			}
		}
		if strings.Contains(s, "eyJhbGci") {
			t.Errorf("%s shows the JWT-shaped user id", c.format)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "src="} {
		if strings.Contains(strings.ReplaceAll(string(html), `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("html holds %q: mail clients must render it without scripts or fetches", bad)
		}
	}
	if n := strings.Count(string(html), "<g><title>"); n != 24 {
		t.Errorf("chart has %d hour bars, want 24", n)
	}
	if _, _, err := r.Render("pdf"); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("render pdf: %v, want an error naming format", err)
	}
}

func TestTimeZoneDays(t *testing.T) {
	for _, c := range []struct {
		zone, date string
		hours      int
	}{
		{"UTC", "2026-03-08", 24},
		{"America/New_York", "2026-03-08", 23},
		{"America/New_York", "2026-11-01", 25},
		{"Europe/Paris", "2026-12-06", 24},
	} {
		cfg := report.DefaultConfig()
		cfg.TimeZone = c.zone
		b, err := report.New(report.Options{Source: sqliteSource(t, nil), Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		d, err := b.ParseDate(c.date)
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.Build(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hours) != c.hours || r.Date != c.date || r.Hours[0].Label != "00:00" {
			t.Errorf("%s %s: %d hours from %s, date %s; want %d from 00:00", c.zone, c.date, len(r.Hours), r.Hours[0].Label, r.Date, c.hours)
		}
	}
}

// A user id is the client's to choose: one holding a terminal escape is
// shown with the escape replaced, in every format.
func TestControlCharactersInNames(t *testing.T) {
	es := []eventlog.Event{ev(day.Add(time.Hour), "198.51.100.9", "evil\x1b]0;owned\x07", "POST /api/ask/{rest...}", "throttle",
		det("ratelimit", "message_limit", 1))}
	r := build(t, sqliteSource(t, es), nil)
	if len(r.TopUsers) != 1 || r.TopUsers[0].Name != "evil\uFFFD]0;owned\uFFFD" {
		t.Fatalf("top users = %+v", r.TopUsers)
	}
	for _, f := range report.Formats() {
		out, _, err := r.Render(f)
		if err != nil || strings.ContainsAny(string(out), "\x1b\x07") {
			t.Errorf("%s: %v, or holds the escape", f, err)
		}
	}
}
