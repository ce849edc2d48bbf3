// Package ban holds ban records and the stores that keep them. A ban names
// a target — a client IP or a user id — and lasts until a fixed time. The
// pipeline checks bans on every request, so lookups on the memory store are
// cheap and allocation-free; durable and shared stores (SQLite, Redis) sit
// behind the same small interfaces.
package ban

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// Kind says what a ban target names.
type Kind uint8

const (
	KindIP Kind = iota + 1
	KindUser
)

// DefaultIPv6Prefix is the prefix length of the network an IPv6 ban covers
// unless configured otherwise (enforce.ipv6_prefix): one client usually
// holds a whole /64, so a ban on one of its addresses covers them all, as
// rate limits do.
const DefaultIPv6Prefix = 64

// MinIPv6Prefix is the widest IPv6 network a ban may cover.
const MinIPv6Prefix = 32

// Target is what a ban applies to. Its text form is "ip:203.0.113.7",
// "ip:2001:db8:2::/64" (an IPv6 network) or "user:42", as in the admin API.
type Target struct {
	Kind Kind
	// IP is, for KindIP, the banned address, or the first address of the
	// banned network when Bits is shorter than the address. IPv4 targets
	// are always one address; IPv4-mapped IPv6 addresses are unmapped.
	IP   netip.Addr
	Bits int    // for KindIP: prefix length covered; 0 means the whole address
	User string // for KindUser
}

// IPTarget returns the target for a client address under the default
// scope: an IPv4 address on its own, the /64 of an IPv6 address. Use a
// Scope for another IPv6 prefix length.
func IPTarget(ip netip.Addr) Target { return Scope{}.IP(ip) }

// AddrTarget returns the target for exactly one address, whatever its
// family: an IPv6 ban on one address (/128).
func AddrTarget(ip netip.Addr) Target {
	ip = ip.Unmap().WithZone("")
	return Target{Kind: KindIP, IP: ip, Bits: ip.BitLen()}
}

// UserTarget returns the target for a user id.
func UserTarget(user string) Target { return Target{Kind: KindUser, User: user} }

// Prefix returns the network an IP target covers (a /32 or /128 for one
// address), and the zero Prefix for other kinds.
func (t Target) Prefix() netip.Prefix {
	if t.Kind != KindIP {
		return netip.Prefix{}
	}
	bits := t.Bits
	if bits == 0 {
		bits = t.IP.BitLen()
	}
	return netip.PrefixFrom(t.IP, bits)
}

// Scope says how much address space an IP ban covers: an IPv4 address on
// its own, an IPv6 address with its whole network of IPv6Prefix bits. The
// zero Scope is the default, /64. Enforcement keys violation scores and
// bans by Scope.IP, the pipeline checks Scope.Lookups, and the admin API
// reads targets with Scope.Parse, so all three agree.
type Scope struct {
	IPv6Prefix int // MinIPv6Prefix..128; 0 means DefaultIPv6Prefix
}

// Bits returns the IPv6 prefix length of s.
func (s Scope) Bits() int {
	if s.IPv6Prefix == 0 {
		return DefaultIPv6Prefix
	}
	return s.IPv6Prefix
}

// IP returns the target covering client address ip: an IPv4 address (or
// an IPv4-mapped IPv6 one, unmapped) on its own, an IPv6 address as its
// network. An IPv6 zone is dropped: it names an interface of this host,
// not a client.
func (s Scope) IP(ip netip.Addr) Target {
	ip = ip.Unmap().WithZone("")
	if !ip.Is6() || s.Bits() >= 128 {
		return Target{Kind: KindIP, IP: ip, Bits: ip.BitLen()}
	}
	p, err := ip.Prefix(s.Bits())
	if err != nil {
		return Target{Kind: KindIP, IP: ip, Bits: ip.BitLen()}
	}
	return Target{Kind: KindIP, IP: p.Addr(), Bits: p.Bits()}
}

// Lookups returns the IP targets to check for a request from ip: the
// network the scope bans and, for an IPv6 address when the scope covers
// more than one address, the address on its own, so bans on one address
// (placed with an explicit /128, or before IPv6 bans covered networks)
// still hold. two is false when only the first is needed. It does not
// allocate.
func (s Scope) Lookups(ip netip.Addr) (network, addr Target, two bool) {
	if ip.Is4() {
		// Most clients: one address, one target.
		t := Target{Kind: KindIP, IP: ip, Bits: 32}
		return t, t, false
	}
	network = s.IP(ip)
	addr = AddrTarget(ip)
	return network, addr, network != addr
}

// Parse parses the text form of a target as an admin names it: a plain
// IPv6 address stands for its network under s ("ip:2001:db8:2::1" is
// "ip:2001:db8:2::/64"); an explicit prefix must be the scope's or /128
// (one address); IPv4 targets are one address. Errors wrap ErrBadTarget.
func (s Scope) Parse(text string) (Target, error) {
	t, err := ParseTarget(text)
	if err != nil || t.Kind != KindIP || !t.IP.Is6() {
		return t, err
	}
	if !strings.Contains(text, "/") {
		return s.IP(t.IP), nil
	}
	if b := t.Prefix().Bits(); b != s.Bits() && b != 128 {
		return Target{}, badTarget(text, "an IPv6 ban covers a /%d (enforce.ipv6_prefix) or one address (/128), not a /%d", s.Bits(), b)
	}
	return t, nil
}

// ErrBadTarget is matched (errors.Is) by the errors of ParseTarget and
// Scope.Parse for text that names no target.
var ErrBadTarget = errors.New(`ban target must be "ip:<address>", "ip:<IPv6 network>/<bits>" or "user:<id>"`)

// targetError says why text names no target; it matches ErrBadTarget.
type targetError struct{ text, reason string }

func (e *targetError) Error() string {
	return fmt.Sprintf("ban target %q: %s", clip.String(e.text, 64), e.reason)
}

func (e *targetError) Is(err error) bool { return err == ErrBadTarget }

func badTarget(text, format string, args ...any) error {
	return &targetError{text: text, reason: fmt.Sprintf(format, args...)}
}

// ParseTarget parses the text form of a target as written, without a
// scope: "ip:<address>" is that one address, "ip:<address>/<bits>" a
// network (an IPv4 one only as /32, an IPv6 one of MinIPv6Prefix..128
// bits). Addresses with a zone ("fe80::1%eth0") are refused: a zone names
// an interface of one host, so the same text means different clients on
// different machines. The admin API parses with Scope.Parse.
func ParseTarget(s string) (Target, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Target{}, badTarget(s, "%v", ErrBadTarget)
	}
	switch kind {
	case "ip":
		return parseIP(s, rest)
	case "user":
		if len(rest) > 256 {
			return Target{}, badTarget(s, "user id longer than 256 bytes")
		}
		return UserTarget(rest), nil
	}
	return Target{}, badTarget(s, "%v", ErrBadTarget)
}

func parseIP(s, rest string) (Target, error) {
	if strings.Contains(rest, "%") {
		_, zone, _ := strings.Cut(rest, "%")
		zone, _, _ = strings.Cut(zone, "/")
		return Target{}, badTarget(s, "an address with a zone (%%%s) cannot be banned: a zone names a network interface of one host, not a client",
			clip.String(zone, 64))
	}
	if !strings.Contains(rest, "/") {
		ip, err := netip.ParseAddr(rest)
		if err != nil {
			return Target{}, badTarget(s, "not an IP address")
		}
		return AddrTarget(ip), nil
	}
	p, err := netip.ParsePrefix(rest)
	if err != nil {
		return Target{}, badTarget(s, "not an IP network like 2001:db8::/64")
	}
	ip, bits := p.Addr(), p.Bits()
	if ip.Is4In6() {
		if bits < 96 {
			return Target{}, badTarget(s, "an IPv4-mapped network must be at least /96")
		}
		ip, bits = ip.Unmap(), bits-96
	}
	switch {
	case ip.Is4() && bits != 32:
		return Target{}, badTarget(s, "an IPv4 ban covers one address (/32)")
	case ip.Is6() && bits < MinIPv6Prefix:
		return Target{}, badTarget(s, "an IPv6 ban covers at most a /%d", MinIPv6Prefix)
	}
	p, _ = ip.Prefix(bits)
	return Target{Kind: KindIP, IP: p.Addr(), Bits: bits}, nil
}

// String returns the text form of t: the address of a one-address IP
// target, the network ("ip:2001:db8:2::/64") of a wider one.
func (t Target) String() string {
	switch t.Kind {
	case KindIP:
		if p := t.Prefix(); t.IP.IsValid() && p.Bits() != t.IP.BitLen() {
			return "ip:" + p.String()
		}
		return "ip:" + t.IP.String()
	case KindUser:
		return "user:" + t.User
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (t Target) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Target) UnmarshalText(b []byte) error {
	p, err := ParseTarget(string(b))
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// Ban is one ban record.
type Ban struct {
	Target    Target    `json:"target"`
	Reason    string    `json:"reason"`
	Violation string    `json:"violation,omitempty"` // the violation type that caused it, if any
	Created   time.Time `json:"created"`
	Until     time.Time `json:"until"`
	Score     int64     `json:"score,omitempty"` // violation score it was placed at; 0 for an admin ban; stores need not keep it
}

// Active reports whether the ban is in force at now.
func (b Ban) Active(now time.Time) bool { return now.Before(b.Until) }

// Store keeps bans. Implementations are safe for concurrent use. Lookup
// returns ok=false for expired bans; stores may drop them lazily.
type Store interface {
	Add(ctx context.Context, b Ban) error
	Remove(ctx context.Context, t Target) (removed bool, err error)
	Lookup(ctx context.Context, t Target, now time.Time) (b Ban, ok bool, err error)
	List(ctx context.Context, now time.Time) ([]Ban, error)
}

// Claimer is a Store that can place a ban only when none is in force on
// its target, in one step: of two concurrent AddIfNone calls on one target
// exactly one adds. Enforcement uses it so that requests decided
// concurrently with the one that got a client banned cannot ban it again
// (and count further strikes against it).
type Claimer interface {
	// AddIfNone records b unless a ban on b.Target is in force at now. It
	// returns the ban in force afterwards (b when added) and whether b
	// was added.
	AddIfNone(ctx context.Context, b Ban, now time.Time) (Ban, bool, error)
}
