package abuse

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientKey(t *testing.T) {
	tests := []struct {
		c    Client
		want string
	}{
		{Client{IP: netip.MustParseAddr("203.0.113.7")}, "ip:203.0.113.7"},
		{Client{IP: netip.MustParseAddr("::ffff:203.0.113.7")}, "ip:203.0.113.7"},
		{Client{IP: netip.MustParseAddr("2001:db8:2::1")}, "ip:2001:db8:2::/64"},
		{Client{IP: netip.MustParseAddr("2001:db8:2::2")}, "ip:2001:db8:2::/64"},
		{Client{IP: netip.MustParseAddr("2001:db8:3::1")}, "ip:2001:db8:3::/64"},
		{Client{IP: netip.MustParseAddr("fe80::1%eth0")}, "ip:fe80::/64"},
		{Client{IP: netip.MustParseAddr("2001:db8:2::1"), User: "42"}, "user:42"},
	}
	for _, tc := range tests {
		if got := tc.c.Key(); got != tc.want {
			t.Errorf("%+v.Key() = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/api/users/1", "/api/users/1"},
		{"a\x00b\nc\xff", "a?b?c?"},
		{strings.Repeat("x", 64), strings.Repeat("x", 64)},
		{strings.Repeat("x", 65), strings.Repeat("x", 61) + "..."},
	}
	for _, tc := range tests {
		if got := Excerpt(tc.in); got != tc.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(Excerpt(tc.in)) > MaxExcerpt {
			t.Errorf("Excerpt(%q) longer than MaxExcerpt", tc.in)
		}
	}
}

func TestActionOrderAndStatus(t *testing.T) {
	order := []Action{Allow, Log, Reject, Throttle, TooLarge, Block, Ban}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("%v not more severe than %v", order[i], order[i-1])
		}
	}
	for a, want := range map[Action]int{Allow: 0, Log: 0, Reject: 400, Throttle: 429, TooLarge: 413, Block: 403, Ban: 403} {
		if a.Status() != want {
			t.Errorf("%v.Status() = %d, want %d", a, a.Status(), want)
		}
	}
	if Action(99).String() != "unknown" {
		t.Error("unknown action name")
	}
}
