package eventlog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
)

func TestMemoryOverview(t *testing.T) {
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := eventlog.NewMemoryStore(1000)
	if err := m.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	got, err := m.Overview(context.Background(), base, base.Add(time.Hour), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	overviewtest.Check(t, got, overviewtest.Want(base))
}

func TestCheckOverviewRange(t *testing.T) {
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		step     time.Duration
		ok       bool
	}{
		{"hour in minutes", base, base.Add(time.Hour), time.Minute, true},
		{"week in hours", base, base.Add(7 * 24 * time.Hour), time.Hour, true},
		{"exactly MaxBuckets", base, base.Add(500 * time.Second), time.Second, true},
		{"too many steps", base, base.Add(501 * time.Second), time.Second, false},
		{"empty", base, base, time.Minute, false},
		{"reversed", base.Add(time.Hour), base, time.Minute, false},
		{"sub-second step", base, base.Add(time.Second), time.Millisecond, false},
	} {
		err := eventlog.CheckOverviewRange(tc.from, tc.to, tc.step)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, eventlog.ErrOverviewRange)) {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
