package logreplay

import (
	"fmt"
	"maps"
	"slices"

	"github.com/warden-dev/warden/internal/route"
)

// routeTable maps request paths to ServeMux patterns and their route
// class with the matcher the proxy uses online, under the same
// route_matching variants, so that a replay classes requests as the proxy
// would have.
type routeTable struct {
	t *route.Table[string] // pattern → class
}

func newRouteTable(classes map[string][]string, v route.Variants) (*routeTable, error) {
	t := route.NewTable[string](v)
	for _, class := range slices.Sorted(maps.Keys(classes)) {
		for i, p := range classes[class] {
			if err := t.Add(p, class); err != nil {
				return nil, fmt.Errorf("routes.%s[%d]: %w", class, i, err)
			}
		}
	}
	return &routeTable{t: t}, nil
}

// match returns the pattern and class for a request, or "", "". The path
// is the logged request target's, escaped, as the proxy matches it.
func (t *routeTable) match(method, host, path string) (pattern, class string) {
	class, pattern, _ = t.t.Match(method, host, path)
	return pattern, class
}
