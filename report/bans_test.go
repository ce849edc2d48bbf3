package report_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/report"
)

// banChanges is a day of bans placed and lifted; the figures are worked
// out in checkBans.
func banChanges() []ban.Change {
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	ip := func(s string) ban.Target { return ban.AddrTarget(netip.MustParseAddr(s)) }
	placed := func(t ban.Target, from, until int, by string) ban.Change {
		return ban.Change{Time: at(from), Ban: ban.Ban{Target: t, Reason: "r", Created: at(from), Until: at(until)}, By: by}
	}
	lifted := func(t ban.Target, h int, cleared bool) ban.Change {
		return ban.Change{Time: at(h), Lifted: true, Ban: ban.Ban{Target: t}, By: ban.ByAdmin, ScoreCleared: cleared}
	}
	return []ban.Change{
		placed(ip("198.51.100.1"), -4, 2, ban.ByEnforce), // placed the day before, runs out today
		placed(ip("198.51.100.2"), 3, 5, ban.ByEnforce),
		lifted(ip("198.51.100.2"), 4, true),                // lifted before its end, scores cleared
		placed(ban.UserTarget("b"), 10, 12, ban.ByEnforce), // runs out today
		placed(ip("198.51.100.3"), 22, 25, ban.ByEnforce),  // runs out tomorrow
		placed(ip("198.51.100.4"), 6, 8, ban.ByAdmin),
		lifted(ip("198.51.100.4"), 7, false), // keep_score=true
		lifted(ip("198.51.100.3"), 24, true), // tomorrow
	}
}

// checkBans: placed today 4 (03h, 06h, 10h, 22h); lifted today 2, one
// clearing scores; run out today 2 (the day before's and user b's: the
// 03h and 06h bans were lifted first, the 22h one ends tomorrow).
func checkBans(t *testing.T, r *report.Report) {
	t.Helper()
	b := r.Bans
	if b.Issued != 4 || b.Lifted != 2 || b.LiftedCleared != 1 || b.Expired != 2 {
		t.Errorf("bans = %+v, want 4 issued, 2 lifted (1 clearing scores), 2 expired", b)
	}
	text, _, _ := r.Render("text")
	if !strings.Contains(string(text), "issued: 4   lifted: 2 (scores cleared: 1)   expired: 2") {
		t.Errorf("text report:\n%s", text)
	}
	if hasNote(r, "no ban history") {
		t.Errorf("notes say there is no ban history: %q", r.Notes)
	}
}

func TestBanHistorySQLite(t *testing.T) {
	ctx := context.Background()
	st, src := openSQLite(t)
	cs := banChanges()
	// Two writes, as the recorder batches them.
	if err := st.AddBanChanges(ctx, cs[:3]); err != nil {
		t.Fatal(err)
	}
	if err := st.AddBanChanges(ctx, cs[3:]); err != nil {
		t.Fatal(err)
	}
	checkBans(t, buildPriced(t, src, nil))

	// Today's report at 11h: user b's ban (until 12h) has not run out yet.
	bl, err := report.New(report.Options{Source: src, Config: report.DefaultConfig(), Now: func() time.Time { return day.Add(11 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := bl.Build(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bans.Expired != 1 {
		t.Errorf("expired at 11h = %d, want 1 (the day before's ban only)", r.Bans.Expired)
	}
}

func TestBanHistoryPostgres(t *testing.T) {
	st, src := openPostgres(t)
	if err := st.AddBanChanges(context.Background(), banChanges()); err != nil {
		t.Fatal(err)
	}
	checkBans(t, buildPriced(t, src, nil))
}
