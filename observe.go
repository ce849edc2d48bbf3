package warden

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/eventlog"
)

// record feeds metrics, the token rollup and, for decisions worth it,
// the decision log. decided is how long the decision took, latency the
// whole request. It runs after the observers, one of which may have
// measured the answer's tokens into req.Tokens.
func (g *Guard) record(req *abuse.Request, d *Decision, status int, latency, decided time.Duration) {
	out := abuse.Outcome{Status: status, Latency: latency, Action: d.Action, Verdicts: d.Verdicts}
	if g.metrics != nil {
		g.metrics.Observe(req, out)
		g.metrics.DecisionLatency(decided)
	}
	if g.usage != nil {
		g.usage.Add(req.Time, req.Route, req.Tokens)
	}
	if g.events == nil {
		return
	}
	if d.Would != abuse.Allow || g.cfg.Log.Requests {
		e := eventlog.FromDecision(req, status, d.Action, string(d.Mode), d.Verdicts)
		if d.Would != d.Action {
			e.Would = d.Would.String()
		}
		g.events.Enqueue(e)
	}
}

// writeError answers e as JSON with status: Warden's own answers (403,
// 429, 413, 500 and the forward-auth refusals).
func writeError(w http.ResponseWriter, status int, e errorBody) {
	b, err := json.Marshal(e)
	if err != nil {
		b = []byte(`{"error":"internal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if e.RequestID != "" {
		h.Set("X-Request-Id", e.RequestID)
	}
	// A front proxy in forward-auth mode drops the body of the answer it
	// acts on (nginx's auth_request): the error code in a header lets it
	// build the same answer.
	h.Set("X-Warden-Error", e.Error)
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func boundedString(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 256 {
		s = s[:256] + "…"
	}
	return s
}
