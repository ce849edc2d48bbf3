package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/llm/openaitest"
)

// TestServeTokenUsage: chat requests through `warden serve` to an
// OpenAI-compatible upstream are answered as usual (an ordinary user is
// never blocked), each logged event carries the answer's tokens, and
// `warden report` shows the day's tokens and their estimated cost at the
// configured prices, whether or not the request log is on (the rollup
// does not depend on it).
func TestServeTokenUsage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		requestLog bool
	}{{"request log on", true}, {"request log off", false}} {
		t.Run(tc.name, func(t *testing.T) { testServeTokenUsage(t, tc.requestLog) })
	}
}

func testServeTokenUsage(t *testing.T, requestLog bool) {
	api := openaitest.NewServer()
	defer api.Close()
	// The stand-in reports 12 prompt tokens for the question below and
	// 28/4+1 = 8 completion tokens for this answer.
	api.Reply = func(openaitest.ChatRequest) string { return "Paris is the capital, yes.!!" }
	cfg := writeConfig(t, "trusted_proxies: [127.0.0.1/32]\n"+
		"routes: {message: [\"POST /v1/chat/completions\"]}\n"+
		"log: {requests: "+strconv.FormatBool(requestLog)+", flush_interval: 50ms}\n"+
		"ai: {budget: {prices: {gpt-4o-mini: {input: 1000, output: 2000}}}}\n")
	s := startServe(t, "--config", cfg, "--upstream", api.BaseURL[:strings.LastIndex(api.BaseURL, "/v1")])

	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the capital of France?"}]}`
	for range 3 {
		req, _ := http.NewRequest("POST", "http://"+s.proxy+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Forwarded-For", "198.51.100.20")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(answer), "Paris") {
			t.Fatalf("ordinary chat answered %d %s", resp.StatusCode, answer)
		}
	}
	// The decision log (here read back from the event store) carries the
	// answer's tokens on each request logged.
	var page struct {
		Events []struct {
			Tokens *struct {
				Prompt, Completion int64
				Model              string
			} `json:"tokens"`
		} `json:"events"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for requestLog && len(page.Events) < 3 && time.Now().Before(deadline) {
		resp := adminGet(t, s, "/api/v1/events?limit=10")
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		time.Sleep(20 * time.Millisecond)
	}
	if want := map[bool]int{true: 3}[requestLog]; len(page.Events) != want {
		t.Fatalf("%d events logged, want %d", len(page.Events), want)
	}
	for _, e := range page.Events {
		if e.Tokens == nil || *e.Tokens != (struct {
			Prompt, Completion int64
			Model              string
		}{12, 8, "gpt-4o-mini"}) {
			t.Errorf("event tokens = %+v, want 12 prompt and 8 completion of gpt-4o-mini", e.Tokens)
		}
	}

	if code := s.stop(); code != 0 { // drains the decision log and the rollup
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"report", "--config", cfg, "--date", "today", "--format", "json"},
		env{strings.NewReader(""), &out, &errb, noEnv}); code != 0 {
		t.Fatalf("warden report exit %d: %s", code, errb.String())
	}
	var rep struct {
		Today struct {
			Tokens  int64   `json:"tokens"`
			CostUSD float64 `json:"cost_usd"`
		} `json:"today"`
		Usage *struct {
			Requests int64 `json:"requests"`
			Models   []struct {
				Name       string
				Prompt     int64 `json:"prompt_tokens"`
				Completion int64 `json:"completion_tokens"`
			} `json:"models"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	// 3 × (12 + 8) tokens; 3 × (12 × 1000 + 8 × 2000) / 1e6 = $0.084.
	if rep.Today.Tokens != 60 || math.Abs(rep.Today.CostUSD-0.084) > 1e-9 {
		t.Errorf("today = %+v, want 60 tokens costing $0.084", rep.Today)
	}
	if rep.Usage == nil || rep.Usage.Requests != 3 || len(rep.Usage.Models) != 1 || rep.Usage.Models[0].Name != "gpt-4o-mini" ||
		rep.Usage.Models[0].Prompt != 36 || rep.Usage.Models[0].Completion != 24 {
		t.Errorf("usage = %+v, want 3 gpt-4o-mini requests of 36 prompt and 24 completion tokens", rep.Usage)
	}
}
