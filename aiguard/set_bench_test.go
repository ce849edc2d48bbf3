package aiguard

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/internal/chattest"
)

// BenchmarkAISet4KB is what the AI protections add to a 4 KB chat request
// without the LLM judge: every detector NewSet builds from the defaults
// (token budget and prompt injection; moderation is off and extraction
// has no route by default), run as the pipeline runs them on a message
// route — Detect, then Observe for the observers — with a new request ID
// each time. The token limits are lifted so the budget keeps charging
// instead of throttling after a few hundred requests.
func BenchmarkAISet4KB(b *testing.B) { benchAISet4KB(b, false) }

// BenchmarkAISet4KBModel is BenchmarkAISet4KB with the learned model on
// (ai.prompt.model: true): the target's figure for that configuration.
func BenchmarkAISet4KBModel(b *testing.B) { benchAISet4KB(b, true) }

func benchAISet4KB(b *testing.B, model bool) {
	cfg := DefaultConfig()
	cfg.Budget.TokensPerHour, cfg.Budget.TokensPerDay = 0, 0
	cfg.Prompt.Model = model
	s, err := NewSet(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ds := s.Detectors()
	var obs []abuse.Observer
	for _, d := range ds {
		if o, ok := d.(abuse.Observer); ok {
			obs = append(obs, o)
		}
	}
	body := chattest.Body4K(b)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r := &abuse.Request{ID: strconv.Itoa(i), Time: now, Class: "message", Method: "POST", Path: "/v1/chat/completions",
			Body: body, ContentType: "application/json", Client: abuse.Client{User: "u1"}}
		for _, d := range ds {
			if v := d.Detect(ctx, r); v.Confidence != 0 {
				b.Fatalf("benign chat flagged: %+v", v)
			}
		}
		for _, o := range obs {
			o.Observe(r, abuse.Outcome{Status: 200})
		}
	}
}
