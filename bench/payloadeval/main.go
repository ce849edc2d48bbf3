// Command payloadeval measures Warden's request detectors (protocol
// enforcement, bot and payload) against Coraza v3 with the OWASP Core Rule
// Set v4 (paranoia levels 1 and 2) on labelled JSON Lines requests, in one
// run: per-class recall on attacks, the false-positive rate on benign
// requests, and requests per second for each engine (one goroutine each).
//
// Warden is judged as `warden serve` runs: each request is serialised to
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
// default ../shared/corpus): crs/ (OWASP CRS regression stages),
// modsec-learn/ (real benign traffic and real SQLi), prompt-injection/
// (prose sent as chat bodies), and any extra labelled files given with
// -extra.
//
// A CRS stage marked benign only says that one rule must stay silent, so
// only the stages that say no rule may fire (rule 999999) or that
// describe a false-positive / legitimate case count as benign; the other
// benign stages are skipped.
//
// Usage:
//
//	go run ./bench/payloadeval [-crs FILE] [-modsec FILE] [-extra F1,F2] [-pl 1,2] [-coraza=false] [-protocol=false] [-every N]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"

	"github.com/warden-dev/warden/abuse"
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
	class  string // category; "benign" for benign
	attack bool
	id     string
	r      row
	req    *abuse.Request // the detectors' view, built in-process
	wire   []byte         // the request as sent over TCP
}

var fpDesc = regexp.MustCompile(`(?i)false.?positive|legitimate|\bFP\b`)

func load(path, set string, every int, crs bool) ([]sample, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", path, err)
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
		if crs && s.attack && r.Rule == 999999 {
			// 999999-36: legitimate traffic CRS flags at PL3 (see README).
			s.attack = false
		}
		if !s.attack {
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
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives(fmt.Sprintf(`Include @coraza.conf-recommended
Include @crs-setup.conf.example
SecRuleEngine On
SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=%d"
Include @owasp_crs/*.conf`, pl)))
	if err != nil {
		return nil, fmt.Errorf("coraza PL%d: %w", pl, err)
	}
	return &engine{name: fmt.Sprintf("Coraza+CRS PL%d", pl), check: func(s *sample) (bool, bool) {
		tx := waf.NewTransaction()
		defer tx.Close()
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
		return it != nil, it != nil
	}}, nil
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
			refused[key{s.set, s.class}]++
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
			fmt.Fprintf(verbose, "%s\t%s\t%s\t%.2f\t%s\t%q\t%q\t%v\n", map[bool]string{true: "MISS", false: "FP"}[s.attack], s.id, s.class, res.conf, viol, trunc(s.r.URI, 160), trunc(s.r.Body, 160), msgs)
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

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type key struct{ set, class string }

type counts struct {
	n            int
	block, flagd []int // per engine
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "corpus directory holding crs/, modsec-learn/ and prompt-injection/")
	crsPath := flag.String("crs", "", "OWASP CRS regression requests (JSONL); default <corpus>/crs/requests.jsonl")
	modsecPath := flag.String("modsec", "", "ModSec-Learn requests (JSONL); default <corpus>/modsec-learn/requests.jsonl")
	extra := flag.String("extra", "", "comma-separated extra labelled JSONL files")
	prompts := flag.String("prompts", "default", `labelled texts ({"text","label"}) sent as JSON chat bodies: prose false positives and basic prompt-injection recall; default <corpus>/prompt-injection/injecguard.jsonl ("" to skip)`)
	pls := flag.String("pl", "1,2", "CRS paranoia levels to compare")
	withCoraza := flag.Bool("coraza", true, "run Coraza + CRS as the peer")
	every := flag.Int("every", 1, "use every Nth line only (quick runs)")
	verbose := flag.String("misses", "", "write Warden's misses and false positives to this file")
	diff := flag.String("diff", "", "write the attacks the first peer blocks and Warden does not to this file")
	withProtocol := flag.Bool("protocol", true, "run the protocol detector in Warden's column (false: payload and bot only, to see what protocol enforcement adds)")
	cache := flag.String("peer-cache", "", "reuse (or write) the peers' decisions from this JSON file while tuning; throughput figures then cover Warden only")
	flag.Parse()
	// The Guard's enforcement logs each would-be ban; nothing here is news.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	if *crsPath == "" {
		*crsPath = filepath.Join(*corpus, "crs", "requests.jsonl")
	}
	if *modsecPath == "" {
		*modsecPath = filepath.Join(*corpus, "modsec-learn", "requests.jsonl")
	}
	if *prompts == "default" {
		*prompts = filepath.Join(*corpus, "prompt-injection", "injecguard.jsonl")
	}

	var samples []sample
	type src struct {
		path, set string
		crs       bool
	}
	srcs := []src{{*crsPath, "crs", true}, {*modsecPath, "modsec-learn", false}}
	for _, e := range strings.Split(*extra, ",") {
		if e = strings.TrimSpace(e); e != "" {
			srcs = append(srcs, src{e, e, false})
		}
	}
	for _, s := range srcs {
		if s.path == "" {
			continue
		}
		got, skipped, err := load(s.path, s.set, *every, s.crs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "payloadeval:", err)
			os.Exit(1)
		}
		fmt.Printf("loaded %d requests from %s (%d per-rule benign stages skipped)\n", len(got), s.path, skipped)
		samples = append(samples, got...)
	}

	if *prompts != "" {
		got, err := loadTexts(*prompts, *every)
		if err != nil {
			fmt.Fprintln(os.Stderr, "payloadeval:", err)
			os.Exit(1)
		}
		fmt.Printf("loaded %d texts from %s\n", len(got), *prompts)
		samples = append(samples, got...)
	}

	dets, err := detectors(*withProtocol)
	if err != nil {
		fmt.Fprintln(os.Stderr, "payloadeval:", err)
		os.Exit(1)
	}
	harness, err := newWireHarness(dets...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "payloadeval:", err)
		os.Exit(1)
	}
	defer harness.close()
	var vw io.Writer
	if *verbose != "" {
		f, err := os.Create(*verbose)
		if err != nil {
			fmt.Fprintln(os.Stderr, "payloadeval:", err)
			os.Exit(1)
		}
		defer f.Close()
		vw = f
	}
	refused := map[key]int{}
	engines := []*engine{newWarden(harness, vw, refused)}
	if *withCoraza {
		for _, p := range strings.Split(*pls, ",") {
			pl, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || pl < 1 || pl > 4 {
				fmt.Fprintf(os.Stderr, "payloadeval: -pl: bad level %q\n", p)
				os.Exit(2)
			}
			e, err := newCoraza(pl)
			if err != nil {
				fmt.Fprintln(os.Stderr, "payloadeval:", err)
				os.Exit(1)
			}
			engines = append(engines, e)
		}
	}

	table := map[key]*counts{}
	get := func(k key) *counts {
		c := table[k]
		if c == nil {
			c = &counts{block: make([]int, len(engines)), flagd: make([]int, len(engines))}
			table[k] = c
		}
		return c
	}
	for _, s := range samples {
		get(key{s.set, s.class}).n++
	}
	cached := map[string]map[string]bool{}
	if *cache != "" {
		if b, err := os.ReadFile(*cache); err == nil {
			if err := json.Unmarshal(b, &cached); err != nil {
				fmt.Fprintln(os.Stderr, "payloadeval: -peer-cache:", err)
				os.Exit(1)
			}
		}
	}
	all := make([][][2]bool, len(engines))
	for ei, e := range engines {
		res := make([][2]bool, len(samples))
		all[ei] = res
		c, ok := cached[e.name]
		if ok {
			for _, s := range samples {
				if _, hit := c[s.set+" "+s.id]; !hit {
					ok = false
					break
				}
			}
		}
		if ok && ei > 0 {
			for i, s := range samples {
				res[i] = [2]bool{c[s.set+" "+s.id], c[s.set+" "+s.id]}
			}
		} else {
			start := time.Now()
			for i := range samples {
				b, f := e.check(&samples[i])
				res[i] = [2]bool{b, f}
			}
			e.dur = time.Since(start)
		}
		if *cache != "" && ei > 0 && e.dur > 0 {
			m := map[string]bool{}
			for i, s := range samples {
				m[s.set+" "+s.id] = res[i][0]
			}
			cached[e.name] = m
			b, _ := json.Marshal(cached)
			if err := os.WriteFile(*cache, b, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "payloadeval: -peer-cache:", err)
				os.Exit(1)
			}
		}
		for i, s := range samples {
			c := get(key{s.set, s.class})
			if res[i][0] {
				c.block[ei]++
			}
			if res[i][1] {
				c.flagd[ei]++
			}
		}
	}
	if *diff != "" && len(engines) > 1 {
		f, err := os.Create(*diff)
		if err != nil {
			fmt.Fprintln(os.Stderr, "payloadeval:", err)
			os.Exit(1)
		}
		for i, s := range samples {
			if s.attack && all[1][i][0] && !all[0][i][0] {
				fmt.Fprintf(f, "%s\t%s\t%q\t%q\t%v\n", s.id, s.class, trunc(s.r.URI, 200), trunc(s.r.Body, 200), s.r.Headers)
			}
		}
		f.Close()
	}
	wireDur := engines[0].dur
	engines[0].dur, engines[0].n = timeInProcess(dets, samples)
	report(os.Stdout, table, engines, len(samples))
	fmt.Printf("\nWarden over loopback TCP (serialise, net/http server parse, Guard, one connection per request): %s for %d requests.\n", wireDur.Round(time.Millisecond), len(samples))
	var rk []key
	for k := range refused {
		rk = append(rk, k)
	}
	sort.Slice(rk, func(i, j int) bool { return rk[i].set+rk[i].class < rk[j].set+rk[j].class })
	fmt.Print("Refused by net/http before Warden's handler (counted as blocked):")
	for _, k := range rk {
		fmt.Printf(" %s/%s %d;", k.set, k.class, refused[k])
	}
	fmt.Println()
	if len(engines) > 1 {
		splitReport(os.Stdout, samples, all)
	}
}

func pct(a, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%.2f%%)", a, n, 100*float64(a)/float64(n))
}

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
	hdr := "| set | class | n | Warden blocked | Warden flagged"
	for _, e := range engines[1:] {
		hdr += " | " + e.name
	}
	fmt.Fprintln(w, hdr+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", 4+len(engines)))
	var attackN, benignN int
	attackB := make([]int, len(engines))
	benignB := make([]int, len(engines))
	payloadCats := map[string]bool{"sqli": true, "xss": true, "rce": true, "php": true, "lfi": true, "rfi": true, "java": true, "generic": true}
	var payN int
	payB := make([]int, len(engines))
	for _, k := range keys {
		c := table[k]
		line := fmt.Sprintf("| %s | %s | %d | %s | %s", k.set, k.class, c.n, pct(c.block[0], c.n), pct(c.flagd[0], c.n))
		for ei := range engines[1:] {
			line += " | " + pct(c.block[ei+1], c.n)
		}
		fmt.Fprintln(w, line+" |")
		if k.class == "benign" {
			benignN += c.n
			for ei := range engines {
				benignB[ei] += c.block[ei]
			}
		} else {
			attackN += c.n
			for ei := range engines {
				attackB[ei] += c.block[ei]
			}
			if payloadCats[k.class] || strings.HasPrefix(k.set, "modsec-learn") {
				payN += c.n
				for ei := range engines {
					payB[ei] += c.block[ei]
				}
			}
		}
	}
	sum := func(name string, b []int, n int) {
		line := fmt.Sprintf("| **%s** | | %d", name, n)
		for ei := range engines {
			line += " | " + pct(b[ei], n)
			if ei == 0 {
				line += " | "
			}
		}
		fmt.Fprintln(w, line+" |")
	}
	sum("all attacks", attackB, attackN)
	sum("payload attacks", payB, payN)
	sum("all benign", benignB, benignN)
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

// splitReport prints recall on the CRS attack stages split by test number
// (the number after the rule id): even tests are the half Warden's checks
// were tuned on, odd tests the held-out half; and split by rule id, odd
// rule ids held out.
func splitReport(w io.Writer, samples []sample, all [][][2]bool) {
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
func splitTable(w io.Writer, samples []sample, all [][][2]bool, groups []struct {
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
				if all[0][i][0] {
					wb++
				}
				if all[1][i][0] {
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
