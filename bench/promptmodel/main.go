// Command promptmodel trains the learned prompt-injection detector
// (package aiguard/promptmodel) on the shared corpus and the project's seed
// sentences and general-chat requests (bench/internal/promptdata) and
// writes its weights. The output is the same byte for byte on
// each run. From bench/:
//
//	go run ./promptmodel -corpus ../../shared/corpus -out ../aiguard/promptmodel/weights.bin
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/warden-dev/warden/aiguard/promptmodel"
	"github.com/warden-dev/warden/bench/internal/corpus"
	"github.com/warden-dev/warden/bench/internal/promptdata"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "promptmodel:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("promptmodel", flag.ContinueOnError)
	dir := fs.String("corpus", corpus.Default, "corpus root (holding prompt-injection/ and devtext/)")
	dst := fs.String("out", "../aiguard/promptmodel/weights.bin", "weights file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := corpus.Check(*dir, "corpus"); err != nil {
		return err
	}
	recs, err := promptdata.LoadCorpus(*dir)
	if err != nil {
		return err
	}
	m := promptmodel.Train(promptdata.Examples(recs), promptmodel.Options{})
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		return err
	}
	if err := os.WriteFile(*dst, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing weights: %w", err)
	}
	var tp, fp, pos, neg int
	for _, r := range recs {
		hit := m.Score(r.Text) >= 0.5
		if r.Attack() {
			pos++
			if hit {
				tp++
			}
		} else {
			neg++
			if hit {
				fp++
			}
		}
	}
	fmt.Fprintf(out, "trained on %d texts (%d attacks, %d benign); wrote %s (%d bytes)\n", len(recs), pos, neg, *dst, b.Len())
	fmt.Fprintf(out, "in-sample at 0.5: recall %.3f, FP rate %.3f (see bench/prompteval for held-out figures)\n",
		float64(tp)/float64(max(pos, 1)), float64(fp)/float64(max(neg, 1)))
	return nil
}
