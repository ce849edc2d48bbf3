package server

import (
	"context"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/redis"
)

// tickEvery is how often the alert engine evaluates its rules and sends
// what is due: small against group_wait (30 s) and cheap (bounded maps
// and one indexed outbox query).
const tickEvery = 2 * time.Second

// alertMeter passes the Guard's meter calls on to the metrics and feeds
// the alert engine from them: the only per-request work is the engine's
// Observe, which returns at once for a request that found nothing.
// Its engine is set once the stores are open; calls before that only
// count in metrics.
type alertMeter struct {
	config.Meter
	engine *alert.Engine
}

func (m *alertMeter) Observe(r *abuse.Request, o abuse.Outcome) {
	m.Meter.Observe(r, o)
	if m.engine != nil {
		m.engine.Observe(r, o)
	}
}

func (m *alertMeter) StoreFallback(store string) {
	m.Meter.StoreFallback(store)
	if m.engine != nil {
		m.engine.StoreFallback(store)
	}
}

func (m *alertMeter) DroppedEvent() {
	m.Meter.DroppedEvent()
	if m.engine != nil {
		m.engine.DroppedEvent()
	}
}

func (m *alertMeter) PanicRecovered() {
	m.Meter.PanicRecovered()
	if m.engine != nil {
		m.engine.PanicRecovered()
	}
}

func (m *alertMeter) RegisterCounters(read func() map[string]uint64) error {
	if m.engine != nil {
		m.engine.WatchCounters(read)
	}
	return m.Meter.RegisterCounters(read)
}

// startAlerts builds the alert engine over the outbox and claimer the
// stores give, and runs it until Close.
func (s *Guard) startAlerts(outbox alert.Outbox, claimer alert.Claimer) error {
	chans, err := alert.Channels(s.cfg.Alerts, nil)
	if err != nil {
		return err
	}
	now := s.cfg.Clock
	if now == nil {
		now = time.Now
	}
	s.alerts = alert.New(s.cfg.Alerts, alert.Options{Channels: chans, Outbox: outbox, Claimer: claimer,
		Now: now, Registerer: s.metrics.Registry()})
	s.outbox = outbox
	s.meter.engine = s.alerts
	return nil
}

func (s *Guard) runAlerts() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.alerts.Run(ctx, tickEvery)
	}()
	s.stopAlerts = func() { cancel(); <-done }
}

// Alerts returns the alert engine.
func (s *Guard) Alerts() *alert.Engine { return s.alerts }

// AlertLog returns the incident log: every alert message and how its
// delivery went.
func (s *Guard) AlertLog() alert.Outbox { return s.outbox }

// The shared stores deduplicate alerts between instances: Redis when
// configured, else PostgreSQL.
var (
	_ alert.Claimer = (*redis.Store)(nil)
	_ alert.Claimer = (*postgres.Store)(nil)
)
