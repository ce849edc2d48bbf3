package crowdsec

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/crowdsecconfig"
)

// streamCases are stream answers as crowdsec 1.4.6 sends them, and
// broken ones.
var streamCases = []struct {
	name          string
	body          string
	nNew, nDel    int
	skipped       int
	wantErr       bool
	firstUntil    time.Duration
	firstScenario string
}{
	{"startup", `{"deleted":null,"new":[{"duration":"59m55.616972046s","id":2,"origin":"cscli","scenario":"manual 'captcha' from 'cli'","scope":"Range","type":"captcha","value":"10.9.0.0/16"},{"duration":"3h59m55.616970112s","id":1,"origin":"cscli","scenario":"manual 'ban' from 'cli'","scope":"Ip","type":"ban","value":"1.2.3.4"}]}`,
		2, 0, 0, false, 59*time.Minute + 55616972046, "manual 'captcha' from 'cli'"},
	{"nothing new", `{"deleted":null,"new":null}`, 0, 0, 0, false, 0, ""},
	{"deleted", `{"deleted":[{"duration":"-33.90929ms","id":1,"origin":"cscli","scenario":"x","scope":"Ip","type":"ban","value":"1.2.3.4"}],"new":null}`, 0, 1, 0, false, -33909290, "x"},
	{"missing fields skipped", `{"new":[{"duration":"1h","scope":"Ip","value":"1.2.3.4"},{"duration":"bad","scope":"Ip","type":"ban","value":"1.2.3.4"},null,{"duration":"1h","scope":"Ip","type":"ban","value":"5.6.7.8"}]}`, 1, 0, 3, false, time.Hour, ""},
	{"not json", `<html>`, 0, 0, 0, true, 0, ""},
	{"wrong shape", `{"new":{"a":1}}`, 0, 0, 0, true, 0, ""},
	{"empty object", `{}`, 0, 0, 0, false, 0, ""},
}

func TestParseStream(t *testing.T) {
	for _, tt := range streamCases {
		t.Run(tt.name, func(t *testing.T) {
			s, skipped, err := ParseStream([]byte(tt.body), t0)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(s.New) != tt.nNew || len(s.Deleted) != tt.nDel || skipped != tt.skipped {
				t.Fatalf("new %d deleted %d skipped %d; want %d %d %d", len(s.New), len(s.Deleted), skipped, tt.nNew, tt.nDel, tt.skipped)
			}
			first := append(s.New, s.Deleted...)
			if len(first) > 0 {
				if got := first[0].Until.Sub(t0); got != tt.firstUntil {
					t.Fatalf("until = now%+v, want now%+v", got, tt.firstUntil)
				}
				if first[0].Scenario != tt.firstScenario {
					t.Fatalf("scenario %q", first[0].Scenario)
				}
			}
		})
	}
}

// FuzzParseStream: no input panics, and whatever parses applies to a Set
// whose lookups agree with the decisions it stored.
func FuzzParseStream(f *testing.F) {
	for _, tt := range streamCases {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := ParseStream(data, t0)
		if err != nil {
			return
		}
		var set Set
		stored, _ := set.Apply(s.New, s.Deleted, false, t0)
		for _, d := range stored {
			k, ok := d.normalize()
			if !ok {
				t.Fatalf("stored a decision that does not normalize: %+v", d)
			}
			if len(d.Scenario) > maxText+len("…") || len(d.Origin) > maxText+len("…") {
				t.Fatalf("unbounded text kept: %d %d", len(d.Scenario), len(d.Origin))
			}
			if _, ok := set.Lookup(k.p.Addr(), t0); !ok {
				t.Fatalf("stored %+v but its first address is not found", d)
			}
		}
	})
}

func TestDetect(t *testing.T) {
	tests := []struct {
		captchaAction string
		ip            string
		want          abuse.Action
		retry         time.Duration
	}{
		{"block", "192.0.2.7", abuse.Ban, time.Hour},
		{"block", "203.0.113.5", abuse.Block, 0},
		{"ban", "203.0.113.5", abuse.Ban, 30 * time.Minute},
		{"log", "203.0.113.5", abuse.Log, 0},
		{"block", "192.0.2.8", abuse.Allow, 0},
	}
	for _, tt := range tests {
		t.Run(tt.captchaAction+"/"+tt.ip, func(t *testing.T) {
			cfg := crowdsecconfig.DefaultConfig()
			cfg.LAPIURL, cfg.BouncerKey, cfg.CaptchaAction = "http://127.0.0.1:1", "k", tt.captchaAction
			c, err := New(context.Background(), cfg, Options{Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			c.set.Apply([]Decision{dec("ban", "Ip", "192.0.2.7", time.Hour), dec("captcha", "Range", "203.0.113.0/24", 30*time.Minute)}, nil, true, t0)
			v := c.Detect(context.Background(), &abuse.Request{Time: t0, Client: abuse.Client{IP: netip.MustParseAddr(tt.ip)}})
			if v.Action != tt.want || v.RetryAfter != tt.retry {
				t.Fatalf("verdict %+v; want action %v retry %v", v, tt.want, tt.retry)
			}
			if tt.want != abuse.Allow && (v.Violation != "" || len(v.Messages) != 1) {
				t.Fatalf("a CrowdSec decision must not score a violation (Warden would ban and report it back): %+v", v)
			}
		})
	}
}

func TestNewAlert(t *testing.T) {
	b := ban.Ban{Target: ban.IPTarget(netip.MustParseAddr("2001:db8::7")), Violation: "credential_stuffing",
		Reason: "score 30", Created: t0, Until: t0.Add(2 * time.Hour)}
	a, ok := newAlert(job{d: targetDecision(b.Target), ban: b}, t0.Add(time.Minute))
	if !ok {
		t.Fatal("no alert")
	}
	d := a.Decisions[0]
	if a.Scenario != "warden/credential_stuffing" || a.Source.Scope != "Range" || a.Source.Value != "2001:db8::/64" ||
		d.Duration != "1h59m0s" || d.Origin != Origin || d.Type != "ban" || d.Value != "2001:db8::/64" || !a.Remediation {
		t.Fatalf("alert %+v", a)
	}
	b.Target = ban.IPTarget(netip.MustParseAddr("192.0.2.7"))
	a, _ = newAlert(job{d: targetDecision(b.Target), ban: b}, t0)
	if a.Source.Scope != "Ip" || a.Source.IP != "192.0.2.7" {
		t.Fatalf("source %+v", a.Source)
	}
	if _, ok := newAlert(job{d: targetDecision(b.Target), ban: b}, t0.Add(3*time.Hour)); ok {
		t.Fatal("a ban over by the time it is sent is reported")
	}
}

// TestDetectAllocs: the request path allocates nothing, hit or miss.
func TestDetectAllocs(t *testing.T) {
	cfg := crowdsecconfig.DefaultConfig()
	cfg.LAPIURL, cfg.BouncerKey = "http://127.0.0.1:1", "k"
	c, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.set.Apply(bigDecisions(10_000), nil, true, t0)
	for _, ip := range []string{"100.0.0.5", "192.0.2.1", "2001:db8:b::1"} {
		r := &abuse.Request{Time: t0, Client: abuse.Client{IP: netip.MustParseAddr(ip)}}
		if n := testing.AllocsPerRun(100, func() { c.Detect(context.Background(), r) }); n != 0 {
			t.Errorf("Detect from %s allocates %v times", ip, n)
		}
	}
}
