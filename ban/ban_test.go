package ban

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"ip:203.0.113.7", "ip:203.0.113.7", true},
		{"ip:::ffff:203.0.113.7", "ip:203.0.113.7", true},     // mapped addresses are one client
		{"ip:2001:db8::1", "ip:2001:db8::1", true},            // as written: one address
		{"ip:2001:db8:2::1/64", "ip:2001:db8:2::/64", true},   // a network, masked
		{"ip:2001:db8:2::/64", "ip:2001:db8:2::/64", true},    //
		{"ip:2001:db8:2::1/128", "ip:2001:db8:2::1", true},    // one address
		{"ip:203.0.113.7/32", "ip:203.0.113.7", true},         //
		{"ip:::ffff:203.0.113.7/128", "ip:203.0.113.7", true}, // mapped, unmapped
		{"ip:203.0.113.0/24", "", false},                      // IPv4 bans cover one address
		{"ip:::ffff:203.0.113.0/120", "", false},              //
		{"ip:2001:db8::/16", "", false},                       // wider than MinIPv6Prefix
		{"ip:::/0", "", false},                                //
		{"ip:fe80::1%eth0", "", false},                        // zones name an interface, not a client
		{"ip:fe80::1%25eth0", "", false},                      //
		{"ip:fe80::1%eth0/64", "", false},                     //
		{"ip:2001:db8::1/129", "", false},                     //
		{"user:42", "user:42", true},
		{"user:a:b", "user:a:b", true},
		{"ip:not-an-ip", "", false},
		{"user:", "", false},
		{"host:x", "", false},
		{"42", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, err := ParseTarget(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseTarget(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrBadTarget) {
			t.Errorf("ParseTarget(%q) error %v is not ErrBadTarget", tc.in, err)
		}
		if tc.ok && got.String() != tc.want {
			t.Errorf("ParseTarget(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

type mapPersister struct{ m map[string]Ban }

func (p *mapPersister) Load(context.Context) ([]Ban, error) {
	var out []Ban
	for _, b := range p.m {
		out = append(out, b)
	}
	return out, nil
}
func (p *mapPersister) Save(_ context.Context, b Ban) error { p.m[b.Target.String()] = b; return nil }
func (p *mapPersister) Delete(_ context.Context, t Target) error {
	delete(p.m, t.String())
	return nil
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	p := &mapPersister{m: map[string]Ban{}}
	m, err := NewMemory(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	ip := IPTarget(netip.MustParseAddr("203.0.113.7"))
	user := UserTarget("42")
	m.Add(ctx, Ban{Target: ip, Until: now.Add(time.Hour)})
	m.Add(ctx, Ban{Target: user, Until: now.Add(time.Minute)})
	if _, ok, _ := m.Lookup(ctx, ip, now); !ok {
		t.Fatal("ip ban not found")
	}
	if _, ok, _ := m.Lookup(ctx, user, now.Add(2*time.Minute)); ok {
		t.Fatal("expired ban still in force")
	}
	if l, _ := m.List(ctx, now); len(l) != 2 || l[0].Target != user {
		t.Fatalf("list %v, want 2 bans soonest first", l)
	}
	// A restart loads what was persisted.
	m2, _ := NewMemory(ctx, p)
	if _, ok, _ := m2.Lookup(ctx, ip, now); !ok {
		t.Fatal("ban lost across a restart")
	}
	if removed, _ := m2.Remove(ctx, ip); !removed {
		t.Fatal("remove reported nothing removed")
	}
	if _, ok := p.m[ip.String()]; ok {
		t.Fatal("lifted ban still persisted")
	}
	if err := m.Add(ctx, Ban{}); err == nil {
		t.Fatal("ban without target accepted")
	}
}

func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	m, _ := NewMemory(ctx, nil)
	now := time.Now()
	for i := range 10000 {
		m.Add(ctx, Ban{Target: IPTarget(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})), Until: now.Add(time.Hour)})
	}
	t := IPTarget(netip.MustParseAddr("198.51.100.7"))
	b.ReportAllocs()
	for b.Loop() {
		m.Lookup(ctx, t, now)
	}
}

func TestZoneTargetError(t *testing.T) {
	_, err := ParseTarget("ip:fe80::1%eth0")
	if !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), "zone (%eth0) cannot be banned") {
		t.Fatalf("err = %v", err)
	}
}

func TestScope(t *testing.T) {
	a1, a2, other := netip.MustParseAddr("2001:db8:2::1"), netip.MustParseAddr("2001:db8:2::2"), netip.MustParseAddr("2001:db8:3::1")
	for _, sc := range []Scope{{}, {IPv6Prefix: 64}} {
		if sc.IP(a1) != sc.IP(a2) || sc.IP(a1) == sc.IP(other) || sc.IP(a1).String() != "ip:2001:db8:2::/64" {
			t.Fatalf("%+v: %s %s %s", sc, sc.IP(a1), sc.IP(a2), sc.IP(other))
		}
	}
	if IPTarget(a1) != (Scope{}).IP(a2) {
		t.Fatal("IPTarget is not the default scope")
	}
	s48, s128 := Scope{IPv6Prefix: 48}, Scope{IPv6Prefix: 128}
	if s48.IP(a1).String() != "ip:2001:db8:2::/48" || s48.IP(a1) != s48.IP(netip.MustParseAddr("2001:db8:2:ff::1")) || s48.IP(a1) == s48.IP(other) {
		t.Fatalf("/48: %s %s", s48.IP(a1), s48.IP(other))
	}
	if s128.IP(a1).String() != "ip:2001:db8:2::1" || s128.IP(a1) == s128.IP(a2) {
		t.Fatalf("/128: %s %s", s128.IP(a1), s128.IP(a2))
	}
	// IPv4 is one address whatever the scope; mapped addresses are unmapped
	// and zones dropped.
	v4 := netip.MustParseAddr("203.0.113.7")
	if (Scope{}).IP(netip.MustParseAddr("::ffff:203.0.113.7")) != AddrTarget(v4) || (Scope{}).IP(v4).String() != "ip:203.0.113.7" {
		t.Fatal("IPv4")
	}
	if got := (Scope{}).IP(netip.MustParseAddr("fe80::1%eth0")); got.String() != "ip:fe80::/64" {
		t.Fatalf("zone: %s", got)
	}
	// Lookups: the network, and the address on its own.
	n, a, two := Scope{}.Lookups(a1)
	if !two || n != IPTarget(a1) || a != AddrTarget(a1) {
		t.Fatalf("Lookups = %s %s %v", n, a, two)
	}
	if _, _, two := (Scope{}).Lookups(v4); two {
		t.Fatal("IPv4 looks up twice")
	}
	if _, _, two := s128.Lookups(a1); two {
		t.Fatal("/128 looks up twice")
	}
	if n := testing.AllocsPerRun(100, func() { Scope{}.Lookups(a1) }); n != 0 {
		t.Fatalf("Lookups allocates %v", n)
	}

	tests := []struct {
		sc       Scope
		in, want string
	}{
		{Scope{}, "ip:2001:db8:2::1", "ip:2001:db8:2::/64"},
		{Scope{}, "ip:2001:db8:2::/64", "ip:2001:db8:2::/64"},
		{Scope{}, "ip:2001:db8:2::1/64", "ip:2001:db8:2::/64"},
		{Scope{}, "ip:2001:db8:2::1/128", "ip:2001:db8:2::1"},
		{Scope{}, "ip:::ffff:203.0.113.7", "ip:203.0.113.7"},
		{Scope{}, "ip:203.0.113.7", "ip:203.0.113.7"},
		{Scope{}, "user:42", "user:42"},
		{Scope{}, "ip:2001:db8::/48", ""},
		{Scope{}, "ip:fe80::1%eth0", ""},
		{s48, "ip:2001:db8:2::1", "ip:2001:db8:2::/48"},
		{s48, "ip:2001:db8::/48", "ip:2001:db8::/48"},
		{s48, "ip:2001:db8::/64", ""},
		{s128, "ip:2001:db8:2::1", "ip:2001:db8:2::1"},
	}
	for _, tc := range tests {
		got, err := tc.sc.Parse(tc.in)
		if tc.want == "" {
			if !errors.Is(err, ErrBadTarget) {
				t.Errorf("%+v.Parse(%q) = %s, %v, want ErrBadTarget", tc.sc, tc.in, got, err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%+v.Parse(%q) = %s, %v, want %s", tc.sc, tc.in, got, err, tc.want)
		}
	}
}

// TestMemoryIPv6: a ban on an IPv6 network is found for every address in
// it, and a ban on one address only for that one.
func TestMemoryIPv6(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	p := &mapPersister{m: map[string]Ban{}}
	m, _ := NewMemory(ctx, p)
	if err := m.Add(ctx, Ban{Target: IPTarget(netip.MustParseAddr("2001:db8:2::1")), Until: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(ctx, Ban{Target: AddrTarget(netip.MustParseAddr("2001:db8:4::1")), Until: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"2001:db8:2::1": true, "2001:db8:2::2": true, "2001:db8:2:0:ffff::9": true,
		"2001:db8:3::1": false, "2001:db8:4::1": true, "2001:db8:4::2": false} {
		n, a, _ := Scope{}.Lookups(netip.MustParseAddr(ip))
		_, okN, _ := m.Lookup(ctx, n, now)
		_, okA, _ := m.Lookup(ctx, a, now)
		if (okN || okA) != want {
			t.Errorf("%s banned = %v, want %v", ip, okN || okA, want)
		}
	}
	if _, ok := p.m["ip:2001:db8:2::/64"]; !ok {
		t.Fatalf("persisted %v", p.m)
	}
	// Loaded back after a restart, the network ban still covers the /64.
	m2, _ := NewMemory(ctx, p)
	if _, ok, _ := m2.Lookup(ctx, IPTarget(netip.MustParseAddr("2001:db8:2::77")), now); !ok {
		t.Fatal("network ban lost across a restart")
	}
}

func TestAddIfNone(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	m, _ := NewMemory(ctx, nil)
	tg := IPTarget(netip.MustParseAddr("2001:db8:2::1"))
	var added atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := Ban{Target: tg, Reason: strconv.Itoa(i), Created: now, Until: now.Add(time.Hour)}
			if _, ok, err := m.AddIfNone(ctx, b, now); err != nil {
				t.Error(err)
			} else if ok {
				added.Add(1)
			}
		}()
	}
	wg.Wait()
	if added.Load() != 1 {
		t.Fatalf("%d of 50 concurrent claims added a ban, want 1", added.Load())
	}
	// Once the ban is over, the next claim adds.
	later := now.Add(2 * time.Hour)
	if _, ok, _ := m.AddIfNone(ctx, Ban{Target: tg, Created: later, Until: later.Add(time.Hour)}, later); !ok {
		t.Fatal("claim after the ban ended refused")
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"ip:1.2.3.4", "user:x", "ip:", ":", "ip:[::1]", "ip:2001:db8::1/64", "ip:fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		back, err := ParseTarget(tg.String())
		if err != nil || back != tg {
			t.Fatalf("%q: round trip %v %v", s, back, err)
		}
	})
}
