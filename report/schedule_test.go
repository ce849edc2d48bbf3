package report_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/report"
)

func TestNextRun(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  time.Time
		hour int
		loc  *time.Location
		want time.Time
	}{
		{time.Date(2026, 12, 7, 5, 59, 0, 0, time.UTC), 6, time.UTC, time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC), 6, time.UTC, time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 7, 6, 0, 1, 0, time.UTC), 6, time.UTC, time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC)},
		// 23:30 UTC is 00:30 in Paris: 06:00 Paris that day is 05:00 UTC.
		{time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC), 6, paris, time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC)},
	} {
		if got := report.NextRun(c.now, c.hour, c.loc); !got.Equal(c.want) {
			t.Errorf("NextRun(%v, %d, %v) = %v, want %v", c.now, c.hour, c.loc, got, c.want)
		}
	}
}

type fakeMailer struct{ subjects, texts, htmls []string }

func (m *fakeMailer) SendReport(_ context.Context, subject, text, html string) error {
	m.subjects, m.texts, m.htmls = append(m.subjects, subject), append(m.texts, text), append(m.htmls, html)
	return nil
}

func TestSchedulerRunOnce(t *testing.T) {
	src := sqliteSource(t, fixture())
	cfg := report.DefaultConfig()
	cfg.Mail = true
	b, err := report.New(report.Options{Source: src, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	archive := report.NewArchive(t.TempDir())
	mail := &fakeMailer{}
	s := &report.Scheduler{Builder: b, Archive: archive, Mailer: mail}
	next := day.AddDate(0, 0, 1)
	ctx := context.Background()

	if did, err := s.RunOnce(ctx, next.Add(5*time.Hour)); did || err != nil {
		t.Fatalf("before the hour: did %v, %v; want nothing", did, err)
	}
	if _, err := archive.Get(day); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("report stored before the hour: %v", err)
	}
	if did, err := s.RunOnce(ctx, next.Add(6*time.Hour)); !did || err != nil {
		t.Fatalf("at the hour: did %v, %v; want the report built", did, err)
	}
	r, err := archive.Get(day)
	if err != nil {
		t.Fatal(err)
	}
	if r.Date != "2026-12-06" || r.Today.Requests != 115 {
		t.Errorf("stored report %s with %d requests, want 2026-12-06 with 115", r.Date, r.Today.Requests)
	}
	if did, err := s.RunOnce(ctx, next.Add(7*time.Hour)); did || err != nil {
		t.Errorf("once stored: did %v, %v; want nothing", did, err)
	}
	if len(mail.subjects) != 1 || mail.subjects[0] != "Warden daily report 2026-12-06" ||
		!strings.Contains(mail.texts[0], "requests") || !strings.Contains(mail.htmls[0], "<svg") {
		t.Errorf("mails = %q, want one with text and HTML", mail.subjects)
	}
	// The archive serves what it stored, through the admin interface.
	v, err := archive.Report(ctx, day)
	if rr, ok := v.(*report.Report); err != nil || !ok || rr.Today.Blocked != 5 {
		t.Errorf("archive.Report = %v, %v", v, err)
	}
}

func TestHealthTracker(t *testing.T) {
	c := report.Counters{DroppedEvents: 5, StoreFallbacks: 1}
	now := day
	h := report.NewHealthTracker(func() report.Counters { return c }, func() time.Time { return now })
	c.DroppedEvents, c.JudgeFailures = 12, 3
	now = now.Add(24 * time.Hour)
	got := h.Health()
	if got.DroppedEvents != 7 || got.StoreFallbacks != 0 || got.JudgeFailures != 3 || !got.From.Equal(day) || !got.To.Equal(now) {
		t.Errorf("first window = %+v", got)
	}
	c.StoreFallbacks = 4
	if got := h.Health(); got.DroppedEvents != 0 || got.StoreFallbacks != 3 || !got.From.Equal(now) {
		t.Errorf("second window = %+v", got)
	}
}
