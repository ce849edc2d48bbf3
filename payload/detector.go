package payload

import (
	"context"
	"fmt"
	"hash/maphash"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/redact"
	"github.com/warden-dev/warden/internal/route"
)

// Name is the detector's name in verdicts and logs.
const Name = "payload"

// Detector finds injection payloads in requests. It is stateless between
// requests, safe for concurrent use, and bounded by its Config: at most
// MaxValues values of at most MaxValueBytes each, JSON / XML nesting up to
// MaxDepth, MaxParts multipart parts. Every value costs one automaton pass
// per decoded view; libinjection and the structural checks run only when
// the automaton found something that calls for them. Detect allocates
// nothing for a clean request apart from the multipart reader and the
// entries its memos make for clean header values and request targets
// seen anew (cleanMemo, countMemo).
//
// It returns one Verdict per request: Violation is the class with the
// highest confidence, Messages has one line per class found (each quoting
// at most 48 bytes of the value), Confidence combines the classes so that
// independent findings raise it. Action is left to policy.
type Detector struct {
	cfg         Config
	disabled    [numClasses]bool
	headers     []string // canonical extra header names
	seed        maphash.Seed
	pool        sync.Pool
	memo        *cleanMemo // header values found clean (nil: scan every time)
	urls        *countMemo // request targets found clean (nil: scan every time)
	cookies     *countMemo // Cookie headers found clean (nil: scan every time)
	cookiePairs *countMemo // single cookies (name=value) found clean (nil: scan every time)

	exclusions *route.Table[*fieldRules] // Config.Exclusions by route (nil: none)
	chat       bool                      // chat message text is left to the AI detectors
	secrets    redact.Names              // names of the fields whose values are never quoted
}

var _ abuse.Detector = (*Detector)(nil)

// New validates cfg and returns a Detector.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("payload config: %w", err)
	}
	d := &Detector{cfg: cfg, seed: maphash.MakeSeed(), memo: newCleanMemo(), urls: newCountMemo(), cookies: newCountMemo(), cookiePairs: newCountMemo()}
	d.exclusions, _ = compileExclusions(cfg.Exclusions) // Validate checked them
	d.chat = cfg.ChatContent != ChatInspect
	d.secrets = redact.NewNames(cfg.SecretFields)
	for _, name := range cfg.Disable {
		c, _ := classByName(name)
		d.disabled[c] = true
	}
	for _, h := range cfg.Headers {
		d.headers = append(d.headers, http.CanonicalHeaderKey(h))
	}
	d.pool.New = func() any {
		return &scan{d: d, sigW: make([]float32, numSignals)}
	}
	return d, nil
}

// Name returns "payload".
func (d *Detector) Name() string { return Name }

// Detect inspects r and returns the zero Verdict when it finds nothing.
// A context already cancelled when the headers are done skips the body: a
// caller that cancels has given up on the answer. The Guard never hands
// detectors a context the client can cancel.
func (d *Detector) Detect(ctx context.Context, r *abuse.Request) abuse.Verdict {
	if !d.cfg.Enabled || r == nil {
		return abuse.Verdict{}
	}
	s := d.pool.Get().(*scan)
	defer func() {
		s.reset()
		d.pool.Put(s)
	}()
	s.request(ctx, r)
	if s.incomplete != 0 {
		return s.incompleteVerdict(s.verdict())
	}
	return s.verdict()
}

// verdict turns the signals into one Verdict.
func (s *scan) verdict() abuse.Verdict {
	if len(s.touched) == 0 {
		return abuse.Verdict{}
	}
	var miss [numClasses]float64
	var count [numClasses]int
	for c := range miss {
		miss[c] = 1
	}
	for _, id := range s.touched {
		w := float64(s.sigW[id])
		c := signalClass(int(id))
		miss[c] *= 1 - w
		count[c]++
	}
	type found struct {
		c    class
		conf float64
	}
	var fs []found
	for c := class(1); c < numClasses; c++ {
		if count[c] > 0 {
			fs = append(fs, found{c, 1 - miss[c]})
		}
	}
	if len(fs) == 0 {
		return abuse.Verdict{}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].conf > fs[j].conf })
	// Other classes corroborate the strongest one at half weight.
	rest := 1 - fs[0].conf
	for _, f := range fs[1:] {
		rest *= 1 - f.conf/2
	}
	conf := 1 - rest
	if conf < minConfidence {
		return abuse.Verdict{}
	}
	v := abuse.Verdict{
		Detector:   Name,
		Confidence: round2(conf),
		Violation:  classNames[fs[0].c],
		Reason:     "suspected " + strings.ReplaceAll(classNames[fs[0].c], "_", " ") + " payload",
		Messages:   make([]string, 0, len(fs)),
	}
	for _, f := range fs {
		if f.conf < minConfidence {
			continue
		}
		e := &s.best[f.c]
		v.Messages = append(v.Messages, e.format(f.c, round2(f.conf), count[f.c]))
	}
	return v
}

// minConfidence drops findings too weak to mention (a lone "select").
const minConfidence = 0.2

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func signalClass(id int) class {
	if id < len(rules) {
		return rules[id].class
	}
	switch id - len(rules) {
	case sigLibSQLi, sigSQLBool, sigSQLBreakout, sigSQLComment, sigSQLStacked, sigSQLStatement, sigTextSQL:
		return cSQLi
	case sigLibXSS, sigJSFuck, sigTagged, sigTextHTML, sigJSComment, sigUTF7, sigJSBreakout:
		return cXSS
	case sigSSRFInternal, sigSSRFMetadata, sigSSRFScheme, sigSSRFWhole:
		return cSSRF
	case sigRFIIP, sigRFIQuery, sigRFICode, sigRFIParam:
		return cRFI
	case sigJNDI, sigJNDIObf:
		return cLog4Shell
	case sigTmplExpr, sigTmplDunder, sigTmplNew:
		return cTemplate
	case sigNoSQLOp, sigNoSQLStrong:
		return cNoSQL
	case sigXXEEntity, sigXXEExternal:
		return cXXE
	case sigCRLF:
		return cHeader
	case sigLDAP:
		return cLDAP
	case sigNUL, sigHiddenPath, sigSysPath:
		return cTraversal
	case sigPHPSerial, sigPHPVarCall, sigUpload, sigDynCall, sigBareCall, sigPHPTag, sigSessionFile:
		return cCode
	case sigBatch, sigShellCmd, sigQuotedCmd, sigBraceCmd, sigShellFunc, sigShellVars, sigMailCmd, sigGlobPath:
		return cCommand
	}
	return cNone
}
