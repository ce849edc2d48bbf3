package warden_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/pgtest"
	"github.com/warden-dev/warden/internal/poll"
	"github.com/warden-dev/warden/server"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/sqlite"
)

// With store.postgres set, decisions go to PostgreSQL and the admin API
// lists them from there. With PostgreSQL stopped, requests are still
// answered, their events land in SQLite in the data dir, and the fallback
// is counted; restarted, new events go to PostgreSQL again, and the admin
// API lists all of them.
func TestPostgresEventStore(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.New(t)
	dsn := srv.NewDatabase(t)
	cfg := testConfig(t)
	cfg.Store.Postgres = dsn
	cfg.Log.FlushInterval = 10 * time.Millisecond
	cfg.Admin.Token = "test-token-0123456789"
	cfg.Enforce.Ban = false // the test's attacker must not be banned: its benign requests go on
	g := newServerGuard(t, cfg)
	g.Use(containsDetector("needle", "attack", abuse.Verdict{Confidence: 0.95, Violation: "sqli"}))
	up := &upstream{}
	h := g.Handler(up)
	adm, _, err := g.AdminHandler()
	if err != nil {
		t.Fatal(err)
	}

	// Where events went, read from each store on its own.
	pgOnly, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Timeout: 2 * time.Second, RetryAfter: time.Millisecond}, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pgOnly.Close()
	local, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, server.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	stored := func(s eventlog.Store) []string {
		got, err := s.Events(ctx, time.Time{}, eventlog.MaxLimit)
		if err != nil {
			return nil
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.RequestID)
		}
		return ids
	}
	holds := func(s eventlog.Store, want []string) func() bool {
		return func() bool {
			have := stored(s)
			for _, id := range want {
				if !slices.Contains(have, id) {
					return false
				}
			}
			return true
		}
	}
	// attacks sends n blocked requests and returns their request ids;
	// a benign request must still reach the upstream.
	attacks := func(n int) []string {
		t.Helper()
		var ids []string
		for range n {
			w, a := do(t, h, httptest.NewRequest("GET", "/api/items?q=attack", nil))
			if w.Code != http.StatusForbidden || a.RequestID == "" {
				t.Fatalf("attack answered %d %+v, want 403 with a request id", w.Code, a)
			}
			ids = append(ids, a.RequestID)
		}
		hits := up.hits.Load()
		if w, _ := do(t, h, httptest.NewRequest("GET", "/api/items", nil)); w.Code != http.StatusOK || up.hits.Load() != hits+1 {
			t.Fatalf("benign request answered %d without reaching the upstream", w.Code)
		}
		return ids
	}

	before := attacks(3)
	poll.Until(t, "events in PostgreSQL", holds(pgOnly, before))

	srv.Stop()
	during := attacks(4)
	poll.Until(t, "events in the SQLite fallback", holds(local, during))
	if n := fallbacks(t, g, "postgres"); n == 0 {
		t.Error(`warden_store_fallbacks_total{store="postgres"} did not count the outage`)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The store probes PostgreSQL every second: until it notices, events
	// still go to the fallback.
	var after []string
	poll.Until(t, "events in PostgreSQL again", func() bool {
		after = append(after, attacks(1)...)
		time.Sleep(50 * time.Millisecond) // let the writer flush it
		return holds(pgOnly, after[len(after)-1:])()
	})
	recovered := attacks(2)
	after = append(after, recovered...)
	poll.Until(t, "new events in PostgreSQL", holds(pgOnly, recovered))
	for _, id := range recovered {
		if slices.Contains(stored(local), id) {
			t.Errorf("event %s written after recovery went to the fallback", id)
		}
	}

	// The admin API lists from both: nothing written is lost from view.
	r := httptest.NewRequest("GET", "/api/v1/events?limit=100", nil)
	r.Header.Set("Authorization", "Bearer "+cfg.Admin.Token)
	w := httptest.NewRecorder()
	adm.ServeHTTP(w, r)
	var body struct{ Events []eventlog.Event }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusOK {
		t.Fatalf("admin events: %d %s", w.Code, w.Body)
	}
	var listed []string
	for _, e := range body.Events {
		listed = append(listed, e.RequestID)
	}
	for _, id := range slices.Concat(before, during, after) {
		if !slices.Contains(listed, id) {
			t.Errorf("admin API does not list event %s; it lists %v", id, listed)
		}
	}
}

// fallbacks reads warden_store_fallbacks_total for a store.
func fallbacks(t *testing.T, g *server.Guard, store string) float64 {
	t.Helper()
	families, err := g.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "warden_store_fallbacks_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "store" && l.GetValue() == store {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
