package enforce

import (
	"context"
	"hash/maphash"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// Hook records violations from the pipeline's observe stage: registered on
// a Guard with g.Use(e.Hook()), it returns no verdict of its own and, when
// a request ends, calls RecordFinding once per violation type among the
// request's verdicts that acted (abuse.Outcome.Acted: grey findings, only
// logged, do not score). Bans then take effect from the client's next
// request.
//
// Use it only with a Guard that does not call Record itself (one built
// without an enforcer); with both, every violation counts twice.
type Hook struct {
	e    *Enforcer
	seed maphash.Seed // keys abuse.Finding
}

// Hook returns the Enforcer's observe-stage adapter.
func (e *Enforcer) Hook() *Hook { return &Hook{e: e, seed: maphash.MakeSeed()} }

// Name implements abuse.Detector.
func (h *Hook) Name() string { return "enforce" }

// Detect implements abuse.Detector; it finds nothing.
func (h *Hook) Detect(context.Context, *abuse.Request) abuse.Verdict { return abuse.Verdict{} }

// Observe implements abuse.Observer.
func (h *Hook) Observe(r *abuse.Request, o abuse.Outcome) {
	var ctx context.Context
	var cancel context.CancelFunc
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		if v.Violation == "" || !o.Acted(i) {
			continue
		}
		dup := false
		for j, w := range o.Verdicts[:i] {
			dup = dup || (w.Violation == v.Violation && o.Acted(j))
		}
		if dup {
			continue
		}
		if ctx == nil {
			ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
		}
		a := v.Action
		if i < len(o.Acts) {
			a = o.Acts[i]
		}
		var finding uint64 // a rate finding: each request past the limit scores
		if a != abuse.Throttle {
			finding = abuse.Finding(h.seed, r, v)
		}
		if _, _, err := h.e.RecordFinding(ctx, r, v.Violation, finding); err != nil {
			h.e.log.Warn("recording violation failed", "violation", v.Violation, "err", err)
		}
	}
}

var (
	_ abuse.Detector = (*Hook)(nil)
	_ abuse.Observer = (*Hook)(nil)
)
