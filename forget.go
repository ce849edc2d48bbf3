package warden

import (
	"context"
	"fmt"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
)

// scoreForgetter is what Forget needs of the enforcer.
type scoreForgetter interface {
	Forget(ctx context.Context, t ban.Target) error
}

// Forget clears what the Guard holds about target besides its ban: its
// violation scores and strikes, and the per-client state of every
// registered detector that keeps some (abuse.Forgetter: behaviour's
// windows, slow-scan sketch, login failures). An IP target is cleared as
// the network it is scored and banned as (enforce.ipv6_prefix): lifting a
// ban on one IPv6 address clears its /64. The admin API calls it when a
// ban is lifted without keep_score, so the cause of a ban lifted by hand
// does not ban the client again. Rate-limit counters are kept: they empty
// within their own window. The error is the shared score store's;
// detectors are cleared regardless.
func (g *Guard) Forget(ctx context.Context, target ban.Target) error {
	var user string
	var network = target.Prefix()
	switch target.Kind {
	case ban.KindUser:
		user = target.User
	case ban.KindIP:
		network = g.banScope.IP(target.IP).Prefix()
	default:
		return fmt.Errorf("forget: %w", ban.ErrBadTarget)
	}
	g.mu.Lock()
	var fs []abuse.Forgetter
	add := func(ds []abuse.Detector) {
		for _, d := range ds {
			if f, ok := d.(abuse.Forgetter); ok {
				fs = append(fs, f) // a detector registered twice forgets twice: harmless
			}
		}
	}
	add(g.reg.global)
	add(g.reg.defaults)
	for _, rd := range g.reg.routes {
		add(rd.detectors)
	}
	g.mu.Unlock()
	for _, f := range fs {
		f.Forget(user, network)
	}
	if sf, ok := g.enforcer.(scoreForgetter); ok {
		return sf.Forget(ctx, target)
	}
	return nil
}
