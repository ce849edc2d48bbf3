package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-dev/warden/alert"
)

// The outbox keeps pending deliveries across a reopen, hands out only
// those due, and lists the history newest first.
func TestAlertOutbox(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := db.AlertOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	n := alert.Notification{ID: "msg_1", Type: "alert", Status: alert.Firing, Rule: "ban", Title: "[FIRING] x", Time: t0,
		Alerts: []alert.Alert{{Rule: "ban", State: alert.Firing, Value: 3, Clients: []string{"ip:203.0.113.7"}}}}
	ds := []alert.Delivery{
		{Channel: "email", Status: alert.Pending, Created: t0, NextAttempt: t0, Notification: n},
		{Channel: "webhook", Status: alert.Pending, Created: t0, NextAttempt: t0.Add(time.Hour), Notification: n},
	}
	if err := ob.AddDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if ds[0].ID == 0 || ds[1].ID == ds[0].ID {
		t.Fatalf("ids %d, %d", ds[0].ID, ds[1].ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ob, err = db.AlertOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	due, err := ob.DueDeliveries(ctx, t0.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Channel != "email" || due[0].Notification.Alerts[0].Clients[0] != "ip:203.0.113.7" {
		t.Fatalf("due after reopen: %+v, want the email delivery intact", due)
	}
	d := due[0]
	d.Status, d.Attempts, d.Sent = alert.Sent, 1, t0.Add(time.Minute)
	if err := ob.UpdateDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	if due, _ := ob.DueDeliveries(ctx, t0.Add(2*time.Hour), 10); len(due) != 1 || due[0].Channel != "webhook" {
		t.Fatalf("due later: %+v, want only the webhook delivery", due)
	}
	h, err := ob.Deliveries(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].ID != ds[1].ID || h[1].Status != alert.Sent || !h[1].Sent.Equal(t0.Add(time.Minute)) {
		t.Fatalf("history %+v", h)
	}
	if h, _ := ob.Deliveries(ctx, t0.Add(time.Second), 10); len(h) != 0 {
		t.Fatalf("since after both: %d rows", len(h))
	}
}
