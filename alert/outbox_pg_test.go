package alert_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/store/postgres"
)

// webhook is a channel that fails while down, and counts what it sent.
type webhook struct {
	mu   sync.Mutex
	down bool
	sent []alert.Notification
}

func (w *webhook) Name() string { return "webhook" }

func (w *webhook) Send(_ context.Context, n alert.Notification) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down {
		return &alert.RetryError{Err: errors.New("503 service unavailable")}
	}
	w.sent = append(w.sent, n)
	return nil
}

func (w *webhook) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sent)
}

// TestOutboxPostgresRestart: an instance on PostgreSQL queues an alert
// whose first send fails, and stops. The alert is not lost: another
// instance (or the same one restarted, with nothing in memory) sends it
// from the shared outbox when its retry is due, once; the first instance's
// own outbox holds nothing.
func TestOutboxPostgresRestart(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	ctx := context.Background()
	open := func() *postgres.Store {
		pc := postgres.DefaultConfig()
		pc.DSN = dsn
		ps, err := postgres.Open(ctx, pc, postgres.Options{Logger: alert.Quiet()})
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	clk := alert.NewFakeClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	cfg := alert.DefaultConfig()

	ps := open()
	firstLocal := &alert.MemoryOutbox{}
	down := &webhook{down: true}
	first := alert.New(cfg, alert.Options{Channels: []alert.Channel{down}, Claimer: ps, Now: clk.Now, Log: alert.Quiet(),
		Outbox: &alert.Failover{Shared: ps.AlertOutbox(), Local: firstLocal}})
	for i := range 10 {
		ip := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		first.Banned(ban.Ban{Target: ban.IPTarget(ip), Created: clk.Now(), Until: clk.Now().Add(time.Hour)})
	}
	first.Tick(ctx)      // the alert starts its group
	clk.Add(time.Minute) // past group_wait
	first.Tick(ctx)
	if down.count() != 0 {
		t.Fatal("the channel was down but got the alert")
	}
	ps.Close() // the first instance stops

	ps2 := open()
	defer ps2.Close()
	up := &webhook{}
	second := alert.New(cfg, alert.Options{Channels: []alert.Channel{up}, Claimer: ps2, Now: clk.Now, Log: alert.Quiet(),
		Outbox: &alert.Failover{Shared: ps2.AlertOutbox(), Local: &alert.MemoryOutbox{}}})
	second.Tick(ctx) // the retry is not due yet (30 s ± 20 %)
	if up.count() != 0 {
		t.Fatalf("sent before its retry was due: %d", up.count())
	}
	clk.Add(time.Minute)
	second.Tick(ctx)
	second.Tick(ctx)
	if n := up.count(); n != 1 || up.sent[0].Rule != "ban" {
		t.Fatalf("sent %d messages after the restart (%+v), want the ban alert once", n, up.sent)
	}
	log, err := ps2.AlertOutbox().Deliveries(ctx, clk.Now().Add(-time.Hour), 10)
	if err != nil || len(log) != 1 || log[0].Status != alert.Sent || log[0].Attempts != 2 {
		t.Fatalf("incident log %+v, %v; want one delivery sent on its second attempt", log, err)
	}
	if local, _ := firstLocal.Deliveries(ctx, time.Time{}, 10); len(local) != 0 {
		t.Fatalf("the first instance kept %d deliveries locally while PostgreSQL was up", len(local))
	}
}
