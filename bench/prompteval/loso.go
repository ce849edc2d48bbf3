package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/prompt"
	"github.com/warden-dev/warden/aiguard/promptmodel"
	"github.com/warden-dev/warden/bench/internal/promptdata"
)

// scored is one record with every method's confidence.
type scored struct {
	rec     record
	group   string
	heur    float64 // prompt.Detector, as user text
	inModel float64 // the model trained on everything (in-sample)
	loso    float64 // the model trained without the record's source
}

// method is one way to decide, from a scored record.
type method struct {
	name string
	conf func(s scored) float64
}

var methods = []method{
	{"heuristics", func(s scored) float64 { return s.heur }},
	{"model in-sample", func(s scored) float64 { return s.inModel }},
	{"model LOSO", func(s scored) float64 { return s.loso }},
	{"max(heur, LOSO)", func(s scored) float64 { return max(s.heur, s.loso) }},
	{"Combine(heur, LOSO)", func(s scored) float64 { return promptmodel.Combine(s.heur, s.loso) }},
	{"Combine(heur, in-sample)", func(s scored) float64 { return promptmodel.Combine(s.heur, s.inModel) }},
}

// looScores trains the model once on everything and once per source
// without it, and scores every record with each. It also returns, per
// held-out source, the threshold for the false-positive budget chosen on
// the other sources alone (see budgetThresholdFor).
func looScores(det *prompt.Detector, recs []record, opts promptmodel.Options) ([]scored, []string, map[string]float64) {
	out := make([]scored, len(recs))
	bySrc := map[string][]int{}
	for i, r := range recs {
		g := promptdata.Group(r)
		out[i] = scored{rec: r, group: g, heur: det.AnalyzeSource(r.Text, chat.SourceUser).Confidence}
		bySrc[g] = append(bySrc[g], i)
	}
	groups := make([]string, 0, len(bySrc))
	for g := range bySrc {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	all := promptmodel.Train(promptdata.Examples(recs), opts)
	for i := range out {
		out[i].inModel = all.Score(out[i].rec.Text)
	}
	// One training per held-out source, in parallel: each writes only
	// its own records' loso field and its own threshold.
	thr := make([]float64, len(groups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for gi, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var train []record
			for _, r := range recs {
				if promptdata.Group(r) != g {
					train = append(train, r)
				}
			}
			m := promptmodel.Train(promptdata.Examples(train), opts)
			for _, i := range bySrc[g] {
				out[i].loso = m.Score(out[i].rec.Text)
			}
			thr[gi] = budgetThresholdFor(train, opts, fpBudget)
		}()
	}
	wg.Wait()
	byGroup := make(map[string]float64, len(groups))
	for gi, g := range groups {
		byGroup[g] = thr[gi]
	}
	return out, groups, byGroup
}

// thresholdFolds is the number of folds budgetThresholdFor scores the
// training texts in.
const thresholdFolds = 3

// budgetThresholdFor picks the threshold a model trained on train would
// be run at to flag at most budget of benign prompts, from train alone:
// the benign prompts of train are scored out of fold (each by a model
// trained on the other folds, texts dealt round) and the threshold is the
// lowest that flags at most budget of them. It is what an operator can
// measure on the traffic the model was trained on; the held-out source's
// FP rate at it shows what a new population of benign prompts costs.
func budgetThresholdFor(train []record, opts promptmodel.Options, budget float64) float64 {
	var ben []float64
	for k := range thresholdFolds {
		var fit, test []record
		for i, r := range train {
			if i%thresholdFolds == k {
				test = append(test, r)
			} else {
				fit = append(fit, r)
			}
		}
		m := promptmodel.Train(promptdata.Examples(fit), opts)
		for _, r := range test {
			if isBenignPrompt(promptdata.Group(r), r) {
				ben = append(ben, m.Score(r.Text))
			}
		}
	}
	return budgetThreshold(ben, budget)
}

// printLOSO prints the leave-one-source-out table, the pooled targets,
// over-defence, calibration and the model's speed.
func printLOSO(out io.Writer, det *prompt.Detector, recs []record, opts promptmodel.Options, scores io.Writer) {
	start := time.Now()
	sc, groups, thr := looScores(det, recs, opts)
	if scores != nil {
		for _, s := range sc {
			fmt.Fprintf(scores, "%s\t%s\t%.6f\t%.6f\t%.6f\n", s.group, s.rec.Label, s.heur, s.inModel, s.loso)
		}
	}
	fmt.Fprintf(out, "### Leave-one-source-out: the model trained without a source, tested on it (%d texts, %d sources, %.0f s)\n\n", len(sc), len(groups), time.Since(start).Seconds())
	fmt.Fprintln(out, "Sources: injecguard dataset (BIPIA text+code one source), JailbreakBench attack method, devtext prompt repository (sql = questions and code of one repository; security_code_question = four documentation repositories), the project's seed sentences, general-chat requests and framed prompts (not in the pooled rows). Recall for attack sources, FP rate for benign ones; each cell is @0.5 (log) / @0.8 (block). \"model in-sample\" saw the source in training; \"model LOSO\" did not. Heuristics were written against JailbreakBench: in-sample there.")
	fmt.Fprintln(out)
	fmt.Fprintf(out, "The last column is the target's measure: the LOSO model at a threshold per held-out source, chosen on the other sources alone, the lowest that flags at most %.0f%% of their benign prompts scored out of fold (%d folds); the held-out source's FP rate at it is what a new population of benign prompts costs.\n", 100*fpBudget, thresholdFolds)
	fmt.Fprintln(out)
	fmt.Fprint(out, "| source | label | n |")
	for _, m := range methods {
		fmt.Fprintf(out, " %s |", m.name)
	}
	fmt.Fprintf(out, " LOSO recall at ≤ %.0f%% benign FP |", 100*fpBudget)
	fmt.Fprint(out, "\n| --- | --- | ---: |")
	for range methods {
		fmt.Fprint(out, " ---: |")
	}
	fmt.Fprintln(out, " ---: |")
	for _, g := range groups {
		var in []scored
		for _, s := range sc {
			if s.group == g {
				in = append(in, s)
			}
		}
		row(out, g, labelOf(in), in, thr)
	}
	pool := func(name string, keep func(s scored) bool) {
		var in []scored
		for _, s := range sc {
			if keep(s) {
				in = append(in, s)
			}
		}
		if len(in) > 0 {
			row(out, "**"+name+"**", labelOf(in), in, thr)
		}
	}
	// The project's own sentences are trained on but not counted: the
	// figures are the corpus's.
	corpusOnly := func(s scored) bool { return !promptdata.OwnGroup(s.group) }
	pool("all corpus attacks", func(s scored) bool { return corpusOnly(s) && s.rec.Attack() })
	pool("direct attacks (no BIPIA)", func(s scored) bool { return corpusOnly(s) && s.rec.Attack() && s.group != "injecguard/BIPIA" })
	pool("all corpus benign", func(s scored) bool { return corpusOnly(s) && !s.rec.Attack() })
	pool("benign prompts (devtext coding questions, NotInject, WildGuard)", benignPrompt)
	pool("benign coding questions (devtext)", func(s scored) bool { return !s.rec.Attack() && strings.HasPrefix(s.group, "devtext/") })
	fmt.Fprintln(out)

	fmt.Fprintln(out, "### Calibration of the model's probability (LOSO scores, corpus only)")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| predicted | n | mean predicted | observed attack rate |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: |")
	const bins = 10
	var n [bins]int
	var sumP, sumY [bins]float64
	for _, s := range sc {
		if !corpusOnly(s) {
			continue
		}
		b := min(int(s.loso*bins), bins-1)
		n[b]++
		sumP[b] += s.loso
		if s.rec.Attack() {
			sumY[b]++
		}
	}
	for b := range bins {
		if n[b] == 0 {
			continue
		}
		fmt.Fprintf(out, "| %.1f–%.1f | %d | %.3f | %.3f |\n", float64(b)/bins, float64(b+1)/bins, n[b], sumP[b]/float64(n[b]), sumY[b]/float64(n[b]))
	}
	fmt.Fprintln(out)
	fmt.Fprint(out, "Brier score (lower is better; 0.25 is a coin):")
	for _, m := range methods {
		var sum float64
		var k int
		for _, s := range sc {
			if !corpusOnly(s) {
				continue
			}
			y := 0.0
			if s.rec.Attack() {
				y = 1
			}
			d := m.conf(s) - y
			sum += d * d
			k++
		}
		fmt.Fprintf(out, " %s %.4f;", m.name, sum/math.Max(float64(k), 1))
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out)

	m, err := promptmodel.Load()
	if err != nil {
		fmt.Fprintf(out, "embedded model: %v\n", err)
		return
	}
	var bytes int
	t := time.Now()
	for _, s := range sc {
		m.Score(s.rec.Text)
		bytes += len(s.rec.Text)
	}
	el := time.Since(t)
	fmt.Fprintf(out, "embedded model scoring time: %d texts, %.1f µs/text, %.1f µs/KB\n", len(sc),
		float64(el.Microseconds())/float64(len(sc)), float64(el.Microseconds())/(float64(bytes)/1024))
}

func labelOf(in []scored) string {
	var att int
	for _, s := range in {
		if s.rec.Attack() {
			att++
		}
	}
	switch att {
	case 0:
		return "benign"
	case len(in):
		return "injection"
	}
	return "mixed"
}

// row prints a source's recall (attacks) and FP rate (benign texts) at
// the log and block levels, per method, then the LOSO model's at the
// held-out source's threshold in thr.
func row(out io.Writer, name, label string, in []scored, thr map[string]float64) {
	fmt.Fprintf(out, "| %s | %s | %d |", name, label, len(in))
	for _, m := range methods {
		var c5, c8 counts
		for _, s := range in {
			c := m.conf(s)
			c5.add(s.rec.Attack(), c >= 0.5)
			c8.add(s.rec.Attack(), c >= 0.8)
		}
		fmt.Fprintf(out, " %s |", pair(&c5, &c8))
	}
	var c counts
	for _, s := range in {
		c.add(s.rec.Attack(), s.loso >= thr[s.group])
	}
	var parts []string
	if n := c.tp + c.fn; n > 0 {
		parts = append(parts, fmt.Sprintf("recall %.3f", float64(c.tp)/float64(n)))
	}
	if n := c.fp + c.tn; n > 0 {
		parts = append(parts, fmt.Sprintf("FP %.3f", float64(c.fp)/float64(n)))
	}
	if t, ok := thr[name]; ok {
		parts = append(parts, fmt.Sprintf("at %.3f", t))
	}
	fmt.Fprintf(out, " %s |\n", strings.Join(parts, ", "))
}

// fpBudget is the false-positive budget on benign prompts.
const fpBudget = 0.03

// benignPrompt reports whether s is one of the benign prompts the
// issue's targets are stated on: the devtext coding questions, NotInject
// and WildGuard.
func benignPrompt(s scored) bool { return isBenignPrompt(s.group, s.rec) }

func isBenignPrompt(group string, r record) bool {
	return !r.Attack() && (strings.HasPrefix(group, "devtext/") || strings.HasPrefix(group, "injecguard/"))
}

// budgetThreshold returns the lowest t such that at most budget of
// scores are >= t (above every score when there are none).
func budgetThreshold(scores []float64, budget float64) float64 {
	if len(scores) == 0 {
		return math.Inf(1)
	}
	desc := slices.Clone(scores)
	slices.SortFunc(desc, func(a, b float64) int { return cmp.Compare(b, a) })
	k := int(math.Floor(budget * float64(len(desc))))
	if k >= len(desc) {
		return math.Inf(-1)
	}
	// Flag the k highest: just above the next one, so ties with it stay
	// below the threshold.
	return math.Nextafter(desc[k], math.Inf(1))
}

// pair prints "recall a / b" and / or "FP a / b" for the two levels.
func pair(c5, c8 *counts) string {
	var parts []string
	if c5.tp+c5.fn > 0 {
		n := float64(c5.tp + c5.fn)
		parts = append(parts, fmt.Sprintf("recall %.3f / %.3f", float64(c5.tp)/n, float64(c8.tp)/n))
	}
	if c5.fp+c5.tn > 0 {
		n := float64(c5.fp + c5.tn)
		parts = append(parts, fmt.Sprintf("FP %.3f / %.3f", float64(c5.fp)/n, float64(c8.fp)/n))
	}
	return strings.Join(parts, ", ")
}
