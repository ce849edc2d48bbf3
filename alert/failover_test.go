package alert

import (
	"context"
	"errors"
	"testing"
	"time"
)

// downOutbox is a shared store that is down, or back.
type downOutbox struct {
	MemoryOutbox
	down bool
}

var errDown = errors.New("store down")

func (d *downOutbox) AddDeliveries(ctx context.Context, ds []Delivery) error {
	if d.down {
		return errDown
	}
	return d.MemoryOutbox.AddDeliveries(ctx, ds)
}

func (d *downOutbox) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	if d.down {
		return nil, errDown
	}
	return d.MemoryOutbox.DueDeliveries(ctx, now, limit)
}

func (d *downOutbox) Deliveries(ctx context.Context, since time.Time, limit int) ([]Delivery, error) {
	if d.down {
		return nil, errDown
	}
	return d.MemoryOutbox.Deliveries(ctx, since, limit)
}

// While the shared outbox is down, deliveries are kept locally (negative
// IDs) and still sent; updates reach the outbox each came from; the
// incident log lists both.
func TestFailover(t *testing.T) {
	ctx := context.Background()
	shared, local := &downOutbox{}, &MemoryOutbox{}
	f := &Failover{Shared: shared, Local: local}
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	d := func(title string, at time.Time) Delivery {
		return Delivery{Channel: "webhook", Status: Pending, Created: at, NextAttempt: at, Notification: Notification{Title: title}}
	}

	up := []Delivery{d("while up", t0)}
	if err := f.AddDeliveries(ctx, up); err != nil || up[0].ID <= 0 {
		t.Fatalf("add while up: id %d, %v", up[0].ID, err)
	}
	shared.down = true
	down := []Delivery{d("postgres is down", t0.Add(time.Minute))}
	if err := f.AddDeliveries(ctx, down); err != nil || down[0].ID >= 0 {
		t.Fatalf("add while down: id %d, %v; want a local (negative) id", down[0].ID, err)
	}
	due, err := f.DueDeliveries(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Notification.Title != "postgres is down" {
		t.Fatalf("due while down: %+v, %v; want the local one", due, err)
	}
	due[0].Status = Sent
	if err := f.UpdateDelivery(ctx, due[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := local.Deliveries(ctx, t0, 10); len(got) != 1 || got[0].Status != Sent {
		t.Fatalf("local after update: %+v", got)
	}

	shared.down = false
	due, err = f.DueDeliveries(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != up[0].ID {
		t.Fatalf("due when back: %+v, %v; want the shared one", due, err)
	}
	log, err := f.Deliveries(ctx, t0.Add(-time.Hour), 10)
	if err != nil || len(log) != 2 || log[0].Notification.Title != "postgres is down" || log[1].ID != up[0].ID {
		t.Fatalf("incident log %+v, %v; want both, newest first", log, err)
	}

	// Both down: the caller hears of it.
	shared.down = true
	if err := (&Failover{Shared: shared, Local: shared}).AddDeliveries(ctx, []Delivery{d("lost", t0)}); err == nil {
		t.Fatal("no error when neither outbox took the delivery")
	}
}

// A delivery for a channel this instance lacks (another instance sharing
// the outbox has it) waits for that instance, then fails.
func TestDeliverUnknownChannel(t *testing.T) {
	ob := &MemoryOutbox{}
	e, clk, rec := newTestEngine(t, DefaultConfig(), Options{Outbox: ob})
	ctx := context.Background()
	now := clk.Now()
	if err := ob.AddDeliveries(ctx, []Delivery{{Channel: "slack", Status: Pending, Created: now, NextAttempt: now,
		Notification: Notification{Title: "for slack"}}}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after  time.Duration
		status string
	}{
		{0, Pending}, // left for an instance with Slack
		{unknownChannelGrace + time.Minute, Failed}, // nobody took it
	} {
		clk.Add(step.after)
		e.deliver(ctx, clk.Now())
		got, _ := ob.Deliveries(ctx, time.Time{}, 10)
		if len(got) != 1 || got[0].Status != step.status {
			t.Fatalf("after %v: %+v, want %s", step.after, got, step.status)
		}
		if step.status == Pending && !got[0].NextAttempt.After(clk.Now()) {
			t.Fatalf("left due at once: %+v", got[0])
		}
	}
	if len(rec.sent()) != 0 {
		t.Fatal("sent through another channel")
	}
}
