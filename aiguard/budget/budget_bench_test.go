package budget

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// BenchmarkBudgetChurn is the budget's per-request bookkeeping when more
// clients come than it tracks (twice MaxClients): every request finds a
// full table and evicts, as under a crowd of one-off clients.
func BenchmarkBudgetChurn(b *testing.B) {
	cfg := DefaultConfig()
	d, err := NewDetector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	users := make([]string, 2*cfg.MaxClients)
	for i := range users {
		users[i] = "u" + strconv.Itoa(i)
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "id" + strconv.Itoa(i)
	}
	reqs := make([]abuse.Request, len(ids))
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	body := []byte(`{"model":"gpt-4o","max_tokens":30,"messages":[{"role":"user","content":"hello"}]}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := &reqs[i%len(reqs)]
		*r = abuse.Request{ID: ids[i%len(ids)], Time: now, Client: abuse.Client{User: users[i%len(users)]}, Class: "message",
			Method: "POST", Path: "/v1/chat/completions", Body: body, ContentType: "application/json"}
		d.Detect(ctx, r)
		d.Observe(r, abuse.Outcome{Status: 200})
		i++
	}
	if h, _ := d.spent(abuse.Client{User: users[(i-1)%len(users)]}.Key(), now); h == 0 {
		b.Fatal("the last request was not charged")
	}
}
