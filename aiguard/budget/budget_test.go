package budget

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/llm/openaitest"
)

func budgetReq(id string, t time.Time, body string) *abuse.Request {
	return &abuse.Request{ID: id, Time: t, Client: abuse.Client{User: "alice"}, Class: "message", Method: "POST",
		Path: "/v1/chat/completions", Body: []byte(body), ContentType: "application/json"}
}

func TestBudgetThrottle(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TokensPerHour, cfg.TokensPerDay = 1000, 1500
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	body := `{"model":"gpt-4o","max_tokens":300,"messages":[{"role":"user","content":"` + strings.Repeat("a", 400) + `"}]}`
	// estimate: 400/4 + 4 + 3 = 107 in, 300 out = 407 per request
	var throttled abuse.Verdict
	n := 0
	for i := range 5 {
		v := d.Detect(context.Background(), budgetReq(fmt.Sprint("r", i), t0.Add(time.Duration(i)*time.Minute), body))
		if v.Action == abuse.Throttle {
			throttled = v
			break
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d requests allowed, want 2 (3 × 407 > 1000)", n)
	}
	if throttled.Violation != "token_budget" || throttled.RetryAfter != 28*time.Minute || throttled.Action.Status() != 429 {
		t.Fatalf("verdict %+v", throttled)
	}
	// Next hour: allowed again, until the daily budget.
	if v := d.Detect(context.Background(), budgetReq("h2", t0.Add(time.Hour), body)); v.Action != abuse.Allow {
		t.Fatalf("next hour %+v", v)
	}
	v := d.Detect(context.Background(), budgetReq("h3", t0.Add(time.Hour+time.Minute), body))
	if v.Action != abuse.Throttle || v.Reason != "daily token budget spent" || v.RetryAfter != 12*time.Hour+29*time.Minute {
		t.Fatalf("daily %+v", v)
	}
	// Another client has its own budget.
	r := budgetReq("bob", t0, body)
	r.Client.User = "bob"
	if v := d.Detect(context.Background(), r); v.Action != abuse.Allow {
		t.Fatalf("bob %+v", v)
	}
}

func TestBudgetRefundAndCost(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TokensPerHour, cfg.TokensPerDay = 0, 0
	cfg.CostPerHour = 0.01
	cfg.Prices = map[string]Price{"*": {Input: 10, Output: 30}}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	body := `{"model":"x","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`
	// cost per request: 8 in × 10/1e6 + 100 out × 30/1e6 = 0.00308
	for i := range 3 {
		r := budgetReq(fmt.Sprint("c", i), t0, body)
		if v := d.Detect(context.Background(), r); v.Action != abuse.Allow {
			t.Fatalf("request %d %+v", i, v)
		}
		// The upstream failed: refunded.
		d.Observe(r, abuse.Outcome{Status: 502})
	}
	for i := range 3 {
		if v := d.Detect(context.Background(), budgetReq(fmt.Sprint("d", i), t0, body)); v.Action != abuse.Allow {
			t.Fatalf("request %d after refunds %+v", i, v)
		}
	}
	if v := d.Detect(context.Background(), budgetReq("d4", t0, body)); v.Reason != "hourly cost budget spent" {
		t.Fatalf("verdict %+v", v)
	}
	if st := d.Stats(); st.Refunded != 3 || st.Throttled != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// proxyThrough runs one request the way the pipeline does: Detect,
// WrapResponse, forward to the upstream, Observe.
func proxyThrough(t *testing.T, d *Detector, upstream *url.URL, r *abuse.Request) *httptest.ResponseRecorder {
	t.Helper()
	if v := d.Detect(context.Background(), r); v.Action != abuse.Allow {
		t.Fatalf("verdict %+v", v)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v1/chat/completions", bytes.NewReader(r.Body))
	req.Header.Set("Content-Type", "application/json")
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.ServeHTTP(d.WrapResponse(rec, r), req)
	d.Observe(r, abuse.Outcome{Status: rec.Code})
	return rec
}

func TestBudgetCorrectionFromUsage(t *testing.T) {
	srv := openaitest.NewServer()
	defer srv.Close()
	up, _ := url.Parse(srv.URL)
	cfg := DefaultConfig()
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, body string
	}{
		{"json", `{"model":"gpt-4o-mini","max_tokens":4000,"messages":[{"role":"user","content":"hello"}]}`},
		{"sse", `{"model":"gpt-4o-mini","max_tokens":4000,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "user:" + tc.name
			r := budgetReq(tc.name, t0, tc.body)
			r.Client.User = tc.name
			_, in, out, _ := d.estimateBody(r.Body)
			rec := proxyThrough(t, d, up, r)
			if rec.Code != 200 {
				t.Fatalf("status %d %s", rec.Code, rec.Body)
			}
			if tc.name == "sse" && !strings.Contains(rec.Body.String(), "data: [DONE]") {
				t.Fatalf("stream not passed through: %q", rec.Body)
			}
			hour, _ := d.spent(key, t0)
			// The fake server reports prompt ≈ content/4+4 and a short
			// completion: far below the 4000-token estimate.
			if hour >= in+out || hour <= 0 || hour > 100 {
				t.Fatalf("spent %d after correction, estimate was %d", hour, in+out)
			}
		})
	}
}

func ExampleDetector() {
	cfg := DefaultConfig()
	cfg.TokensPerHour = 1000
	d, _ := NewDetector(cfg)
	at := time.Date(2026, 3, 1, 10, 45, 0, 0, time.UTC)
	body := `{"model":"gpt-4o","max_tokens":600,"messages":[{"role":"user","content":"Write a haiku."}]}`
	for i := range 2 {
		v := d.Detect(context.Background(), &abuse.Request{ID: fmt.Sprint(i), Time: at, Class: "message",
			Client: abuse.Client{User: "42"}, Body: []byte(body)})
		fmt.Println(v.Action, v.RetryAfter)
	}
	// Output:
	// allow 0s
	// throttle 15m0s
}

func TestUsageWriterFormats(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		in, out        int64
	}{
		{"openai json", "application/json", `{"id":"x","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`, 11, 7},
		{"anthropic json", "application/json", `{"id":"msg","type":"message","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":25,"output_tokens":9}}`, 25, 9},
		{"responses json", "application/json", `{"id":"resp","object":"response","usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}`, 5, 3},
		{"anthropic sse", "text/event-stream", "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":30,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":42}}\n\n", 30, 42},
		{"responses sse", "text/event-stream", "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":12,\"output_tokens\":34}}}\n\n", 12, 34},
		{"huge json tail", "application/json", `{"choices":[{"message":{"content":"` + strings.Repeat("x", 600<<10) + `"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", tc.ct)
			u := &usageWriter{ResponseWriter: rec}
			// Write in small pieces, as a proxy does.
			b := []byte(tc.body)
			for len(b) > 0 {
				n := min(len(b), 7000)
				if _, err := u.Write(b[:n]); err != nil {
					t.Fatal(err)
				}
				b = b[n:]
			}
			in, out, ok := u.usage()
			if !ok || in != tc.in || out != tc.out {
				t.Fatalf("usage %d/%d ok=%v, want %d/%d", in, out, ok, tc.in, tc.out)
			}
			if rec.Body.Len() != len(tc.body) {
				t.Fatalf("passed %d bytes of %d", rec.Body.Len(), len(tc.body))
			}
			if len(u.head)+len(u.tail) > usageHeadMax+usageTailMax {
				t.Fatalf("buffered %d bytes", len(u.head)+len(u.tail))
			}
		})
	}
}

func TestBudgetBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients, cfg.MaxPending = 100, 50
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5000 {
		r := budgetReq(fmt.Sprint("id", i), t0.Add(time.Duration(i)*time.Millisecond), `{"text":"hi"}`)
		r.Client.User = fmt.Sprint("u", i)
		d.Detect(context.Background(), r)
	}
	if d.clients.Len() > 100 || d.pending.Len() > 50 {
		t.Fatalf("%d clients, %d pending", d.clients.Len(), d.pending.Len())
	}
}

func TestBudgetConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.CostPerDay = 5
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "prices:") {
		t.Fatalf("err = %v", err)
	}
	c = DefaultConfig()
	c.TokensPerHour = -1
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "tokens_per_hour:") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzUsageWriter(f *testing.F) {
	f.Add("text/event-stream", []byte("data: {\"usage\":{\"prompt_tokens\":1}}\n\n"))
	f.Add("application/json", []byte(`{"usage":{"input_tokens":3,"output_tokens":4}}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", ct)
		u := &usageWriter{ResponseWriter: rec}
		_, _ = io.Copy(u, bytes.NewReader(body))
		u.usage()
		if len(u.line) > usageLineMax || len(u.tail) > usageTailMax || len(u.head) > usageHeadMax {
			t.Fatal("unbounded buffer")
		}
	})
}

var _ http.Flusher = (*usageWriter)(nil)

// TestBudgetTokensOnRequest checks what Observe leaves in r.Tokens for the
// decision log and the usage rollup: the upstream's usage when the answer
// has one, the input estimate marked Estimated when it has none, nothing
// for a request that produced no answer.
func TestBudgetTokensOnRequest(t *testing.T) {
	srv := openaitest.NewServer()
	defer srv.Close()
	up, _ := url.Parse(srv.URL)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"hi"}}]}`)
	}))
	defer plain.Close()
	noUsage, _ := url.Parse(plain.URL)
	long := strings.Repeat("m", 100) + "é"
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		upstream *url.URL
		body     string
		model    string
		measured bool // the upstream's usage, not an estimate
	}{
		{"usage", up, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}`, "gpt-4o-mini", true},
		{"stream usage", up, `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}]}`, "gpt-4o-mini", true},
		{"no usage", noUsage, `{"model":"m1","messages":[{"role":"user","content":"hello"}]}`, "m1", false},
		{"long model name", noUsage, `{"model":"` + long + `","messages":[{"role":"user","content":"hello"}]}`, long[:maxModelBytes], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			r := budgetReq(tc.name, t0, tc.body)
			_, in, _, _ := d.estimateBody(r.Body)
			proxyThrough(t, d, tc.upstream, r)
			got := r.Tokens
			if got.Model != tc.model || got.Estimated == tc.measured || got.Prompt <= 0 {
				t.Fatalf("tokens %+v, want model %q measured %v", got, tc.model, tc.measured)
			}
			if tc.measured && got.Completion <= 0 {
				t.Fatalf("measured answer without completion tokens: %+v", got)
			}
			if !tc.measured && (got.Prompt != in || got.Completion != 0) {
				t.Fatalf("estimate %+v, want prompt %d and no completion", got, in)
			}
		})
	}
	t.Run("refunded", func(t *testing.T) {
		d, _ := NewDetector(DefaultConfig())
		r := budgetReq("refunded", t0, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
		d.Detect(context.Background(), r)
		d.Observe(r, abuse.Outcome{Status: 502})
		if r.Tokens.Known() {
			t.Fatalf("a failed answer cost tokens: %+v", r.Tokens)
		}
	})
}
