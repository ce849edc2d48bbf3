package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/report"
)

// ReportsDir is the data dir's directory of stored daily reports.
const ReportsDir = "reports"

// reports is the Guard's daily-report machinery.
type reports struct {
	src     *report.Source
	archive *report.Archive
	builder *report.Builder
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// openReports opens the report's own read connections to the event store
// (PostgreSQL when configured, else the data dir's SQLite) and, when
// report.schedule is on, starts the daily report.
func (s *Guard) openReports() error {
	cfg := &s.cfg
	var (
		src *report.Source
		err error
	)
	if cfg.Store.Postgres != "" {
		src, err = report.OpenPostgres(cfg.Store.Postgres)
	} else {
		src, err = report.OpenSQLite(filepath.Join(cfg.DataDir, DBFile))
	}
	if err != nil {
		return err
	}
	s.closers = append(s.closers, src.Close)
	model, err := llm.New(cfg.LLMSection())
	if err != nil {
		return fmt.Errorf("llm: %w", err)
	}
	health := report.NewHealthTracker(func() report.Counters { return healthCounters(s.metrics.Registry()) }, s.Guard.Now)
	b, err := report.New(report.Options{
		Source: src, Config: cfg.Report, RequestLog: cfg.Log.Requests,
		Bans: s.Guard.Bans(), Health: health.Health, Model: model, Now: s.Guard.Now,
		Alerts: alertHistory{s.outbox}, Prices: cfg.AI.Budget.Prices,
	})
	if err != nil {
		return err
	}
	s.reports = &reports{src: src, archive: report.NewArchive(filepath.Join(cfg.DataDir, ReportsDir)), builder: b}
	if !cfg.Report.Schedule {
		return nil
	}
	sch := &report.Scheduler{Builder: b, Archive: s.reports.archive, Log: slog.Default()}
	if cfg.Report.Mail {
		if cfg.Alerts.SMTP.Host != "" {
			sch.Mailer = alert.NewEmail(cfg.Alerts.SMTP)
		} else {
			// Say so once rather than drop the setting silently.
			slog.Default().Warn("report.mail is set but alerts.smtp.host is empty; reports are stored and served only")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.reports.stop = cancel
	s.reports.wg.Add(1)
	go func() {
		defer s.reports.wg.Done()
		_ = sch.Run(ctx)
	}()
	return nil
}

// stopReports stops the scheduled report and waits for a build in flight.
func (s *Guard) stopReports() {
	if s.reports != nil && s.reports.stop != nil {
		s.reports.stop()
		s.reports.wg.Wait()
	}
}

// Reports returns the stored daily reports, and ReportBuilder the builder
// that makes them (for a report built on demand).
func (s *Guard) Reports() *report.Archive { return s.reports.archive }

// ReportBuilder returns the builder of daily reports.
func (s *Guard) ReportBuilder() *report.Builder { return s.reports.builder }

// healthCounters reads the health counters from the metrics registry:
// dropped decision-log events, store fallbacks (all stores) and failed
// judge calls.
func healthCounters(reg *prometheus.Registry) report.Counters {
	var c report.Counters
	families, err := reg.Gather()
	if err != nil && len(families) == 0 {
		return c
	}
	for _, f := range families {
		var into *uint64
		switch f.GetName() {
		case "warden_events_dropped_total":
			into = &c.DroppedEvents
		case "warden_store_fallbacks_total":
			into = &c.StoreFallbacks
		case "warden_ai_llm_failures_total":
			into = &c.JudgeFailures
		default:
			continue
		}
		for _, m := range f.GetMetric() {
			*into += uint64(m.GetCounter().GetValue())
		}
	}
	return c
}

// alertHistory reads the alerts told in a report's day from the alert
// outbox (the incident log): messages sent or logged, counted per rule;
// digests count as "digest".
type alertHistory struct{ outbox alert.Outbox }

// AlertHistory is the report's view of an alert outbox, for `warden
// report`, which opens the outbox serve keeps.
func AlertHistory(o alert.Outbox) report.AlertSource { return alertHistory{o} }

// Alerts implements report.AlertSource. The outbox lists at most
// alert.MaxLimit rows, well above a day of capped channels (8 messages and
// a digest an hour each).
func (h alertHistory) Alerts(ctx context.Context, from, to time.Time) (report.Alerts, error) {
	var a report.Alerts
	ds, err := h.outbox.Deliveries(ctx, from, alert.MaxLimit)
	if err != nil {
		return a, fmt.Errorf("reading the alert history: %w", err)
	}
	rows := map[string]int64{}
	for _, d := range ds {
		if !d.Created.Before(to) || (d.Status != alert.Sent && d.Status != alert.Logged) {
			continue
		}
		rule := d.Notification.Rule
		if d.Notification.Type == "digest" || rule == "" {
			rule = "digest"
		}
		rows[rule]++
		a.Sent++
	}
	for name, n := range rows {
		a.Rules = append(a.Rules, report.Row{Name: name, Events: n})
	}
	slices.SortFunc(a.Rules, func(x, y report.Row) int {
		if c := cmp.Compare(y.Events, x.Events); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return a, nil
}
