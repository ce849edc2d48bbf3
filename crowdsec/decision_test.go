package crowdsec

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)

func dec(typ, scope, value string, left time.Duration) Decision {
	return Decision{Type: typ, Scope: scope, Value: value, Origin: "crowdsec", Scenario: "crowdsecurity/http-probing", Until: t0.Add(left)}
}

func TestSetLookup(t *testing.T) {
	var s Set
	s.Apply([]Decision{
		dec("ban", "Ip", "192.0.2.7", time.Hour),
		dec("ban", "Range", "198.51.100.0/24", time.Hour),
		dec("captcha", "Range", "203.0.113.0/24", time.Hour),
		dec("ban", "Ip", "203.0.113.9", time.Hour),
		dec("ban", "Range", "2001:db8:1::/48", time.Hour),
		dec("ban", "Ip", "2001:db8:2::5", time.Hour),
		dec("ban", "Ip", "::ffff:192.0.2.8", time.Hour),          // mapped: taken as IPv4
		dec("ban", "Range", "::ffff:192.0.2.128/121", time.Hour), // 192.0.2.128/25
		dec("Ban", "ip", "192.0.2.99", time.Second),              // CrowdSec's case does not matter
		dec("ban", "Ip", "192.0.2.50", -time.Second),             // already over
		dec("ban", "Country", "FR", time.Hour),                   // scope Warden does not act on
		dec("throttle", "Ip", "192.0.2.60", time.Hour),           // type Warden does not act on
		{Type: "ban", Scope: "Ip", Value: "192.0.2.70", Origin: "crowdsec", Scenario: "warden/credential_stuffing", Until: t0.Add(time.Hour)}, // Warden's own
	}, nil, true, t0)
	tests := []struct {
		ip      string
		at      time.Duration
		want    bool
		captcha bool
	}{
		{"192.0.2.7", 0, true, false},
		{"192.0.2.6", 0, false, false},
		{"198.51.100.200", 0, true, false},
		{"198.51.101.1", 0, false, false},
		{"203.0.113.5", 0, true, true},
		{"203.0.113.9", 0, true, false}, // a ban wins over the captcha of its network
		{"2001:db8:1:ffff::1", 0, true, false},
		{"2001:db8:2::5", 0, true, false},
		{"2001:db8:2::6", 0, false, false},
		{"192.0.2.8", 0, true, false},
		{"::ffff:192.0.2.7", 0, true, false}, // a mapped client address too
		{"192.0.2.200", 0, true, false},
		{"192.0.2.99", 0, true, false},
		{"192.0.2.99", 2 * time.Second, false, false}, // expired since
		{"192.0.2.7", 2 * time.Hour, false, false},
		{"192.0.2.50", 0, false, false},
		{"192.0.2.60", 0, false, false},
		{"192.0.2.70", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s+%v", tt.ip, tt.at), func(t *testing.T) {
			h, ok := s.Lookup(netip.MustParseAddr(tt.ip), t0.Add(tt.at))
			if ok != tt.want || h.Captcha != tt.captcha {
				t.Fatalf("Lookup = %+v, %v; want found %v captcha %v", h, ok, tt.want, tt.captcha)
			}
			if ok && (len(h.Messages) != 1 || !strings.Contains(h.Messages[0], "crowdsec")) {
				t.Fatalf("messages %q", h.Messages)
			}
		})
	}
	if n := s.Len(); n != 9 {
		t.Fatalf("Len = %d, want 9 (the decisions acted on, in force)", n)
	}
}

func TestSetApply(t *testing.T) {
	var s Set
	ip := netip.MustParseAddr("192.0.2.7")
	s.Apply([]Decision{dec("ban", "Ip", "192.0.2.7", time.Hour), dec("captcha", "Ip", "192.0.2.7", time.Hour)}, nil, false, t0)
	// A deletion names value and type: the ban goes, the captcha stays.
	_, removed := s.Apply(nil, []Decision{dec("ban", "Ip", "192.0.2.7", -time.Millisecond)}, false, t0)
	if h, ok := s.Lookup(ip, t0); !ok || !h.Captcha || len(removed) != 1 {
		t.Fatalf("after deleting the ban: %+v %v, removed %v", h, ok, removed)
	}
	// startup=true: the answer is the whole set.
	stored, removed := s.Apply([]Decision{dec("ban", "Range", "10.0.0.0/8", time.Hour)}, nil, true, t0)
	if _, ok := s.Lookup(ip, t0); ok || len(stored) != 1 || len(removed) != 1 {
		t.Fatalf("replace kept the old set: stored %v removed %v", stored, removed)
	}
	if stored[0].Value != "10.0.0.0/8" || stored[0].Scope != "Range" {
		t.Fatalf("stored %+v", stored[0])
	}
	// A /32 range is one address, stored as such.
	stored, _ = s.Apply([]Decision{dec("ban", "Range", "192.0.2.1/32", time.Hour)}, nil, false, t0)
	if stored[0].Scope != "Ip" || stored[0].Value != "192.0.2.1" {
		t.Fatalf("stored %+v", stored[0])
	}
}

func TestSetLookupAllocs(t *testing.T) {
	s := bigSet(10_000)
	ip := netip.MustParseAddr("2001:db8::1")
	if n := testing.AllocsPerRun(100, func() { s.Lookup(ip, t0) }); n != 0 {
		t.Fatalf("Lookup allocates %v times", n)
	}
}

// bigSet holds n decisions as a CrowdSec LAPI with the community
// blocklist does: mostly single addresses, some ranges of both families.
func bigSet(n int) *Set {
	s := &Set{}
	s.Apply(bigDecisions(n), nil, true, t0)
	return s
}

func bigDecisions(n int) []Decision {
	var ds []Decision
	for i := range n {
		switch i % 10 {
		case 0:
			ds = append(ds, dec("ban", "Range", fmt.Sprintf("10.%d.%d.0/24", i>>8&255, i&255), time.Hour))
		case 1:
			ds = append(ds, dec("ban", "Range", fmt.Sprintf("2001:db8:%x::/48", i), time.Hour))
		default:
			ds = append(ds, dec("ban", "Ip", fmt.Sprintf("100.%d.%d.%d", i>>16&255, i>>8&255, i&255), time.Hour))
		}
	}
	return ds
}

func BenchmarkSetLookup(b *testing.B) {
	s := bigSet(10_000)
	for _, c := range []struct{ name, ip string }{
		{"ipv4-miss", "192.0.2.7"},
		{"ipv4-hit", "100.0.0.5"},
		{"ipv6-miss", "2001:db9::1"},
	} {
		ip := netip.MustParseAddr(c.ip)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Lookup(ip, t0)
			}
		})
	}
}

// BenchmarkSetApplyOne: one poll's change on a set of 100,000 decisions
// (the community blocklist's size, with room) rebuilds the lookup table.
func BenchmarkSetApplyOne(b *testing.B) {
	s := bigSet(100_000)
	d := []Decision{dec("ban", "Ip", "192.0.2.1", time.Hour)}
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(d, nil, false, t0)
	}
}
