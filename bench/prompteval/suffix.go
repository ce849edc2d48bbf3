package main

import (
	"fmt"
	"io"

	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/prompt"
)

// printFamilyPrecision prints how often one rule family alone gives a
// text at least the log confidence, on attacks and on benign texts: the
// family's own precision (the adversarial-suffix check's, by default),
// whatever the other families add.
func printFamilyPrecision(out io.Writer, det *prompt.Detector, recs []record, family string) {
	var attacks, benign, nAttack, nBenign int
	for _, rec := range recs {
		if rec.Text == "" {
			continue // devtext's requests.jsonl: no prompt text
		}
		hit := false
		for _, f := range det.AnalyzeSource(rec.Text, chat.SourceUser).Findings {
			if f.Family == family && f.Weight >= 0.5 {
				hit = true
				break
			}
		}
		if rec.Label == "injection" {
			nAttack++
			if hit {
				attacks++
			}
		} else {
			nBenign++
			if hit {
				benign++
			}
		}
	}
	p := "–"
	if attacks+benign > 0 {
		p = fmt.Sprintf("%.3f", float64(attacks)/float64(attacks+benign))
	}
	fmt.Fprintf(out, "\n%s rule family alone at >= 0.5 (direct): %d of %d attacks, %d of %d benign texts, precision %s\n", family, attacks, nAttack, benign, nBenign, p)
}
