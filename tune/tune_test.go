package tune

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/payload"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// ev is a monitor-mode event: action log, would as given, from client ip,
// with one detector's messages.
func ev(ip, route, path, would, det string, conf float64, violation string, msgs ...string) eventlog.Event {
	return eventlog.Event{Time: t0, Client: eventlog.Client{IP: ip}, Method: "POST", Route: route, Path: path,
		Status: 200, Action: "log", Mode: "monitor", Would: would,
		Abuse: &eventlog.Abuse{Confidence: conf, Detectors: []eventlog.Detector{
			{Name: det, Confidence: conf, Violation: violation, Messages: msgs}}}}
}

func xssIn(field string, conf float64) string {
	return fmt.Sprintf(`xss: html that runs script in text in json %q (prose): "<img src=x onerror=alert(1)> looks great" (2 signals, confidence %.2f)`, field, conf)
}

// falsePositives is n ordinary clients each posting the same field once.
func falsePositives(n int, route, field string, conf float64, would string) []eventlog.Event {
	var out []eventlog.Event
	for i := range n {
		out = append(out, ev(fmt.Sprintf("198.51.100.%d", i+1), route, "/api/posts", would, "payload", conf, "xss", xssIn(field, conf)))
	}
	return out
}

// sprayer is one client sending many classes into many fields.
func sprayer(ip string, conf float64) []eventlog.Event {
	var out []eventlog.Event
	for _, f := range []string{"title", "body", "tags", "author", "slug"} {
		for _, c := range []string{"sqli", "xss", "command_injection"} {
			msg := fmt.Sprintf(`%s: signal in json %q: "x" (3 signals, confidence %.2f)`, c, f, conf)
			out = append(out, ev(ip, "POST /api/posts", "/api/posts", "block", "payload", conf, c, msg))
		}
	}
	return out
}

func TestProposals(t *testing.T) {
	tests := []struct {
		name       string
		events     []eventlog.Event
		exclusions []payload.Exclusion
		routeModes map[string]map[string]config.Mode
	}{
		{"a field many ordinary clients trip is excluded",
			falsePositives(20, "POST /api/posts", "body", 0.7, "block"),
			[]payload.Exclusion{{Route: "POST /api/posts", Fields: []string{"body"}, Classes: []string{"xss"}}}, nil},
		{"too few clients",
			falsePositives(4, "POST /api/posts", "body", 0.7, "block"), nil, nil},
		{"near-certain findings look like attacks",
			falsePositives(20, "POST /api/posts", "body", 0.97, "block"), nil, nil},
		{"findings enforce mode would only log",
			falsePositives(20, "POST /api/posts", "body", 0.7, ""), nil, nil},
		{"one client spraying fields and classes",
			sprayer("203.0.113.9", 0.7), nil, nil},
		{"many sprayers are not ordinary clients",
			slices.Concat(sprayer("203.0.113.1", 0.7), sprayer("203.0.113.2", 0.7), sprayer("203.0.113.3", 0.7),
				sprayer("203.0.113.4", 0.7), sprayer("203.0.113.5", 0.7), sprayer("203.0.113.6", 0.7)), nil, nil},
		{"false positives next to an attacker",
			slices.Concat(falsePositives(10, "POST /api/posts", "body", 0.6, "block"), sprayer("203.0.113.9", 0.99)),
			[]payload.Exclusion{{Route: "POST /api/posts", Fields: []string{"body"}, Classes: []string{"xss"}}}, nil},
		{"no route pattern: the exact path",
			falsePositives(8, "", "body", 0.7, "block"),
			[]payload.Exclusion{{Route: "POST /api/posts", Fields: []string{"body"}, Classes: []string{"xss"}}}, nil},
		{"a detector without fields gets a per-route mode",
			func() []eventlog.Event {
				var out []eventlog.Event
				for i := range 12 {
					out = append(out, ev(fmt.Sprintf("192.0.2.%d", i+1), "GET /api/feed", "/api/feed", "block", "bot", 0.8, "bot", "automation user agent"))
				}
				return out
			}(),
			nil, map[string]map[string]config.Mode{"bot": {"GET /api/feed": config.Monitor}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tu := New(Options{})
			for i := range tc.events {
				tu.Add(&tc.events[i])
			}
			r := tu.Result()
			var out bytes.Buffer
			if err := r.WriteYAML(&out, "test"); err != nil {
				t.Fatal(err)
			}
			cfg := loadProposal(t, out.Bytes())
			if !slices.EqualFunc(cfg.Payload.Exclusions, tc.exclusions, func(a, b payload.Exclusion) bool {
				return a.Route == b.Route && slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Classes, b.Classes)
			}) {
				t.Errorf("exclusions %+v, want %+v\n%s", cfg.Payload.Exclusions, tc.exclusions, out.String())
			}
			for det, routes := range tc.routeModes {
				for p, m := range routes {
					if got := cfg.Detectors[det].Routes[p]; got != m {
						t.Errorf("detectors.%s.routes[%q] = %q, want %q\n%s", det, p, got, m, out.String())
					}
				}
			}
			if tc.routeModes == nil && len(r.RouteModes) != 0 {
				t.Errorf("route modes %+v, want none\n%s", r.RouteModes, out.String())
			}
		})
	}
}

// loadProposal loads the YAML tune printed, as a user pasting it would,
// through the config's own validation.
func loadProposal(t *testing.T, y []byte) config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(path, append([]byte("upstream: http://127.0.0.1:3000\n"), y...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the proposal does not load: %v\n%s", err, y)
	}
	return cfg
}

// The output explains itself: the heuristic, the would-stop report, and
// per proposal the counts, the distinct clients and a redacted example.
func TestOutputExplains(t *testing.T) {
	tu := New(Options{})
	events := falsePositives(7, "POST /api/posts", "body", 0.7, "block")
	events = append(events, ev("198.51.100.99", "POST /api/login", "/api/login", "block", "payload", 0.99, "sqli",
		`sqli: sql breakout in json "password": "' OR 1=1 -- hunter2" (6 signals, confidence 0.99)`))
	for i := range events {
		tu.Add(&events[i])
	}
	r := tu.Result()
	var out bytes.Buffer
	if err := r.WriteYAML(&out, "test"); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"8 decisions from test",
		"How these were chosen",
		"Enforce mode would have stopped 8 of these requests",
		"block      POST /api/posts",
		"7 findings (7 in requests enforce mode would stop) from 7 distinct ordinary clients",
		"confidence 0.70–0.70, mean 0.70",
		`example: "<img src=x onerror=alert(1)> looks great"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "hunter2") {
		t.Errorf("output quotes a password:\n%s", s)
	}
}

// Memory stays bounded: groups and clients past the bounds are counted,
// not kept.
func TestBounds(t *testing.T) {
	tu := New(Options{MaxGroups: 10, MaxClients: 50})
	for i := range 1000 {
		e := ev(fmt.Sprintf("10.0.%d.%d", i/256, i%256), "POST /api/posts", "/api/posts", "block", "payload", 0.7, "xss",
			xssIn(fmt.Sprintf("f%d", i), 0.7))
		tu.Add(&e)
	}
	if len(tu.groups) > 10 || len(tu.clients) > 50 || len(tu.stopped) > 10 {
		t.Fatalf("kept %d groups, %d clients, %d report rows; want at most 10, 50, 10", len(tu.groups), len(tu.clients), len(tu.stopped))
	}
	r := tu.Result()
	if r.Dropped != 990 || !r.ClientsCapped || r.Events != 1000 {
		t.Fatalf("dropped %d capped %v events %d; want 990, true, 1000", r.Dropped, r.ClientsCapped, r.Events)
	}
}
