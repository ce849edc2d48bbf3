package enforce

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
)

// TestRecordFindingRepeats: the same finding from the same client scores
// once per repeat window; different findings, other clients and a later
// window score again.
func TestRecordFindingRepeats(t *testing.T) {
	tests := []struct {
		name      string
		window    time.Duration
		n         int
		finding   func(i int) uint64
		step      time.Duration // between requests
		wantTotal int64
		wantBan   bool
	}{
		{"same finding retried", 10 * time.Minute, 30, func(int) uint64 { return 7 }, time.Second, 1, false},
		{"same finding, once per window", 10 * time.Minute, 30, func(int) uint64 { return 7 }, time.Minute, 3, false},
		{"different findings", 10 * time.Minute, 30, func(i int) uint64 { return uint64(i + 1) }, time.Second, 20, true},
		{"no finding: always scored", 10 * time.Minute, 30, func(int) uint64 { return 0 }, time.Second, 20, true},
		{"repeat_window 0 scores repeats", 0, 30, func(int) uint64 { return 7 }, time.Second, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.RepeatWindow = tt.window
			e, _ := newEnforcer(t, cfg, Options{})
			ctx := context.Background()
			banned := false
			for i := range tt.n {
				_, b, err := e.RecordFinding(ctx, request("192.0.2.9", "", t0.Add(time.Duration(i)*tt.step)), "sqli", tt.finding(i))
				if err != nil {
					t.Fatal(err)
				}
				banned = banned || b
			}
			rep, err := e.Violations(ctx, ban.IPTarget(netip.MustParseAddr("192.0.2.9")), t0)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Total != tt.wantTotal || banned != tt.wantBan {
				t.Fatalf("total %d banned %v, want %d %v", rep.Total, banned, tt.wantTotal, tt.wantBan)
			}
		})
	}
	t.Run("other clients score the same finding", func(t *testing.T) {
		e, _ := newEnforcer(t, DefaultConfig(), Options{})
		for _, ip := range []string{"192.0.2.1", "192.0.2.2"} {
			if _, _, err := e.RecordFinding(context.Background(), request(ip, "", t0), "sqli", 7); err != nil {
				t.Fatal(err)
			}
			rep, _ := e.Violations(context.Background(), ban.IPTarget(netip.MustParseAddr(ip)), t0)
			if rep.Total != 1 {
				t.Fatalf("%s: total %d, want 1", ip, rep.Total)
			}
		}
		if st := e.Stats(); st.Repeated != 0 {
			t.Fatalf("repeated %d, want 0", st.Repeated)
		}
	})
}

// TestForget: forgetting a target clears its scores, counts, log and
// strikes; an IPv6 address or /128 forgets the network it is scored as.
func TestForget(t *testing.T) {
	tests := []struct {
		name, client, forget, report string
	}{
		{"IPv4", "192.0.2.7", "ip:192.0.2.7", "ip:192.0.2.7"},
		{"user", "192.0.2.8", "user:42", "user:42"},
		{"IPv6 address: its /64", "2001:db8:5::1", "ip:2001:db8:5::99/128", "ip:2001:db8:5::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEnforcer(t, DefaultConfig(), Options{})
			ctx := context.Background()
			user := ""
			if tt.forget == "user:42" {
				user = "42"
			}
			for i := range 25 {
				if _, _, err := e.RecordFinding(ctx, request(tt.client, user, t0.Add(time.Duration(i)*time.Second)), "sqli", uint64(i+1)); err != nil {
					t.Fatal(err)
				}
			}
			target, err := ban.ParseTarget(tt.report)
			if err != nil {
				t.Fatal(err)
			}
			if rep, _ := e.Violations(ctx, target, t0); rep.Total < 20 || rep.Bans != 1 {
				t.Fatalf("before: %+v", rep)
			}
			ft, err := ban.ParseTarget(tt.forget)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Forget(ctx, ft); err != nil {
				t.Fatal(err)
			}
			rep, _ := e.Violations(ctx, target, t0)
			if rep.Total != 0 || rep.Bans != 0 || len(rep.Recent) != 0 || len(rep.Counts) != 0 {
				t.Fatalf("after Forget: %+v", rep)
			}
		})
	}
}

// TestForgetSharedOutage: a shared tally's failure is reported, and the
// memory fallback is cleared all the same.
func TestForgetSharedOutage(t *testing.T) {
	e, _ := newEnforcer(t, DefaultConfig(), Options{Tally: &failingTally{}})
	ctx := context.Background()
	r := request("192.0.2.3", "", t0)
	if _, _, err := e.RecordFinding(ctx, r, "sqli", 1); err != nil {
		t.Fatal(err)
	}
	target := ban.IPTarget(r.Client.IP)
	if rep, _ := e.local.Report(ctx, target.String(), t0); rep.Total != 1 {
		t.Fatalf("fallback total %d, want 1", rep.Total)
	}
	if err := e.Forget(ctx, target); err == nil {
		t.Fatal("Forget hid the shared tally's failure")
	}
	if rep, _ := e.local.Report(ctx, target.String(), t0); rep.Total != 0 {
		t.Fatalf("fallback total %d after Forget, want 0", rep.Total)
	}
}
