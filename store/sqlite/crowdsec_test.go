package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/crowdsec"
)

// TestCrowdSecDecisions: decisions saved survive a reopen; a save drops
// by value and type before it writes.
func TestCrowdSecDecisions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	until := time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)
	d := func(typ, value string) crowdsec.Decision {
		return crowdsec.Decision{Type: typ, Scope: "Ip", Value: value, Origin: "cscli", Scenario: "s", Until: until}
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.CrowdSecDecisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, []crowdsec.Decision{d("ban", "192.0.2.1"), d("captcha", "192.0.2.1"), d("ban", "192.0.2.2")}, nil); err != nil {
		t.Fatal(err)
	}
	// A decision deleted and given again in one save stays.
	if err := st.Save(ctx, []crowdsec.Decision{d("ban", "192.0.2.2")}, []crowdsec.Decision{d("ban", "192.0.2.1"), d("ban", "192.0.2.2")}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err = db.CrowdSecDecisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, x := range got {
		if !x.Until.Equal(until) || x.Origin != "cscli" {
			t.Fatalf("loaded %+v", x)
		}
		keys = append(keys, x.Type+" "+x.Value)
	}
	slices.Sort(keys)
	if s := strings.Join(keys, ", "); s != "ban 192.0.2.2, captcha 192.0.2.1" {
		t.Fatalf("after reopen: %s", s)
	}
}

// TestHookPending: targets saved survive a reopen; drop removes.
func TestHookPending(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	until := time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.HookPending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, map[string]time.Time{"ip:192.0.2.1": until, "user:42": until}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, nil, []string{"user:42"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, err = db.HookPending(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load(ctx)
	if err != nil || len(got) != 1 || !got["ip:192.0.2.1"].Equal(until) {
		t.Fatalf("after reopen: %v %v", got, err)
	}
}
