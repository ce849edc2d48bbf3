package aiguard

import (
	"fmt"
	"strings"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/route"
)

// routePattern is one route of the ai section, a net/http.ServeMux
// pattern ("POST /v1/chat/completions", "/v1/models/{name}/predict"). It
// matches a request whose route (abuse.Request.Route, the pattern the
// pipeline matched) is the pattern, or whose path matches it as route
// classes do: as ServeMux routes it, and under route_matching's variants,
// so that "/V1/Chat/Completions/" cannot dodge a budget or a check that
// "POST /v1/chat/completions" has.
type routePattern struct {
	raw string
	t   *route.Table[struct{}] // one pattern: the ai routes are a set, not a choice
}

// checkRoute reports a pattern ServeMux refuses.
func checkRoute(p string) error {
	_, err := newRoute(p, route.Exact)
	return err
}

// newRoute returns the matcher of pattern p under variants v.
func newRoute(p string, v route.Variants) (routePattern, error) {
	rp := routePattern{raw: p, t: route.NewTable[struct{}](v)}
	if err := rp.t.Add(strings.TrimSpace(p), struct{}{}); err != nil {
		return rp, fmt.Errorf("pattern %q: %w", p, err)
	}
	return rp, nil
}

func (rp *routePattern) match(r *abuse.Request) bool {
	if r.Route != "" && r.Route == rp.raw {
		return true
	}
	_, _, ok := rp.t.Match(r.Method, r.Host, r.Path)
	return ok
}

// variants returns the route_matching variants set by
// Config.WithRouteMatching, or route_matching's defaults (every variant).
func variants(v *route.Variants) route.Variants {
	if v == nil {
		return route.All
	}
	return *v
}
