package crowdsec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// maxText bounds the origin and scenario kept from a decision.
const maxText = 200

// Stream is one answer of GET /v1/decisions/stream: decisions new since
// the last call (all those in force with startup=true) and deleted ones.
type Stream struct {
	New, Deleted []Decision
}

// wireDecision is a decision as the LAPI sends it (models.Decision in its
// swagger); the fields Warden does not use are left out.
type wireDecision struct {
	Duration *string `json:"duration"`
	Origin   *string `json:"origin"`
	Scenario *string `json:"scenario"`
	Scope    *string `json:"scope"`
	Type     *string `json:"type"`
	Value    *string `json:"value"`
}

// ParseStream decodes a stream answer received at now. A decision's
// duration ("3h59m55.6s", negative for deleted ones) becomes its end
// time. Decisions missing a field Warden needs, or with a duration that
// does not parse, are skipped and counted in skipped; their type and
// scope are checked later (Set.Apply), so that skipped counts only
// malformed ones.
func ParseStream(data []byte, now time.Time) (s Stream, skipped int, err error) {
	var w struct {
		New     []*wireDecision `json:"new"`
		Deleted []*wireDecision `json:"deleted"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return s, 0, fmt.Errorf("crowdsec: decision stream: %w", err)
	}
	conv := func(ws []*wireDecision, into *[]Decision) {
		for _, d := range ws {
			dec, ok := d.decision(now)
			if !ok {
				skipped++
				continue
			}
			*into = append(*into, dec)
		}
	}
	conv(w.New, &s.New)
	conv(w.Deleted, &s.Deleted)
	return s, skipped, nil
}

func (w *wireDecision) decision(now time.Time) (Decision, bool) {
	if w == nil || w.Type == nil || w.Scope == nil || w.Value == nil || w.Duration == nil {
		return Decision{}, false
	}
	dur, err := time.ParseDuration(*w.Duration)
	if err != nil {
		return Decision{}, false
	}
	d := Decision{Type: *w.Type, Scope: *w.Scope, Value: *w.Value, Until: now.Add(dur)}
	if w.Origin != nil {
		d.Origin = clip.String(*w.Origin, maxText)
	}
	if w.Scenario != nil {
		d.Scenario = clip.String(*w.Scenario, maxText)
	}
	return d, true
}
