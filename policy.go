package warden

import (
	"net/http"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
)

// Decision is what the pipeline decided for one request.
type Decision struct {
	// Action is what Warden does. In monitor mode it is at most Log.
	Action abuse.Action
	// Would is what enforce mode would do; equal to Action when enforcing.
	Would      abuse.Action
	Mode       config.Mode // enforce, or monitor when a monitor mode held the action back
	Confidence float64     // the highest verdict confidence
	Verdicts   []abuse.Verdict
	Reason     string // safe, client-facing
	RetryAfter time.Duration
	Header     http.Header
	Detector   string // the detector whose verdict set the action
}

// verdictAction is the action one verdict asks for.
func (g *Guard) verdictAction(v *abuse.Verdict) abuse.Action {
	return VerdictAction(g.cfg.Policy, v)
}

// VerdictAction is the action one verdict asks for under policy p: its
// own Action when set, else Block at or above the block threshold, Log
// above the log threshold, else Allow. A violation name alone does not
// log: a finding at or below log_threshold is one the operator chose not
// to hear about, and logging it anyway made monitor runs noisy.
func VerdictAction(p config.Policy, v *abuse.Verdict) abuse.Action {
	if v.Action != abuse.Allow {
		return v.Action
	}
	switch {
	case v.Confidence >= p.BlockThreshold:
		return abuse.Block
	case v.Confidence > p.LogThreshold:
		return abuse.Log
	}
	return abuse.Allow
}

// Decide is the action enforce mode takes for a request's verdicts under
// policy p: the most severe any verdict asks for. warden inspect uses it.
func Decide(p config.Policy, verdicts []abuse.Verdict) abuse.Action {
	a := abuse.Allow
	for i := range verdicts {
		a = max(a, VerdictAction(p, &verdicts[i]))
	}
	return a
}

// decide combines verdicts: the most severe action wins (ties go to the
// higher confidence); a verdict from a detector in monitor mode can at most
// log. modes[i] is the mode of verdicts[i]'s detector.
func (g *Guard) decide(verdicts []abuse.Verdict, modes []config.Mode) Decision {
	d := Decision{Mode: g.cfg.Mode, Verdicts: verdicts}
	var best, acted *abuse.Verdict
	for i := range verdicts {
		v := &verdicts[i]
		if v.Confidence > d.Confidence {
			d.Confidence = v.Confidence
		}
		a := g.verdictAction(v)
		if a > d.Would || (a == d.Would && best != nil && v.Confidence > best.Confidence) {
			d.Would = a
			best = v
		}
		enforced := a
		if modes[i] == config.Monitor && a > abuse.Log {
			enforced = abuse.Log
		}
		if enforced > d.Action || (enforced == d.Action && acted != nil && v.Confidence > acted.Confidence) {
			d.Action = enforced
			acted = v
		}
	}
	if d.Action < d.Would {
		d.Mode = config.Monitor
	}
	if best != nil {
		d.Detector = best.Detector
	}
	if acted != nil {
		d.Reason = acted.Reason
		d.RetryAfter = acted.RetryAfter
		d.Header = acted.Header
	}
	return d
}
