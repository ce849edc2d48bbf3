package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
)

func TestOverviewAPI(t *testing.T) {
	f := newFixture(t, nil)
	// The fixture's clock is 12:00: the last hour in minutes ends at
	// 12:01, and the seeded hour starts at 11:01.
	base := now.Add(-59 * time.Minute)
	big := eventlog.NewMemoryStore(1000)
	f.srv.opts.Events = big
	if err := big.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query string
		status      int
		field       string
		want        func() eventlog.Overview
	}{
		{name: "custom range", query: "?from=" + base.Format(time.RFC3339) + "&to=" + base.Add(time.Hour).Format(time.RFC3339) + "&step=10m",
			status: 200, want: func() eventlog.Overview { return overviewtest.Want(base) }},
		{name: "last hour by default", query: "", status: 200, want: func() eventlog.Overview {
			b := eventlog.NewOverviewBuilder(now.Add(time.Minute-time.Hour), now.Add(time.Minute), time.Minute)
			for _, e := range overviewtest.Events(base) {
				b.Add(&e)
			}
			return b.Build()
		}},
		{name: "unknown range", query: "?range=2h", status: 400, field: "range"},
		{name: "bad from", query: "?from=yesterday&to=2026-11-23T00:00:00Z&step=1m", status: 400, field: "from"},
		{name: "bad step", query: "?from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z&step=soon", status: 400, field: "step"},
		{name: "too many steps", query: "?from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z&step=1m", status: 400, field: "step"},
		{name: "reversed", query: "?from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z&step=1h", status: 400, field: "step"},
	} {
		res, body := f.do(t, call{method: "GET", path: "/api/v1/overview" + tc.query, auth: bearer})
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.StatusCode, tc.status, body)
			continue
		}
		if tc.field != "" {
			if got := decode(t, body)["field"]; got != tc.field {
				t.Errorf("%s: field %v, want %s", tc.name, got, tc.field)
			}
			continue
		}
		var got eventlog.Overview
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		overviewtest.Check(t, got, tc.want())
	}
	// A store without overviews answers 501.
	f.srv.opts.Events = eventsOnly{}
	if res, _ := f.do(t, call{method: "GET", path: "/api/v1/overview", auth: bearer}); res.StatusCode != http.StatusNotImplemented {
		t.Errorf("store without overviews: status %d, want 501", res.StatusCode)
	}
}

type eventsOnly struct{}

func (eventsOnly) Events(context.Context, time.Time, int) ([]eventlog.Event, error) { return nil, nil }
