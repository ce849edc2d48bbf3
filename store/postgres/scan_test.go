package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/eventlog"
)

// ScanEvents streams the events of a window, oldest first, with the
// window's start included and its end excluded, and stops at fn's error.
func TestScanEvents(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []eventlog.Event
	for i := range 10 {
		batch = append(batch, event(fmt.Sprint("e", i), base.Add(time.Duration(i)*time.Minute), abuse.Block))
	}
	if err := s.WriteEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     string
	}{
		{"all", base, base.Add(time.Hour), "[e0 e1 e2 e3 e4 e5 e6 e7 e8 e9]"},
		{"start included, end excluded", base.Add(2 * time.Minute), base.Add(5 * time.Minute), "[e2 e3 e4]"},
		{"empty window", base.Add(time.Hour), base.Add(2 * time.Hour), "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := []string{}
			err := s.ScanEvents(ctx, tc.from, tc.to, func(e eventlog.Event) error {
				got = append(got, e.RequestID)
				return nil
			})
			if err != nil || fmt.Sprint(got) != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
	stop := errors.New("stop")
	n := 0
	err := s.ScanEvents(ctx, base, base.Add(time.Hour), func(eventlog.Event) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("after fn's error: %d events, %v; want 3 and its error", n, err)
	}
}
