package crowdsec

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario prefixes the scenario of the alerts and decisions the watcher
// reports ("warden/credential_stuffing"). The bouncer skips decisions
// whose scenario has it: Warden enforces its own bans itself, and taking
// them back from CrowdSec would keep blocking a client an admin let in.
const Scenario = "warden/"

// Origin is the origin of the decisions the watcher reports: that of
// every watcher's, so that `cscli decisions list` shows them without -a.
const Origin = "crowdsec"

// Decision types Warden acts on; the stream's other types are skipped.
const (
	TypeBan     = "ban"
	TypeCaptcha = "captcha"
)

// Decision is one CrowdSec decision on an address (scope Ip) or a network
// (scope Range), as the stream sends it, with its duration turned into
// the time it ends.
type Decision struct {
	Type     string // TypeBan or TypeCaptcha
	Scope    string // "Ip" or "Range", as CrowdSec spells them
	Value    string // the address or network, in canonical form once parsed
	Origin   string // crowdsec, cscli, CAPI, lists…
	Scenario string
	Until    time.Time
}

// prefix returns the network d covers: one address for scope Ip. ok is
// false for other scopes (Country, AS, Username…) and values that do not
// parse. IPv4-mapped IPv6 values are taken as IPv4, as clients are.
func (d Decision) prefix() (p netip.Prefix, ok bool) {
	switch {
	case strings.EqualFold(d.Scope, "ip"):
		a, err := netip.ParseAddr(d.Value)
		if err != nil || a.Zone() != "" {
			return p, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	case strings.EqualFold(d.Scope, "range"):
		q, err := netip.ParsePrefix(d.Value)
		if err != nil {
			return p, false
		}
		q = q.Masked()
		if a := q.Addr(); a.Is4In6() && q.Bits() >= 96 {
			q = netip.PrefixFrom(a.Unmap(), q.Bits()-96)
		}
		return q, true
	}
	return p, false
}

// key identifies a decision as CrowdSec's bouncers do: by value and type.
// The stream sends one decision per value and type (the longest), and a
// deletion names the value and type it lifts.
type key struct {
	p       netip.Prefix
	captcha bool
}

// normalize checks d and puts its value in canonical form. ok is false
// for decisions Warden does not act on.
func (d *Decision) normalize() (key, bool) {
	var captcha bool
	switch strings.ToLower(d.Type) {
	case TypeBan:
		d.Type = TypeBan
	case TypeCaptcha:
		d.Type, captcha = TypeCaptcha, true
	default:
		return key{}, false
	}
	p, ok := d.prefix()
	if !ok {
		return key{}, false
	}
	if p.Bits() == p.Addr().BitLen() {
		d.Scope, d.Value = "Ip", p.Addr().String()
	} else {
		d.Scope, d.Value = "Range", p.String()
	}
	return key{p, captcha}, true
}

// rule is what the request path needs of a decision.
type rule struct {
	until    time.Time
	messages []string // the verdict's messages, built once: a hit does not allocate
	set      bool
}

// rules holds a network's ban and captcha decisions.
type rules struct{ ban, captcha rule }

// table is an immutable snapshot of the decisions, for lookups: every
// network by prefix, and the prefix lengths in use per family, longest
// first. A lookup costs one map probe per length in use (one for a set
// of single addresses), whatever the number of decisions.
type table struct {
	m      map[netip.Prefix]rules
	v4, v6 []int
}

// Hit is a decision in force on a client.
type Hit struct {
	Captcha  bool // a captcha decision; else a ban
	Until    time.Time
	Messages []string // shared: do not modify
}

// lookup returns the decision in force on ip at now: a ban before a
// captcha, then the most specific network. It does not allocate.
func (t *table) lookup(ip netip.Addr, now time.Time) (Hit, bool) {
	ip = ip.Unmap()
	lens := t.v6
	if ip.Is4() {
		lens = t.v4
	}
	var captcha Hit
	found := false
	for _, n := range lens {
		p, err := ip.Prefix(n)
		if err != nil {
			continue
		}
		rs, ok := t.m[p]
		if !ok {
			continue
		}
		if r := rs.ban; r.set && now.Before(r.until) {
			return Hit{Until: r.until, Messages: r.messages}, true
		}
		if r := rs.captcha; r.set && !found && now.Before(r.until) {
			captcha, found = Hit{Captcha: true, Until: r.until, Messages: r.messages}, true
		}
	}
	return captcha, found
}

// Set is the decisions in force, by value and type. Lookup reads an
// immutable snapshot without locking; changes build the next snapshot.
// It is safe for concurrent use. The zero Set is empty and ready.
type Set struct {
	mu   sync.Mutex
	all  map[key]entry // guarded by mu
	snap atomic.Pointer[table]
}

// entry is a decision held, with its rule built once: a change rebuilds
// the table from the rules, not the messages.
type entry struct {
	d Decision
	r rule
}

// Lookup returns the decision in force on ip at now, if any. It does not
// allocate or lock.
func (s *Set) Lookup(ip netip.Addr, now time.Time) (Hit, bool) {
	t := s.snap.Load()
	if t == nil || !ip.IsValid() {
		return Hit{}, false
	}
	return t.lookup(ip, now)
}

// Len returns the number of decisions held, expired ones included until
// the next change.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// Apply changes the set: with replace, the set becomes put alone (the
// stream's startup answer holds every decision in force); else put is
// added, a decision replacing the one of its value and type, and drop
// removed by value and type. Decisions of other types or scopes, Warden's
// own (Scenario), or over at now are left out. It returns the decisions stored
// and those removed, in canonical form, for the Store.
func (s *Set) Apply(put, drop []Decision, replace bool, now time.Time) (stored, removed []Decision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.all == nil || replace {
		if replace {
			for _, e := range s.all {
				removed = append(removed, e.d)
			}
		}
		s.all = make(map[key]entry, len(put))
	}
	for _, d := range drop {
		if k, ok := d.normalize(); ok {
			if old, ok := s.all[k]; ok {
				delete(s.all, k)
				removed = append(removed, old.d)
			}
		}
	}
	for _, d := range put {
		k, ok := d.normalize()
		if !ok || strings.HasPrefix(d.Scenario, Scenario) || !now.Before(d.Until) {
			continue
		}
		s.all[k] = entry{d: d, r: rule{until: d.Until, messages: []string{message(d)}, set: true}}
		stored = append(stored, d)
	}
	for k, e := range s.all {
		if !now.Before(e.d.Until) {
			delete(s.all, k)
			removed = append(removed, e.d)
		}
	}
	s.snap.Store(build(s.all))
	return stored, removed
}

// build makes the lookup table of decisions.
func build(all map[key]entry) *table {
	t := &table{m: make(map[netip.Prefix]rules, len(all))}
	var v4 [33]bool
	var v6 [129]bool
	for k, e := range all {
		rs := t.m[k.p]
		if k.captcha {
			rs.captcha = e.r
		} else {
			rs.ban = e.r
		}
		t.m[k.p] = rs
		if k.p.Addr().Is4() {
			v4[k.p.Bits()] = true
		} else {
			v6[k.p.Bits()] = true
		}
	}
	for n := 32; n >= 0; n-- {
		if v4[n] {
			t.v4 = append(t.v4, n)
		}
	}
	for n := 128; n >= 0; n-- {
		if v6[n] {
			t.v6 = append(t.v6, n)
		}
	}
	return t
}

// message is the decision log's evidence for a request d stopped.
func message(d Decision) string {
	return "crowdsec " + d.Type + " on " + d.Value + " (scenario " + d.Scenario + ", origin " + d.Origin +
		") until " + d.Until.UTC().Format(time.RFC3339)
}
