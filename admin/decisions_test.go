package admin

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
)

type decisionsAnswer struct {
	Decisions []Decision `json:"decisions"`
	Events    int        `json:"events"`
	Next      string     `json:"next"`
}

func TestDecisionsAPI(t *testing.T) {
	f := newFixture(t, nil)
	base := now.Add(-59 * time.Minute)
	store := eventlog.NewMemoryStore(1000)
	f.srv.opts.Events = store
	if err := store.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	get := func(query string) (int, decisionsAnswer, map[string]any) {
		t.Helper()
		res, body := f.do(t, call{method: "GET", path: "/api/v1/decisions" + query, auth: bearer})
		var a decisionsAnswer
		if res.StatusCode == 200 {
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			return 200, a, nil
		}
		return res.StatusCode, a, decode(t, body)
	}
	// Runs of the same decision collapse: the newest shows, with the count
	// and the time of the oldest.
	for _, tc := range []struct {
		name, query string
		want        []int // repeats of the rows
		events      int
	}{
		{"all", "", []int{5, 1, 2, 20, 7, 3, 12, 40, 4}, 94},
		{"one client", "?client=203.0.113.7", []int{20, 12}, 32},
		{"violation and action", "?violation=sqli&action=block", []int{5, 12, 4}, 21},
		{"hostile user", "?user=" + url.QueryEscape(overviewtest.Hostile), []int{3}, 3},
		{"search", "?q=5%2Fmin", []int{7}, 7},
		{"time range", "?from=" + url.QueryEscape(base.Format(time.RFC3339)) + "&to=" + url.QueryEscape(base.Add(2*time.Minute).Format(time.RFC3339)), []int{40}, 40},
	} {
		status, a, _ := get(tc.query)
		var reps []int
		for _, d := range a.Decisions {
			reps = append(reps, d.Repeat)
		}
		if status != 200 || a.Events != tc.events || !equalInts(reps, tc.want) || a.Next != "" {
			t.Errorf("%s: status %d, %d events, repeats %v, next %q; want %d events, repeats %v", tc.name, status, a.Events, reps, a.Next, tc.events, tc.want)
		}
	}
	status, a, _ := get("?client=203.0.113.7")
	if status == 200 && len(a.Decisions) == 2 {
		ban := a.Decisions[0]
		if ban.Action != "ban" || !ban.Time.Equal(base.Add(25*time.Minute+19*time.Second)) || !ban.Since.Equal(base.Add(25*time.Minute)) {
			t.Errorf("collapsed row: %s at %s since %s", ban.Action, ban.Time, ban.Since)
		}
	}
	// Paging: 10 events a page, following next to the end.
	seen, pages := 0, 0
	for cursor := ""; ; pages++ {
		status, a, _ := get("?limit=10&cursor=" + cursor)
		if status != 200 || pages > 20 {
			t.Fatalf("paging: status %d after %d pages", status, pages)
		}
		seen += a.Events
		if a.Next == "" {
			break
		}
		cursor = a.Next
	}
	if seen != 94 || pages != 9 {
		t.Errorf("paging: %d events in %d pages, want 94 in 10", seen, pages+1)
	}
	for _, tc := range []struct{ query, field string }{
		{"?cursor=bogus!", "cursor"},
		{"?limit=0", "limit"},
		{"?from=monday", "from"},
		{"?q=" + strings.Repeat("a", 300), "q"},
	} {
		status, _, body := get(tc.query)
		if status != 400 || body["field"] != tc.field {
			t.Errorf("%s: status %d, field %v; want 400 naming %s", tc.query, status, body["field"], tc.field)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
