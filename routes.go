package warden

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/warden-dev/warden/internal/route"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
)

// registry is what was registered; rebuildLocked compiles it into a
// routeTable that requests read without locks.
type registry struct {
	classes  map[string][]string // route class → patterns, from config
	global   []abuse.Detector
	routes   []routeDetectors
	defaults []abuse.Detector
}

type routeDetectors struct {
	pattern   string
	detectors []abuse.Detector
}

// stage is one detector as the pipeline runs it.
type stage struct {
	d    abuse.Detector
	name string
	// mode is enforce or monitor, or off for a detector that runs only on
	// the routes of routeModes; detectors off everywhere are left out.
	mode config.Mode
	// routeModes, when set, overrides mode on the routes it holds
	// (detectors.<name>.routes); off there does not run the detector.
	routeModes *route.Table[config.Mode]
	obs        abuse.Observer
	wrap       abuse.ResponseWrapper
	// took records the detector's time per request; nil without metrics.
	took func(time.Duration)
}

// modeFor returns the stage's mode for req.
func (s *stage) modeFor(req *abuse.Request) config.Mode {
	if s.routeModes == nil {
		return s.mode
	}
	if m, _, ok := s.routeModes.Match(req.Method, req.Host, req.Path); ok {
		return m
	}
	return s.mode
}

type routeEntry struct {
	pattern   string
	class     string
	stages    []stage // route-specific detectors
	hasCustom bool    // registered through Detect: defaults do not run
}

// routeTable is an immutable compiled view of the registry.
type routeTable struct {
	table    *route.Table[*routeEntry]
	entries  map[string]*routeEntry
	global   []stage
	defaults []stage
}

func (g *Guard) stages(ds []abuse.Detector) []stage {
	out := make([]stage, 0, len(ds))
	for _, d := range ds {
		name := d.Name()
		mode := g.cfg.Mode
		dc, ok := g.cfg.Detectors[name]
		if ok && dc.Mode != "" {
			mode = dc.Mode
		}
		if mode == config.Off && len(dc.Routes) == 0 {
			continue
		}
		if g.cfg.Mode == config.Monitor && mode != config.Off {
			mode = config.Monitor // the global dry run wins over per-detector enforce
		}
		s := stage{d: d, name: name, mode: mode}
		if len(dc.Routes) > 0 {
			s.routeModes = route.NewTable[config.Mode](g.cfg.RouteMatching.Variants())
			for _, p := range slices.Sorted(maps.Keys(dc.Routes)) {
				m := dc.Routes[p]
				if g.cfg.Mode == config.Monitor && m == config.Enforce {
					m = config.Monitor // as above
				}
				// Validate checked the patterns.
				_ = s.routeModes.Add(p, m)
			}
		}
		s.obs, _ = d.(abuse.Observer)
		s.wrap, _ = d.(abuse.ResponseWrapper)
		if g.metrics != nil {
			s.took = g.metrics.DetectorLatency(name)
		}
		out = append(out, s)
	}
	return out
}

// rebuildLocked compiles the registry into a new routeTable and publishes
// it. g.mu must be held.
func (g *Guard) rebuildLocked() (err error) {
	t := &routeTable{
		table:    route.NewTable[*routeEntry](g.cfg.RouteMatching.Variants()),
		entries:  map[string]*routeEntry{},
		global:   g.stages(g.reg.global),
		defaults: g.stages(g.reg.defaults),
	}
	entry := func(pattern string) *routeEntry {
		e, ok := t.entries[pattern]
		if !ok {
			e = &routeEntry{pattern: pattern}
			t.entries[pattern] = e
			if addErr := t.table.Add(pattern, e); addErr != nil && err == nil {
				err = fmt.Errorf("route pattern %q: %w", pattern, addErr)
			}
		}
		return e
	}
	for _, class := range slices.Sorted(maps.Keys(g.reg.classes)) {
		for _, p := range g.reg.classes[class] {
			entry(p).class = class
		}
	}
	for _, rd := range g.reg.routes {
		e := entry(rd.pattern)
		e.stages = append(e.stages, g.stages(rd.detectors)...)
		e.hasCustom = true
	}
	if err != nil {
		return err
	}
	g.routes.Store(t)
	return nil
}

// match returns the route entry for req, or nil. req.Path is the escaped
// path, matched as ServeMux matches it ("/users/a%2Fb" is one segment), so
// that every request the app's ServeMux routes to a pattern gets that
// pattern's class, limits and detectors; under route_matching also as the
// upstream will most likely route it, so that other spellings cannot dodge
// them ("/API/Login", "/login/", "/login;jsessionid=x", "/login.json",
// "/a/%2e%2e/login" decoded).
func (t *routeTable) match(req *abuse.Request) *routeEntry {
	e, _, _ := t.table.Match(req.Method, req.Host, req.Path)
	return e
}
