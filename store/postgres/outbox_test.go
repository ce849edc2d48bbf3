package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/alert"
)

func pending(n int, at time.Time) []alert.Delivery {
	ds := make([]alert.Delivery, n)
	for i := range ds {
		ds[i] = alert.Delivery{Channel: "webhook", Status: alert.Pending, Created: at, NextAttempt: at,
			Notification: alert.Notification{ID: fmt.Sprint("msg_", i), Type: "alert", Status: alert.Firing, Title: fmt.Sprint("alert ", i)}}
	}
	return ds
}

// Two instances on one database share the outbox: a due delivery is
// handed to one of them; one that an instance took and never settled
// (it died) is handed out again once its lease ends; a restarted
// instance sees everything; settled deliveries are not due again.
func TestAlertOutboxShared(t *testing.T) {
	dsn, _ := newDB(t)
	a, b := open(t, dsn, Options{}), open(t, dsn, Options{})
	oa, ob := a.AlertOutbox(), b.AlertOutbox()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	ds := append(pending(3, t0), alert.Delivery{Channel: "webhook", Status: alert.Held, Created: t0,
		Notification: alert.Notification{ID: "msg_held", Title: "held"}})
	if err := oa.AddDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if ds[0].ID == 0 || ds[0].ID == ds[1].ID {
		t.Fatalf("ids not set: %+v", ds)
	}
	ids := func(ds []alert.Delivery) []int64 {
		var out []int64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	for _, step := range []struct {
		name  string
		o     *AlertOutbox
		at    time.Time
		want  []int64
		after func(due []alert.Delivery)
	}{
		{"first instance takes the due ones, oldest first", oa, t0, []int64{ds[0].ID, ds[1].ID, ds[2].ID}, nil},
		{"the other gets none while they are leased", ob, t0.Add(time.Minute), nil, nil},
		{"after the lease the other takes them", ob, t0.Add(leaseFor + time.Second), []int64{ds[0].ID, ds[1].ID, ds[2].ID},
			func(due []alert.Delivery) {
				now := t0.Add(leaseFor + time.Second)
				for i, d := range due {
					d.Attempts = 1
					if i < 2 {
						d.Status, d.Sent = alert.Sent, now
					} else {
						d.NextAttempt, d.Error = now.Add(30*time.Second), "503"
					}
					if err := ob.UpdateDelivery(ctx, d); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{"sent ones are not due, the retry not yet", oa, t0.Add(leaseFor + 2*time.Second), nil, nil},
		{"the retry is due at its time", oa, t0.Add(leaseFor + 40*time.Second), []int64{ds[2].ID}, nil},
	} {
		due, err := step.o.DueDeliveries(ctx, step.at, 50)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := ids(due); !slices.Equal(got, step.want) {
			t.Fatalf("%s: due %v, want %v", step.name, got, step.want)
		}
		if step.after != nil {
			step.after(due)
		}
	}

	// A restarted instance reads the whole incident log.
	a.Close()
	c := open(t, dsn, Options{})
	log, err := c.AlertOutbox().Deliveries(ctx, t0.Add(-time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, d := range log {
		status[d.Notification.Title] = d.Status
	}
	want := map[string]string{"alert 0": alert.Sent, "alert 1": alert.Sent, "alert 2": alert.Pending, "held": alert.Held}
	if len(log) != 4 || fmt.Sprint(status) != fmt.Sprint(want) {
		t.Fatalf("incident log %v, want %v", status, want)
	}
}

// Instances polling at once never get the same delivery.
func TestAlertOutboxConcurrentPolls(t *testing.T) {
	dsn, _ := newDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	stores := []*Store{open(t, dsn, Options{}), open(t, dsn, Options{}), open(t, dsn, Options{})}
	const n = 60
	if err := stores[0].AlertOutbox().AddDeliveries(ctx, pending(n, t0)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := s.AlertOutbox()
			for {
				due, err := o.DueDeliveries(ctx, t0, 50)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					got[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d deliveries handed out, want %d", len(got), n)
	}
	for id, k := range got {
		if k != 1 {
			t.Errorf("delivery %d handed out %d times", id, k)
		}
	}
}
