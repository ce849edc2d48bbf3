package warden_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
)

// TestCheckDecidesAsHandler sends the same requests through Check and
// through Handler, on two Guards built alike, and wants the same decision
// for each: action, would, mode, detectors and violations, and the same
// decision log. The only difference allowed is that Handler answers or
// forwards, and Check does neither.
func TestCheckDecidesAsHandler(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	type req struct {
		name, method, target, ip, body string
	}
	reqs := []req{
		{"ordinary", "GET", "/api/items?q=shoes", "198.51.100.1", ""},
		{"blocked payload", "GET", "/api/items?q=attack", "198.51.100.1", ""},
		{"blocked payload in body", "POST", "/api/items", "198.51.100.1", `{"q":"attack"}`},
		{"logged payload", "GET", "/api/items?q=grey", "198.51.100.1", ""},
		{"banned, ordinary", "GET", "/api/items?q=shoes", "198.51.100.66", ""},
		{"banned, blocked payload", "GET", "/api/items?q=attack", "198.51.100.66", ""},
		{"body too large", "POST", "/api/items", "198.51.100.2", strings.Repeat("x", 2048)},
		{"allow-listed", "GET", "/api/items?q=attack", "203.0.113.9", ""},
	}
	// The login limit: every attempt past it is throttled.
	for range 10 {
		reqs = append(reqs, req{"login", "POST", "/api/auth/login", "198.51.100.3", `{"email":"a@example.com","password":"x"}`})
	}
	for _, mode := range []config.Mode{config.Enforce, config.Monitor} {
		t.Run(string(mode), func(t *testing.T) {
			build := func() (*warden.Guard, *memEvents) {
				cfg := testConfig(t)
				cfg.Mode = mode
				cfg.Clock = func() time.Time { return now }
				cfg.RateLimit.Enabled = true
				cfg.Inspect.MaxBody = 1024
				cfg.Log.Requests = true
				cfg.Allow.CIDRs = []string{"203.0.113.0/24"}
				sink := &memEvents{}
				cfg.Backends.Events = sink
				g := newGuard(t, cfg)
				g.Use(containsDetector("needle", "attack", abuse.Verdict{Confidence: 0.95, Violation: "sqli", Messages: []string{"attack"}}))
				g.Use(containsDetector("grey", "grey", abuse.Verdict{Confidence: 0.6, Violation: "odd"}))
				if err := g.Bans().Add(context.Background(), ban.Ban{Target: ban.IPTarget(mustAddr("198.51.100.66")), Until: now.Add(time.Hour), Reason: "test"}); err != nil {
					t.Fatal(err)
				}
				return g, sink
			}
			gc, checkLog := build()
			gh, handlerLog := build()
			up := &upstream{}
			h := gh.Handler(up)
			var checked []Decision // Check's decisions, as the log has them
			var sawThrottle, sawBlockedBan bool
			for i, rq := range reqs {
				newReq := func() *http.Request {
					var body io.Reader
					if rq.body != "" {
						body = strings.NewReader(rq.body)
					}
					r := httptest.NewRequest(rq.method, rq.target, body)
					r.RemoteAddr = rq.ip + ":4321"
					if rq.body != "" {
						r.Header.Set("Content-Type", "application/json")
					}
					return r
				}
				r := newReq()
				d := gc.Check(r)
				if rq.body != "" && d.Action != abuse.TooLarge {
					if b, _ := io.ReadAll(r.Body); string(b) != rq.body {
						t.Errorf("%d %s: Check left the body %q", i, rq.name, b)
					}
				}
				if rq.name != "allow-listed" {
					checked = append(checked, summary(d))
				}

				hits := up.hits.Load()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, newReq())
				forwarded := up.hits.Load() > hits
				if st := d.Action.Status(); st != 0 {
					if forwarded || w.Code != st {
						t.Errorf("%d %s: Handler answered %d (forwarded %v), Check decided %v", i, rq.name, w.Code, forwarded, d.Action)
					}
				} else if !forwarded {
					t.Errorf("%d %s: Handler answered %d, Check decided %v: want it forwarded", i, rq.name, w.Code, d.Action)
				}
				sawThrottle = sawThrottle || d.Would == abuse.Throttle
				sawBlockedBan = sawBlockedBan || rq.name == "banned, blocked payload" && hasDetector(summary(d), "needle") == (mode == config.Monitor)
			}
			if !sawThrottle {
				t.Error("the login limit never throttled: the rate limit case tests nothing")
			}
			if !sawBlockedBan {
				t.Error("a banned client's payload: detectors ran in enforce mode or did not in monitor mode")
			}
			_ = gc.Close(context.Background())
			_ = gh.Close(context.Background())
			ce, he := events(checkLog), events(handlerLog)
			if len(ce) != len(he) || len(he) != len(reqs)-1 { // the allow-listed request is not logged
				t.Fatalf("Check logged %d decisions, Handler %d, want %d", len(ce), len(he), len(reqs)-1)
			}
			for i := range he {
				if got := fromEvent(he[i]); !reflect.DeepEqual(checked[i], got) {
					t.Errorf("decision %d: Check returned %+v, Handler decided %+v", i, checked[i], got)
				}
				if !reflect.DeepEqual(ce[i], he[i]) {
					t.Errorf("decision %d:\nCheck   %+v\nHandler %+v", i, ce[i], he[i])
				}
			}
		})
	}
}

// Decision is what the test compares of a warden.Decision, in the
// decision log's terms.
type Decision struct {
	Action, Would, Mode string
	Detectors           []string // detector/violation
}

func summary(d warden.Decision) Decision {
	s := Decision{Action: d.Action.String(), Would: d.Would.String(), Mode: string(d.Mode)}
	for _, v := range d.Verdicts {
		s.Detectors = append(s.Detectors, v.Detector+"/"+v.Violation)
	}
	return s
}

func fromEvent(e eventlog.Event) Decision {
	s := Decision{Action: e.Action, Would: e.Would, Mode: e.Mode}
	if s.Would == "" {
		s.Would = s.Action
	}
	if e.Abuse != nil {
		for _, v := range e.Abuse.Detectors {
			s.Detectors = append(s.Detectors, v.Name+"/"+v.Violation)
		}
	}
	return s
}

func hasDetector(d Decision, name string) bool {
	for _, s := range d.Detectors {
		if strings.HasPrefix(s, name+"/") {
			return true
		}
	}
	return false
}

// events are a log's events without what differs between two Guards
// by construction: request IDs.
func events(m *memEvents) []eventlog.Event {
	es, _ := m.Events(context.Background(), time.Time{}, 0)
	for i := range es {
		es[i].RequestID = ""
	}
	return es
}
