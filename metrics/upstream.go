package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// MaxRouteLabels caps the distinct route patterns of
// warden_upstream_responses_total; routes past it are counted as "other".
const MaxRouteLabels = 1024

// UpstreamUnreachable is the status UpstreamResponse takes for a request
// whose upstream could not be reached (refused, reset, timed out): the
// answer the client got (502 or 504) is Warden's, not the upstream's.
const UpstreamUnreachable = 0

// upstreamClasses are the class label's values, by status / 100; index 0
// is the transport error.
var upstreamClasses = [6]string{"error", "1xx", "2xx", "3xx", "4xx", "5xx"}

// upstreamKey is a (route pattern, class index) pair.
type upstreamKey struct {
	route string
	class uint8
}

func newUpstreamVec() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_upstream_responses_total",
		Help: "Answers of the upstream to the requests Warden let through, by route pattern (the configured pattern that matched; empty when none did) and status class (1xx to 5xx, or error when the upstream could not be reached and Warden answered 502 or 504).",
	}, []string{"route", "class"})
}

// UpstreamResponse counts the upstream's answer to a request Warden let
// through: its status, or UpstreamUnreachable. route is the matched route
// pattern (abuse.Request's Route, never the client's path). A status out
// of 100..599 counts as 5xx (net/http refuses to send one). It does not
// allocate once the (route, class) pair has been seen.
func (m *Metrics) UpstreamResponse(route string, status int) {
	var class uint8
	switch {
	case status == UpstreamUnreachable:
	case status >= 100 && status < 600:
		class = uint8(status / 100)
	default:
		class = 5
	}
	k := upstreamKey{route, class}
	if c, ok := (*m.upstream.Load())[k]; ok {
		c.Inc()
		return
	}
	m.upstreamCounter(k).Inc()
}

// upstreamCounter resolves a pair's child, made on first use so that no
// class a route never answered is exported as a zero.
func (m *Metrics) upstreamCounter(k upstreamKey) prometheus.Counter {
	m.detMu.Lock()
	defer m.detMu.Unlock()
	cur := *m.upstream.Load()
	if c, ok := cur[k]; ok {
		return c
	}
	label := k.route
	if _, seen := m.upstreamRoutes[k.route]; !seen && len(m.upstreamRoutes) >= MaxRouteLabels {
		label = "other"
	} else {
		m.upstreamRoutes[k.route] = struct{}{}
	}
	c := m.upstreamVec.WithLabelValues(label, upstreamClasses[k.class])
	if label == "other" {
		return c // not cached: the map stays bounded
	}
	next := make(map[upstreamKey]prometheus.Counter, len(cur)+1)
	for kk, v := range cur {
		next[kk] = v
	}
	next[k] = c
	m.upstream.Store(&next)
	return c
}
