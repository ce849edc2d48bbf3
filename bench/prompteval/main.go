// Command prompteval scores Warden's prompt-injection heuristics
// (prompt.Detector) on the labelled prompt-injection corpus and
// compares them, in the same run, with a naive trigger-word baseline (the
// kind of keyword check InjecGuard's NotInject set was built to expose).
//
// Usage, from bench/ (the bench module):
//
//	go run ./prompteval [-corpus ../../shared/corpus/prompt-injection] [-misses N] [-dump FILE]
//
// It prints precision, recall and false-positive rate per source at the
// log (0.5) and block (0.8) thresholds, then the learned model trained
// leave-one-source-out, with its recall at a threshold chosen, without the
// held-out source, for at most 3% false positives on benign prompts.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/prompt"
	"github.com/warden-dev/warden/aiguard/promptmodel"
	"github.com/warden-dev/warden/bench/internal/corpus"
	"github.com/warden-dev/warden/bench/internal/promptdata"
)

type record = promptdata.Record

type counts struct{ tp, fp, tn, fn int }

func (c *counts) add(attack, flagged bool) {
	switch {
	case attack && flagged:
		c.tp++
	case attack:
		c.fn++
	case flagged:
		c.fp++
	default:
		c.tn++
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "prompteval:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("prompteval", flag.ContinueOnError)
	dir := fs.String("corpus", filepath.Join(corpus.Default, "prompt-injection"), "prompt-injection corpus directory")
	misses := fs.Int("misses", 0, "print up to N misses and false positives per group (for tuning)")
	dumpTo := fs.String("dump", "", "write every text's findings and chat verdicts to this file (compare two builds)")
	devtext := fs.String("devtext", "", "devtext prompt set for the learned model's evaluation (default: devtext/prompts.jsonl beside the -corpus directory; skipped when absent)")
	loso := fs.Bool("loso", true, "train and evaluate the learned model leave-one-source-out")
	scoresTo := fs.String("scores", "", "write each text's source, label, heuristic, in-sample and LOSO model scores to this TSV file (to compare ways to combine them)")
	var opts promptmodel.Options
	fs.Func("bits", "model: log2 of feature buckets (tuning; default the trainer's)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 8)
		opts.Bits = uint8(v)
		return err
	})
	fs.IntVar(&opts.Epochs, "epochs", 0, "model: training epochs (tuning; 0 = the trainer's)")
	fs.Float64Var(&opts.L2, "l2", 0, "model: weight decay (tuning; 0 = the trainer's)")
	fs.Float64Var(&opts.LearnRate, "lr", 0, "model: learning rate (tuning; 0 = the trainer's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := corpus.Check(*dir, "corpus"); err != nil {
		return err
	}
	recs, err := load(*dir)
	if err != nil {
		return err
	}
	det, err := prompt.NewDetector(prompt.DefaultConfig())
	if err != nil {
		return err
	}
	if *dumpTo != "" {
		f, err := os.Create(*dumpTo)
		if err != nil {
			return fmt.Errorf("dump: %w", err)
		}
		err = dump(f, det, recs)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("dump: %w", err)
		}
	}
	fmt.Fprintln(out, "### Direct: every text scanned as the user's message")
	fmt.Fprintln(out)
	direct := evaluate(det, recs, chat.SourceUser, func(r record) bool { return true }, *misses)
	direct.print(out, "JailbreakBench (direct) vs all benign", func(g string) bool {
		return strings.HasPrefix(g, "jailbreakbench/") || !strings.Contains(g, "BIPIA")
	})
	fmt.Fprintln(out)
	fmt.Fprintln(out, "### Indirect: BIPIA injections and the benign sets scanned as a retrieved document")
	fmt.Fprintln(out)
	indirect := evaluate(det, recs, chat.SourceDocument, func(r record) bool { return !strings.HasPrefix(group(r), "jailbreakbench/") }, *misses)
	indirect.print(out, "BIPIA (indirect) vs all benign", func(string) bool { return true })
	printFamilyPrecision(out, det, recs, "adversarial_suffix")
	fmt.Fprintf(out, "\nscan time (direct pass): %d texts, %.1f MB, %.1f µs/text, %.1f µs/KB\n", direct.n, float64(direct.bytes)/1e6,
		float64(direct.elapsed.Microseconds())/float64(direct.n), float64(direct.elapsed.Microseconds())/(float64(direct.bytes)/1024))
	if !*loso {
		return nil
	}
	// The learned model: trained on the prompt-injection files, the
	// devtext prompts and the seed, one source held out at a time.
	all := slices.Clone(recs)
	if *devtext == "" {
		*devtext = filepath.Join(*dir, "..", "devtext", "prompts.jsonl")
	}
	fmt.Fprintln(out)
	if dev, err := promptdata.LoadFile(*devtext); errors.Is(err, iofs.ErrNotExist) {
		fmt.Fprintf(out, "(no devtext prompts at %s: left out of the model's evaluation)\n\n", *devtext)
	} else if err != nil {
		return err
	} else {
		all = append(all, dev...)
	}
	reqs := filepath.Join(filepath.Dir(*devtext), "requests.jsonl")
	if rs, err := promptdata.LoadRequests(reqs); errors.Is(err, iofs.ErrNotExist) {
		fmt.Fprintf(out, "(no devtext requests at %s: left out of the model's evaluation)\n\n", reqs)
	} else if err != nil {
		return err
	} else {
		all = append(all, rs...)
	}
	seed, err := promptdata.Own()
	if err != nil {
		return err
	}
	var scores io.Writer
	if *scoresTo != "" {
		f, err := os.Create(*scoresTo)
		if err != nil {
			return fmt.Errorf("scores: %w", err)
		}
		defer f.Close()
		scores = f
	}
	printLOSO(out, det, append(all, seed...), opts, scores)
	return nil
}

type key struct {
	group string
	th    int
}

type result struct {
	res     map[key]*counts
	base    map[string]*counts
	groups  []string
	n       int
	bytes   int
	elapsed time.Duration
}

var thresholds = []float64{0.5, 0.8}

func evaluate(det *prompt.Detector, recs []record, src chat.Source, keep func(record) bool, misses int) *result {
	r := &result{res: map[key]*counts{}, base: map[string]*counts{}}
	seen := map[string]bool{}
	shown := map[string]int{}
	for _, rec := range recs {
		if !keep(rec) {
			continue
		}
		g := group(rec)
		if !seen[g] {
			seen[g] = true
			r.groups = append(r.groups, g)
		}
		start := time.Now()
		a := det.AnalyzeSource(rec.Text, src)
		r.elapsed += time.Since(start)
		r.n++
		r.bytes += len(rec.Text)
		attack := rec.Label == "injection"
		for i, th := range thresholds {
			k := key{g, i}
			if r.res[k] == nil {
				r.res[k] = &counts{}
			}
			r.res[k].add(attack, a.Confidence >= th)
		}
		if r.base[g] == nil {
			r.base[g] = &counts{}
		}
		r.base[g].add(attack, baseline(rec.Text))
		if misses > 0 && (attack != (a.Confidence >= 0.5)) && shown[g] < misses {
			shown[g]++
			t := rec.Text
			if len(t) > 300 {
				t = t[:150] + " … " + t[len(t)-150:]
			}
			fmt.Fprintf(os.Stderr, "[%s as %s] %s conf=%.2f %q\n", g, src, rec.Label, a.Confidence, t)
			for _, f := range a.Findings {
				fmt.Fprintf(os.Stderr, "     %s %.2f %s %q\n", f.Family, f.Weight, f.What, f.Excerpt)
			}
		}
	}
	sort.Strings(r.groups)
	return r
}

func (r *result) print(out io.Writer, pooled string, inPool func(string) bool) {
	fmt.Fprintf(out, "| source | label | n | recall / FP rate @0.5 (log) | recall / FP rate @0.8 (block) | keyword baseline recall / FP rate |\n")
	fmt.Fprintf(out, "| --- | --- | ---: | ---: | ---: | ---: |\n")
	pool := [2]counts{}
	var poolBase counts
	for _, g := range r.groups {
		c5, c8, b := r.res[key{g, 0}], r.res[key{g, 1}], r.base[g]
		label := "injection"
		if c5.tp+c5.fn == 0 {
			label = "benign"
		}
		fmt.Fprintf(out, "| %s | %s | %d | %s | %s | %s |\n", g, label, c5.tp+c5.fp+c5.tn+c5.fn, rate(c5), rate(c8), rate(b))
		if inPool(g) {
			for i := range pool {
				c := r.res[key{g, i}]
				pool[i].tp += c.tp
				pool[i].fp += c.fp
				pool[i].tn += c.tn
				pool[i].fn += c.fn
			}
			poolBase.tp += b.tp
			poolBase.fp += b.fp
			poolBase.tn += b.tn
			poolBase.fn += b.fn
		}
	}
	fmt.Fprintf(out, "| **%s** | mixed | %d | %s, precision %s | %s, precision %s | %s, precision %s |\n", pooled,
		pool[0].tp+pool[0].fp+pool[0].tn+pool[0].fn, rate(&pool[0]), prec(&pool[0]), rate(&pool[1]), prec(&pool[1]), rate(&poolBase), prec(&poolBase))
}

// rate prints recall for injection groups, FP rate for benign ones, both
// for mixed ones.
func rate(c *counts) string {
	var parts []string
	if c.tp+c.fn > 0 {
		parts = append(parts, fmt.Sprintf("recall %.3f (%d/%d)", float64(c.tp)/float64(c.tp+c.fn), c.tp, c.tp+c.fn))
	}
	if c.fp+c.tn > 0 {
		parts = append(parts, fmt.Sprintf("FP %.3f (%d/%d)", float64(c.fp)/float64(c.fp+c.tn), c.fp, c.fp+c.tn))
	}
	return strings.Join(parts, ", ")
}

func prec(c *counts) string {
	if c.tp+c.fp == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", float64(c.tp)/float64(c.tp+c.fp))
}

// group names a record's source: the corpus file's dataset or attack method.
func group(r record) string {
	_, path, _ := strings.Cut(r.Source, ":")
	if i := strings.Index(path, "attack-artifacts/"); i >= 0 {
		m, _, _ := strings.Cut(path[i+len("attack-artifacts/"):], "/")
		return "jailbreakbench/" + m
	}
	if i := strings.Index(path, "datasets/"); i >= 0 {
		f := strings.TrimSuffix(path[i+len("datasets/"):], ".json")
		if strings.HasPrefix(f, "NotInject") {
			f = "NotInject"
		}
		return "injecguard/" + f
	}
	return r.Source
}

// baselineWords is the naive peer: flag any text holding a trigger word.
var baselineWords = []string{"ignore", "disregard", "bypass", "jailbreak", "pretend", "system prompt", "instructions", "unrestricted", "override", "forget"}

func baseline(text string) bool {
	t := strings.ToLower(text)
	for _, w := range baselineWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

func load(dir string) ([]record, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("listing corpus: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("no *.jsonl files in " + dir + " (set -corpus)")
	}
	var recs []record
	for _, name := range names {
		if filepath.Base(name) == "requests.jsonl" {
			continue // devtext's HTTP requests, not labelled prompts (payloadeval reads them)
		}
		rs, err := promptdata.LoadFile(name)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rs...)
	}
	return recs, nil
}
