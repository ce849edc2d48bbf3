package admin

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

func TestClient(t *testing.T) {
	ctx := context.Background()
	fg := &forgetter{}
	f := newFixture(t, func(o *Options) { o.Forget = fg })
	_ = f.events.WriteEvents(ctx, []eventlog.Event{{RequestID: "r1", Time: now, Action: "block"}})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	forgot := func() int { fg.mu.Lock(); defer fg.mu.Unlock(); return len(fg.got) }
	c := &Client{BaseURL: ts.URL + "/", Token: testToken}

	b, err := c.AddBan(ctx, BanRequest{Target: "user:a/b c", Duration: 2 * time.Hour, Reason: "spam", Violation: "credential_stuffing"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Target.String() != "user:a/b c" || b.SecondsLeft != 7200 || b.Reason != "spam" || b.Violation != "credential_stuffing" {
		t.Errorf("added %+v", b)
	}
	bans, err := c.Bans(ctx)
	if err != nil || len(bans) != 1 || bans[0].Violation != "credential_stuffing" {
		t.Fatalf("Bans = %v, %v", bans, err)
	}
	l, err := c.LiftBan(ctx, "user:a/b c", false)
	if err != nil {
		t.Fatalf("lift a target with a slash and a space: %v", err)
	}
	if l != (Lifted{Target: "user:a/b c", Removed: true, ScoreCleared: true}) || forgot() != 1 {
		t.Errorf("lifted %+v, forgot %v", l, forgot())
	}
	if _, err := c.LiftBan(ctx, "user:a/b c", false); !IsNotFound(err) {
		t.Errorf("second lift = %v, want a 404", err)
	}
	// keep_score lifts the ban and leaves the scores alone.
	if _, err := c.AddBan(ctx, BanRequest{Target: "user:7", Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if l, err := c.LiftBan(ctx, "user:7", true); err != nil || l != (Lifted{Target: "user:7", Removed: true}) || forgot() != 1 {
		t.Errorf("lift keeping the score = %+v, %v; forgot %v", l, err, forgot())
	}
	_, err = c.AddBan(ctx, BanRequest{Target: "host:x", Duration: time.Hour})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Field != "target" {
		t.Errorf("bad target: %v", err)
	}
	events, err := c.Events(ctx, now.Add(-time.Minute), 10)
	if err != nil || len(events) != 1 || events[0].RequestID != "r1" {
		t.Errorf("Events = %v, %v", events, err)
	}

	wrong := &Client{BaseURL: ts.URL, Token: "wrong-token-0123456789"}
	if _, err := wrong.Bans(ctx); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("wrong token: %v", err)
	}
}
