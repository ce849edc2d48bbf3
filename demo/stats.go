package demo

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// Bounds of what a tally keeps: Warden's answers are untrusted input too.
const (
	maxErrorKinds = 8  // distinct "error" values kept per actor; more count as "other"
	maxReasons    = 8  // distinct reasons kept per actor; more are dropped (still counted by kind)
	maxReasonLen  = 48 // bytes of a reason kept
)

// Stats tallies, per actor, what the target answered. It is safe for
// concurrent use; read it with [Stats.Snapshot] or [Stats.Summary] while
// the traffic runs.
type Stats struct {
	mu    sync.Mutex
	start time.Time
	rows  []*tally
}

// tally is one row of Stats: one attacker, or all normal users together.
type tally struct {
	mu       sync.Mutex
	name     string
	attacker bool
	clients  int
	sent     uint64
	failed   uint64
	status   map[int]uint64    // answers that were not Warden's, by status
	stopped  map[string]uint64 // Warden's answers by "error" value
	reasons  map[string]uint64 // Warden's "reason" values, at most maxReasons
}

func newStats(start time.Time) *Stats { return &Stats{start: start} }

func (s *Stats) row(name string, attacker bool) *tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.rows {
		if t.name == name {
			t.clients++
			return t
		}
	}
	t := &tally{name: name, attacker: attacker, clients: 1,
		status: map[int]uint64{}, stopped: map[string]uint64{}, reasons: map[string]uint64{}}
	s.rows = append(s.rows, t)
	return t
}

// record counts one answer. wardenErr is the string "error" field of a JSON
// answer ("" when there is none): the demo app never sends one, so any
// value means Warden answered instead of the app.
func (t *tally) record(status int, wardenErr, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent++
	if wardenErr == "" {
		t.status[status]++
		return
	}
	if _, ok := t.stopped[wardenErr]; !ok && len(t.stopped) >= maxErrorKinds {
		wardenErr = "other"
	}
	t.stopped[wardenErr]++
	if wardenErr == "banned" {
		return // "client is banned" says nothing about why; the answers before the ban do
	}
	if reason == "" {
		reason = wardenErr
	}
	reason = clip.Prefix(reason, maxReasonLen)
	if _, ok := t.reasons[reason]; ok || len(t.reasons) < maxReasons {
		t.reasons[reason]++
	}
}

// fail counts a request that got no answer (connection refused, timeout).
func (t *tally) fail() {
	t.mu.Lock()
	t.sent++
	t.failed++
	t.mu.Unlock()
}

// ActorStats is what one actor (or all normal users, as one row) got back.
type ActorStats struct {
	Actor    string // "users" for all normal users, else the attacker's name
	Attacker bool
	Clients  int               // source addresses behind the row
	Sent     uint64            // requests sent, answered or not
	Failed   uint64            // requests without an answer (transport error, timeout)
	Status   map[int]uint64    // answers that reached the app, by HTTP status
	Stopped  map[string]uint64 // Warden's answers by their "error" field: "blocked", "rate_limited", "banned", …
	Reasons  map[string]uint64 // Warden's "reason" field of answers other than "banned", at most 8 distinct values of at most 48 bytes
}

// Passed is the number of answers that came from the app.
func (a ActorStats) Passed() uint64 { return sum(a.Status) }

// StoppedTotal is the number of answers Warden gave instead of the app.
func (a ActorStats) StoppedTotal() uint64 { return sum(a.Stopped) }

// TopReason is the most frequent reason Warden gave when it blocked,
// limited or rejected (what led to a ban, if one followed); "banned" when
// the actor was only ever answered as banned; "" when never stopped.
func (a ActorStats) TopReason() string {
	if len(a.Reasons) == 0 && a.Stopped["banned"] > 0 {
		return "banned"
	}
	var best string
	var n uint64
	for r, c := range a.Reasons {
		if c > n || (c == n && r < best) {
			best, n = r, c
		}
	}
	return best
}

// statusClass sums the statuses of one hundred (2 for 2xx, …).
func (a ActorStats) statusClass(class int) uint64 {
	var n uint64
	for code, c := range a.Status {
		if code/100 == class {
			n += c
		}
	}
	return n
}

// Snapshot is a consistent-enough copy of Stats at one moment (each row is
// copied under its own lock).
type Snapshot struct {
	Elapsed time.Duration
	Actors  []ActorStats // normal users first, then attackers in start order
}

// Snapshot copies the current counts; now is the time to measure Elapsed at.
func (s *Stats) Snapshot(now time.Time) Snapshot {
	s.mu.Lock()
	rows := slices.Clone(s.rows)
	start := s.start
	s.mu.Unlock()
	snap := Snapshot{Elapsed: now.Sub(start), Actors: make([]ActorStats, 0, len(rows))}
	for _, t := range rows {
		t.mu.Lock()
		snap.Actors = append(snap.Actors, ActorStats{
			Actor: t.name, Attacker: t.attacker, Clients: t.clients,
			Sent: t.sent, Failed: t.failed,
			Status: maps.Clone(t.status), Stopped: maps.Clone(t.stopped), Reasons: maps.Clone(t.reasons),
		})
		t.mu.Unlock()
	}
	slices.SortStableFunc(snap.Actors, func(a, b ActorStats) int {
		if a.Attacker == b.Attacker {
			return 0
		}
		if !a.Attacker {
			return -1
		}
		return 1
	})
	return snap
}

// Summary renders the current counts; see [Snapshot.Summary].
func (s *Stats) Summary() string { return s.Snapshot(time.Now()).Summary() }

// Actor returns the row of the named actor and whether there is one.
func (s Snapshot) Actor(name string) (ActorStats, bool) {
	for _, a := range s.Actors {
		if a.Actor == name {
			return a, true
		}
	}
	return ActorStats{}, false
}

// Summary renders a compact multi-line table: one line of totals, a header,
// one line per actor. "passed" columns count answers from the app by status
// class; "blocked", "limited" (rate_limited), "banned" and "other" count
// Warden's answers; "why" is the reason Warden gave most often before
// any ban.
func (s Snapshot) Summary() string {
	var b strings.Builder
	var atkSent, atkStopped, usrSent, usrStopped uint64
	for _, a := range s.Actors {
		if a.Attacker {
			atkSent += a.Sent
			atkStopped += a.StoppedTotal()
		} else {
			usrSent += a.Sent
			usrStopped += a.StoppedTotal()
		}
	}
	fmt.Fprintf(&b, "traffic %s: attackers stopped %d of %d (%s), normal users stopped %d of %d\n",
		s.Elapsed.Round(time.Second), atkStopped, atkSent, percent(atkStopped, atkSent), usrStopped, usrSent)
	fmt.Fprintf(&b, "%-18s %5s %6s %5s %5s %4s %7s %7s %6s %5s %4s  %s\n",
		"actor", "ips", "sent", "2xx", "4xx", "5xx", "blocked", "limited", "banned", "other", "fail", "why")
	for _, a := range s.Actors {
		other := a.StoppedTotal() - a.Stopped["blocked"] - a.Stopped["rate_limited"] - a.Stopped["banned"]
		fmt.Fprintf(&b, "%-18s %5d %6d %5d %5d %4d %7d %7d %6d %5d %4d  %s\n",
			a.Actor, a.Clients, a.Sent, a.statusClass(2)+a.statusClass(3), a.statusClass(4), a.statusClass(5),
			a.Stopped["blocked"], a.Stopped["rate_limited"], a.Stopped["banned"], other, a.Failed,
			printable(a.TopReason()))
	}
	return b.String()
}

func percent(n, of uint64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", n*100/of)
}

// printable keeps a reason from breaking the terminal: control bytes become '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '?'
		}
		return r
	}, s)
}

func sum[K cmp.Ordered](m map[K]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
