package server

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/crowdsec"
	"github.com/warden-dev/warden/escalate"
	"github.com/warden-dev/warden/identity"
	"github.com/warden-dev/warden/store/sqlite"
)

// escalation carries bans beyond this process: Cloudflare, the action
// hook and CrowdSec, each nil when off. CrowdSec's decisions also come
// the other way: cs is a detector of the Guard.
type escalation struct {
	cf   *escalate.Cloudflare
	hook *escalate.Hook
	cs   *crowdsec.Client
	stop func()
}

// startEscalation builds what cfg.Escalation turns on and runs it until
// Close.
func (s *Guard) startEscalation(ctx context.Context, db *sqlite.DB) error {
	ec := s.cfg.Escalation
	e := &escalation{}
	s.escalation = e
	if !ec.Cloudflare.Enabled() && !ec.Hook.Enabled() && !s.cfg.CrowdSec.Enabled() {
		return nil
	}
	log := slog.Default()
	// Never pushed: the allow list, and the proxies in front of us (a ban
	// on one at the edge would block every client behind it).
	var prot []netip.Prefix
	for _, p := range append(append([]string{}, s.cfg.Allow.CIDRs...), s.cfg.TrustedProxies...) {
		if q, err := identity.ParsePrefix(p); err == nil {
			prot = append(prot, q)
		}
	}
	if ec.Cloudflare.Enabled() {
		st, err := db.Escalations(ctx)
		if err != nil {
			return err
		}
		e.cf, err = escalate.NewCloudflare(ctx, ec.Cloudflare, escalate.CloudflareOptions{Store: st, Now: s.cfg.Clock,
			Registerer: s.metrics.Registry(), Protected: prot, Log: log})
		if err != nil {
			return err
		}
	}
	if ec.Hook.Enabled() {
		pending, err := db.HookPending(ctx)
		if err != nil {
			return err
		}
		e.hook, err = escalate.NewHook(ctx, ec.Hook, escalate.HookOptions{Store: pending, Now: s.cfg.Clock,
			Registerer: s.metrics.Registry(), Log: log})
		if err != nil {
			return err
		}
	}
	if s.cfg.CrowdSec.Enabled() {
		st, err := db.CrowdSecDecisions(ctx)
		if err != nil {
			return err
		}
		e.cs, err = crowdsec.New(ctx, s.cfg.CrowdSec, crowdsec.Options{Store: st, Now: s.cfg.Clock,
			Registerer: s.metrics.Registry(), Protected: prot, Log: log})
		if err != nil {
			return err
		}
	}
	run, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if e.cf != nil {
		wg.Go(func() { e.cf.Run(run) })
	}
	if e.hook != nil {
		wg.Go(func() { e.hook.Run(run) })
	}
	if e.cs != nil {
		wg.Go(func() { e.cs.Run(run) })
	}
	e.stop = func() { cancel(); wg.Wait() }
	return nil
}

// banned passes a ban on to what escalation is on. It does not block.
func (e *escalation) banned(b ban.Ban) {
	if e.cf != nil {
		e.cf.Banned(b)
	}
	if e.hook != nil {
		e.hook.Banned(b)
	}
	if e.cs != nil {
		e.cs.Banned(b)
	}
}

// lifted passes an admin's lift on.
func (e *escalation) lifted(t ban.Target) {
	if e.cf != nil {
		e.cf.Lifted(t)
	}
	if e.hook != nil {
		e.hook.Lifted(t)
	}
	if e.cs != nil {
		e.cs.Lifted(t)
	}
}

func (e *escalation) close() {
	if e != nil && e.stop != nil {
		e.stop()
		e.stop = nil
	}
}
