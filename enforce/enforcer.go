package enforce

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/lru"
)

// Options are the Enforcer's collaborators.
type Options struct {
	// Tally keeps scores; nil means a MemoryTally of Config.MaxClients.
	// When a shared Tally fails, the Enforcer scores in memory meanwhile.
	Tally  Tally
	Logger *slog.Logger // nil: slog.Default()
	// OnBan, when set, is called after each ban is stored (webhooks,
	// Cloudflare escalation). It runs on the request path: keep it short
	// or hand the work to a goroutine of your own.
	OnBan func(ban.Ban)
	// OnFallback, when set, is called each time a shared Tally failed and
	// memory answered instead (e.g. metrics.StoreFallback("redis")).
	OnFallback func()
}

// Enforcer scores violations and bans clients, by LibreChat's rule: a
// violation of score s moves a client's total from prev to prev+s, and
// when floor((prev+s)/interval) > floor(prev/interval) the client's user
// and IP are banned for the ban duration (longer for repeat offenders
// with escalation on).
//
// The scored client is the user when the request carries one, else the
// IP. LibreChat scores only logged-in users, so an anonymous flood of
// logins never bans anyone; Warden bans the IP.
//
// Time comes from abuse.Request.Time. A ban never shortens an existing
// one, so a clock that jumps backwards cannot unban. An Enforcer is safe
// for concurrent use.
type Enforcer struct {
	cfg    Config
	bans   ban.Store
	tally  Tally
	local  *MemoryTally // the fallback while a shared tally fails
	log    *slog.Logger
	onBan  func(ban.Ban)
	onFall func()
	scope  ban.Scope
	// claimMu makes claim atomic for ban stores that are not ban.Claimers.
	claimMu sync.Mutex

	seed     maphash.Seed
	repeatMu sync.Mutex
	repeats  *lru.Table[int64] // by client and finding: unix ns the finding last scored
	repeated atomic.Uint64

	outage     rate.Sometimes
	recorded   atomic.Uint64
	banned     atomic.Uint64
	fallbacks  atomic.Uint64
	suppressed atomic.Uint64
}

// New returns an Enforcer that keeps bans in bans.
func New(cfg Config, bans ban.Store, opt Options) (*Enforcer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if bans == nil {
		return nil, errors.New("enforce: nil ban store")
	}
	e := &Enforcer{
		cfg: cfg, bans: bans, tally: opt.Tally, log: opt.Logger, onBan: opt.OnBan, onFall: opt.OnFallback,
		local: NewMemoryTally(cfg.MaxClients), scope: cfg.Scope(),
		outage:  rate.Sometimes{First: 1, Interval: time.Minute},
		seed:    maphash.MakeSeed(),
		repeats: lru.New[int64](cfg.MaxClients),
	}
	if e.tally == nil {
		e.tally = e.local
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e, nil
}

// Score returns the score of a violation type.
func (e *Enforcer) Score(violation string) int64 {
	if s, ok := e.cfg.Scores[violation]; ok {
		return s
	}
	return e.cfg.DefaultScore
}

// Record scores one violation of r's client and bans the client's user and
// IP when the score crosses a multiple of the ban interval. It returns the
// ban on the scored client (the user, or the IP when anonymous) and
// banned=true when one was placed. With Config.Ban false it logs the ban
// it would place and returns banned=false.
//
// A client already banned is not scored: its requests are refused at the
// ban check, and those decided concurrently with the one that got it
// banned (in flight when the ban was placed) must not score again and
// escalate the ban they are part of. Record then returns the ban in force
// and banned=false. The check and the ban are one step in the ban store
// (ban.Claimer), so of a burst of concurrent violations crossing the
// interval exactly one bans and counts a strike.
func (e *Enforcer) Record(ctx context.Context, r *abuse.Request, violation string) (ban.Ban, bool, error) {
	return e.RecordFinding(ctx, r, violation, 0)
}

// RecordFinding is Record for a violation that one finding of a detector
// stands for, identified by abuse.Finding (0: none, always scored). The
// same finding from the same client scores once per
// Config.RepeatWindow: a person retrying a request Warden blocks — the
// same payload in the same field on the same route — is not banned for
// it, while different payloads, fields or routes each score. Repeats are
// remembered in this process's memory (at most Config.MaxClients), so
// behind a load balancer each instance scores a repeat once per window.
func (e *Enforcer) RecordFinding(ctx context.Context, r *abuse.Request, violation string, finding uint64) (ban.Ban, bool, error) {
	if violation == "" {
		return ban.Ban{}, false, nil
	}
	e.recorded.Add(1)
	subject := e.scoredTarget(r.Client)
	if subject.Kind == 0 {
		return ban.Ban{}, false, errors.New("enforce: request has neither user nor IP")
	}
	if e.cfg.Ban {
		if b, ok, err := e.bans.Lookup(ctx, subject, r.Time); err == nil && ok {
			e.suppressed.Add(1)
			return b, false, nil
		}
	}
	if finding != 0 && e.repeat(subject, finding, r.Time) {
		e.repeated.Add(1)
		return ban.Ban{}, false, nil
	}
	v := Violation{Time: r.Time, Type: violation, Score: e.Score(violation), Client: subject.String(),
		User: r.Client.User, Route: r.Route}
	if r.Client.IP.IsValid() {
		v.IP = r.Client.IP.Unmap().WithZone("").String()
	}
	tally := e.tally
	prev, total, err := tally.AddViolation(ctx, v.Client, v, e.cfg.ScoreTTL, e.cfg.LogSize)
	if err != nil && tally != e.local {
		e.fellBack(err)
		tally = e.local
		prev, total, err = tally.AddViolation(ctx, v.Client, v, e.cfg.ScoreTTL, e.cfg.LogSize)
	}
	if err != nil {
		return ban.Ban{}, false, fmt.Errorf("score %s: %w", violation, err)
	}
	if !crossed(prev, total, e.cfg.Interval) {
		return ban.Ban{}, false, nil
	}
	b := ban.Ban{
		Target:    subject,
		Reason:    fmt.Sprintf("violation score %d reached a multiple of %d", total, e.cfg.Interval),
		Violation: violation,
		Score:     total,
		Created:   r.Time,
		Until:     r.Time.Add(e.cfg.Duration),
	}
	if !e.cfg.Ban {
		strikes := e.strike(ctx, tally, v.Client)
		d := e.duration(strikes)
		b.Until = r.Time.Add(d)
		e.log.Info("would ban (BAN_VIOLATIONS off)", "target", subject.String(), "violation", violation,
			"score", total, "duration", d.String())
		return b, false, nil
	}
	// Claim the ban first, for the first ban's duration: only the request
	// whose claim placed it counts a strike, and then lengthens the ban
	// when the client is a repeat offender.
	placed, added, cerr := e.claim(ctx, b)
	if cerr == nil && !added {
		e.suppressed.Add(1)
		return placed, false, nil
	}
	strikes := e.strike(ctx, tally, v.Client)
	b.Until = r.Time.Add(e.duration(strikes))
	var errs []error
	stored := 0
	if cerr != nil {
		errs = append(errs, cerr)
		placed = b
	} else {
		if b.Until.After(placed.Until) {
			if p, err := e.place(ctx, b); err != nil {
				errs = append(errs, err)
			} else {
				placed = p
			}
		}
		stored++
		e.banned.Add(1)
		e.logBan(placed, total, strikes)
	}
	if subject.Kind == ban.KindUser && r.Client.IP.IsValid() {
		tb := b
		tb.Target = e.scope.IP(r.Client.IP)
		if p, err := e.place(ctx, tb); err != nil {
			errs = append(errs, err)
		} else {
			stored++
			e.banned.Add(1)
			e.logBan(p, total, strikes)
		}
	}
	if stored == 0 {
		return ban.Ban{}, false, fmt.Errorf("store ban: %w", errors.Join(errs...))
	}
	return placed, true, errors.Join(errs...)
}

// repeat reports whether subject's finding already scored within the
// repeat window before t, and otherwise remembers t as when it scored.
func (e *Enforcer) repeat(subject ban.Target, finding uint64, t time.Time) bool {
	w := e.cfg.RepeatWindow
	if w <= 0 {
		return false
	}
	var h maphash.Hash
	h.SetSeed(e.seed)
	h.WriteString(subject.String())
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], finding)
	h.Write(b[:])
	k := h.Sum64()
	now := t.UnixNano()
	e.repeatMu.Lock()
	defer e.repeatMu.Unlock()
	last, added := e.repeats.Put(k)
	// A clock that jumps backwards starts the window afresh rather than
	// suppressing for longer than the window.
	if !added && now >= *last && now-*last < int64(w) {
		return true
	}
	*last = now
	return false
}

// Forget drops target's violation scores, counts, log and strikes: an
// admin lifting its ban forgives its cause, so its next violation starts
// from zero. An IP target's scores are those of the network it is scored
// as (Scope): lifting a ban on one IPv6 address clears its /64's. The
// memory fallback is cleared too; an error is the shared tally's.
func (e *Enforcer) Forget(ctx context.Context, target ban.Target) error {
	if target.Kind == ban.KindIP {
		target = e.scope.IP(target.IP)
	}
	subject := target.String()
	_ = e.local.Forget(ctx, subject) // memory never fails
	if e.tally == e.local {
		return nil
	}
	if err := e.tally.Forget(ctx, subject); err != nil {
		return fmt.Errorf("forget %s: %w", subject, err)
	}
	return nil
}

// strike counts one more ban of subject and returns how many it had.
func (e *Enforcer) strike(ctx context.Context, tally Tally, subject string) int64 {
	strikes, err := tally.Strike(ctx, subject, e.cfg.ScoreTTL)
	if err != nil {
		e.fellBack(err)
		strikes = 1
	}
	return strikes
}

func (e *Enforcer) logBan(b ban.Ban, score, strikes int64) {
	e.log.Warn("banned", "target", b.Target.String(), "violation", b.Violation, "score", score,
		"until", b.Until.UTC().Format(time.RFC3339), "strike", strikes)
	if e.onBan != nil {
		e.onBan(b)
	}
}

// claim places b unless a ban on its target is in force, in one step of
// the ban store when it can (ban.Claimer), else under the Enforcer's lock
// (atomic within this process). It returns the ban in force and whether
// b was placed.
func (e *Enforcer) claim(ctx context.Context, b ban.Ban) (ban.Ban, bool, error) {
	if c, ok := e.bans.(ban.Claimer); ok {
		got, added, err := c.AddIfNone(ctx, b, b.Created)
		if err != nil {
			return ban.Ban{}, false, fmt.Errorf("ban %s: %w", b.Target, err)
		}
		return got, added, nil
	}
	e.claimMu.Lock()
	defer e.claimMu.Unlock()
	if old, ok, err := e.bans.Lookup(ctx, b.Target, b.Created); err == nil && ok {
		return old, false, nil
	}
	if err := e.bans.Add(ctx, b); err != nil {
		return ban.Ban{}, false, fmt.Errorf("ban %s: %w", b.Target, err)
	}
	return b, true, nil
}

// place stores b unless a ban on the same target already lasts longer, and
// returns the ban in force.
func (e *Enforcer) place(ctx context.Context, b ban.Ban) (ban.Ban, error) {
	if old, ok, err := e.bans.Lookup(ctx, b.Target, b.Created); err == nil && ok && !old.Until.Before(b.Until) {
		return old, nil
	}
	if err := e.bans.Add(ctx, b); err != nil {
		return ban.Ban{}, fmt.Errorf("ban %s: %w", b.Target, err)
	}
	return b, nil
}

func (e *Enforcer) fellBack(err error) {
	e.fallbacks.Add(1)
	if e.onFall != nil {
		e.onFall()
	}
	e.outage.Do(func() {
		e.log.Warn("shared violation tally failed; scoring in memory until it is back", "err", err)
	})
}

// crossed is LibreChat's rule: the total reached or crossed a multiple of
// interval. Scores are never negative.
func crossed(prev, total, interval int64) bool {
	return total/interval > prev/interval
}

// duration is the length of a client's n-th ban.
func (e *Enforcer) duration(n int64) time.Duration {
	d := e.cfg.Duration
	esc := e.cfg.Escalation
	if !esc.Enabled || n <= 1 {
		return d
	}
	f := math.Pow(esc.Factor, float64(n-1))
	if x := float64(d) * f; x < float64(esc.Max) {
		return time.Duration(x)
	}
	return esc.Max
}

// scoredTarget is the client a violation is scored against: the user when
// known, else the IP (an IPv6 one as its network under the scope).
func (e *Enforcer) scoredTarget(c abuse.Client) ban.Target {
	if c.User != "" {
		return ban.UserTarget(c.User)
	}
	if c.IP.IsValid() {
		return e.scope.IP(c.IP)
	}
	return ban.Target{}
}

// Scope is how much address space the Enforcer's IP bans cover.
func (e *Enforcer) Scope() ban.Scope { return e.scope }

// Violations returns the scores, counts, recent violations and current ban
// of target, for GET /api/v1/violations?target=. The admin API parses the
// query with ban.Scope.Parse. An IPv6 address is reported as its network,
// which its violations are scored against.
func (e *Enforcer) Violations(ctx context.Context, target ban.Target, now time.Time) (Report, error) {
	if target.Kind == ban.KindIP && target.Prefix().Bits() == target.IP.BitLen() {
		target = e.scope.IP(target.IP)
	}
	rep, err := e.tally.Report(ctx, target.String(), now)
	if err != nil && e.tally != e.local {
		e.fellBack(err)
		rep, err = e.local.Report(ctx, target.String(), now)
	}
	if err != nil {
		return Report{}, fmt.Errorf("violations of %s: %w", target, err)
	}
	if rep.Scores == nil {
		rep.Scores, rep.Counts = map[string]int64{}, map[string]int64{}
	}
	if rep.Recent == nil {
		rep.Recent = []Violation{}
	}
	if b, ok, err := e.bans.Lookup(ctx, target, now); err == nil && ok {
		rep.Ban = &BanState{Reason: b.Reason, Violation: b.Violation, Until: b.Until,
			RetryAfter: int64(math.Ceil(b.Until.Sub(now).Seconds()))}
	}
	return rep, nil
}

// Stats are counters for metrics.
type Stats struct {
	Recorded  uint64 // violations recorded
	Banned    uint64 // bans placed (user and IP count apart)
	Fallbacks uint64 // shared tally failures answered from memory
	// Suppressed counts violations of clients already banned, not scored
	// (requests in flight when their client was banned).
	Suppressed uint64
	// Repeated counts findings not scored because the same client's same
	// finding scored within the repeat window.
	Repeated uint64
}

// Stats returns the Enforcer's counters.
func (e *Enforcer) Stats() Stats {
	return Stats{Recorded: e.recorded.Load(), Banned: e.banned.Load(), Fallbacks: e.fallbacks.Load(),
		Suppressed: e.suppressed.Load(), Repeated: e.repeated.Load()}
}
