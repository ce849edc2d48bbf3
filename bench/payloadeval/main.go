// Command payloadeval measures Warden's stateless request detectors
// (protocol enforcement, bot, payload and AI prompt injection) against
// Coraza v3 with the OWASP Core Rule Set v4 (paranoia levels 1 and 2) on
// labelled JSON Lines requests, in one run: per-class recall on attacks,
// the false-positive rate on benign requests (per category on developer
// text), and requests per second for each engine (one goroutine each).
//
// Warden is judged as `warden serve` runs with the default configuration
// (its detectors and route classes; see detectors and newWireHarness):
// each request is serialised to
// the bytes its test runner sent (request line, headers in wire order,
// body; the raw request of encoded stages) and sent over loopback TCP to a
// net/http server whose handler is a Guard running the detectors. A
// request the server refuses before the handler runs (400, 431, 501, 505,
// or a closed connection) never reaches an upstream and counts as blocked.
// The throughput figure times the detectors in-process on the same
// requests. Coraza gets each request's fields in-process, as before.
//
// Inputs (same shape as `warden inspect` input plus "expect" and
// "category"), read from the corpus directory given with -corpus (by
// default ../../shared/corpus, beside the checkout, as the tool runs from
// bench/): crs/ (OWASP CRS regression stages), modsec-learn/ (real benign traffic and real SQLi), prompt-injection/
// (prose sent as chat bodies), devtext/ (legitimate requests carrying
// code and security text: chat, posts, wiki pages, comments, searches,
// snippets; every one benign, reported per category in a table of its
// own) and any extra labelled files given with -extra.
//
// A CRS stage marked benign only says that one rule must stay silent, so
// only the stages that say no rule may fire (rule 999999) or that
// describe a false-positive / legitimate case count as benign; the other
// benign stages are skipped. An attack stage whose description says it
// is a known or expected false positive of its rule (legitimate text the
// rule flags, kept upstream as a reminder) counts as benign too.
//
// Usage:
//
//	go run ./bench/payloadeval [-crs FILE] [-modsec FILE] [-devtext FILE] [-extra F1,F2] [-only SETS] [-pl 1,2] [-coraza=false] [-protocol=false] [-every N]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/types"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/bench/internal/corpus"
	"github.com/warden-dev/warden/config"
)

type row struct {
	ID       string            `json:"id"`
	Split    string            `json:"split"`
	Category string            `json:"category"`
	Rule     int               `json:"rule"`
	Desc     string            `json:"desc"`
	Method   string            `json:"method"`
	URI      string            `json:"uri"`
	Headers  map[string]string `json:"headers"`
	Body     string            `json:"body"`
	Expect   string            `json:"expect"`
	PL       *int              `json:"paranoia_level"`
	// The wire form (CRS only): HTTP version as sent ("" for an HTTP/0.9
	// request line), headers in order, the raw request of encoded_request
	// stages, and "latin-1" when each character of the body is one byte.
	Version      *string    `json:"version"`
	WireHeaders  [][]string `json:"wire_headers"`
	RawRequest   string     `json:"raw_request"`
	BodyEncoding string     `json:"body_encoding"`
}

// sample is one labelled request.
type sample struct {
	set    string // data set and split, e.g. "modsec-learn/legitimate_test"
	class  string // category; "benign" for benign, except in sets read byCategory
	attack bool
	id     string
	r      row
	req    *abuse.Request // the detectors' view, built in-process
	wire   []byte         // the request as sent over TCP
}

// devtextSet is the set name of the developer-text requests.
const devtextSet = "devtext"

// source is one labelled JSONL file of requests.
type source struct {
	name      string // what -only selects it by
	path, set string
	crs       bool // OWASP CRS regression stages (see load)
	// byCategory keeps each benign row's category as its class, so that a
	// set of benign requests alone (devtext) is reported per category; the
	// rows still count as benign in every total.
	byCategory bool
}

var fpDesc = regexp.MustCompile(`(?i)false.?positive|legitimate|\bFP\b`)

// knownFP matches the description of an attack stage that upstream keeps
// as a documented false positive of its rule ("Known false positive with
// `Cut` at start of string", "Expected (rare) false positive: Stripe
// webhook signature header"): legitimate traffic the rule is expected to
// flag, so it counts as benign, like 999999-36.
var knownFP = regexp.MustCompile(`(?i)^\s*(known|expected(\s*\(rare\))?)?\s*false.?positive`)

func load(src source, every int) ([]sample, int, error) {
	path, set, crs := src.path, src.set, src.crs
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err // os.Open's error names the file
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out []sample
	skipped, n := 0, 0
	for sc.Scan() {
		n++
		if every > 1 && n%every != 0 {
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, 0, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		s := sample{set: set, id: r.ID, r: r, attack: r.Expect == "attack", class: r.Category}
		if crs && !s.attack {
			if r.Rule != 999999 && !fpDesc.MatchString(r.Desc) {
				skipped++
				continue
			}
		}
		if crs && s.attack && (r.Rule == 999999 || knownFP.MatchString(r.Desc)) {
			// 999999-36: legitimate traffic CRS flags at PL3 (see README);
			// the others are documented false positives of their rule.
			s.attack = false
		}
		if !s.attack && !src.byCategory {
			s.class = "benign"
		}
		if r.Split != "" {
			s.set = set + "/" + r.Split
		}
		s.wire = wireBytes(&s.r)
		s.req = inProcess(s.wire, &s.r)
		out = append(out, s)
	}
	return out, skipped, sc.Err()
}

// loadTexts reads {"text","label"} lines and wraps each text in a JSON
// chat request, the way an AI endpoint receives it.
func loadTexts(path string, every int) ([]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out []sample
	n := 0
	for sc.Scan() {
		n++
		if every > 1 && n%every != 0 {
			continue
		}
		var t struct {
			Text  string `json:"text"`
			Label string `json:"label"`
		}
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		body, _ := json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": []map[string]string{{"role": "user", "content": t.Text}}})
		r := row{ID: fmt.Sprintf("text-%05d", n), Method: "POST", URI: "/v1/chat/completions",
			Headers: map[string]string{"Host": "localhost", "Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
			Body:    string(body), Expect: "benign"}
		s := sample{set: "prompts", id: r.ID, r: r, class: "benign"}
		if t.Label == "injection" {
			s.attack, s.class, r.Expect = true, "prompt_injection", "attack"
			s.r = r
		}
		s.wire = wireBytes(&s.r)
		s.req = inProcess(s.wire, &s.r)
		out = append(out, s)
	}
	return out, sc.Err()
}

// engine decides whether a request is flagged.
type engine struct {
	name  string
	check func(s *sample) (block, flag bool)
	dur   time.Duration
	n     int // requests dur covers; 0 means all
}

func newCoraza(pl int) (*engine, error) {
	waf, err := corazaWAF(pl, "")
	if err != nil {
		return nil, err
	}
	return corazaEngine(fmt.Sprintf("Coraza+CRS PL%d", pl), waf), nil
}

// corazaWAF builds Coraza with CRS at blocking paranoia level pl, then
// the directives in extra (rule removals).
func corazaWAF(pl int, extra string) (coraza.WAF, error) {
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives(fmt.Sprintf(`Include @coraza.conf-recommended
Include @crs-setup.conf.example
SecRuleEngine On
SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=%d"
Include @owasp_crs/*.conf
%s`, pl, extra)))
	if err != nil {
		return nil, fmt.Errorf("coraza PL%d: %w", pl, err)
	}
	return waf, nil
}

func corazaEngine(name string, waf coraza.WAF) *engine {
	return &engine{name: name, check: func(s *sample) (bool, bool) {
		tx, it := corazaRun(waf, s)
		tx.Close()
		return it != nil, it != nil
	}}
}

// corazaRun gives s's fields to a new transaction of waf and returns it,
// logged and not yet closed, with its interruption (nil: not blocked).
func corazaRun(waf coraza.WAF, s *sample) (types.Transaction, *types.Interruption) {
	tx := waf.NewTransaction()
	tx.ProcessConnection("127.0.0.1", 40000, "127.0.0.1", 80)
	m := s.r.Method
	if m == "" {
		m = "GET"
	}
	tx.ProcessURI(s.r.URI, m, "HTTP/1.1")
	hasHost := false
	for k, v := range s.r.Headers {
		if strings.EqualFold(k, "host") {
			hasHost = true
		}
		tx.AddRequestHeader(k, v)
	}
	if !hasHost {
		tx.AddRequestHeader("Host", "localhost")
	}
	if s.r.Body != "" {
		tx.AddRequestHeader("Content-Length", strconv.Itoa(len(s.r.Body)))
	}
	it := tx.ProcessRequestHeaders()
	if it == nil && s.r.Body != "" {
		it, _, _ = tx.WriteRequestBody([]byte(s.r.Body))
	}
	if it == nil {
		it, _ = tx.ProcessRequestBody()
	}
	tx.ProcessLogging()
	return tx, it
}

// quietRule is a CRS rule that scores and how many of the developer-text
// requests it matches.
type quietRule struct {
	id, matched int
}

// noisyRules runs CRS at PL1 on the devtext requests outside
// doc_attack_catalog and returns the scoring attack rules (911xxx to
// 944xxx) that match at least pct percent of them, most matches first,
// and how many requests were read. Those rules are the ones that judge
// developer text by what it mentions; the peer without them shows what
// CRS catches when it may not block people's code and prose either.
func noisyRules(samples []sample, pct float64) ([]quietRule, int, error) {
	waf, err := corazaWAF(1, "")
	if err != nil {
		return nil, 0, err
	}
	count := map[int]int{}
	n := 0
	for i := range samples {
		s := &samples[i]
		if s.set != "devtext" || s.class == attackCatalog {
			continue
		}
		n++
		tx, _ := corazaRun(waf, s)
		seen := map[int]bool{}
		for _, mr := range tx.MatchedRules() {
			id := mr.Rule().ID()
			sev := mr.Rule().Severity()
			if id < 911000 || id >= 945000 || seen[id] || sev < types.RuleSeverityCritical || sev > types.RuleSeverityNotice {
				// Outside the attack rules, or a rule without a score
				// (the paranoia-level skips have no severity).
				continue
			}
			seen[id] = true
			count[id]++
		}
		tx.Close()
	}
	var out []quietRule
	for id, c := range count {
		if float64(c)*100 >= pct*float64(n) {
			out = append(out, quietRule{id, c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].matched != out[j].matched {
			return out[i].matched > out[j].matched
		}
		return out[i].id < out[j].id
	})
	return out, n, nil
}

// quietPeer is Coraza + CRS PL1 without the rules noisyRules returns.
func quietPeer(samples []sample, pct float64, w io.Writer) (*engine, error) {
	noisy, n, err := noisyRules(samples, pct)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("-quiet-rules needs the devtext set")
	}
	ids := make([]string, len(noisy))
	desc := make([]string, len(noisy))
	for i, r := range noisy {
		ids[i] = strconv.Itoa(r.id)
		desc[i] = fmt.Sprintf("%d (%.1f%%)", r.id, float64(r.matched)*100/float64(n))
	}
	fmt.Fprintf(w, "CRS PL1 rules matching >= %g%% of the %d devtext requests outside %s, removed from the \"quiet\" peer: %s\n", pct, n, attackCatalog, strings.Join(desc, ", "))
	extra := ""
	if len(ids) > 0 {
		extra = "SecRuleRemoveById " + strings.Join(ids, " ")
	}
	waf, err := corazaWAF(1, extra)
	if err != nil {
		return nil, err
	}
	return corazaEngine(fmt.Sprintf("PL1 quiet (<%g%% devtext)", pct), waf), nil
}

// newWarden sends each sample through the harness; refused counts, per
// set and class, the requests net/http refused before any handler ran.
func newWarden(h *wireHarness, verbose io.Writer, refused map[key]int) *engine {
	return &engine{name: "Warden", check: func(s *sample) (bool, bool) {
		res, err := h.send(s.wire)
		if err != nil {
			fmt.Fprintf(os.Stderr, "payloadeval: %s: %v\n", s.id, err)
		}
		if res.rejected {
			refused[s.key()]++
		}
		// Blocked: Warden answered 403, or the HTTP server refused the
		// request before any handler ran (it never reaches the upstream).
		block := res.rejected || res.status == http.StatusForbidden
		flag := block || res.conf > 0.5
		if verbose != nil && ((s.attack && !block) || (!s.attack && flag)) {
			var msgs []string
			viol := ""
			for _, v := range res.verdicts {
				msgs = append(msgs, v.Messages...)
				if viol == "" {
					viol = v.Violation
				}
			}
			if res.rejected {
				viol = fmt.Sprintf("server:%d", res.status)
			}
			fmt.Fprintf(verbose, "%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%q\t%q\t%v\n", map[bool]string{true: "MISS", false: "FP"}[s.attack], s.id, s.set, s.class, orDash(s.r.Category), res.conf, viol, trunc(s.r.URI, 160), trunc(s.r.Body, 160), msgs)
		}
		return block, flag
	}}
}

// timeInProcess runs the detectors on every request's in-process view and
// returns the time taken and how many requests it covered.
func timeInProcess(dets []abuse.Detector, samples []sample) (time.Duration, int) {
	ctx := context.Background()
	n := 0
	start := time.Now()
	for i := range samples {
		r := samples[i].req
		if r == nil {
			continue
		}
		n++
		for _, d := range dets {
			d.Detect(ctx, r)
		}
	}
	return time.Since(start), n
}

// orDash stands in "-" for an empty column.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// key is a row of the tables: the requests of one set and class, attacks
// or benign. attack is part of the key, not read off the class name, so
// that benign rows reported per category (devtext) count as benign.
type key struct {
	set, class string
	attack     bool
}

func (s *sample) key() key { return key{s.set, s.class, s.attack} }

type counts struct {
	n            int
	block, flagd []int // per engine
}

// add counts o into c.
func (c *counts) add(o *counts) {
	c.n += o.n
	for i := range c.block {
		c.block[i] += o.block[i]
		c.flagd[i] += o.flagd[i]
	}
}

// decision is one engine's judgement of one sample.
type decision struct{ block, flag bool }

// tally counts the samples and each engine's decisions (all[engine][sample])
// per row.
func tally(samples []sample, all [][]decision) map[key]*counts {
	table := map[key]*counts{}
	for i := range samples {
		k := samples[i].key()
		c := table[k]
		if c == nil {
			c = &counts{block: make([]int, len(all)), flagd: make([]int, len(all))}
			table[k] = c
		}
		c.n++
		for ei := range all {
			if all[ei][i].block {
				c.block[ei]++
			}
			if all[ei][i].flag {
				c.flagd[ei]++
			}
		}
	}
	return table
}

// sumRows adds up the rows in says to count, for engines engines.
func sumRows(table map[key]*counts, engines int, in func(key) bool) *counts {
	sum := &counts{block: make([]int, engines), flagd: make([]int, engines)}
	for k, c := range table {
		if in(k) {
			sum.add(c)
		}
	}
	return sum
}

// options are the command line's.
type options struct {
	corpus, crs, modsec, devtext, prompts, extra, only string
	markdown                                           string
	pls                                                string
	withCoraza, withProtocol                           bool
	quiet                                              float64
	every                                              int
	misses, diff, cache, dump                          string
	// fromCorpus names the sets whose file was not given, read from -corpus.
	fromCorpus []string
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.corpus, "corpus", corpus.Default, "corpus directory holding crs/, modsec-learn/, prompt-injection/ and devtext/")
	flag.StringVar(&o.crs, "crs", "", "OWASP CRS regression requests (JSONL); default <corpus>/crs/requests.jsonl")
	flag.StringVar(&o.modsec, "modsec", "", "ModSec-Learn requests (JSONL); default <corpus>/modsec-learn/requests.jsonl")
	flag.StringVar(&o.devtext, "devtext", "default", `benign developer-text requests (JSONL), reported per category; default <corpus>/devtext/requests.jsonl ("" to skip)`)
	flag.StringVar(&o.extra, "extra", "", "comma-separated extra labelled JSONL files")
	flag.StringVar(&o.prompts, "prompts", "default", `labelled texts ({"text","label"}) sent as JSON chat bodies: prose false positives and basic prompt-injection recall; default <corpus>/prompt-injection/injecguard.jsonl ("" to skip)`)
	flag.StringVar(&o.markdown, "markdown", "", `also send, as benign posts, comments, chat messages and searches, sections of the markdown files under this directory (for example "$(go env GOMODCACHE)"): developer text nobody tuned on, reported per category as the "docs" set`)
	flag.StringVar(&o.only, "only", "", "comma-separated sets to load, of crs, modsec-learn, prompts, devtext, docs and extra (default: all)")
	flag.StringVar(&o.pls, "pl", "1,2", "CRS paranoia levels to compare")
	flag.BoolVar(&o.withCoraza, "coraza", true, "run Coraza + CRS as the peer")
	flag.Float64Var(&o.quiet, "quiet-rules", 0, "also run, as a peer, CRS PL1 without the rules that match at least this percentage of the devtext requests outside doc_attack_catalog (what CRS catches when it may not judge developer text by what it mentions); 0: off")
	flag.IntVar(&o.every, "every", 1, "use every Nth line only (quick runs)")
	flag.StringVar(&o.misses, "misses", "", "write Warden's misses and false positives to this file")
	flag.StringVar(&o.dump, "dump", "", "write every request's Warden answer and each detector's in-process verdict to this file, one line per request, to compare two builds (an empty diff means the same decisions)")
	flag.StringVar(&o.diff, "diff", "", "write the attacks the first peer blocks and Warden does not to this file")
	flag.BoolVar(&o.withProtocol, "protocol", true, "run the protocol detector in Warden's column (false: leave it out, to see what protocol enforcement adds)")
	flag.StringVar(&o.cache, "peer-cache", "", "reuse (or write) the peers' decisions from this JSON file while tuning; only requests missing from it go to the peers, and throughput figures then cover Warden only")
	flag.Parse()
	if o.crs == "" {
		o.crs = filepath.Join(o.corpus, "crs", "requests.jsonl")
		o.fromCorpus = append(o.fromCorpus, "crs")
	}
	if o.modsec == "" {
		o.modsec = filepath.Join(o.corpus, "modsec-learn", "requests.jsonl")
		o.fromCorpus = append(o.fromCorpus, "modsec-learn")
	}
	if o.devtext == "default" {
		o.devtext = filepath.Join(o.corpus, devtextSet, "requests.jsonl")
		o.fromCorpus = append(o.fromCorpus, devtextSet)
	}
	if o.prompts == "default" {
		o.prompts = filepath.Join(o.corpus, "prompt-injection", "injecguard.jsonl")
		o.fromCorpus = append(o.fromCorpus, "prompts")
	}
	return o
}

// sources are the request files o names, those -only selects.
func (o options) sources() []source {
	srcs := []source{
		{name: "crs", path: o.crs, set: "crs", crs: true},
		{name: "modsec-learn", path: o.modsec, set: "modsec-learn"},
		{name: devtextSet, path: o.devtext, set: devtextSet, byCategory: true},
	}
	for _, e := range strings.Split(o.extra, ",") {
		if e = strings.TrimSpace(e); e != "" {
			srcs = append(srcs, source{name: "extra", path: e, set: e})
		}
	}
	var out []source
	for _, s := range srcs {
		if s.path != "" && o.selects(s.name) {
			out = append(out, s)
		}
	}
	return out
}

// selects reports whether -only lets set name be loaded.
func (o options) selects(name string) bool {
	if o.only == "" {
		return true
	}
	for _, s := range strings.Split(o.only, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "payloadeval:", err)
	os.Exit(1)
}

// loadAll reads every selected set.
func loadAll(o options) ([]sample, error) {
	if slices.ContainsFunc(o.fromCorpus, o.selects) {
		if err := corpus.Check(o.corpus, "corpus"); err != nil {
			return nil, err
		}
	}
	var samples []sample
	for _, s := range o.sources() {
		got, skipped, err := load(s, o.every)
		if err != nil {
			return nil, err
		}
		fmt.Printf("loaded %d requests from %s (%d per-rule benign stages skipped)\n", len(got), s.path, skipped)
		samples = append(samples, got...)
	}
	if o.markdown != "" && o.selects(docsSet) {
		got, err := loadDocs(o.markdown, o.every)
		if err != nil {
			return nil, err
		}
		fmt.Printf("loaded %d requests built from the markdown under %s\n", len(got), o.markdown)
		samples = append(samples, got...)
	}
	if o.prompts != "" && o.selects("prompts") {
		got, err := loadTexts(o.prompts, o.every)
		if err != nil {
			return nil, err
		}
		fmt.Printf("loaded %d texts from %s\n", len(got), o.prompts)
		samples = append(samples, got...)
	}
	return samples, nil
}

// peers are the Coraza engines -pl asks for.
func peers(pls string) ([]*engine, error) {
	var out []*engine
	for _, p := range strings.Split(pls, ",") {
		pl, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || pl < 1 || pl > 4 {
			return nil, fmt.Errorf("-pl: bad level %q", p)
		}
		e, err := newCoraza(pl)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// peerCache holds the peers' blocking decisions by engine name, then by
// cacheKey.
type peerCache map[string]map[string]bool

func cacheKey(s *sample) string { return s.set + " " + s.id }

func readCache(path string) (peerCache, error) {
	c := peerCache{}
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("-peer-cache: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("-peer-cache: %w", err)
	}
	return c, nil
}

// judge runs e on every sample. With a cache (a peer's, never Warden's),
// the decisions it holds are reused and only the other samples are judged,
// then added to it; it reports whether any was. e.dur is set only when e
// judged every sample, so that a throughput figure is never of a subset.
func judge(e *engine, samples []sample, cache map[string]bool) ([]decision, bool) {
	res := make([]decision, len(samples))
	judged := 0
	start := time.Now()
	for i := range samples {
		if block, hit := cache[cacheKey(&samples[i])]; hit {
			res[i] = decision{block, block}
			continue
		}
		b, f := e.check(&samples[i])
		res[i] = decision{b, f}
		judged++
		if cache != nil {
			cache[cacheKey(&samples[i])] = b
		}
	}
	if judged == len(samples) {
		e.dur = time.Since(start)
	}
	return res, judged > 0
}

func main() {
	o := parseFlags()
	// The Guard's enforcement logs each would-be ban; nothing here is news.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	samples, err := loadAll(o)
	if err != nil {
		fatal(err)
	}
	// Warden's column: `warden serve` without --config (the environment
	// aside, so that runs repeat).
	cfg := config.Default()
	dets, err := detectors(cfg, o.withProtocol)
	if err != nil {
		fatal(err)
	}
	harness, err := newWireHarness(cfg, dets...)
	if err != nil {
		fatal(err)
	}
	defer harness.close()
	var vw io.Writer
	if o.misses != "" {
		f, err := os.Create(o.misses)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		vw = f
	}
	refused := map[key]int{}
	engines := []*engine{newWarden(harness, vw, refused)}
	if o.withCoraza {
		ps, err := peers(o.pls)
		if err != nil {
			fmt.Fprintln(os.Stderr, "payloadeval:", err)
			os.Exit(2)
		}
		engines = append(engines, ps...)
		if o.quiet > 0 {
			q, err := quietPeer(samples, o.quiet, os.Stdout)
			if err != nil {
				fatal(err)
			}
			engines = append(engines, q)
		}
	}
	cached, err := readCache(o.cache)
	if err != nil {
		fatal(err)
	}
	all := make([][]decision, len(engines))
	for ei, e := range engines {
		var c map[string]bool
		if ei > 0 && o.cache != "" {
			if cached[e.name] == nil {
				cached[e.name] = map[string]bool{}
			}
			c = cached[e.name]
		}
		var changed bool
		all[ei], changed = judge(e, samples, c)
		if changed && c != nil {
			b, _ := json.Marshal(cached)
			if err := os.WriteFile(o.cache, b, 0o644); err != nil {
				fatal(fmt.Errorf("-peer-cache: %w", err))
			}
		}
	}
	if o.diff != "" && len(engines) > 1 {
		if err := writeDiff(o.diff, samples, all); err != nil {
			fatal(err)
		}
	}
	if o.dump != "" {
		if err := writeDump(o.dump, samples, all[0], dets); err != nil {
			fatal(err)
		}
	}
	wireDur := engines[0].dur
	engines[0].dur, engines[0].n = timeInProcess(dets, samples)
	table := tally(samples, all)
	report(os.Stdout, table, engines, len(samples))
	devtextReport(os.Stdout, table, engines)
	docsReport(os.Stdout, table, engines)
	fmt.Printf("\nWarden over loopback TCP (serialise, net/http server parse, Guard, one connection per request): %s for %d requests.\n", wireDur.Round(time.Millisecond), len(samples))
	printRefused(os.Stdout, refused)
	if len(engines) > 1 && sumRows(table, len(engines), func(k key) bool { return k.set == "crs" && k.attack }).n > 0 {
		// (The splits are of CRS attack stages: none with -only leaving crs out.)
		splitReport(os.Stdout, samples, all)
	}
}

// writeDump writes, per sample, Warden's decision over the wire and every
// detector's full verdict on the in-process view, in sample order, so that
// two builds can be compared with diff.
func writeDump(path string, samples []sample, warden []decision, dets []abuse.Detector) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	ctx := context.Background()
	for i := range samples {
		s := &samples[i]
		fmt.Fprintf(w, "%s\t%s\tblock=%v flag=%v\n", s.set, s.id, warden[i].block, warden[i].flag)
		if s.req == nil {
			continue
		}
		for _, d := range dets {
			if v := d.Detect(ctx, s.req); v.Found() {
				fmt.Fprintf(w, "\t%s %.6f %s %s %q %q %v\n", v.Detector, v.Confidence, v.Violation, v.Action, v.Reason, v.Messages, v.RetryAfter)
			}
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeDiff writes the attacks the first peer blocks and Warden does not.
func writeDiff(path string, samples []sample, all [][]decision) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for i, s := range samples {
		if s.attack && all[1][i].block && !all[0][i].block {
			fmt.Fprintf(f, "%s\t%s\t%q\t%q\t%v\n", s.id, s.class, trunc(s.r.URI, 200), trunc(s.r.Body, 200), s.r.Headers)
		}
	}
	return f.Close()
}

func printRefused(w io.Writer, refused map[key]int) {
	var rk []key
	for k := range refused {
		rk = append(rk, k)
	}
	sort.Slice(rk, func(i, j int) bool { return rk[i].set+rk[i].class < rk[j].set+rk[j].class })
	fmt.Fprint(w, "Refused by net/http before Warden's handler (counted as blocked):")
	for _, k := range rk {
		fmt.Fprintf(w, " %s/%s %d;", k.set, k.class, refused[k])
	}
	fmt.Fprintln(w)
}

func pct(a, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%.2f%%)", a, n, 100*float64(a)/float64(n))
}

// line prints one table row: its first cells, n, Warden's blocked and
// flagged shares, and each peer's blocked share.
func line(w io.Writer, first string, c *counts) {
	out := fmt.Sprintf("| %s | %d | %s | %s", first, c.n, pct(c.block[0], c.n), pct(c.flagd[0], c.n))
	for ei := 1; ei < len(c.block); ei++ {
		out += " | " + pct(c.block[ei], c.n)
	}
	fmt.Fprintln(w, out+" |")
}

// header prints a table's header: the first columns, then n and one
// column per engine as line fills them.
func header(w io.Writer, first []string, engines []*engine) {
	hdr := "| " + strings.Join(first, " | ") + " | n | Warden blocked | Warden flagged"
	for _, e := range engines[1:] {
		hdr += " | " + e.name
	}
	fmt.Fprintln(w, hdr+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(first)+2+len(engines)))
}

// summary is a summary row: the sum of the rows in says to count.
type summary struct {
	name string
	in   func(key) bool
}

// The summary rows. Whether a row is of attacks is the samples' label,
// never its class name: devtext rows are named by category, all benign.
var (
	allAttacks     = summary{"all attacks", func(k key) bool { return k.attack }}
	payloadAttacks = summary{"payload attacks", func(k key) bool {
		return k.attack && (payloadCats[k.class] || strings.HasPrefix(k.set, "modsec-learn"))
	}}
	allBenign         = summary{"all benign", func(k key) bool { return !k.attack }}
	benignButDevtext  = summary{"benign without devtext", func(k key) bool { return !k.attack && k.set != devtextSet }}
	allDevtext        = summary{"all devtext", func(k key) bool { return !k.attack && k.set == devtextSet }}
	devtextButCatalog = summary{"all but " + attackCatalog, func(k key) bool {
		return !k.attack && k.set == devtextSet && k.class != attackCatalog
	}}
)

// payloadCats are the CRS classes of payload attacks, as against protocol
// and scanner checks.
var payloadCats = map[string]bool{"sqli": true, "xss": true, "rce": true, "php": true, "lfi": true, "rfi": true, "java": true, "generic": true}

func report(w io.Writer, table map[key]*counts, engines []*engine, total int) {
	keys := make([]key, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].set != keys[j].set {
			return keys[i].set < keys[j].set
		}
		return keys[i].class < keys[j].class
	})
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Blocked (Warden: confidence >= 0.8; Coraza: CRS inbound anomaly score >= 5). Attack rows are recall, benign rows are the false-positive rate; Warden's flagged column adds the log zone (> 0.5).")
	fmt.Fprintln(w)
	header(w, []string{"set", "class"}, engines)
	for _, k := range keys {
		line(w, k.set+" | "+k.class, table[k])
	}
	n := len(engines)
	for _, t := range []summary{allAttacks, payloadAttacks, allBenign} {
		line(w, "**"+t.name+"** |", sumRows(table, n, t.in))
	}
	// The benign figure of the other sets, as before devtext was added,
	// when both are loaded.
	if c := sumRows(table, n, benignButDevtext.in); c.n > 0 && c.n < sumRows(table, n, allBenign.in).n {
		line(w, "**"+benignButDevtext.name+"** |", c)
	}
	throughput(w, engines, total)
}

// throughput prints each engine's requests per second.
func throughput(w io.Writer, engines []*engine, total int) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | time | requests/s | vs Coraza+CRS PL1 |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	var base float64
	count := func(e *engine) int {
		if e.n > 0 {
			return e.n
		}
		return total
	}
	for _, e := range engines {
		if strings.HasSuffix(e.name, "PL1") && e.dur > 0 {
			base = float64(count(e)) / e.dur.Seconds()
		}
	}
	for _, e := range engines {
		if e.dur == 0 {
			continue
		}
		rps := float64(count(e)) / e.dur.Seconds()
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.1fx", rps/base)
		}
		name := e.name
		if e.n > 0 {
			name += " (detectors in-process)"
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s |\n", name, e.dur.Round(time.Millisecond), rps, ratio)
	}
}

// attackCatalog is the devtext category of payload-dense testing guides,
// which no content inspector can tell from attacks by their text alone: it
// is left out of the devtext total and shown on its own.
const attackCatalog = "doc_attack_catalog"

// devtextOrder is the order of the devtext categories in its README:
// chat, posts and documentation, then short code.
var devtextOrder = []string{"chat_code", "chat_question", "chat_security_question", "post_markdown", "doc_security", "comment_code", "search_code", "snippet_code"}

// devtextReport prints the false-positive rate on the developer-text
// requests per category, their total without doc_attack_catalog, that
// category, and the total with it.
func devtextReport(w io.Writer, table map[key]*counts, engines []*engine) {
	rows := map[string]*counts{}
	var extra []string
	for k, c := range table {
		if k.set != devtextSet || k.attack { // every devtext request is benign
			continue
		}
		rows[k.class] = c
		if !slices.Contains(devtextOrder, k.class) && k.class != attackCatalog {
			extra = append(extra, k.class)
		}
	}
	if len(rows) == 0 {
		return
	}
	sort.Strings(extra)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Developer text (devtext): legitimate requests carrying code and security text; every one is benign, so each share is a false-positive rate. Blocked and flagged as above.")
	fmt.Fprintln(w)
	header(w, []string{"category"}, engines)
	for _, cat := range append(slices.Clone(devtextOrder), extra...) {
		if c := rows[cat]; c != nil {
			line(w, cat, c)
		}
	}
	n := len(engines)
	line(w, "**"+devtextButCatalog.name+"**", sumRows(table, n, devtextButCatalog.in))
	if c := rows[attackCatalog]; c != nil {
		line(w, attackCatalog, c)
	}
	line(w, "**"+allDevtext.name+"**", sumRows(table, n, allDevtext.in))
}

// splitReport prints recall on the CRS attack stages split by test number
// (the number after the rule id): even tests are the half Warden's checks
// were tuned on, odd tests the held-out half; and split by rule id, odd
// rule ids held out.
func splitReport(w io.Writer, samples []sample, all [][]decision) {
	groups := []struct {
		name string
		in   func(class string) bool
	}{
		{"all CRS attacks", func(string) bool { return true }},
		{"protocol groups (method, scanner, protocol, protocol-attack, multipart, session-fixation)", func(c string) bool {
			switch c {
			case "method", "scanner", "protocol", "protocol-attack", "multipart", "session-fixation":
				return true
			}
			return false
		}},
	}
	for _, c := range []string{"sqli", "xss", "rce", "php", "lfi", "rfi", "java", "generic", "protocol", "protocol-attack", "multipart", "session-fixation"} {
		groups = append(groups, struct {
			name string
			in   func(class string) bool
		}{c, func(class string) bool { return class == c }})
	}
	// Two ways to halve the stages: by test number, and by rule id (the
	// few odd rule ids, 942101 or 932125, are rules of their own).
	for _, by := range []struct {
		title, even, odd string
		isOdd            func(s *sample) bool
	}{
		{"CRS attack stages by test number: even = looked at while writing the checks, odd = held out.", "even (tuned)", "odd (held out)", func(s *sample) bool { return testOdd(s.id) }},
		{"CRS attack stages by rule id: odd rule ids held out.", "even rule id", "odd rule id", func(s *sample) bool { return s.r.Rule%2 == 1 }},
	} {
		splitTable(w, samples, all, groups, by.title, by.even, by.odd, by.isOdd)
	}
}

// splitTable prints one table of splitReport: recall per group on the
// stages that odd says are in each half.
func splitTable(w io.Writer, samples []sample, all [][]decision, groups []struct {
	name string
	in   func(class string) bool
}, title, evenName, oddName string, odd func(s *sample) bool) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, title)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| stages | half | n | Warden blocked | Coraza+CRS PL1 |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, g := range groups {
		for _, wantOdd := range []bool{false, true} {
			n, wb, pb := 0, 0, 0
			for i := range samples {
				s := &samples[i]
				if s.set != "crs" || !s.attack || !g.in(s.class) || odd(s) != wantOdd {
					continue
				}
				n++
				if all[0][i].block {
					wb++
				}
				if all[1][i].block {
					pb++
				}
			}
			half := evenName
			if wantOdd {
				half = oddName
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s |\n", g.name, half, n, pct(wb, n), pct(pb, n))
		}
	}
}

// testOdd reports whether a CRS stage id ("942100-13", "934120-43-s2")
// has an odd test number.
func testOdd(id string) bool {
	parts := strings.Split(id, "-")
	if len(parts) < 2 {
		return false
	}
	n, err := strconv.Atoi(parts[1])
	return err == nil && n%2 == 1
}
