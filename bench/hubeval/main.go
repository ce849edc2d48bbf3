// Command hubeval replays the CrowdSec hub test logs in
// ../../shared/corpus/crowdsec-hub (beside the checkout; -corpus) through
// Warden's behaviour, bot and payload detectors (package logreplay) and
// prints, per test, whether Warden flags the sources CrowdSec's own
// assertions expect, with which scenario, and which other sources it flags. It can also generate a realistic benign
// access log (-benign N) and replay it (-replay FILE) to count false
// positives.
//
// From bench/ (the bench module):
//
//	go run ./hubeval                      # hub table (markdown)
//	go run ./hubeval -benign 200000 > benign.log
//	go run ./hubeval -replay benign.log   # clients flagged on a file
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/bench/internal/corpus"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/logreplay"
	"github.com/warden-dev/warden/payload"
)

func main() {
	hubDir := flag.String("corpus", filepath.Join(corpus.Default, "crowdsec-hub"), "CrowdSec hub corpus directory")
	usePayload := flag.Bool("payload", true, "also run the payload detector on the URL")
	benign := flag.Int("benign", 0, "write a benign combined log of about N lines to stdout and exit")
	seed := flag.Uint64("seed", 1, "seed of the benign log")
	replay := flag.String("replay", "", "replay this combined log and print the summary")
	flag.Parse()
	if err := run(*hubDir, *usePayload, *benign, *seed, *replay); err != nil {
		fmt.Fprintln(os.Stderr, "hubeval:", err)
		os.Exit(1)
	}
}

func run(hubDir string, usePayload bool, benign int, seed uint64, replay string) error {
	switch {
	case benign > 0:
		return writeBenign(os.Stdout, benign, seed)
	case replay != "":
		return replayFile(replay, usePayload)
	}
	return hub(hubDir, usePayload)
}

// Options are the replay options hubeval uses: the defaults plus the
// login routes of the applications in the hub logs. WordPress and apisCP
// answer a failed login with 200 (and a success with a redirect), so 200 on
// those routes counts as a failure.
func Options(usePayload bool) (logreplay.Options, error) {
	o := logreplay.DefaultOptions()
	o.NoSummary = true
	o.Routes = map[string][]string{
		"login": {"POST /wp-login.php", "POST /apps/login", "POST /xmlrpc.php", "POST /login", "POST /api/auth/login"},
	}
	o.Behavior.Login.FailureStatuses = []int{200, 401, 403}
	// Acts as `warden replay` does: what enforce mode would do with each
	// verdict, under the default policy.
	policy := config.Default().Policy
	o.Act = func(v *abuse.Verdict) abuse.Action { return warden.VerdictAction(policy, v) }
	if usePayload {
		p, err := payload.New(payload.DefaultConfig())
		if err != nil {
			return o, err
		}
		o.Detectors = []abuse.Detector{p}
	}
	return o, nil
}

type expected struct {
	Test            string         `json:"test"`
	LogType         string         `json:"log_type"`
	LogFile         string         `json:"log_file"`
	LogLines        map[string]int `json:"log_lines"`
	Category        string         `json:"category"`
	Scenarios       []string       `json:"scenarios_loaded"`
	AlertCountExact bool           `json:"alert_count_exact"`
	Sources         []string       `json:"expected_sources"`
}

type index struct {
	Tests []struct {
		Test string `json:"test"`
	} `json:"tests"`
}

type result struct {
	exp        expected
	hit        bool
	missing    []string
	scenarios  []string // Warden scenarios on expected sources
	extra      []string // flagged sources CrowdSec leaves alone (exact tests)
	lines      int
	malformed  int
	inFamilies bool
}

// families maps CrowdSec scenarios to the Warden families of issue 5;
// tests whose scenarios are outside them are reported apart.
var outOfFamily = map[string]string{
	"crowdsecurity/http-generic-test":              "CrowdSec self-test marker",
	"crowdsecurity/nginx-req-limit-exceeded":       "nginx error log (limit_req)",
	"crowdsecurity/http-dos-invalid-http-versions": "HTTP version field",
	"crowdsecurity/http-open-proxy":                "proxy requests",
	"crowdsecurity/http-sqli-probbing-detection":   "payload (SQLi in query)",
	"crowdsecurity/http-xss-probbing":              "payload (XSS in query)",
	"crowdsecurity/http-path-traversal-probing":    "payload (traversal)",
	"crowdsecurity/http-cve-probing":               "CVE URIs",
}

func hub(hubDir string, usePayload bool) error {
	if err := corpus.Check(hubDir, "corpus"); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(hubDir, "index.json"))
	if err != nil {
		return fmt.Errorf("read index: %w", err)
	}
	var idx index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("parse index: %w", err)
	}
	var results []result
	for _, t := range idx.Tests {
		r, err := runTest(hubDir, t.Test, usePayload)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].exp.Category > results[j].exp.Category })
	fmt.Println("| test | category | format | lines (malformed) | expected sources | flagged | Warden scenarios | other sources flagged |")
	fmt.Println("| --- | --- | --- | ---: | --- | --- | --- | --- |")
	type tally struct{ n, hit, exactN, clean int }
	var beh, fam, cve tally
	for _, r := range results {
		mark := "yes"
		if !r.hit {
			mark = "**no** (missing " + strings.Join(r.missing, ", ") + ")"
		}
		extra := "none"
		if !r.exp.AlertCountExact {
			extra = "n/a"
			if len(r.extra) > 0 {
				extra = "n/a: " + strings.Join(r.extra, ", ")
			}
		} else if len(r.extra) > 0 {
			extra = strings.Join(r.extra, ", ")
		}
		cat := r.exp.Category
		if cat == "behavioural" && !r.inFamilies {
			cat += " (outside families)"
		}
		fmt.Printf("| %s | %s | %s | %d (%d) | %s | %s | %s | %s |\n", r.exp.Test, cat, r.exp.LogType, r.lines, r.malformed,
			strings.Join(r.exp.Sources, ", "), mark, strings.Join(r.scenarios, ", "), extra)
		add := func(t *tally) {
			t.n++
			if r.hit {
				t.hit++
			}
			if r.exp.AlertCountExact {
				t.exactN++
				if len(r.extra) == 0 {
					t.clean++
				}
			}
		}
		switch {
		case r.exp.Category == "cve":
			add(&cve)
		default:
			add(&beh)
			if r.inFamilies {
				add(&fam)
			}
		}
	}
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Println()
	fmt.Printf("behavioural tests, families of issue 5: expected sources flagged in %d/%d (%.0f%%); no other source flagged in %d/%d exact tests\n", fam.hit, fam.n, pct(fam.hit, fam.n), fam.clean, fam.exactN)
	fmt.Printf("behavioural tests, all: %d/%d (%.0f%%); clean %d/%d\n", beh.hit, beh.n, pct(beh.hit, beh.n), beh.clean, beh.exactN)
	fmt.Printf("CVE signature tests: %d/%d (%.0f%%); clean %d/%d (payload detector %v)\n", cve.hit, cve.n, pct(cve.hit, cve.n), cve.clean, cve.exactN, usePayload)
	return nil
}

func canon(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

func runTest(hubDir, name string, usePayload bool) (result, error) {
	dir := filepath.Join(hubDir, name)
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return result{}, fmt.Errorf("test %s: %w", name, err)
	}
	var exp expected
	if err := json.Unmarshal(raw, &exp); err != nil {
		return result{}, fmt.Errorf("test %s: parse expected.json: %w", name, err)
	}
	res := result{exp: exp, inFamilies: true}
	for _, s := range exp.Scenarios {
		if _, out := outOfFamily[s]; out {
			res.inFamilies = false
		}
	}
	f, err := os.Open(filepath.Join(dir, filepath.Base(exp.LogFile)))
	if err != nil {
		return res, fmt.Errorf("test %s: %w", name, err)
	}
	defer f.Close()
	opts, err := Options(usePayload)
	if err != nil {
		return res, err
	}
	if exp.LogType == "nginx" {
		opts.Format = logreplay.Nginx // also reads nginx error-log lines
	}
	flagged := map[string]map[string]bool{} // ip → scenarios
	opts.OnAlert = func(a logreplay.Alert) {
		ip := canon(strings.TrimPrefix(a.Client, "ip:"))
		if flagged[ip] == nil {
			flagged[ip] = map[string]bool{}
		}
		flagged[ip][a.Scenario] = true
	}
	sum, err := logreplay.Run(context.Background(), f, io.Discard, opts)
	if err != nil {
		return res, fmt.Errorf("test %s: %w", name, err)
	}
	res.lines, res.malformed = sum.Lines, sum.Malformed
	want := map[string]bool{}
	scen := map[string]bool{}
	res.hit = true
	for _, s := range exp.Sources {
		s = canon(s)
		want[s] = true
		if flagged[s] == nil {
			res.hit = false
			res.missing = append(res.missing, s)
			continue
		}
		for sc := range flagged[s] {
			scen[sc] = true
		}
	}
	for sc := range scen {
		res.scenarios = append(res.scenarios, sc)
	}
	sort.Strings(res.scenarios)
	for ip, sc := range flagged {
		if !want[ip] {
			names := make([]string, 0, len(sc))
			for k := range sc {
				names = append(names, k)
			}
			sort.Strings(names)
			res.extra = append(res.extra, ip+" ("+strings.Join(names, ", ")+")")
		}
	}
	sort.Strings(res.extra)
	return res, nil
}

func replayFile(path string, usePayload bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	opts, err := Options(usePayload)
	if err != nil {
		return err
	}
	opts.Behavior.Login.FailureStatuses = []int{401, 403}
	opts.NoSummary = false
	sum, err := logreplay.Run(context.Background(), f, os.Stdout, opts)
	if err != nil {
		return err
	}
	secs := sum.Elapsed.Seconds()
	fmt.Printf("throughput: %.0f lines/s (%d lines in %s)\n", float64(sum.Lines)/secs, sum.Lines, sum.Elapsed.Round(time.Millisecond))
	return nil
}
