package protocol

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/warden-dev/warden/abuse"
)

// Name is the detector's name in verdicts and logs.
const Name = "protocol"

// Detector enforces HTTP protocol rules on requests. It keeps no state
// between requests and is safe for concurrent use. A request costs one
// pass over its request line, headers, query and (form or multipart)
// body, bounded by the Config limits; a request that passes every check
// allocates nothing.
//
// It returns one Verdict per request: Confidence is 1 − Π(1 − wᵢ) over
// the distinct checks that failed, but stays below 0.8 unless one of them
// weighs 0.8 or more on its own, so soft anomalies never add up to a
// block. Checks of weight 0.5 or less only corroborate: without a
// stronger finding beside them the verdict is empty.
// Violation is the type of the heaviest check; Messages has one line per
// failed check, quoting at most abuse.MaxExcerpt bytes of the request.
// Action is left to policy.
type Detector struct {
	cfg        Config
	w          [numChecks]float64
	methods    []string
	versions   []string
	types      []string
	charsets   []string
	extensions map[string]bool
	headers    []string   // canonical restricted header names
	sessExact  [][]string // lower-case session parameter names, indexed by length
	sessPrefix []string   // lower-case prefixes of session parameter names
	watch      watchTable // the header names the checks read
	pool       sync.Pool
}

var _ abuse.Detector = (*Detector)(nil)

// New validates cfg and returns a Detector.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("protocol config: %w", err)
	}
	d := &Detector{
		cfg:        cfg,
		methods:    cfg.Methods,
		versions:   cfg.HTTPVersions,
		types:      cfg.ContentTypes,
		charsets:   cfg.Charsets,
		extensions: make(map[string]bool, len(cfg.RestrictedExtensions)),
	}
	for i := range checkInfo {
		d.w[i] = checkInfo[i].weight
	}
	for name, w := range cfg.Weights {
		c, _ := checkByName(name)
		d.w[c] = w
	}
	for _, e := range cfg.RestrictedExtensions {
		d.extensions[strings.ToLower(e)] = true
	}
	for _, h := range cfg.RestrictedHeaders {
		d.headers = append(d.headers, http.CanonicalHeaderKey(h))
	}
	d.watch = newWatchTable(d.headers)
	for _, p := range cfg.SessionParams {
		p = strings.ToLower(p)
		if p[len(p)-1] == '*' {
			d.sessPrefix = append(d.sessPrefix, p[:len(p)-1])
			continue
		}
		if len(p) >= len(d.sessExact) {
			d.sessExact = append(d.sessExact, make([][]string, len(p)+1-len(d.sessExact))...)
		}
		d.sessExact[len(p)] = append(d.sessExact[len(p)], p)
	}
	d.pool.New = func() any { return &scan{d: d} }
	return d, nil
}

// Name returns "protocol".
func (d *Detector) Name() string { return Name }

// Detect checks r and returns the zero Verdict when it finds nothing worth
// reporting.
func (d *Detector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	if !d.cfg.Enabled || r == nil {
		return abuse.Verdict{}
	}
	s := d.pool.Get().(*scan)
	s.r, s.hr = r, r.HTTP
	s.run()
	v := s.verdict()
	s.reset()
	d.pool.Put(s)
	return v
}

// maxFindings bounds the findings kept per request (one per check).
const maxFindings = 16

type finding struct {
	c      check
	detail string // request data the message quotes (bounded by Excerpt)
}

// scan is one request's state; pooled.
type scan struct {
	d     *Detector
	r     *abuse.Request
	hr    *http.Request
	hdr   headers
	seen  [(numChecks + 63) / 64]uint64
	found [maxFindings]finding
	n     int

	nargs, argBytes int
	names           []string // argument names, kept only past MaxRepeats
	buf             []byte   // decoding scratch
}

func (s *scan) reset() {
	s.r, s.hr = nil, nil
	s.hdr.reset()
	s.seen = [len(s.seen)]uint64{}
	clear(s.found[:s.n]) // the rest was never written
	s.n, s.nargs, s.argBytes = 0, 0, 0
	clear(s.names)
	s.names = s.names[:0]
	if cap(s.buf) > 64<<10 {
		s.buf = nil // do not keep a huge buffer alive in the pool
	}
	s.buf = s.buf[:0]
}

// add records a failed check once; detail is request data to quote.
func (s *scan) add(c check, detail string) {
	if s.d.w[c] <= 0 {
		return
	}
	bit := uint64(1) << (c % 64)
	if s.seen[c/64]&bit != 0 {
		return
	}
	s.seen[c/64] |= bit
	if s.n < maxFindings {
		s.found[s.n] = finding{c, detail}
		s.n++
	}
}

// run performs every check.
func (s *scan) run() {
	s.gatherHeaders()
	s.requestLine()
	s.framing()
	s.headerFields()
	s.path()
	s.query()
	s.body()
	s.repeats()
}

// softCap keeps soft findings below the default block threshold however
// many there are.
const softCap = 0.79

// minConfidence is the weight a finding must exceed to be reported; the
// ones at or below it only raise stronger findings.
const minConfidence = 0.5

var reasons = map[string]string{
	ProtocolViolation: "HTTP protocol violation",
	ProtocolAttack:    "HTTP protocol attack",
	MethodNotAllowed:  "method not allowed",
	SessionFixation:   "session fixation attempt",
}

func (s *scan) verdict() abuse.Verdict {
	if s.n == 0 {
		return abuse.Verdict{}
	}
	miss, top, hard := 1.0, 0, false
	for i := 0; i < s.n; i++ {
		w := s.d.w[s.found[i].c]
		miss *= 1 - w
		if w >= 0.8 {
			hard = true
		}
		if w > s.d.w[s.found[top].c] {
			top = i
		}
	}
	if s.d.w[s.found[top].c] <= minConfidence {
		return abuse.Verdict{} // corroborating findings only
	}
	conf := 1 - miss
	if !hard {
		conf = min(conf, softCap)
	}
	conf = float64(int(conf*100+0.5)) / 100
	if conf <= minConfidence {
		return abuse.Verdict{}
	}
	info := &checkInfo[s.found[top].c]
	v := abuse.Verdict{
		Detector:   Name,
		Confidence: conf,
		Violation:  info.violation,
		Reason:     reasons[info.violation],
		Messages:   make([]string, 0, s.n),
	}
	for i := 0; i < s.n; i++ {
		f := s.found[i]
		m := checkInfo[f.c].msg
		if f.detail != "" {
			m += ": " + abuse.Excerpt(f.detail)
		}
		v.Messages = append(v.Messages, m)
	}
	return v
}
