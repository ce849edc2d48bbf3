// Package escalate carries Warden's bans beyond its own process: it
// pushes repeat offenders to Cloudflare as IP Access Rules, and runs an
// operator's action hook (a command or a URL, fail2ban-style) on every ban
// and unban. Package server wires both to the bans enforcement places and
// the admin API lifts; the library never imports it.
package escalate

import (
	"context"
	"net/netip"
	"time"

	"github.com/warden-dev/warden/ban"
)

// Entry is one client pushed, or to be pushed, to Cloudflare.
type Entry struct {
	Value  string    // the address or network, as Cloudflare is sent it
	Target string    // Cloudflare's configuration.target: ip, ip6 or ip_range
	RuleID string    // the access rule's id; empty until pushed
	Until  time.Time // when the rule is to be removed; zero once lifted
}

// Store keeps entries across restarts (store/sqlite.Escalations).
type Store interface {
	Load(ctx context.Context) ([]Entry, error)
	Save(ctx context.Context, e Entry) error
	Delete(ctx context.Context, value string) error
}

// cfTarget returns the value and Cloudflare target type for an IP ban:
// an IPv4 address, an IPv6 address, or an IPv6 network (a /64 ban).
func cfTarget(t ban.Target) (value, target string, ok bool) {
	if t.Kind != ban.KindIP || !t.IP.IsValid() {
		return "", "", false
	}
	p := t.Prefix()
	switch {
	case t.IP.Is4():
		return p.Addr().String(), "ip", true
	case p.Bits() == 128:
		return p.Addr().String(), "ip6", true
	default:
		return p.Masked().String(), "ip_range", true
	}
}

// protected reports whether t overlaps one of the prefixes never pushed:
// the allow list and the trusted proxies. A network ban that covers a
// protected address is not pushed either, since Cloudflare would apply it
// to that address too.
func protected(t ban.Target, ps []netip.Prefix) bool {
	p := t.Prefix()
	for _, q := range ps {
		if q.Overlaps(p) {
			return true
		}
	}
	return false
}
