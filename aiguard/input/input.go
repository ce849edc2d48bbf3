package input

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/internal/airoute"
	"github.com/warden-dev/warden/internal/route"
)

// Config configures numeric model-input protection (YAML section
// ai.input): per route, where the numeric input is and what it must obey.
type Config struct {
	Enabled bool    `yaml:"enabled"`
	Routes  []Route `yaml:"routes"`

	matching *route.Variants // WithRouteMatching; nil: every variant
}

// Route is one protected inference route.
type Route struct {
	// Route is a ServeMux pattern ("POST /v1/models/{model}", whose
	// wildcard takes TF Serving's "m:predict" segment too),
	// compared with the pattern the pipeline matched, else matched with
	// the request's method, host and path as route classes are (as
	// ServeMux routes it, and its route_matching spellings).
	Route string `yaml:"route"`
	// Path is the gjson path of the numeric input ("instances",
	// "inputs.0.data"); empty means the whole body.
	Path string `yaml:"path"`
	// Required rejects requests where the input is missing.
	Required bool `yaml:"required"`
	// MaxElements bounds the number of numbers (default 1,000,000).
	MaxElements int `yaml:"max_elements"`
	// Min and Max bound every value; nil means unbounded.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// Shape is the expected shape, -1 for any length in that dimension
	// ([-1, 28, 28] for a batch of 28×28 images); empty means any shape,
	// but ragged arrays are always rejected.
	Shape []int `yaml:"shape"`
	// MaxGradient bounds |x[i] − x[i−1]| between adjacent values of the
	// innermost arrays; 0 turns the check off.
	MaxGradient float64 `yaml:"max_gradient"`
	// MaxDepth bounds nesting (default 8).
	MaxDepth int `yaml:"max_depth"`
}

// DefaultConfig returns the defaults: enabled, no routes (the checks
// only make sense for routes the operator describes).
func DefaultConfig() Config { return Config{Enabled: true} }

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
		if r.MaxElements < 0 {
			return fmt.Errorf("routes[%d].max_elements: must be >= 0", i)
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			return fmt.Errorf("routes[%d].min: must be <= max", i)
		}
		if r.MaxGradient < 0 || math.IsNaN(r.MaxGradient) {
			return fmt.Errorf("routes[%d].max_gradient: must be >= 0", i)
		}
		if r.MaxDepth < 0 || r.MaxDepth > 64 {
			return fmt.Errorf("routes[%d].max_depth: must be within 0..64", i)
		}
		if len(r.Shape) > 16 {
			return fmt.Errorf("routes[%d].shape: at most 16 dimensions", i)
		}
		for j, n := range r.Shape {
			if n == 0 || n < -1 {
				return fmt.Errorf("routes[%d].shape[%d]: must be > 0 or -1", i, j)
			}
		}
	}
	return nil
}

// Detector enforces numeric model-input constraints, the toolkit's
// AIModelProtector: element count, value range, NaN / Inf / null, shape,
// ragged arrays and the largest jump between adjacent values. A violation
// returns Action Reject (400) with a Reason naming the constraint and the
// violation "model_input". The scan is a single pass that stops at the
// first violation, so an input of millions of elements costs at most
// MaxElements numbers; bodies the pipeline truncated are rejected as too
// large when the prefix does not already break a constraint. Safe for
// concurrent use; no state.
type Detector struct {
	cfg    Config
	routes []inputRoute
}

type inputRoute struct {
	Route
	pat airoute.Pattern
}

// NewDetector returns a detector for cfg.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aiguard input config: %w", err)
	}
	d := &Detector{cfg: cfg}
	for _, r := range cfg.Routes {
		pat, _ := airoute.New(r.Route, airoute.Variants(cfg.matching))
		if r.MaxElements == 0 {
			r.MaxElements = 1_000_000
		}
		if r.MaxDepth == 0 {
			r.MaxDepth = 8
		}
		d.routes = append(d.routes, inputRoute{Route: r, pat: pat})
	}
	return d, nil
}

// Name returns "model_input".
func (d *Detector) Name() string { return "model_input" }

// Detect checks the first configured route that matches r.
func (d *Detector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	if !d.cfg.Enabled {
		return abuse.Verdict{}
	}
	for i := range d.routes {
		rt := &d.routes[i]
		if rt.pat.Match(r) {
			return d.check(rt, r)
		}
	}
	return abuse.Verdict{}
}

func (d *Detector) check(rt *inputRoute, r *abuse.Request) abuse.Verdict {
	if len(r.Body) == 0 {
		if rt.Required {
			return d.reject("required", "model input is missing")
		}
		return abuse.Verdict{}
	}
	raw := r.Body
	if rt.Path != "" {
		if !chat.DepthWithin(r.Body, rt.MaxDepth+8) {
			return d.reject("max_depth", "request body nests deeper than allowed")
		}
		v := gjson.GetBytes(r.Body, rt.Path)
		if !v.Exists() {
			if rt.Required {
				return d.reject("required", "model input "+rt.Path+" is missing")
			}
			return abuse.Verdict{}
		}
		raw = []byte(v.Raw)
	}
	res := ScanNumeric(raw, Constraints{
		MaxElements: rt.MaxElements, Min: rt.Min, Max: rt.Max, Shape: rt.Shape,
		MaxGradient: rt.MaxGradient, MaxDepth: rt.MaxDepth,
	})
	switch {
	case res.Violation == "truncated" && r.BodyTruncated:
		v := d.reject("too_large", "model input too large to inspect")
		v.Action = abuse.TooLarge
		return v
	case res.Violation == "truncated":
		return d.reject("format", "model input is not a complete numeric array")
	case res.Violation == "":
		return abuse.Verdict{}
	}
	return d.reject(res.Violation, res.Detail)
}

func (d *Detector) reject(constraint, detail string) abuse.Verdict {
	return abuse.Verdict{
		Detector:   d.Name(),
		Confidence: 0.9,
		Violation:  "model_input",
		Action:     abuse.Reject,
		Reason:     "model input violates " + constraint,
		Messages:   []string{constraint + ": " + detail},
	}
}

// Constraints for ScanNumeric; zero fields are unchecked.
type Constraints struct {
	MaxElements int
	Min, Max    *float64
	Shape       []int
	MaxGradient float64
	MaxDepth    int
}

// NumericResult is what ScanNumeric found.
type NumericResult struct {
	Elements  int
	Shape     []int  // lengths per dimension (first array seen at each depth)
	Violation string // "" or the constraint broken: max_elements, nan_inf, null, min, max, shape, ragged, max_gradient, max_depth, format, truncated
	Detail    string // safe description, never the values' text
}

// ScanNumeric checks a JSON number, array of numbers or nested arrays of
// numbers against c in one pass, stopping at the first violation. It
// accepts the non-standard NaN / Infinity literals Python emits (and
// rejects them as nan_inf). Input that ends early reports "truncated".
func ScanNumeric(raw []byte, c Constraints) NumericResult {
	var res NumericResult
	maxDepth := c.MaxDepth
	if maxDepth <= 0 {
		maxDepth = 8
	}
	var lens [17]int  // elements so far in the open array at each depth
	var shape [17]int // first complete length seen at each depth, -1 unknown
	var counted [17]bool
	for i := range shape {
		shape[i] = -1
	}
	depth, maxSeen := 0, 0
	prevOK := false
	prev := 0.0
	fail := func(v, detail string) NumericResult {
		res.Violation, res.Detail = v, detail
		return res
	}
	i := 0
	for i < len(raw) {
		ch := raw[i]
		switch {
		case ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == ',':
			i++
		case ch == '[':
			if depth > 0 {
				lens[depth]++
			}
			depth++
			if depth > maxDepth || depth > 16 {
				return fail("max_depth", fmt.Sprintf("input nests deeper than %d", min(maxDepth, 16)))
			}
			maxSeen = max(maxSeen, depth)
			lens[depth] = 0
			prevOK = false
			i++
		case ch == ']':
			if depth == 0 {
				return fail("format", "unbalanced brackets")
			}
			n := lens[depth]
			if !counted[depth] {
				counted[depth] = true
				shape[depth] = n
			} else if shape[depth] != n {
				return fail("ragged", fmt.Sprintf("arrays at depth %d have lengths %d and %d", depth, shape[depth], n))
			}
			depth--
			prevOK = false
			i++
			if depth == 0 {
				i = len(raw) // done with the value
			}
		case ch == '{':
			return fail("format", "object where a number was expected")
		case ch == 'n' && hasWord(raw[i:], "null"):
			return fail("null", fmt.Sprintf("null at element %d", res.Elements))
		case ch == '"':
			j := i + 1
			for j < len(raw) && raw[j] != '"' && j-i < 16 {
				j++
			}
			s := string(raw[i+1 : min(j, len(raw))])
			switch s {
			case "NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "Inf", "-Inf":
				return fail("nan_inf", fmt.Sprintf("%s at element %d", s, res.Elements))
			}
			return fail("format", fmt.Sprintf("string at element %d", res.Elements))
		case ch == 'N' || ch == 'I' || (ch == '-' && i+1 < len(raw) && raw[i+1] == 'I'):
			return fail("nan_inf", fmt.Sprintf("non-finite literal at element %d", res.Elements))
		case ch == 't' || ch == 'f':
			return fail("format", fmt.Sprintf("boolean at element %d", res.Elements))
		case ch == '-' || ch >= '0' && ch <= '9':
			j := i + 1
			for j < len(raw) && (raw[j] >= '0' && raw[j] <= '9' || raw[j] == '.' || raw[j] == 'e' || raw[j] == 'E' || raw[j] == '+' || raw[j] == '-') {
				j++
			}
			if j == len(raw) && depth > 0 {
				return fail("truncated", "input ends inside a number")
			}
			x, err := strconv.ParseFloat(string(raw[i:j]), 64)
			if err != nil {
				if math.IsInf(x, 0) {
					return fail("nan_inf", fmt.Sprintf("value out of float64 range at element %d", res.Elements))
				}
				return fail("format", fmt.Sprintf("malformed number at element %d", res.Elements))
			}
			res.Elements++
			if depth > 0 {
				lens[depth]++
			}
			if c.MaxElements > 0 && res.Elements > c.MaxElements {
				return fail("max_elements", fmt.Sprintf("more than %d elements", c.MaxElements))
			}
			if c.Min != nil && x < *c.Min {
				return fail("min", fmt.Sprintf("element %d below %g", res.Elements-1, *c.Min))
			}
			if c.Max != nil && x > *c.Max {
				return fail("max", fmt.Sprintf("element %d above %g", res.Elements-1, *c.Max))
			}
			if c.MaxGradient > 0 && prevOK && math.Abs(x-prev) > c.MaxGradient {
				return fail("max_gradient", fmt.Sprintf("jump of %.3g between elements %d and %d exceeds %g", math.Abs(x-prev), res.Elements-2, res.Elements-1, c.MaxGradient))
			}
			prev, prevOK = x, true
			i = j
			if depth == 0 {
				i = len(raw)
			}
		default:
			return fail("format", fmt.Sprintf("unexpected byte at offset %d", i))
		}
	}
	if depth > 0 {
		return fail("truncated", "input ends inside an array")
	}
	for d := 1; d <= maxSeen; d++ {
		res.Shape = append(res.Shape, max(shape[d], 0))
	}
	if len(c.Shape) > 0 {
		ok := len(c.Shape) == len(res.Shape)
		for k := 0; ok && k < len(c.Shape); k++ {
			ok = c.Shape[k] == -1 || c.Shape[k] == res.Shape[k]
		}
		if !ok {
			return fail("shape", fmt.Sprintf("shape %v, want %v", res.Shape, c.Shape))
		}
	}
	return res
}

func hasWord(b []byte, w string) bool {
	return len(b) >= len(w) && string(b[:len(w)]) == w
}

// Interface guard.
var _ abuse.Detector = (*Detector)(nil)
