package report_test

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/budget"
	"github.com/warden-dev/warden/report"
	"github.com/warden-dev/warden/store/sqlite"
	"github.com/warden-dev/warden/usage"
)

// usageFixture feeds the token rollup as `warden serve` does, in three
// writes so that rows of one hour, route and model add up in the store.
func usageFixture(t *testing.T, st usage.Store) {
	t.Helper()
	ctx := context.Background()
	u, err := usage.New(usage.Options{Store: st, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	chat := "POST /v1/chat/completions"
	// The day before: one request.
	u.Add(day.Add(-14*time.Hour), chat, abuse.Tokens{Model: "gpt-4o-mini", Prompt: 100_000, Completion: 50_000})
	// The day: gpt-4o-mini twice (two writes), gpt-4o once, a model with
	// no price once, estimated.
	u.Add(day.Add(9*time.Hour), chat, abuse.Tokens{Model: "gpt-4o-mini", Prompt: 200_000, Completion: 60_000})
	if err := u.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	u.Add(day.Add(9*time.Hour+time.Minute), chat, abuse.Tokens{Model: "gpt-4o-mini", Prompt: 100_000, Completion: 40_000})
	u.Add(day.Add(20*time.Hour), "POST /v1/responses", abuse.Tokens{Model: "gpt-4o", Prompt: 200_000, Completion: 100_000})
	if err := u.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	u.Add(day.Add(23*time.Hour), chat, abuse.Tokens{Model: "local-llama", Prompt: 400, Estimated: true})
	// The next day: not in the report.
	u.Add(day.Add(25*time.Hour), chat, abuse.Tokens{Model: "gpt-4o", Prompt: 1_000_000})
	if err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

var prices = map[string]budget.Price{"gpt-4o-mini": {Input: 0.15, Output: 0.60}, "gpt-4o": {Input: 2.5, Output: 10}}

func buildPriced(t *testing.T, src *report.Source, p map[string]budget.Price) *report.Report {
	t.Helper()
	b, err := report.New(report.Options{Source: src, Config: report.DefaultConfig(), Prices: p,
		Now: func() time.Time { return day.Add(30 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Build(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkUsage asserts the fixture's token figures, worked out by hand:
// today 300k+100k (mini) + 200k+100k (4o) + 400 = 700,400 tokens, the day
// before 150,000; cost today 0.045+0.06 (mini) + 0.5+1.0 (4o) = $1.605,
// the day before 0.015+0.03 = $0.045; llama's 400 tokens have no price.
func checkUsage(t *testing.T, r *report.Report) {
	t.Helper()
	if r.Today.Tokens != 700_400 || r.Yesterday.Tokens != 150_000 {
		t.Errorf("tokens today %d, day before %d; want 700400, 150000", r.Today.Tokens, r.Yesterday.Tokens)
	}
	if math.Abs(r.Today.CostUSD-1.605) > 1e-9 || math.Abs(r.Yesterday.CostUSD-0.045) > 1e-9 {
		t.Errorf("cost today %v, day before %v; want 1.605, 0.045", r.Today.CostUSD, r.Yesterday.CostUSD)
	}
	u := r.Usage
	if u == nil {
		t.Fatal("no usage section")
	}
	if u.Requests != 4 || u.PromptTokens != 500_400 || u.CompletionTokens != 200_000 || u.Estimated != 1 || u.UnpricedTokens != 400 || !u.Priced {
		t.Errorf("usage %+v", *u)
	}
	wantModels := []string{"gpt-4o-mini", "gpt-4o", "local-llama"}
	if len(u.Models) != 3 || u.Models[0].Name != wantModels[0] || u.Models[1].Name != wantModels[1] || u.Models[2].Name != wantModels[2] {
		t.Fatalf("models %+v, want %v by tokens", u.Models, wantModels)
	}
	if !u.Models[2].Unpriced || u.Models[0].Unpriced {
		t.Errorf("unpriced flags: %+v", u.Models)
	}
	if m := u.Models[0]; m.Requests != 2 || m.PromptTokens != 300_000 || m.CompletionTokens != 100_000 || math.Abs(m.CostUSD-0.105) > 1e-9 {
		t.Errorf("gpt-4o-mini %+v", m)
	}
	if len(u.Routes) != 2 || u.Routes[0].Name != "POST /v1/chat/completions" || u.Routes[0].Requests != 3 {
		t.Errorf("routes %+v", u.Routes)
	}
	for _, f := range report.Formats() {
		out, _, err := r.Render(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(out)
		want := []string{"700,400", "150,000", "$1.6", "$0.0450", "gpt-4o-mini", "366.9%", "no price"}
		if f == "json" {
			want = []string{`"tokens": 700400`, `"cost_usd": 1.605`, `"cost_usd": 0.045`, `"gpt-4o-mini"`}
		}
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: no %q in\n%s", f, w, s)
			}
		}
	}
	var facts map[string]any
	b, _ := json.Marshal(r.Today)
	if err := json.Unmarshal(b, &facts); err != nil || facts["tokens"] != 700400.0 {
		t.Errorf("headline JSON %s", b)
	}
}

func TestUsageSQLite(t *testing.T) {
	st, src := openSQLite(t)
	usageFixture(t, st)
	checkUsage(t, buildPriced(t, src, prices))
}

func TestUsagePostgres(t *testing.T) {
	st, src := openPostgres(t)
	usageFixture(t, st)
	checkUsage(t, buildPriced(t, src, prices))
}

// Without prices the report shows tokens and says why there is no cost;
// with no rollup table yet it says that no usage was recorded.
func TestUsageNotes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src, err := report.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := buildPriced(t, src, nil)
	if r.Usage != nil || !hasNote(r, "no token usage recorded yet") {
		t.Errorf("empty store: usage %+v, notes %q", r.Usage, r.Notes)
	}
	usageFixture(t, db)
	r = buildPriced(t, src, nil)
	if r.Today.Tokens != 700_400 || r.Today.CostUSD != 0 || r.Usage.Priced || !hasNote(r, "no prices configured (ai.budget.prices)") {
		t.Errorf("unpriced: today %+v, notes %q", r.Today, r.Notes)
	}
	if text, _, _ := r.Render("text"); strings.Contains(string(text), "$") {
		t.Errorf("a cost line without prices:\n%s", text)
	}
}

func hasNote(r *report.Report, prefix string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, prefix) {
			return true
		}
	}
	return false
}

// Retention (log.retention) deletes the rollup's and the ban history's
// rows from before the cutoff and keeps the rest, in both stores.
func TestRetention(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t testing.TB) (fixtureStore, *report.Source)
	}{
		{"sqlite", openSQLite},
		{"postgres", openPostgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, src := tc.open(t)
			usageFixture(t, st)
			if err := st.AddBanChanges(ctx, banChanges()); err != nil {
				t.Fatal(err)
			}
			if n, err := st.DeleteUsageBefore(ctx, day); err != nil || n != 1 {
				t.Fatalf("usage rows deleted %d, %v; want the day before's 1", n, err)
			}
			if n, err := st.DeleteBanChangesBefore(ctx, day); err != nil || n != 1 {
				t.Fatalf("ban changes deleted %d, %v; want the day before's 1", n, err)
			}
			r := buildPriced(t, src, prices)
			if r.Today.Tokens != 700_400 || r.Yesterday.Tokens != 0 || r.Bans.Issued != 4 || r.Bans.Lifted != 2 {
				t.Errorf("after retention: today %+v, day before %+v, bans %+v", r.Today, r.Yesterday, r.Bans)
			}
		})
	}
}
