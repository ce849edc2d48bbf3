package behavior

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// TestPayloadProbingCountsActs: payload probing counts payload findings
// that acted, each distinct one once; grey findings (logged, let through)
// and a blocked request resent never add up to a block of the client's
// other requests, while different blocked payloads do.
func TestPayloadProbingCountsActs(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		payload func(i int) string         // the value the finding quotes
		acts    func(i int) []abuse.Action // nil: not known (offline)
		action  abuse.Action               // the verdict's own action
		want    bool                       // payload probing fires
	}{
		{"grey findings, all different", 10, func(i int) string { return fmt.Sprintf("{{%d*%d}}", i, i) },
			func(int) []abuse.Action { return []abuse.Action{abuse.Log} }, 0, false},
		{"one blocked request resent", 20, func(int) string { return "Robert'); DROP TABLE Students;--" },
			func(int) []abuse.Action { return []abuse.Action{abuse.Block} }, 0, false},
		{"two blocked requests resent in turn", 20, func(i int) string { return []string{"a' --", "b' --"}[i%2] },
			func(int) []abuse.Action { return []abuse.Action{abuse.Block} }, 0, false},
		{"different blocked payloads", 5, func(i int) string { return fmt.Sprintf("x' UNION SELECT %d--", i) },
			func(int) []abuse.Action { return []abuse.Action{abuse.Block} }, 0, true},
		{"held back by monitor mode", 10, func(i int) string { return fmt.Sprintf("x' UNION SELECT %d--", i) },
			func(int) []abuse.Action { return []abuse.Action{abuse.Log} }, 0, false},
		{"offline: the verdict's own action", 5, func(i int) string { return fmt.Sprintf("x' UNION SELECT %d--", i) },
			func(int) []abuse.Action { return nil }, abuse.Block, true},
		{"offline: no action of its own", 10, func(i int) string { return fmt.Sprintf("x' UNION SELECT %d--", i) },
			func(int) []abuse.Action { return nil }, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDet(t, nil)
			for i := range tt.n {
				r := ev{at: time.Duration(i) * time.Second, method: "POST", path: "/posts"}.request()
				v := abuse.Verdict{Detector: "payload", Confidence: 0.9, Violation: "sqli", Action: tt.action,
					Messages: []string{"sqli in json \"body\": " + tt.payload(i)}}
				d.Observe(r, abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: []abuse.Verdict{v}, Acts: tt.acts(i)})
			}
			// The client's next, ordinary request.
			r := ev{at: time.Duration(tt.n) * time.Second, path: "/users/5"}.request()
			v := d.Detect(context.Background(), r)
			got := v.Violation == PayloadProbing
			if got != tt.want {
				t.Fatalf("payload probing %v (verdict %+v), want %v", got, v, tt.want)
			}
			if tt.want && v.Action != abuse.Block {
				t.Fatalf("payload probing asks for %v, want block", v.Action)
			}
		})
	}
}

// TestRateFindingsThrottle: a flood is answered as a rate limit — 429
// with Retry-After and the RateLimit headers of its limit — while a
// request that is also BLACK for another reason is blocked.
func TestRateFindingsThrottle(t *testing.T) {
	tests := []struct {
		name       string
		path       func(i int) string
		wantAction abuse.Action
		wantViol   string
	}{
		{"flood", func(i int) string { return fmt.Sprintf("/items/%d", i%5) }, abuse.Throttle, Flood},
		{"flood of sensitive paths", func(i int) string { return "/.env" }, abuse.Block, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDet(t, func(c *Config) { c.Flood = Limit{Max: 20, Window: 10 * time.Second} })
			var v abuse.Verdict
			for i := range 20 {
				r := ev{at: time.Duration(i) * 100 * time.Millisecond, path: tt.path(i)}.request()
				v = d.Detect(context.Background(), r)
				d.Observe(r, abuse.Outcome{Status: 200, Action: v.Action})
			}
			if v.Action != tt.wantAction || (tt.wantViol != "" && v.Violation != tt.wantViol) {
				t.Fatalf("20th request: %v %q (%v), want %v %q", v.Action, v.Violation, v.Messages, tt.wantAction, tt.wantViol)
			}
			if tt.wantAction != abuse.Throttle {
				return
			}
			h := v.Header
			if v.RetryAfter != 10*time.Second || h.Get("Retry-After") != "10" ||
				h.Get("RateLimit-Policy") != `"flood";q=20;w=10` || h.Get("RateLimit") != `"flood";r=0;t=10` {
				t.Fatalf("retry %v headers %v", v.RetryAfter, h)
			}
		})
	}
}

// TestForget: forgetting a user or a network clears those clients' state
// — their next request is judged as a new client's — and no one else's.
func TestForget(t *testing.T) {
	probe := func(d *Detector, ip, user string) {
		// Six distinct findings: the last two are remembered as 8-bit
		// keyed hashes, so one may pass for a repeat of another now and
		// then; three must count.
		for i := range 6 {
			r := ev{at: time.Duration(i) * time.Second, ip: ip, user: user, method: "POST", path: "/posts"}.request()
			v := abuse.Verdict{Detector: "payload", Confidence: 0.9, Violation: "sqli", Messages: []string{fmt.Sprint("sqli ", i)}}
			d.Observe(r, abuse.Outcome{Status: 403, Verdicts: []abuse.Verdict{v}, Acts: []abuse.Action{abuse.Block}})
		}
	}
	probing := func(d *Detector, ip, user string) bool {
		r := ev{at: 5 * time.Second, ip: ip, user: user, path: "/users/5"}.request()
		return d.Detect(context.Background(), r).Violation == PayloadProbing
	}
	type client struct{ ip, user string }
	clients := []client{{"2001:db8:1::5", ""}, {"2001:db8:1::6", ""}, {"::ffff:203.0.113.10", ""}, {"2001:db8:2::1", ""}, {"203.0.113.9", ""}, {"203.0.113.9", "u1"}}
	tests := []struct {
		name    string
		user    string
		network string
		want    int    // records cleared
		cleared []bool // per client
	}{
		{"IPv6 network", "", "2001:db8:1::/64", 2, []bool{true, true, false, false, false, false}},
		{"IPv4 address", "", "203.0.113.9/32", 1, []bool{false, false, false, false, true, false}},
		{"IPv4-mapped client, IPv4 network", "", "203.0.113.10/32", 1, []bool{false, false, true, false, false, false}},
		{"user", "u1", "", 1, []bool{false, false, false, false, false, true}},
		{"nobody", "u2", "198.51.100.0/24", 0, []bool{false, false, false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDet(t, nil)
			for _, c := range clients {
				probe(d, c.ip, c.user)
			}
			var network netip.Prefix
			if tt.network != "" {
				network = netip.MustParsePrefix(tt.network)
			}
			if n := d.Forget(tt.user, network); n != tt.want {
				t.Fatalf("Forget cleared %d, want %d", n, tt.want)
			}
			for i, c := range clients {
				if got := probing(d, c.ip, c.user); got == tt.cleared[i] {
					t.Errorf("client %+v: probing %v after Forget, cleared should be %v", c, got, tt.cleared[i])
				}
			}
		})
	}
}
