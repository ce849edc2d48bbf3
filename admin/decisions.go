package admin

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/clip"
)

// Decision is one line of GET /api/v1/decisions: an event, and how many
// like it came right before it (Repeat, 1 for a single one) down to the
// time of the oldest of them (Since).
type Decision struct {
	eventlog.Event
	Repeat int       `json:"repeat"`
	Since  time.Time `json:"since"`
}

// sameDecision reports whether b repeats a: the same client got the same
// answer on the same route for the same findings. Messages may differ
// (each quotes its own request); the newest one's are shown.
func sameDecision(a, b *eventlog.Event) bool {
	if a.Action != b.Action || a.Would != b.Would || a.Client != b.Client || a.Route != b.Route ||
		a.Method != b.Method || a.Status != b.Status || (a.Route == "" && a.Path != b.Path) || (a.Abuse == nil) != (b.Abuse == nil) {
		return false
	}
	if a.Abuse == nil {
		return true
	}
	if len(a.Abuse.Detectors) != len(b.Abuse.Detectors) {
		return false
	}
	for i, d := range a.Abuse.Detectors {
		if e := b.Abuse.Detectors[i]; d.Name != e.Name || d.Violation != e.Violation {
			return false
		}
	}
	return true
}

// collapse folds runs of repeated decisions of a newest-first page.
func collapse(events []eventlog.Event) []Decision {
	out := make([]Decision, 0, len(events))
	for i := range events {
		e := &events[i]
		if k := len(out); k > 0 && sameDecision(&out[k-1].Event, e) {
			out[k-1].Repeat++
			out[k-1].Since = e.Time
			continue
		}
		out = append(out, Decision{Event: *e, Repeat: 1, Since: e.Time})
	}
	return out
}

// handleDecisions answers GET /api/v1/decisions: the decision log from
// the event store, filtered (client, user, route, action, detector,
// violation, from, to, q), newest first, repeats collapsed, a page of at
// most limit events; next is the cursor of the following page.
func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	src, ok := s.opts.Events.(eventlog.Searcher)
	if !ok {
		notConfigured(w, "an event store with search")
		return
	}
	v := r.URL.Query()
	q := eventlog.Query{
		Client: v.Get("client"), User: v.Get("user"), Route: v.Get("route"), Action: v.Get("action"),
		Detector: v.Get("detector"), Violation: v.Get("violation"), Search: v.Get("q"),
		Limit: eventlog.DefaultLimit,
	}
	for _, f := range []struct {
		name string
		val  string
		max  int
	}{{"client", q.Client, 64}, {"user", q.User, eventlog.MaxUserBytes}, {"route", q.Route, eventlog.MaxRouteBytes},
		{"action", q.Action, eventlog.MaxNameBytes}, {"detector", q.Detector, eventlog.MaxNameBytes},
		{"violation", q.Violation, eventlog.MaxNameBytes}, {"q", q.Search, 256}} {
		if len(f.val) > f.max {
			badRequest(w, f.name, "%s: at most %d bytes", f.name, f.max)
			return
		}
	}
	var err error
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if raw := v.Get(t.name); raw != "" {
			if *t.dst, err = parseTime(raw); err != nil {
				badRequest(w, t.name, `%s: %q is not an RFC 3339 time like "2026-11-23T12:00:00Z"`, t.name, clip.String(raw, 64))
				return
			}
		}
	}
	if raw := v.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > eventlog.MaxLimit {
			badRequest(w, "limit", "limit: must be an integer from 1 to %d", eventlog.MaxLimit)
			return
		}
		q.Limit = n
	}
	if q.After, err = eventlog.ParseCursor(v.Get("cursor")); err != nil {
		badRequest(w, "cursor", "cursor: %v", err)
		return
	}
	p, err := src.Search(r.Context(), q)
	if errors.Is(err, eventlog.ErrCursor) {
		badRequest(w, "cursor", "cursor: %v", err)
		return
	}
	if err != nil {
		s.internal(w, "searching decisions", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": collapse(p.Events), "events": len(p.Events), "next": p.Next.String()})
}
