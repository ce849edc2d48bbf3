package warden

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard"
	"github.com/warden-dev/warden/aiguard/judge"
	"github.com/warden-dev/warden/aiguard/response"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
	"github.com/warden-dev/warden/ratelimit"
	"github.com/warden-dev/warden/usage"
)

// provision builds what the configuration asks for in memory: metrics,
// the decision log, detectors and enforcement, over the stores handed in
// cfg.Backends. It opens no file or connection, so a Guard with the zero
// Backends does no I/O. It runs after Validate; whatever it started is
// stopped by Close, also when it fails half-way.
func (g *Guard) provision(ctx context.Context) error {
	cfg := &g.cfg
	be := cfg.Backends
	// The library opens no store: a store URL without the store it names
	// would silently run in memory, which an operator would not expect.
	if cfg.Store.Redis != "" && be.Bans == nil {
		return errors.New("store.redis: warden.New opens no stores; open it with package server or pass Backends.Bans, Limits and Scores")
	}
	if cfg.Store.Postgres != "" && be.Events == nil {
		return errors.New("store.postgres: warden.New opens no stores; open it with package server or pass Backends.Events")
	}
	g.metrics = be.Metrics // nil checked on the request path
	m := g.meter()
	g.bans = be.Bans
	if g.bans == nil {
		g.bans, _ = ban.NewMemory(ctx, nil) // cannot fail without a Persister
	}
	if l, ok := g.bans.(anyLookup); ok {
		g.banLookup = l
	}
	opts := eventlog.Options{
		Store:  be.Events,
		Mode:   string(cfg.Mode),
		Now:    g.now,
		OnDrop: m.DroppedEvent,
		OnStoreError: func(error) {
			m.StoreFallback("sqlite")
		},
	}
	if cfg.Log.Stderr {
		opts.Line = eventlog.NewJSONHandler(os.Stderr)
	}
	if opts.Line != nil || opts.Store != nil {
		events, err := eventlog.NewWriter(cfg.Log, opts)
		if err != nil {
			return err
		}
		g.events = events
		// Closed before the store it writes to: the server closes its
		// stores after Guard.Close, so the writer drains first.
		g.onClose(events.Close)
	}
	if be.Usage != nil {
		u, err := usage.New(usage.Options{Store: be.Usage, Retention: cfg.Log.Retention, Now: g.now,
			OnStoreError: func(error) { m.StoreFallback("usage") }})
		if err != nil {
			return err
		}
		g.usage = u
		g.onClose(u.Close) // before the store, as the decision log
	}
	if err := g.provisionDetectors(ctx); err != nil {
		return err
	}
	return m.WatchBans(g.bans, g.now)
}

// provisionDetectors builds the configured detectors and enforcement, in
// the order they run: cheap limits first, then stateless request checks,
// then the AI checks (moderation may call out), then behaviour, which
// observes the verdicts of all the others.
func (g *Guard) provisionDetectors(ctx context.Context) error {
	cfg := &g.cfg
	be, m := cfg.Backends, g.meter()
	if cfg.RateLimit.Enabled {
		lim, err := ratelimit.New(cfg.RateLimit, ratelimit.Options{Backend: be.Limits, Quotas: be.Quotas,
			OnFallback: func() { m.StoreFallback("ratelimit") }})
		if err != nil {
			return fmt.Errorf("ratelimit: %w", err)
		}
		g.Use(lim)
	}
	enf, err := enforce.New(cfg.Enforce, g.bans, enforce.Options{Tally: be.Scores,
		OnBan: func(b ban.Ban) {
			m.BanIssued(b.Target.Kind)
			if be.OnBan != nil {
				be.OnBan(b)
			}
		},
		OnFallback: func() { m.StoreFallback("enforce") }})
	if err != nil {
		return fmt.Errorf("enforce: %w", err)
	}
	g.enforcer = enf

	if cfg.Protocol.Enabled {
		d, err := protocol.New(cfg.Protocol)
		if err != nil {
			return fmt.Errorf("protocol: %w", err)
		}
		g.Use(d)
	}
	if cfg.Bot.Enabled {
		d, err := bot.New(cfg.Bot)
		if err != nil {
			return fmt.Errorf("bot: %w", err)
		}
		g.Use(d)
	}
	// The ai section's routes match as route classes do.
	ai := cfg.AI.WithRouteMatching(cfg.RouteMatching.Variants())
	var jc judge.Client
	if cfg.LLM.BaseURL != "" {
		client, err := llm.New(cfg.LLMSection())
		if err != nil {
			return fmt.Errorf("llm: %w", err)
		}
		jc = client
	}
	if cfg.Payload.Enabled {
		d, err := payload.New(cfg.PayloadSection())
		if err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		if jc != nil {
			// The judge settles the payload detector's grey zone.
			jd, err := judge.NewDetector(ai.Judge, jc, d, "payload")
			if err != nil {
				return fmt.Errorf("ai.judge: %w", err)
			}
			g.onClose(func(context.Context) error { return jd.Close() })
			g.Use(jd)
		} else {
			g.Use(d)
		}
	}
	set, err := aiguard.NewSet(ai, jc)
	if err != nil {
		return fmt.Errorf("ai: %w", err)
	}
	g.onClose(func(context.Context) error { return set.Close() })
	g.Use(set.Detectors()...)
	if err := m.RegisterCounters(set.Counters); err != nil {
		return err
	}
	if ai.Response.Enabled {
		// No Options.Monitor: the pipeline resolves the mode per request
		// (global, detectors.response.mode and .routes) and wraps a
		// monitored answer with WrapResponseMonitor.
		rg, err := response.New(ai.Response, response.Options{Variants: cfg.RouteMatching.Variants()})
		if err != nil {
			return err
		}
		g.Use(rg)
		if err := m.RegisterCounters(rg.Counters); err != nil {
			return err
		}
	}
	if cfg.Behavior.Enabled {
		d, err := behavior.New(cfg.Behavior)
		if err != nil {
			return fmt.Errorf("behavior: %w", err)
		}
		g.Use(d)
	}
	return nil
}

// meter returns the Guard's Meter, or one that counts nothing.
func (g *Guard) meter() config.Meter {
	if g.metrics == nil {
		return noMeter{}
	}
	return g.metrics
}

// noMeter counts nothing: the Guard of a program that passed no Meter.
type noMeter struct{}

func (noMeter) Observe(*abuse.Request, abuse.Outcome)           {}
func (noMeter) DecisionLatency(time.Duration)                   {}
func (noMeter) UpstreamResponse(string, int)                    {}
func (noMeter) DetectorLatency(string) func(time.Duration)      { return nil }
func (noMeter) PanicRecovered()                                 {}
func (noMeter) StoreFallback(string)                            {}
func (noMeter) DroppedEvent()                                   {}
func (noMeter) BanIssued(ban.Kind)                              {}
func (noMeter) WatchBans(ban.Store, func() time.Time) error     { return nil }
func (noMeter) RegisterCounters(func() map[string]uint64) error { return nil }

// Violations reports target's scores and strikes, for the admin API.
func (g *Guard) Violations(ctx context.Context, target ban.Target) (enforce.Report, error) {
	if e, ok := g.enforcer.(*enforce.Enforcer); ok {
		return e.Violations(ctx, target, g.now())
	}
	return enforce.Report{}, nil
}

// Now returns the Guard's clock (Config.Clock, else time.Now).
func (g *Guard) Now() time.Time { return g.now() }

// BanScope returns how much address space an IP ban covers
// (enforce.ipv6_prefix).
func (g *Guard) BanScope() ban.Scope { return g.banScope }
