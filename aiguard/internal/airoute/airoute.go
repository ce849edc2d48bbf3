// Package airoute matches the routes of the ai section (budget, model
// input, extraction and judge wait routes) as route classes match theirs.
// It is internal to aiguard.
package airoute

import (
	"fmt"
	"strings"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/route"
)

// Pattern is one route of the ai section, a net/http.ServeMux
// pattern ("POST /v1/chat/completions", "/v1/models/{name}/predict"). It
// matches a request whose route (abuse.Request.Route, the pattern the
// pipeline matched) is the pattern, or whose path matches it as route
// classes do: as ServeMux routes it, and under route_matching's variants,
// so that "/V1/Chat/Completions/" cannot dodge a budget or a check that
// "POST /v1/chat/completions" has.
type Pattern struct {
	raw string
	t   *route.Table[struct{}] // one pattern: the ai routes are a set, not a choice
}

// Check reports a pattern ServeMux refuses.
func Check(p string) error {
	_, err := New(p, route.Exact)
	return err
}

// New returns the matcher of pattern p under variants v.
func New(p string, v route.Variants) (Pattern, error) {
	rp := Pattern{raw: p, t: route.NewTable[struct{}](v)}
	if err := rp.t.Add(strings.TrimSpace(p), struct{}{}); err != nil {
		return rp, fmt.Errorf("pattern %q: %w", p, err)
	}
	return rp, nil
}

// String returns the pattern as configured.
func (rp *Pattern) String() string { return rp.raw }

// Match reports whether r is on the route.
func (rp *Pattern) Match(r *abuse.Request) bool {
	if r.Route != "" && r.Route == rp.raw {
		return true
	}
	_, _, ok := rp.t.Match(r.Method, r.Host, r.Path)
	return ok
}

// Variants returns the route_matching variants set by
// aiguard.Config.WithRouteMatching, or route_matching's defaults (every variant).
func Variants(v *route.Variants) route.Variants {
	if v == nil {
		return route.All
	}
	return *v
}
