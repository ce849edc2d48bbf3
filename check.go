package warden

import (
	"net/http"

	"github.com/warden-dev/warden/abuse"
)

// Check runs the pipeline on r up to the decision and returns it without
// answering: for apps that want to act on the decision themselves. It
// decides as Handler does, in the same code, and counts like a served
// request (rate limits, behaviour windows, violations
// and bans all see it), and observers are told the status Warden would have
// answered with (200 when allowed). A buffered body is restored on r.
func (g *Guard) Check(r *http.Request) Decision {
	start := g.now()
	run := g.getRun()
	defer g.putRun(run)
	g.identify(run, r, start)
	if g.allowed(run.req.Client) {
		return Decision{Mode: g.cfg.Mode}
	}
	var d Decision
	g.decideRun(discardHeaders{}, r, run, start, &d)
	d.Verdicts = append([]abuse.Verdict(nil), d.Verdicts...) // run is recycled
	el := g.now().Sub(start)
	g.finish(run, &d, statusOf(d.Action), el, el)
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
