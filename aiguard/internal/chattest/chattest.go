// Package chattest builds the chat bodies the aiguard tests and benchmarks
// share. It is for tests only.
package chattest

import (
	"encoding/json"
	"strings"
	"testing"
)

// Body4K is a realistic 4 KB OpenAI chat body: a system prompt, a few
// turns of benign conversation and a user question.
func Body4K(tb testing.TB) []byte {
	tb.Helper()
	para := "Could you help me plan a three day trip to Lisbon in spring? I like museums, long walks by the river and good seafood, " +
		"and I would rather avoid very touristy restaurants. We are two adults travelling by train from Porto. "
	msgs := []map[string]string{{"role": "system", "content": "You are a helpful travel assistant. Answer briefly and politely."}}
	for len(msgs) < 12 {
		msgs = append(msgs, map[string]string{"role": "user", "content": para + strings.Repeat("Thanks! ", 3)})
		msgs = append(msgs, map[string]string{"role": "assistant", "content": "Sure, here is an idea for the first day: start at the Belém tower, then walk along the river."})
	}
	b, err := json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": msgs})
	if err != nil {
		tb.Fatal(err)
	}
	for len(b) < 4096 {
		msgs[1]["content"] += " More detail please."
		b, _ = json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": msgs})
	}
	return b
}
