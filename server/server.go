package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/metrics"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/redis"
	"github.com/warden-dev/warden/store/sqlite"
)

// DBFile is the SQLite database in the data dir: bans, the event log and
// lifetime quotas.
const DBFile = "warden.db"

// Guard is a warden.Guard over the stores its configuration names, as
// `warden serve` runs it. Create it with New; Close closes the Guard, then
// the stores. It is safe for concurrent use, as warden.Guard is.
type Guard struct {
	*warden.Guard
	cfg     config.Config
	metrics *metrics.Metrics
	events  eventlog.Store // where events are kept and read: SQLite, or PostgreSQL falling back to it
	closers []func() error // the stores, in the order opened
	reports *reports       // daily reports: stored, served, scheduled

	meter      *alertMeter   // the metrics, feeding the alert engine
	alerts     *alert.Engine // raises and sends alerts
	outbox     alert.Outbox  // the alert outbox and incident log
	stopAlerts func()        // stops the engine's loop; nil until it runs
	escalation *escalation   // Cloudflare, the action hook and CrowdSec
	banLog     *banHistory   // bans placed and lifted, for the daily report
}

// CheckStores reports a store.postgres connection string that does not
// parse, naming the field and never the password. It is the part of
// validation that needs the PostgreSQL driver, which package config does
// not link.
func CheckStores(cfg config.Config) error {
	if cfg.Store.Postgres == "" {
		return nil
	}
	if _, err := postgres.ParseDSN(cfg.Store.Postgres); err != nil {
		return fmt.Errorf("store.postgres: %w", err)
	}
	return nil
}

// New validates cfg, opens its stores (the data dir and its SQLite
// database; Redis and PostgreSQL when configured) and Prometheus metrics,
// and returns a Guard over them. Stores given in cfg.Backends are
// replaced. Call Close when done.
func New(ctx context.Context, cfg config.Config) (*Guard, error) {
	if err := errors.Join(cfg.Validate(), CheckStores(cfg)); err != nil {
		return nil, fmt.Errorf("invalid config: %w", err)
	}
	s := &Guard{cfg: cfg, metrics: metrics.New(cfg.Metrics)}
	s.meter = &alertMeter{Meter: s.metrics}
	be, err := s.open(ctx)
	if err != nil {
		_ = s.closeStores()
		return nil, err
	}
	cfg.Backends = be
	g, err := warden.New(cfg)
	if err != nil {
		_ = s.closeStores()
		return nil, err
	}
	s.Guard = g
	if cs := s.escalation.cs; cs != nil && s.cfg.CrowdSec.Bouncer() {
		g.Use(cs) // CrowdSec's decisions, checked on every request not allow-listed
	}
	s.runAlerts()
	if err := s.openReports(); err != nil {
		_ = s.Close(ctx)
		return nil, err
	}
	return s, nil
}

// open opens the stores cfg names and returns them as Backends. What it
// opened is in s.closers, also when it fails half-way.
func (s *Guard) open(ctx context.Context) (config.Backends, error) {
	cfg, m := &s.cfg, s.meter
	be := config.Backends{Metrics: m}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return be, fmt.Errorf("data dir: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, DBFile))
	if err != nil {
		return be, fmt.Errorf("open database: %w", err)
	}
	s.closers = append(s.closers, db.Close)

	bans, err := ban.NewMemory(ctx, db)
	if err != nil {
		return be, err
	}
	be.Bans = bans
	s.events = db
	be.Usage = db // the token rollup lives with the events
	var claimer alert.Claimer
	if cfg.Store.Postgres != "" {
		pc := postgres.DefaultConfig()
		pc.DSN = cfg.Store.Postgres
		ps, err := postgres.Open(ctx, pc, postgres.Options{Fallback: db,
			OnFailure:  func() { m.StoreFallback("postgres") },
			OnBackfill: func(n int) { s.metrics.StoreBackfilled("postgres", n) }})
		if err != nil {
			return be, err // names the server, never the password
		}
		s.closers = append(s.closers, ps.Close)
		s.events = ps
		be.Usage = ps
		claimer = ps
	}
	be.Events = s.events
	var history ban.History = db // with the events: the report reads both
	if ps, ok := s.events.(*postgres.Store); ok {
		history = ps
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	s.banLog = newBanHistory(history, cfg.Log.Retention, now, m.DroppedEvent)
	s.closers = append(s.closers, s.banLog.close)
	if cfg.Store.Redis != "" {
		rc := redis.DefaultConfig()
		rc.URL = cfg.Store.Redis
		rs, err := redis.New(ctx, rc, redis.Options{OnFailure: func() { m.StoreFallback("redis") }})
		if err != nil {
			return be, fmt.Errorf("redis: %w", err)
		}
		s.closers = append(s.closers, rs.Close)
		be.Bans, be.Limits, be.Scores = rs, rs, rs
		claimer = rs
	}
	if cfg.RateLimit.Enabled {
		q := db.QuotaCounter(time.Second)
		s.closers = append(s.closers, func() error { return q.Close(context.Background()) })
		be.Quotas = q
	}
	local, err := db.AlertOutbox(ctx)
	if err != nil {
		return be, err
	}
	var outbox alert.Outbox = local
	if ps, ok := s.events.(*postgres.Store); ok {
		// Instances sharing PostgreSQL share the outbox: each delivery is
		// sent once, by whichever instance is up.
		outbox = &alert.Failover{Shared: ps.AlertOutbox(), Local: local}
	}
	if err := s.startAlerts(outbox, claimer); err != nil {
		return be, err
	}
	if err := s.startEscalation(ctx, db); err != nil {
		return be, err
	}
	be.OnBan = func(b ban.Ban) {
		s.banLog.placed(b, ban.ByEnforce)
		s.alerts.Banned(b)
		s.escalation.banned(b)
	}
	return be, nil
}

// Close closes the Guard, which drains its decision log into the event
// store, then the stores.
func (s *Guard) Close(ctx context.Context) error {
	s.stopReports()
	var err error
	if s.Guard != nil {
		err = s.Guard.Close(ctx)
	}
	if s.stopAlerts != nil {
		// After the Guard: its last decisions are counted. What is not
		// sent yet waits in the outbox for the next start.
		s.stopAlerts()
		s.stopAlerts = nil
	}
	return errors.Join(err, s.closeStores())
}

func (s *Guard) closeStores() error {
	s.escalation.close() // its loops use the database
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Metrics returns the Prometheus metrics of the Guard and its stores.
func (s *Guard) Metrics() *metrics.Metrics { return s.metrics }

// Events returns the store events are kept in and read from.
func (s *Guard) Events() eventlog.Store { return s.events }

// AdminHandler returns the admin API for this Guard and where its token
// came from: the path of the token file, or "configuration". The token is
// the configured one (admin.token or WARDEN_ADMIN_TOKEN), else read from,
// or generated into, the data dir with mode 0600.
func (s *Guard) AdminHandler() (*admin.Server, string, error) {
	token, path, err := admin.LoadOrCreateToken(s.cfg.DataDir, s.cfg.Admin.Token)
	if err != nil {
		return nil, "", err
	}
	source := path
	if source == "" {
		source = "configuration"
	}
	g, m := s.Guard, s.metrics
	opts := admin.Options{
		Token:  token,
		Bans:   g.Bans(),
		Events: s.events,
		Now:    g.Now,
		Scope:  g.BanScope(),
		Violations: admin.ViolationsFunc(func(ctx context.Context, t ban.Target) (any, error) {
			return g.Violations(ctx, t)
		}),
		Forget:  g,
		Reports: s.reports.archive,
		Alerts: admin.AlertLogFunc(func(ctx context.Context, since time.Time, limit int) (any, error) {
			ds, err := s.outbox.Deliveries(ctx, since, limit)
			if ds == nil {
				ds = []alert.Delivery{}
			}
			return ds, err
		}),
		OnBanAdded: func(b ban.Ban) {
			m.BanIssued(b.Target.Kind)
			s.banLog.placed(b, ban.ByAdmin)
			s.escalation.banned(b)
		},
		OnBanLifted: func(c ban.Change) {
			s.banLog.record(c)
			s.escalation.lifted(c.Ban.Target)
		},
		OnPanic: s.meter.PanicRecovered, // counted, and an alert when they add up
	}
	if s.cfg.Metrics.Enabled {
		opts.Metrics = m.Handler()
	}
	h, err := admin.New(opts)
	if err != nil {
		return nil, "", err
	}
	return h, source, nil
}
