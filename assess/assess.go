package assess

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/warden-dev/warden/config"
)

// Coverage says how far the controls in force address a threat.
type Coverage string

const (
	Covered    Coverage = "covered"      // controls remove at least half of the risk
	Partly     Coverage = "partly"       // some control bears on it
	NotCovered Coverage = "not covered"  // no control in force
	OutOfScope Coverage = "not in scope" // a front door cannot address it
)

// Severities of a finding, from its residual risk (0..25).
const (
	High   = "high"   // residual >= 10
	Medium = "medium" // residual >= 5
	Low    = "low"    // residual >= 2
	None   = "none"
)

// severityRank orders severities for --fail-on.
func severityRank(s string) int {
	return map[string]int{None: 0, Low: 1, Medium: 2, High: 3}[s]
}

// Finding is one threat assessed against the controls.
type Finding struct {
	Edition    string       `json:"edition"`
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Likelihood int          `json:"likelihood"`
	Impact     int          `json:"impact"`
	Inherent   float64      `json:"inherent"` // likelihood × impact
	Residual   float64      `json:"residual"` // inherent × Π(1 − share × level)
	Coverage   Coverage     `json:"coverage"`
	Severity   string       `json:"severity"`
	Controls   []ControlUse `json:"controls,omitempty"`
	Note       string       `json:"note,omitempty"`
}

// ControlUse is one control's part in a finding.
type ControlUse struct {
	ID    string  `json:"id"`
	Share float64 `json:"share"` // of the risk removed at full level
	Level float64 `json:"level"` // in force
	State string  `json:"state"`
}

// Recommendation is a config change and the score it would save.
type Recommendation struct {
	Control string   `json:"control"`
	Fix              // title and snippet
	Gain    float64  `json:"score_gain"` // points off the risk score
	Threats []string `json:"threats,omitempty"`
}

// Report is the whole assessment.
type Report struct {
	Config          string           `json:"config"`
	Generated       time.Time        `json:"generated"`
	Score           float64          `json:"risk_score"` // 0 (no residual risk) .. 100 (no control)
	Editions        []Edition        `json:"editions"`
	Controls        []Control        `json:"controls"`
	Findings        []Finding        `json:"findings"`
	Recommendations []Recommendation `json:"recommendations"`
	Probes          []ProbeResult    `json:"probes,omitempty"`
}

// ScoreMethod explains the score; every output prints it.
const ScoreMethod = "Each in-scope threat has an inherent risk of likelihood × impact (1..5 each, so at most 25). " +
	"Each control in force removes its share of the risk, at its level (enforce 1, monitor 0.2, off 0): " +
	"residual = inherent × Π(1 − share × level). The risk score is 100 × Σ residual / Σ inherent: " +
	"0 when every threat is fully mitigated, 100 when no control is in force."

// Assess builds the report of cfg; name is how the config is referred to
// (its path, or "defaults").
func Assess(cfg config.Config, name string, now time.Time) (*Report, error) {
	eds, err := Catalogue()
	if err != nil {
		return nil, err
	}
	ctls := Inventory(cfg)
	r := &Report{Config: name, Generated: now.UTC(), Editions: eds, Controls: ctls}
	r.Findings = findings(eds, levels(ctls))
	r.Score = score(r.Findings)
	r.Recommendations = recommend(eds, ctls, r.Score)
	if r.Recommendations == nil {
		r.Recommendations = []Recommendation{} // [] in JSON: nothing left to do
	}
	return r, nil
}

type levelState struct {
	level float64
	state string
}

func levels(ctls []Control) map[string]levelState {
	m := make(map[string]levelState, len(ctls))
	for _, c := range ctls {
		m[c.ID] = levelState{c.Level, c.State}
	}
	return m
}

func findings(eds []Edition, lv map[string]levelState) []Finding {
	var out []Finding
	for _, e := range eds {
		for _, t := range e.Threats {
			f := Finding{Edition: e.ID, ID: t.ID, Name: t.Name, Note: t.Note}
			if t.Scope == "out" {
				f.Coverage, f.Severity = OutOfScope, None
				out = append(out, f)
				continue
			}
			f.Likelihood, f.Impact = t.Likelihood, t.Impact
			f.Inherent = float64(t.Likelihood * t.Impact)
			keep := 1.0
			for _, id := range slices.Sorted(maps.Keys(t.Controls)) {
				ls, ok := lv[id]
				if !ok {
					ls = levelState{0, "unknown"}
				}
				keep *= 1 - t.Controls[id]*ls.level
				f.Controls = append(f.Controls, ControlUse{ID: id, Share: t.Controls[id], Level: ls.level, State: ls.state})
			}
			f.Residual = round2(f.Inherent * keep)
			switch m := 1 - keep; {
			case m >= 0.5:
				f.Coverage = Covered
			case m > 0:
				f.Coverage = Partly
			default:
				f.Coverage = NotCovered
			}
			f.Severity = severity(f.Residual)
			out = append(out, f)
		}
	}
	return out
}

func severity(residual float64) string {
	switch {
	case residual >= 10:
		return High
	case residual >= 5:
		return Medium
	case residual >= 2:
		return Low
	}
	return None
}

func score(fs []Finding) float64 {
	var res, inh float64
	for _, f := range fs {
		res += f.Residual
		inh += f.Inherent
	}
	if inh == 0 {
		return 0
	}
	return math.Round(1000*res/inh) / 10
}

// recommend lists the fixes of the inventory, each with the score it
// would save alone, most valuable first.
func recommend(eds []Edition, ctls []Control, base float64) []Recommendation {
	var out []Recommendation
	for _, c := range ctls {
		if c.Fix == nil {
			continue
		}
		lv := levels(ctls)
		lv[c.ID] = levelState{cmp.Or(c.Fix.level, levelOn), "enforce"}
		gain := math.Round(10*(base-score(findings(eds, lv)))) / 10
		rec := Recommendation{Control: c.ID, Fix: *c.Fix, Gain: gain}
		for _, e := range eds {
			for _, t := range e.Threats {
				if _, ok := t.Controls[c.ID]; ok {
					rec.Threats = append(rec.Threats, t.ID)
				}
			}
		}
		out = append(out, rec)
	}
	slices.SortStableFunc(out, func(a, b Recommendation) int {
		return cmp.Or(cmp.Compare(b.Gain, a.Gain), cmp.Compare(a.Control, b.Control))
	})
	return out
}

// Failing returns the findings at or above the severity level that a
// recommendation would lower: what the config can still do. A threat the
// front door can only partly address (API1, LLM06) stays in the report
// without failing every build.
func (r *Report) Failing(level string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity != None && severityRank(f.Severity) >= severityRank(level) && r.fixFor(f) != "" {
			out = append(out, f)
		}
	}
	return out
}

// ParseSeverity checks a --fail-on value.
func ParseSeverity(s string) (string, error) {
	switch s {
	case Low, Medium, High:
		return s, nil
	}
	return "", fmt.Errorf("must be low, medium or high, got %q", s)
}

func round2(f float64) float64 { return math.Round(100*f) / 100 }
