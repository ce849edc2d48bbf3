package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/clip"
)

// overviewRange returns the span and step of a range the dashboard
// offers: a chart of at most a few hundred bars.
func overviewRange(name string) (span, step time.Duration, ok bool) {
	switch name {
	case "1h":
		return time.Hour, time.Minute, true
	case "1d":
		return 24 * time.Hour, 10 * time.Minute, true
	case "7d":
		return 7 * 24 * time.Hour, time.Hour, true
	}
	return 0, 0, false
}

// handleOverview answers GET /api/v1/overview?range=1h|1d|7d, or
// ?from=&to=&step= for a custom range (RFC 3339 times, a Go duration).
// The figures are computed by the event store.
func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	ov, ok := s.opts.Events.(eventlog.Overviewer)
	if !ok {
		notConfigured(w, "an event store with overviews")
		return
	}
	q := r.URL.Query()
	var (
		from, to time.Time
		step     time.Duration
	)
	if v := q.Get("range"); v != "" || (q.Get("from") == "" && q.Get("to") == "") {
		if v == "" {
			v = "1h"
		}
		span, st, ok := overviewRange(v)
		if !ok {
			badRequest(w, "range", "range: %q is not one of 1h, 1d, 7d", clip.String(v, 64))
			return
		}
		// Steps start on a step boundary, so bars stay put between
		// refreshes.
		to = s.opts.Now().UTC().Truncate(st).Add(st)
		from, step = to.Add(-span), st
	} else {
		var err error
		if from, err = parseTime(q.Get("from")); err != nil {
			badRequest(w, "from", `from: %q is not an RFC 3339 time like "2026-11-23T12:00:00Z"`, clip.String(q.Get("from"), 64))
			return
		}
		if to, err = parseTime(q.Get("to")); err != nil {
			badRequest(w, "to", `to: %q is not an RFC 3339 time like "2026-11-23T12:00:00Z"`, clip.String(q.Get("to"), 64))
			return
		}
		if step, err = time.ParseDuration(q.Get("step")); err != nil {
			badRequest(w, "step", `step: %q is not a duration like "10m"`, clip.String(q.Get("step"), 64))
			return
		}
	}
	o, err := ov.Overview(r.Context(), from, to, step)
	if errors.Is(err, eventlog.ErrOverviewRange) {
		badRequest(w, "step", "%v", err)
		return
	}
	if err != nil {
		s.internal(w, "computing the overview", err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// parseTime reads an RFC 3339 time from a query parameter; an unencoded
// "+01:00" offset arrives as " 01:00".
func parseTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil && strings.Contains(v, " ") {
		t, err = time.Parse(time.RFC3339, strings.ReplaceAll(v, " ", "+"))
	}
	return t, err
}
