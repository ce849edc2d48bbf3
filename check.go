package warden

import (
	"net/http"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
)

// Check runs the pipeline on r up to the decision and returns it without
// answering: for apps that want to act on the decision themselves. It
// counts like a served request (rate limits, behaviour windows, violations
// and bans all see it), and observers are told the status Warden would have
// answered with (200 when allowed). A buffered body is restored on r.
func (g *Guard) Check(r *http.Request) Decision {
	start := g.now()
	run := g.getRun()
	defer g.putRun(run)
	req := &run.req
	g.identify(run, r, start)
	if g.allowed(req.Client) {
		return Decision{Mode: g.cfg.Mode}
	}
	var d Decision
	ctx := decisionContext(r)
	if b, ok := g.banned(ctx, req.Client, start); ok {
		d = banDecision(b, start)
		if g.cfg.Mode == config.Monitor {
			d.Action, d.Mode = abuse.Log, config.Monitor
		}
		el := g.now().Sub(start)
		g.record(req, &d, statusOf(d.Action), el, el)
		return d
	}
	t := g.routes.Load()
	e := t.match(req)
	if e != nil {
		req.Route, req.Class = e.pattern, e.class
	}
	if a := g.readBody(discardHeaders{}, r, req); a != abuse.Allow {
		return Decision{Action: a, Would: a, Mode: config.Enforce, Confidence: 1, Detector: "inspect"}
	}
	g.runAll(ctx, r, run, t, e)
	d = g.decide(run.verdicts, run.modes)
	d.Verdicts = append([]abuse.Verdict(nil), run.verdicts...) // run is recycled
	g.enforce(ctx, req, run)
	out := abuse.Outcome{Status: statusOf(d.Action), Action: d.Action, Verdicts: d.Verdicts, Acts: g.acts(run)}
	for _, o := range run.observed {
		o.Observe(req, out)
	}
	el := g.now().Sub(start)
	g.record(req, &d, out.Status, el, el)
	return d
}

func statusOf(a abuse.Action) int {
	if s := a.Status(); s != 0 {
		return s
	}
	return http.StatusOK
}

// discardHeaders is a ResponseWriter for MaxBytesReader when there is no
// response to write.
type discardHeaders struct{}

func (discardHeaders) Header() http.Header         { return http.Header{} }
func (discardHeaders) Write(b []byte) (int, error) { return len(b), nil }
func (discardHeaders) WriteHeader(int)             {}
