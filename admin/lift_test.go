package admin

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
)

// forgetter records the targets it was asked to forget.
type forgetter struct {
	mu  sync.Mutex
	got []string
	err error
}

func (f *forgetter) Forget(_ context.Context, t ban.Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, t.String())
	return f.err
}

// TestLiftClearsScores: lifting a ban clears the target's scores unless
// keep_score=true; a bad keep_score is refused before anything changes; a
// failure to clear is reported, not hidden.
func TestLiftClearsScores(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		forgetErr   error
		wantStatus  int
		wantField   string
		wantForgot  []string
		wantCleared any // the answer's score_cleared
		wantBanLeft bool
	}{
		{"default clears", "/api/v1/bans/ip:203.0.113.7", nil, 200, "", []string{"ip:203.0.113.7"}, true, false},
		{"keep_score=true keeps", "/api/v1/bans/ip:203.0.113.7?keep_score=true", nil, 200, "", nil, false, false},
		{"keep_score=false clears", "/api/v1/bans/ip:203.0.113.7?keep_score=false", nil, 200, "", []string{"ip:203.0.113.7"}, true, false},
		{"IPv6 address clears its network", "/api/v1/bans/ip:2001:db8:4::9", nil, 200, "", []string{"ip:2001:db8:4::/64"}, true, false},
		{"bad keep_score", "/api/v1/bans/ip:203.0.113.7?keep_score=maybe", nil, 400, "keep_score", nil, nil, true},
		{"no ban: nothing cleared", "/api/v1/bans/ip:198.51.100.1", nil, 404, "target", nil, nil, true},
		{"clearing fails", "/api/v1/bans/ip:203.0.113.7", errors.New("redis down"), 500, "", []string{"ip:203.0.113.7"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fg := &forgetter{err: tt.forgetErr}
			f := newFixture(t, func(o *Options) { o.Forget = fg })
			ctx := context.Background()
			for _, target := range []string{"ip:203.0.113.7", "ip:2001:db8:4::/64"} {
				tg, _ := ban.ParseTarget(target)
				if err := f.bans.Add(ctx, ban.Ban{Target: tg, Created: now, Until: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			res, body := f.do(t, call{method: "DELETE", path: tt.path, auth: bearer})
			m := decode(t, body)
			if res.StatusCode != tt.wantStatus || (tt.wantField != "" && m["field"] != tt.wantField) {
				t.Fatalf("%d %s, want %d naming %q", res.StatusCode, body, tt.wantStatus, tt.wantField)
			}
			if tt.wantCleared != nil && m["score_cleared"] != tt.wantCleared {
				t.Fatalf("score_cleared %v, want %v", m["score_cleared"], tt.wantCleared)
			}
			if len(fg.got) != len(tt.wantForgot) || (len(fg.got) > 0 && fg.got[0] != tt.wantForgot[0]) {
				t.Fatalf("forgot %v, want %v", fg.got, tt.wantForgot)
			}
			_, left, _ := f.bans.Lookup(ctx, ban.IPTarget(netip.MustParseAddr("203.0.113.7")), now)
			if left != tt.wantBanLeft && tt.path != "/api/v1/bans/ip:2001:db8:4::9" {
				t.Fatalf("ban on 203.0.113.7 left: %v, want %v", left, tt.wantBanLeft)
			}
		})
	}
}
