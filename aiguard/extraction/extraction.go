package extraction

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/input"
	"github.com/warden-dev/warden/aiguard/internal/airoute"
	"github.com/warden-dev/warden/internal/lru"
	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/internal/stats"
)

// Config configures repeated-input, adversarial-probing and
// model-extraction detection (YAML section ai.extraction).
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Routes are the inference routes watched, each with the gjson path
	// of its numeric input ("" for the whole body). Requests without a
	// numeric input there only count towards repeated inputs.
	Routes []Route `yaml:"routes"`

	matching *route.Variants // WithRouteMatching; nil: every variant
	// PRADA (Juuti et al. 2019): the minimum L2 distance of each new query
	// to the client's growing set is collected; once MinQueries distances
	// are known, a Shapiro–Wilk W below Threshold flags extraction.
	Threshold  float64 `yaml:"threshold"`   // default 0.85
	MinQueries int     `yaml:"min_queries"` // default 100
	Window     int     `yaml:"window"`      // distances kept (default 200)
	MaxStored  int     `yaml:"max_stored"`  // growing-set vectors kept per client (default 128)
	Dims       int     `yaml:"dims"`        // vectors are projected to this many dimensions (default 64)
	// Repeated inputs: the same input (hash) MaxRepeats times among the
	// client's last RepeatWindow inputs.
	RepeatWindow int `yaml:"repeat_window"` // default 64
	MaxRepeats   int `yaml:"max_repeats"`   // default 8
	// Probing: MaxNear of the last 32 queries within NearRelative × |x| of
	// an earlier query (many small perturbations around one input).
	NearRelative float64 `yaml:"near_relative"` // default 0.05
	MaxNear      int     `yaml:"max_near"`      // default 16
	MaxClients   int     `yaml:"max_clients"`   // default 1000
}

// Route is one watched route.
type Route struct {
	Route string `yaml:"route"`
	Path  string `yaml:"path"`
}

// DefaultConfig returns the defaults: enabled, no routes.
func DefaultConfig() Config {
	return Config{Enabled: true, Threshold: 0.85, MinQueries: 100, Window: 200, MaxStored: 128, Dims: 64,
		RepeatWindow: 64, MaxRepeats: 8, NearRelative: 0.05, MaxNear: 16, MaxClients: 1000}
}

// WithRouteMatching returns c with its routes matched under the
// route_matching variants v (aiguard.Config.WithRouteMatching).
func (c Config) WithRouteMatching(v route.Variants) Config {
	c.matching = &v
	return c
}

// Validate checks the section; errors start with the field path.
func (c Config) Validate() error {
	for i, r := range c.Routes {
		if err := airoute.Check(r.Route); err != nil {
			return fmt.Errorf("routes[%d].route: %w", i, err)
		}
	}
	switch {
	case c.Threshold < 0 || c.Threshold > 1:
		return fmt.Errorf("threshold: must be within 0..1")
	case c.MinQueries != 0 && c.MinQueries < 8:
		return fmt.Errorf("min_queries: must be >= 8")
	case c.Window < 0 || c.Window > 5000:
		return fmt.Errorf("window: must be within 0..5000")
	case c.MaxStored < 0 || c.MaxStored > 4096:
		return fmt.Errorf("max_stored: must be within 0..4096")
	case c.Dims < 0 || c.Dims > 1024:
		return fmt.Errorf("dims: must be within 0..1024")
	case c.RepeatWindow < 0 || c.RepeatWindow > 4096:
		return fmt.Errorf("repeat_window: must be within 0..4096")
	case c.MaxRepeats < 0:
		return fmt.Errorf("max_repeats: must be >= 0")
	case c.NearRelative < 0:
		return fmt.Errorf("near_relative: must be >= 0")
	case c.MaxNear < 0 || c.MaxNear > 32:
		return fmt.Errorf("max_near: must be within 0..32")
	case c.MaxClients < 0:
		return fmt.Errorf("max_clients: must be >= 0")
	}
	if c.MinQueries > 0 && c.Window > 0 && c.MinQueries > c.Window {
		return fmt.Errorf("min_queries: must be <= window")
	}
	return nil
}

// Detector watches each client's inputs to an inference route:
// exact repeats, bursts of tiny perturbations around earlier inputs
// (evasion search) and PRADA's test for model extraction — natural
// queries have minimum distances to earlier queries that look normally
// distributed, synthetic ones (Jacobian augmentation, perturbation
// families) do not.
//
// Memory per client is bounded: MaxStored projected vectors of Dims
// float32, Window distances and RepeatWindow hashes; at most MaxClients
// clients, the least recently seen evicted. Vectors longer than Dims are
// projected with a fixed sign hash (count sketch), which keeps L2
// distances in expectation. Once flagged, a client stays flagged until
// evicted.
//
// Departures from PRADA, which keeps one growing set per class the model
// predicted and adds a query to it only when it is farther than a
// threshold: the proxy does not see predicted classes, and with one set
// for all classes that threshold, driven up by distances between
// classes, stops the set from growing (measured: benign W ≈ 0.8). So
// here G is the window of the client's last MaxStored queries; the first
// 32 queries only fill G, and a query more than 2× the median distance
// away starts a new region (as a class's first query does) without
// adding a distance. Safe for concurrent use.
type Detector struct {
	cfg    Config
	routes []extractionRoute

	mu      sync.Mutex
	clients *lru.Keyed[*probeState]

	flagged atomic.Uint64
}

// Stats counts clients flagged.
type Stats struct {
	Flagged uint64 // clients flagged (extraction or probing) since start
}

// Stats returns the detector's counters.
func (d *Detector) Stats() Stats {
	return Stats{Flagged: d.flagged.Load()}
}

type extractionRoute struct {
	pat  airoute.Pattern
	path string
}

type probeState struct {
	mu sync.Mutex

	// G: ring of the client's recent projected query vectors
	vecs []float32
	nvec int
	next int

	dist    []float64 // ring of the last Window minimum distances
	dsum    float64   // sum of dist
	median  float64   // median of dist, refreshed every 8 queries
	scratch []float64 // for the median
	ndist   int
	dpos    int

	hashes []uint64
	hpos   int
	near   uint32 // bit i: query i of the last 32 was a near-duplicate
	count  int

	flagged string // violation once flagged
	detail  string
	w       float64
}

// NewDetector returns a detector for cfg.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aiguard extraction config: %w", err)
	}
	def := DefaultConfig()
	if cfg.Threshold == 0 {
		cfg.Threshold = def.Threshold
	}
	if cfg.MinQueries == 0 {
		cfg.MinQueries = def.MinQueries
	}
	if cfg.Window == 0 {
		cfg.Window = def.Window
	}
	if cfg.MaxStored == 0 {
		cfg.MaxStored = def.MaxStored
	}
	if cfg.Dims == 0 {
		cfg.Dims = def.Dims
	}
	if cfg.RepeatWindow == 0 {
		cfg.RepeatWindow = def.RepeatWindow
	}
	if cfg.MaxRepeats == 0 {
		cfg.MaxRepeats = def.MaxRepeats
	}
	if cfg.NearRelative == 0 {
		cfg.NearRelative = def.NearRelative
	}
	if cfg.MaxNear == 0 {
		cfg.MaxNear = def.MaxNear
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = def.MaxClients
	}
	d := &Detector{cfg: cfg, clients: lru.NewKeyed[*probeState](cfg.MaxClients)}
	for _, r := range cfg.Routes {
		p, _ := airoute.New(r.Route, airoute.Variants(cfg.matching))
		d.routes = append(d.routes, extractionRoute{pat: p, path: r.Path})
	}
	return d, nil
}

// Name returns "model_extraction".
func (d *Detector) Name() string { return "model_extraction" }

// Detect records the request's input for its client and reports what the
// client's history shows.
func (d *Detector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	if !d.cfg.Enabled || len(r.Body) == 0 {
		return abuse.Verdict{}
	}
	var rt *extractionRoute
	for i := range d.routes {
		if d.routes[i].pat.Match(r) {
			rt = &d.routes[i]
			break
		}
	}
	if rt == nil {
		return abuse.Verdict{}
	}
	raw := r.Body
	if rt.path != "" && chat.DepthWithin(r.Body, 32) {
		if v := gjson.GetBytes(r.Body, rt.path); v.Exists() {
			raw = []byte(v.Raw)
		}
	}
	h := fnv.New64a()
	h.Write(raw)
	vec := d.project(raw)
	// One history per client and route: inputs of different models do
	// not share a space.
	return d.record(r.Client.Key()+" "+rt.pat.String(), r.Time, h.Sum64(), vec)
}

// project parses a numeric input into a Dims-long vector (count sketch
// for longer inputs); nil when the input is not numeric.
func (d *Detector) project(raw []byte) []float32 {
	res := input.ScanNumeric(raw, input.Constraints{MaxElements: 1 << 20, MaxDepth: 8})
	if res.Violation != "" || res.Elements == 0 {
		return nil
	}
	out := make([]float32, d.cfg.Dims)
	i := 0
	eachNumber(raw, func(x float64) {
		if res.Elements <= d.cfg.Dims {
			out[i] = float32(x)
		} else {
			hh := uint32(i)*2654435761 + 0x9e3779b9
			hh ^= hh >> 15
			hh *= 0x85ebca6b
			hh ^= hh >> 13
			sign := float32(1)
			if hh&1 == 1 {
				sign = -1
			}
			out[int(hh>>1)%d.cfg.Dims] += sign * float32(x)
		}
		i++
	})
	return out
}

// eachNumber calls fn for every number of a numeric JSON value that
// input.ScanNumeric accepted.
func eachNumber(raw []byte, fn func(float64)) {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '-' || c >= '0' && c <= '9' {
			j := i + 1
			for j < len(raw) && (raw[j] >= '0' && raw[j] <= '9' || raw[j] == '.' || raw[j] == 'e' || raw[j] == 'E' || raw[j] == '+' || raw[j] == '-') {
				j++
			}
			x, _ := strconv.ParseFloat(string(raw[i:j]), 64)
			fn(x)
			i = j
			continue
		}
		i++
	}
}

// record records one query of client key at time now: its input hash
// and, for numeric inputs, its projected vector (nil otherwise). It is
// what Detect calls; tests and offline tools call it directly.
func (d *Detector) record(key string, now time.Time, hash uint64, vec []float32) abuse.Verdict {
	s := d.state(key, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++

	// Repeated inputs.
	repeats := 0
	for _, x := range s.hashes {
		if x == hash {
			repeats++
		}
	}
	if len(s.hashes) < d.cfg.RepeatWindow {
		s.hashes = append(s.hashes, hash)
	} else {
		s.hashes[s.hpos] = hash
		s.hpos = (s.hpos + 1) % d.cfg.RepeatWindow
	}

	if vec != nil && len(vec) == d.cfg.Dims {
		was := s.flagged
		d.prada(s, vec)
		if was == "" && s.flagged != "" {
			d.flagged.Add(1)
		}
	}
	if s.flagged != "" {
		conf := 0.9
		if s.flagged != "model_extraction" {
			conf = 0.7
		}
		return abuse.Verdict{Detector: d.Name(), Confidence: conf, Violation: s.flagged, Reason: "automated model probing",
			Messages: []string{s.detail}}
	}
	if repeats+1 >= d.cfg.MaxRepeats {
		return abuse.Verdict{Detector: d.Name(), Confidence: 0.6, Violation: "repeated_input", Reason: "repeated input",
			Messages: []string{fmt.Sprintf("same input %d times in the last %d queries", repeats+1, d.cfg.RepeatWindow)}}
	}
	return abuse.Verdict{}
}

// prada updates the growing set and the distance window with vec and
// flags the client when the test fails.
func (d *Detector) prada(s *probeState, vec []float32) {
	dims := d.cfg.Dims
	if s.vecs == nil {
		s.vecs = make([]float32, d.cfg.MaxStored*dims)
		s.dist = make([]float64, d.cfg.Window)
	}
	norm := 0.0
	for _, v := range vec {
		norm += float64(v) * float64(v)
	}
	norm = math.Sqrt(norm)
	if s.nvec == 0 {
		copy(s.vecs[:dims], vec)
		s.nvec, s.next = 1, 1%d.cfg.MaxStored
		return
	}
	dmin := math.Inf(1)
	for k := range s.nvec {
		y := s.vecs[k*dims : (k+1)*dims]
		sum := 0.0
		for j, v := range vec {
			e := float64(v - y[j])
			sum += e * e
		}
		dmin = math.Min(dmin, sum)
	}
	dmin = math.Sqrt(dmin)

	// Near-duplicates of earlier queries: evasion search.
	s.near <<= 1
	if dmin <= d.cfg.NearRelative*math.Max(norm, 1e-9) {
		s.near |= 1
	}
	if s.flagged == "" {
		if n := popcount(s.near); n >= d.cfg.MaxNear {
			s.flagged = "adversarial_probing"
			s.detail = fmt.Sprintf("%d of the last 32 queries are small perturbations of earlier ones (after %d queries)", n, s.count)
		}
	}

	// A query far from everything seen (more than 2× the median distance)
	// starts a new region, as the first query of a class does in PRADA's
	// per-class sets: it joins G but gives no distance.
	// The first warmUp queries only fill G: their distances to a nearly
	// empty set say nothing about the client.
	const warmUp = 32
	if s.ndist >= 10 && (s.median == 0 || s.count%8 == 0) {
		s.median = stats.Median(s.dist[:s.ndist], &s.scratch)
	}
	seed := s.count <= warmUp || s.ndist >= 10 && dmin > 2*s.median
	if !seed {
		if s.ndist == d.cfg.Window {
			s.dsum -= s.dist[s.dpos]
		}
		s.dist[s.dpos] = dmin
		s.dsum += dmin
		s.dpos = (s.dpos + 1) % d.cfg.Window
		s.ndist = min(s.ndist+1, d.cfg.Window)
	}

	// Every query joins G, a window of the client's recent queries.
	copy(s.vecs[s.next*dims:(s.next+1)*dims], vec)
	s.next = (s.next + 1) % d.cfg.MaxStored
	s.nvec = min(s.nvec+1, d.cfg.MaxStored)

	if s.flagged == "" && s.ndist >= d.cfg.MinQueries && s.count%4 == 0 {
		// Distances above 2× the median are first queries of a region
		// that slipped in before the median settled: leave them out.
		s.scratch = append(s.scratch[:0], s.dist[:s.ndist]...)
		slices.Sort(s.scratch)
		m := s.scratch[len(s.scratch)/2]
		keep := s.scratch
		for len(keep) > 0 && keep[len(keep)-1] > 2*m {
			keep = keep[:len(keep)-1]
		}
		w, _, err := stats.ShapiroWilk(keep)
		if err != nil { // all distances equal: nothing natural about that
			w = 0
		}
		s.w = w
		if w < d.cfg.Threshold {
			s.flagged = "model_extraction"
			s.detail = fmt.Sprintf("PRADA: Shapiro-Wilk W %.3f < %.2f over %d query distances (after %d queries)", w, d.cfg.Threshold, s.ndist, s.count)
		}
	}
}

func popcount(x uint32) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func (d *Detector) state(key string, now time.Time) *probeState {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, added := d.clients.Put(key)
	if added {
		*p = &probeState{}
	}
	return *p
}

// Interface guard.
var _ abuse.Detector = (*Detector)(nil)
