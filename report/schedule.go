package report

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"time"
)

// Mailer sends a report by mail. The alerts' SMTP channel implements it;
// nil means reports are not mailed.
type Mailer interface {
	SendReport(ctx context.Context, subject, text, html string) error
}

// Scheduler builds the report of the day before once a day at the
// configured hour, stores it in the Archive and mails it when a Mailer is
// set. After a restart it builds a report it missed (yesterday's, once
// the hour has passed) at once.
type Scheduler struct {
	Builder *Builder
	Archive *Archive
	Mailer  Mailer       // optional
	Log     *slog.Logger // nil: slog.Default()
}

// RetryAfter is how long the Scheduler waits after a failed report.
const RetryAfter = 10 * time.Minute

// NextRun is the first instant at or after now at which a report is due:
// hour:00 in loc, today or tomorrow.
func NextRun(now time.Time, hour int, loc *time.Location) time.Time {
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), hour, 0, 0, 0, loc)
	if t.Before(n) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, hour, 0, 0, 0, loc)
	}
	return t
}

// Run builds reports until ctx ends. It returns ctx's error.
func (s *Scheduler) Run(ctx context.Context) error {
	b := s.Builder
	for {
		now := b.opts.Now()
		next := NextRun(now.Add(time.Second), b.opts.Config.Hour, b.loc)
		if _, err := s.RunOnce(ctx, now); err != nil && ctx.Err() == nil {
			// Try again soon rather than a day later (the store may be
			// back); RunOnce builds nothing once the report is stored.
			s.log().Error("daily report failed", "err", err)
			next = now.Add(RetryAfter)
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RunOnce builds, stores and mails yesterday's report (as of now) when it
// is due (now is at or past today's hour) and not stored yet, and returns
// whether it did.
func (s *Scheduler) RunOnce(ctx context.Context, now time.Time) (bool, error) {
	b := s.Builder
	n := now.In(b.loc)
	if n.Hour() < b.opts.Config.Hour {
		return false, nil
	}
	day := time.Date(n.Year(), n.Month(), n.Day()-1, 0, 0, 0, 0, b.loc)
	if _, err := s.Archive.Get(day); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	r, err := b.Build(ctx, day)
	if err != nil {
		return false, err
	}
	if err := s.Archive.Put(r); err != nil {
		return false, err
	}
	s.log().Info("daily report stored", "date", r.Date, "requests", r.Today.Requests, "summary_generated", r.Summary.Generated)
	if s.Mailer != nil && b.opts.Config.Mail {
		text, _, err1 := r.Render("text")
		html, _, err2 := r.Render("html")
		if err := errors.Join(err1, err2); err != nil {
			return true, err
		}
		if err := s.Mailer.SendReport(ctx, "Warden daily report "+r.Date, string(text), string(html)); err != nil {
			return true, err
		}
	}
	return true, nil
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Counters are the process's monotonic health counters.
type Counters struct {
	DroppedEvents, StoreFallbacks, JudgeFailures uint64
}

// HealthTracker turns monotonic counters into a Health over the window
// since its previous call (since it was made, the first time): the
// scheduled reports come a day apart, so each covers about a day of the
// process's life. It is safe for concurrent use.
type HealthTracker struct {
	read func() Counters
	now  func() time.Time

	mu    sync.Mutex
	since time.Time
	last  Counters
}

// NewHealthTracker starts a window now.
func NewHealthTracker(read func() Counters, now func() time.Time) *HealthTracker {
	return &HealthTracker{read: read, now: now, since: now(), last: read()}
}

// Health returns the counters' growth since the previous call and starts
// a new window.
func (h *HealthTracker) Health() *Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, now := h.read(), h.now()
	out := &Health{From: h.since.UTC(), To: now.UTC(),
		DroppedEvents: c.DroppedEvents - h.last.DroppedEvents, StoreFallbacks: c.StoreFallbacks - h.last.StoreFallbacks,
		JudgeFailures: c.JudgeFailures - h.last.JudgeFailures}
	h.since, h.last = now, c
	return out
}
