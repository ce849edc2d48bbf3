package server

import (
	"context"
	"testing"
	"time"

	"github.com/warden-dev/warden/alert"
)

func TestAlertHistoryCountsTheDay(t *testing.T) {
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	ob := &alert.MemoryOutbox{}
	add := func(at time.Time, status, typ, rule string) {
		t.Helper()
		d := alert.Delivery{Channel: "email", Status: status, Created: at,
			Notification: alert.Notification{Type: typ, Rule: rule, Time: at}}
		if err := ob.AddDeliveries(context.Background(), []alert.Delivery{d}); err != nil {
			t.Fatal(err)
		}
	}
	add(day.Add(-time.Hour), alert.Sent, "alert", "ban")          // the day before
	add(day.Add(2*time.Hour), alert.Sent, "alert", "ban")         // counted
	add(day.Add(3*time.Hour), alert.Logged, "alert", "ban")       // counted
	add(day.Add(4*time.Hour), alert.Sent, "alert", "blocked")     // counted
	add(day.Add(5*time.Hour), alert.Failed, "alert", "blocked")   // never told
	add(day.Add(6*time.Hour), alert.Held, "alert", "blocked")     // in the digest
	add(day.Add(7*time.Hour), alert.Sent, "digest", "")           // counted
	add(day.Add(25*time.Hour), alert.Sent, "alert", "repeat_ban") // the day after

	a, err := alertHistory{ob}.Alerts(context.Background(), day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if a.Sent != 4 {
		t.Errorf("sent %d, want 4", a.Sent)
	}
	want := map[string]int64{"ban": 2, "blocked": 1, "digest": 1}
	if len(a.Rules) != len(want) || a.Rules[0].Name != "ban" {
		t.Fatalf("rules %+v, want %v with ban first", a.Rules, want)
	}
	for _, r := range a.Rules {
		if want[r.Name] != r.Events {
			t.Errorf("rule %s: %d, want %d", r.Name, r.Events, want[r.Name])
		}
	}
}
