package warden

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/aiguard"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/metrics"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
	"github.com/warden-dev/warden/ratelimit"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/redis"
	"github.com/warden-dev/warden/store/sqlite"
)

// DBFile is the SQLite database in the data dir: bans, the event log and
// lifetime quotas.
const DBFile = "warden.db"

// provision opens what the configuration asks for: stores, metrics, the
// decision log, detectors and enforcement. It runs after Validate, so its
// errors are about the outside world (files, servers), not the config.
// Whatever it opened is closed by Close, also when it fails half-way.
func (g *Guard) provision(ctx context.Context) error {
	cfg := &g.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, DBFile))
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	g.db = db
	g.onClose(func(context.Context) error { return db.Close() })

	g.metrics = metrics.New(cfg.Metrics)

	bans, err := ban.NewMemory(ctx, db)
	if err != nil {
		return err
	}
	g.bans = bans

	g.eventStore = db
	if cfg.Store.Postgres != "" {
		pc := postgres.DefaultConfig()
		pc.DSN = cfg.Store.Postgres
		ps, err := postgres.Open(ctx, pc, postgres.Options{Fallback: db,
			OnFailure:  func() { g.metrics.StoreFallback("postgres") },
			OnBackfill: func(n int) { g.metrics.StoreBackfilled("postgres", n) }})
		if err != nil {
			return err // names the server, never the password
		}
		g.onClose(func(context.Context) error { return ps.Close() })
		g.eventStore = ps
	}
	opts := eventlog.Options{
		Store:  g.eventStore,
		Mode:   string(cfg.Mode),
		Now:    g.now,
		OnDrop: g.metrics.DroppedEvent,
		OnStoreError: func(error) {
			g.metrics.StoreFallback("sqlite")
		},
	}
	if cfg.Log.Stderr {
		opts.Line = eventlog.NewJSONHandler(os.Stderr)
	}
	events, err := eventlog.NewWriter(cfg.Log, opts)
	if err != nil {
		return err
	}
	g.events = events
	// Registered before anything that logs into it is closed: Close runs
	// closers in reverse, so the writer drains before the database closes.
	g.onClose(events.Close)
	if err := g.provisionDetectors(ctx); err != nil {
		return err
	}
	// After provisionDetectors: it may have swapped in the shared store.
	return g.metrics.WatchBans(g.bans, g.now)
}

// provisionDetectors builds the configured detectors and enforcement, in
// the order they run: cheap limits first, then stateless request checks,
// then the AI checks (moderation may call out), then behaviour, which
// observes the verdicts of all the others.
func (g *Guard) provisionDetectors(ctx context.Context) error {
	cfg := &g.cfg
	var backend ratelimit.Backend
	var tally enforce.Tally
	if cfg.Store.Redis != "" {
		rc := redis.DefaultConfig()
		rc.URL = cfg.Store.Redis
		rs, err := redis.New(ctx, rc, redis.Options{OnFailure: func() { g.metrics.StoreFallback("redis") }})
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		g.onClose(func(context.Context) error { return rs.Close() })
		g.bans, g.banLookup = rs, rs
		backend, tally = rs, rs
	}

	if cfg.RateLimit.Enabled {
		q := g.db.QuotaCounter(time.Second)
		g.onClose(q.Close)
		lim, err := ratelimit.New(cfg.RateLimit, ratelimit.Options{Backend: backend, Quotas: q,
			OnFallback: func() { g.metrics.StoreFallback("ratelimit") }})
		if err != nil {
			return fmt.Errorf("ratelimit: %w", err)
		}
		g.Use(lim)
	}
	enf, err := enforce.New(cfg.Enforce, g.bans, enforce.Options{Tally: tally,
		OnBan:      func(b ban.Ban) { g.metrics.BanIssued(b.Target.Kind) },
		OnFallback: func() { g.metrics.StoreFallback("enforce") }})
	if err != nil {
		return fmt.Errorf("enforce: %w", err)
	}
	g.enforcer = enf
	g.violations = admin.ViolationsFunc(func(ctx context.Context, t ban.Target) (any, error) {
		return enf.Violations(ctx, t, g.now())
	})

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
	var judge aiguard.Judge
	if cfg.LLM.BaseURL != "" {
		client, err := llm.New(cfg.LLMSection())
		if err != nil {
			return fmt.Errorf("llm: %w", err)
		}
		judge = client
	}
	if cfg.Payload.Enabled {
		d, err := payload.New(cfg.PayloadSection())
		if err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		if judge != nil {
			// The judge settles the payload detector's grey zone.
			jd, err := aiguard.NewJudgeDetector(ai.Judge, judge, d, "payload")
			if err != nil {
				return fmt.Errorf("ai.judge: %w", err)
			}
			g.onClose(func(context.Context) error { return jd.Close() })
			g.Use(jd)
		} else {
			g.Use(d)
		}
	}
	set, err := aiguard.NewSet(ai, judge)
	if err != nil {
		return fmt.Errorf("ai: %w", err)
	}
	g.onClose(func(context.Context) error { return set.Close() })
	g.Use(set.Detectors()...)
	if err := g.metrics.Register(countersCollector{set.Counters}); err != nil {
		return err
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

// countersCollector exports a snapshot of monotonic counters, keyed by
// metric name, as Prometheus counters.
type countersCollector struct{ read func() map[string]uint64 }

func (c countersCollector) Describe(chan<- *prometheus.Desc) {} // unchecked: names vary with the configuration

func (c countersCollector) Collect(ch chan<- prometheus.Metric) {
	for name, v := range c.read() {
		desc := prometheus.NewDesc(name, "AI protection counter "+name+".", nil, nil)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v))
	}
}

// Metrics returns the Guard's Prometheus metrics, for mounting its
// registry in an application's own.
func (g *Guard) Metrics() *metrics.Metrics { return g.metrics }

// AdminHandler returns the admin API for this Guard and where its token
// came from: the path of the token file, or "configuration". The token is
// the configured one (admin.token or WARDEN_ADMIN_TOKEN), else read from,
// or generated into, the data dir with mode 0600.
func (g *Guard) AdminHandler() (*admin.Server, string, error) {
	token, path, err := admin.LoadOrCreateToken(g.cfg.DataDir, g.cfg.Admin.Token)
	if err != nil {
		return nil, "", err
	}
	source := path
	if source == "" {
		source = "configuration"
	}
	opts := admin.Options{
		Token:      token,
		Bans:       g.bans,
		Events:     g.eventStore,
		Metrics:    nil,
		Now:        g.now,
		Scope:      g.banScope,
		OnBanAdded: func(b ban.Ban) { g.metrics.BanIssued(b.Target.Kind) },
		OnPanic:    g.metrics.PanicRecovered,
	}
	if g.cfg.Metrics.Enabled {
		opts.Metrics = g.metrics.Handler()
	}
	if g.violations != nil {
		opts.Violations = g.violations
	}
	opts.Forget = g
	h, err := admin.New(opts)
	if err != nil {
		return nil, "", err
	}
	return h, source, nil
}
