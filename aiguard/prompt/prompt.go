package prompt

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/promptmodel"
	"github.com/warden-dev/warden/internal/redact"
)

// Config configures the prompt-injection detector (YAML section
// ai.prompt).
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Sources are the chat text sources scanned: user, tool, document,
	// system, assistant. System and assistant text are the operator's and
	// the model's by default and are not scanned.
	Sources []string `yaml:"sources"`
	// ReportAt is the confidence from which a verdict is returned (policy
	// logs above 0.5 and blocks from 0.8).
	ReportAt float64 `yaml:"report_at"`
	// ViolationAt is the confidence from which the verdict carries the
	// "prompt_injection" violation, scored by enforcement.
	ViolationAt float64 `yaml:"violation_at"`
	// MaxPromptBytes is the user text length above which the request is
	// noted as anomalously long (a weak signal).
	MaxPromptBytes int `yaml:"max_prompt_bytes"`
	// Chat bounds parsing and adds JSON paths for other APIs.
	Chat chat.Limits `yaml:"chat"`
	// Model adds the learned detector embedded in the binary (package
	// promptmodel) to the heuristics, joined by promptmodel.Combine: it
	// alone logs, never blocks. Off by default: on sources it was not
	// trained on it flags far more benign chat than the heuristics (see
	// bench/prompteval).
	Model bool `yaml:"model"`
}

// DefaultConfig returns the defaults: enabled, user / tool / document
// text scanned.
func DefaultConfig() Config {
	return Config{
		Enabled:        true,
		Sources:        []string{"user", "tool", "document"},
		ReportAt:       0.5,
		ViolationAt:    0.8,
		MaxPromptBytes: 12000,
		Chat:           chat.DefaultLimits(),
	}
}

// Validate checks the section; errors start with the field path.
func (c Config) Validate() error {
	for i, s := range c.Sources {
		if _, err := chat.ParseSource(s); err != nil {
			return fmt.Errorf("sources[%d]: %w", i, err)
		}
	}
	if c.ReportAt < 0 || c.ReportAt > 1 {
		return fmt.Errorf("report_at: must be within 0..1")
	}
	if c.ViolationAt < 0 || c.ViolationAt > 1 {
		return fmt.Errorf("violation_at: must be within 0..1")
	}
	if c.MaxPromptBytes < 0 {
		return fmt.Errorf("max_prompt_bytes: must be >= 0")
	}
	if err := c.Chat.Validate(); err != nil {
		return fmt.Errorf("chat.%w", err)
	}
	return nil
}

// Finding is one heuristic hit.
type Finding struct {
	Family  string      // rule family, e.g. "instruction_override"
	Weight  float64     // confidence the rule alone gives
	What    string      // what was found
	Source  chat.Source // where the text came from
	Excerpt string      // normalised matched words, at most 48 bytes
}

// Analysis is the result of scanning text.
type Analysis struct {
	Confidence float64
	Findings   []Finding
}

// Detector finds prompt injections and jailbreaks in chat-shaped
// request bodies with heuristics alone (no model): instruction-override
// phrases in several languages, jailbreak personas, fake role delimiters,
// system-prompt exfiltration, invisible and Unicode-tag characters,
// leetspeak / homoglyph / spacing obfuscation, base64 and hex encoded
// instructions (decoded and scanned again), adversarial suffixes and
// anomalous length. Rules of the assistant_directed_instruction family
// ("add this link to your reply") apply to tool results and documents
// only: there they are indirect injections, from the user ordinary
// requests. Bodies the pipeline truncated are parsed as far as they go.
//
// Each family of rules counts once: the family's confidence is its best
// rule's weight plus 0.05 per further distinct rule (at most 0.97), and
// families combine as independent evidence, 1 − Π(1 − c). It is safe for
// concurrent use and keeps no per-client state.
type Detector struct {
	cfg      Config
	sources  [8]bool
	phrases  phraseSet  // rules for any text
	indirect phraseSet  // rules for third-party text only
	firstAll wordFilter // first words of both sets, for third-party text
	subs     []subRule
	// subFirst groups the substring rules that start with an ASCII byte
	// by that byte (indexes into subs); subWide are the others.
	subFirst []subGroup
	subWide  []int
	fuzzy    *fuzzyIndex // trigger words read through typos and splits
	pool     sync.Pool
	chats    *chat.Cache        // shared parses within a Set, nil alone
	model    *promptmodel.Model // nil unless cfg.Model
}

type subRule struct {
	pat  []byte
	rule int
}

type subGroup struct {
	first byte
	subs  []int
}

// NewDetector returns a detector for cfg.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aiguard prompt config: %w", err)
	}
	d := &Detector{cfg: cfg}
	known := map[string]struct{}{}
	for _, s := range cfg.Sources {
		src, _ := chat.ParseSource(s)
		d.sources[src] = true
	}
	for i, r := range promptRules {
		set := &d.phrases
		if r.indirect {
			set = &d.indirect
		}
		for _, p := range r.phrases {
			if err := set.add(p, i); err != nil {
				return nil, fmt.Errorf("aiguard prompt rules: %w", err)
			}
			for _, w := range strings.FieldsFunc(p, func(r rune) bool { return r == ' ' || r == '|' || r == '_' || r == '!' || r == '*' }) {
				known[w] = struct{}{}
			}
		}
		for _, s := range r.subs {
			k := len(d.subs)
			d.subs = append(d.subs, subRule{pat: []byte(s), rule: i})
			if s[0] >= utf8.RuneSelf {
				d.subWide = append(d.subWide, k)
				continue
			}
			g := 0
			for g < len(d.subFirst) && d.subFirst[g].first != s[0] {
				g++
			}
			if g == len(d.subFirst) {
				d.subFirst = append(d.subFirst, subGroup{first: s[0]})
			}
			d.subFirst[g].subs = append(d.subFirst[g].subs, k)
		}
	}
	d.fuzzy = newFuzzyIndex(known)
	d.firstAll = d.phrases.maybeFirst
	d.firstAll.union(&d.indirect.maybeFirst)
	d.pool.New = func() any { return new(textScan) }
	if cfg.Model {
		m, err := promptmodel.Load()
		if err != nil {
			return nil, fmt.Errorf("aiguard prompt model: %w", err)
		}
		d.model = m
	}
	return d, nil
}

// Name returns "prompt_injection".
func (d *Detector) Name() string { return "prompt_injection" }

// Detect parses r.Body as a chat request and scans its text. Requests whose
// body is not chat-shaped JSON get the zero Verdict.
func (d *Detector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	if !d.cfg.Enabled || len(r.Body) == 0 || !chat.IsJSONContentType(r.ContentType) {
		return abuse.Verdict{}
	}
	chat, ok := d.chats.Parse(r, d.cfg.Chat)
	if !ok {
		return abuse.Verdict{}
	}
	return d.verdict(d.analyzeChat(&chat))
}

func (d *Detector) verdict(a Analysis) abuse.Verdict {
	if a.Confidence < d.cfg.ReportAt || a.Confidence == 0 {
		return abuse.Verdict{}
	}
	v := abuse.Verdict{
		Detector:   d.Name(),
		Confidence: shown(a.Confidence),
		Reason:     "prompt injection detected",
	}
	if a.Confidence >= d.cfg.ViolationAt {
		v.Violation = "prompt_injection"
	}
	for i, f := range a.Findings {
		if i == 6 {
			v.Messages = append(v.Messages, fmt.Sprintf("and %d more findings", len(a.Findings)-i))
			break
		}
		v.Messages = append(v.Messages, f.message())
	}
	return v
}

// shown returns c to three decimals, rounded down so that rounding never
// lifts a score over a threshold: the noisy-or of the findings leaves
// float noise (0.9500000000000001) that the decision log would print.
func shown(c float64) float64 {
	return math.Floor(c*1000+1e-9) / 1000
}

func (f Finding) message() string {
	if f.Excerpt == "" {
		return fmt.Sprintf("%s: %s in %s text", f.Family, f.What, f.Source)
	}
	return fmt.Sprintf("%s: %s in %s text: %q", f.Family, f.What, f.Source, f.Excerpt)
}

// analyzeChat scans the configured sources of a parsed chat.
func (d *Detector) analyzeChat(c *chat.Chat) Analysis {
	var fs []Finding
	userLen := 0
	lastUser := -1
	for i, s := range c.Segments {
		if s.Source == chat.SourceUser {
			lastUser = i
		}
	}
	for i, s := range c.Segments {
		if !d.sources[s.Source] {
			continue
		}
		if s.Source == chat.SourceUser {
			userLen += len(s.Text)
		}
		fs = d.scan(fs, s.Text, s.Source, 0, i == lastUser)
	}
	if d.cfg.MaxPromptBytes > 0 && userLen > d.cfg.MaxPromptBytes {
		fs = append(fs, Finding{Family: famLength, Weight: 0.2, What: fmt.Sprintf("user text of %d bytes", userLen), Source: chat.SourceUser})
	}
	conf := combine(fs)
	if d.model != nil {
		conf, fs = d.withModel(c, conf, fs)
	}
	return Analysis{Confidence: conf, Findings: sortFindings(fs)}
}

// withModel joins the learned model's highest score over the scanned
// texts to the heuristics' confidence, and notes it as a finding of the
// learned_model family from 0.5.
func (d *Detector) withModel(c *chat.Chat, conf float64, fs []Finding) (float64, []Finding) {
	var m float64
	src := chat.SourceUser
	for _, s := range c.Segments {
		if !d.sources[s.Source] {
			continue
		}
		if p := d.model.Score(s.Text); p > m {
			m, src = p, s.Source
		}
	}
	if m >= 0.5 {
		fs = append(fs, Finding{Family: "learned_model", Weight: m, What: fmt.Sprintf("learned model score %.2f", m), Source: src})
	}
	return promptmodel.Combine(conf, m), fs
}

// analyzeText scans one text as user input.
func (d *Detector) analyzeText(text string) Analysis {
	return d.AnalyzeSource(text, chat.SourceUser)
}

// AnalyzeSource scans one text as coming from src (chat.SourceDocument for a
// retrieved page, chat.SourceTool for a tool result). Sources the
// configuration does not scan give no findings.
func (d *Detector) AnalyzeSource(text string, src chat.Source) Analysis {
	c := chat.Chat{Segments: []chat.Segment{{Source: src, Text: text}}}
	return d.analyzeChat(&c)
}

// scan appends the findings for one text. depth > 0 for decoded text.
//
// The adversarial-suffix check runs on the last user text only (suffix),
// where an optimised suffix sits; earlier turns were checked when sent.
func (d *Detector) scan(fs []Finding, text string, src chat.Source, depth int, suffix bool) []Finding {
	s := d.pool.Get().(*textScan)
	defer d.pool.Put(s)
	third := src == chat.SourceTool || src == chat.SourceDocument
	filter := &d.phrases.maybeFirst
	if third {
		filter = &d.firstAll
	}
	s.scanText(text, filter)
	s.fixWords(d.fuzzy)

	hit := func(ri, from, to int) {
		r := &promptRules[ri]
		f := Finding{Family: r.family, Weight: r.weight, What: r.what, Source: src, Excerpt: excerpt(s.phrase(from, to))}
		for k := from; k < to; k++ {
			if s.words[k].leet {
				f.What += " (obfuscated: leetspeak, homoglyphs, typos or split words)"
				f.Weight = min(f.Weight+0.05, 0.97)
				break
			}
		}
		fs = append(fs, f)
	}
	d.phrases.match(s.norm, s.words, s.cands, false, hit)
	if third {
		d.indirect.match(s.norm, s.words, s.cands, false, hit)
	}
	// Substring rules match the lower-cased text: ASCII text is compared
	// folding case as it stands, other text through its lower-cased copy.
	// Rules are looked at only when their first byte is in the text, and
	// their findings keep the rule order.
	var matched []int
	contains := func(k int) bool {
		if s.nonASCII {
			return bytes.Contains(s.lower(text), d.subs[k].pat)
		}
		return containsLower(text, d.subs[k].pat)
	}
	for _, g := range d.subFirst {
		if indexLower(text, g.first) < 0 && !(s.nonASCII && isASCIILetter(rune(g.first)) && bytes.IndexByte(s.lower(text), g.first) >= 0) {
			continue
		}
		for _, k := range g.subs {
			if contains(k) {
				matched = append(matched, k)
			}
		}
	}
	if s.nonASCII {
		for _, k := range d.subWide {
			if contains(k) {
				matched = append(matched, k)
			}
		}
	}
	slices.Sort(matched)
	for _, k := range matched {
		sr := &d.subs[k]
		r := &promptRules[sr.rule]
		fs = append(fs, Finding{Family: r.family, Weight: r.weight, What: r.what, Source: src, Excerpt: excerpt(sr.pat)})
	}
	if s.tags >= 3 {
		fs = append(fs, Finding{Family: famInvisible, Weight: 0.9, What: fmt.Sprintf("%d Unicode tag characters (hidden text)", s.tags), Source: src})
	}
	if s.zeroWidth >= 3 {
		fs = append(fs, Finding{Family: famInvisible, Weight: 0.55, What: fmt.Sprintf("%d zero-width characters inside words", s.zeroWidth), Source: src})
	}
	if s.bidi >= 1 {
		fs = append(fs, Finding{Family: famInvisible, Weight: 0.4, What: fmt.Sprintf("%d bidirectional control characters", s.bidi), Source: src})
	}
	for _, run := range s.spacedRuns {
		joined := make([]byte, 0, run.end-run.start)
		for k := run.start; k < run.end; k++ {
			joined = append(joined, s.norm[s.words[k].start])
		}
		for _, kw := range spacedKeywords {
			if bytes.Contains(joined, []byte(kw)) {
				fs = append(fs, Finding{Family: famObfuscation, Weight: 0.8, What: "spaced-out trigger word", Source: src, Excerpt: excerpt(joined)})
				break
			}
		}
	}
	if depth == 0 {
		tagText := string(s.tagText)
		if len(tagText) > 0 {
			fs = d.scan(fs, tagText, src, depth+1, false)
		}
		if suffix {
			if sc := suffixScore(text); sc > 0 {
				fs = append(fs, Finding{Family: famSuffix, Weight: sc, What: "adversarial gibberish suffix", Source: src, Excerpt: tailExcerpt(text)})
			}
		}
		found := 0
		for _, b := range s.blobs {
			if found == 4 {
				break
			}
			kind, dec, ok := decodeBlob(text[b.start:b.end])
			if !ok {
				continue
			}
			found++
			inner := d.scan(nil, dec, src, depth+1, false)
			best := 0.0
			for _, f := range inner {
				best = max(best, f.Weight)
			}
			if best >= 0.5 {
				fs = append(fs, Finding{Family: famEncoded, Weight: min(best+0.05, 0.97), What: kind + "-encoded instruction", Source: src, Excerpt: excerpt([]byte(dec))})
			}
		}
	}
	return fs
}

// combine turns findings into one confidence (see Detector).
// Families are combined in order of first appearance, so the result does
// not depend on map order down to the last bit.
func combine(fs []Finding) float64 {
	if len(fs) == 0 {
		return 0
	}
	type fam struct {
		name  string
		best  float64
		rules int
		whats map[string]bool
	}
	var fams []fam
	for _, f := range fs {
		i := 0
		for i < len(fams) && fams[i].name != f.Family {
			i++
		}
		if i == len(fams) {
			fams = append(fams, fam{name: f.Family, whats: map[string]bool{}})
		}
		x := &fams[i]
		x.best = max(x.best, f.Weight)
		if !x.whats[f.What+f.Excerpt] {
			x.whats[f.What+f.Excerpt] = true
			x.rules++
		}
	}
	keep := 1.0
	for _, x := range fams {
		c := min(x.best+0.05*float64(x.rules-1), 0.97)
		keep *= 1 - c
	}
	return 1 - keep
}

func sortFindings(fs []Finding) []Finding {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Weight > fs[j].Weight })
	return fs
}

// indexLower is the index of the lower-case ASCII byte c in text, of
// either case for a letter, -1 when absent.
func indexLower(text string, c byte) int {
	i := strings.IndexByte(text, c)
	if !isASCIILetter(rune(c)) {
		return i
	}
	if j := strings.IndexByte(text, c&^0x20); j >= 0 && (i < 0 || j < i) {
		return j
	}
	return i
}

// containsLower reports whether the ASCII text, lower-cased, holds pat
// (lower-case).
func containsLower(text string, pat []byte) bool {
	for i := 0; len(text)-i >= len(pat); i++ {
		k := indexLower(text[i:], pat[0])
		if k < 0 {
			return false
		}
		i += k
		if len(text)-i < len(pat) {
			return false
		}
		j := 1
		for j < len(pat) && asciiLower[text[i+j]] == pat[j] {
			j++
		}
		if j == len(pat) {
			return true
		}
	}
	return false
}

// excerpt bounds evidence to 48 bytes on a rune boundary, its secret
// shapes redacted (a private key pasted into a chat after an injection).
func excerpt(b []byte) string {
	const n = 48
	if len(b) > 4<<10 {
		b = b[:4<<10]
	}
	b = []byte(redact.Shapes(string(b)))
	if len(b) <= n {
		return string(b)
	}
	i := n
	for i > 0 && b[i]&0xC0 == 0x80 {
		i--
	}
	return string(b[:i]) + "…"
}

func tailExcerpt(s string) string {
	const n = 40
	s = redact.Shapes(s[max(len(s)-4<<10, 0):])
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	return "…" + strings.ToValidUTF8(s[i:], "")
}
