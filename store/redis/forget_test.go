package redis

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/enforce"
)

// TestForgetSharedScores: lifting a ban on one instance clears the
// target's shared scores and strikes for all; an IPv6 address clears its
// /64's; other clients keep theirs.
func TestForgetSharedScores(t *testing.T) {
	srv := startRedis(t)
	a, b := newInstance(t, srv, time.Second), newInstance(t, srv, time.Second)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	newEnforcer := func(s *Store) *enforce.Enforcer {
		e, err := enforce.New(enforce.DefaultConfig(), s, enforce.Options{Tally: s, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ea, eb := newEnforcer(a.store), newEnforcer(b.store)
	tests := []struct {
		name, client, forget, report string
	}{
		{"IPv4", "203.0.113.7", "ip:203.0.113.7", "ip:203.0.113.7"},
		{"IPv6 address forgets its /64", "2001:db8:9::1", "ip:2001:db8:9::77/128", "ip:2001:db8:9::/64"},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 25 {
				r := &abuse.Request{Time: t0.Add(time.Duration(i) * time.Second), Route: "POST /posts",
					Client: abuse.Client{IP: netip.MustParseAddr(tt.client)}}
				if _, _, err := ea.RecordFinding(ctx, r, "sqli", uint64(i+1)); err != nil {
					t.Fatal(err)
				}
			}
			other := &abuse.Request{Time: t0, Client: abuse.Client{IP: netip.MustParseAddr("192.0.2.200")}}
			if _, _, err := ea.RecordFinding(ctx, other, "sqli", uint64(100+n)); err != nil {
				t.Fatal(err)
			}
			target, _ := ban.ParseTarget(tt.report)
			if rep, err := eb.Violations(ctx, target, t0); err != nil || rep.Total < 20 || rep.Bans != 1 {
				t.Fatalf("before: %+v %v", rep, err)
			}
			ft, _ := ban.ParseTarget(tt.forget)
			if err := eb.Forget(ctx, ft); err != nil {
				t.Fatal(err)
			}
			if rep, err := ea.Violations(ctx, target, t0); err != nil || rep.Total != 0 || rep.Bans != 0 || len(rep.Recent) != 0 {
				t.Fatalf("after Forget on the other instance: %+v %v", rep, err)
			}
			if rep, _ := ea.Violations(ctx, ban.IPTarget(other.Client.IP), t0); rep.Total != 1 {
				t.Fatalf("another client's total %d, want 1", rep.Total)
			}
			if err := a.store.Forget(ctx, "ip:192.0.2.200"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
