package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	answerKey = "sk-proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6Jd1"
	e2eCanary = "wdn-7f3a9c1e5b2d"
)

// chatUpstream is a local model speaking the OpenAI chat-completions
// stream: it answers by the user's message ("case:key", "case:canary",
// "case:code") in small events, flushing each. For "case:canary" it
// repeats its system message, as a model tricked into it would. For
// "case:code" it waits for release after the first event, so a test can
// see the answer arrive while it is being written.
func chatUpstream(t *testing.T, release chan struct{}) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", 400)
			return
		}
		var system string
		for _, m := range req.Messages {
			if m.Role == "system" {
				system = m.Content
			}
		}
		var deltas []string
		switch req.Messages[len(req.Messages)-1].Content {
		case "case:key":
			deltas = []string{"Your API key is ", answerKey[:7], answerKey[7:19], answerKey[19:], ". Keep it secret."}
		case "case:canary":
			deltas = []string{"My instructions are: "}
			for i := 0; i < len(system); i += 5 {
				deltas = append(deltas, system[i:min(i+5, len(system))])
			}
		default:
			deltas = codeAnswer
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		for i, d := range deltas {
			q, _ := json.Marshal(d)
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", q)
			w.(http.Flusher).Flush()
			if i == 0 && release != nil && len(deltas) == len(codeAnswer) {
				select {
				case <-release:
				case <-time.After(5 * time.Second):
				}
			}
		}
		io.WriteString(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
}

var codeAnswer = []string{
	"The output is `undefined`", ": inside a regular function `this` is not the object. ",
	"Use an arrow function:\n\n```js\nconst o = { x: 1, f() { return [1].map(() => this.x); } };\nconsole.log(o.f()); // [1]\n```\n",
	"See https://developer.mozilla.org/docs/Web/JavaScript/Reference/Operators/this for more.",
}

// TestServeResponseGuard runs `warden serve` in front of a streaming chat
// upstream: a key in a streamed answer reaches the client redacted, an
// answer leaking the canary Warden put in the system message is cut with
// an error event, an ordinary coding answer passes byte for byte and
// streamed; each finding is in the decision log without the secret.
func TestServeResponseGuard(t *testing.T) {
	release := make(chan struct{})
	up := chatUpstream(t, release)
	defer up.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "warden.yaml")
	yaml := "routes:\n  message: [\"POST /v1/chat/completions\"]\nai:\n  response:\n    canary: " + e2eCanary + "\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", conf, "--upstream", up.URL, "--data", dir)

	ask := func(t *testing.T, content string) (*http.Response, *bufio.Reader) {
		t.Helper()
		body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"` + content + `"}]}`
		req, _ := http.NewRequest("POST", "http://"+s.proxy+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		return resp, bufio.NewReader(resp.Body)
	}
	ids := map[string]string{} // request id → violation expected in its event

	t.Run("key redacted", func(t *testing.T) {
		resp, r := ask(t, "case:key")
		b, _ := io.ReadAll(r)
		text := streamText(t, string(b))
		if strings.Contains(string(b), answerKey[8:]) || text != "Your API key is [redacted]. Keep it secret." {
			t.Fatalf("client read %q", text)
		}
		ids[resp.Header.Get("X-Request-Id")] = "response_secret"
	})
	t.Run("canary cut", func(t *testing.T) {
		resp, r := ask(t, "case:canary")
		b, _ := io.ReadAll(r)
		if strings.Contains(string(b), e2eCanary) || !strings.Contains(string(b), "event: error\ndata: {") ||
			!strings.Contains(string(b), `"code":"system_prompt_leak"`) {
			t.Fatalf("client got %q", b)
		}
		if !strings.Contains(streamText(t, string(b)), "My instructions are: ") {
			t.Fatalf("the text before the leak was lost: %q", b)
		}
		ids[resp.Header.Get("X-Request-Id")] = "system_prompt_leak"
	})
	t.Run("coding answer byte for byte, streamed", func(t *testing.T) {
		// The same answer straight from the upstream, for comparison.
		direct, err := http.Post(up.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"messages":[{"role":"user","content":"case:code"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		go func() { release <- struct{}{} }()
		want, _ := io.ReadAll(direct.Body)
		direct.Body.Close()

		_, r := ask(t, "case:code")
		// The first event arrives while the upstream still waits to send
		// the rest: the answer is streamed, not buffered.
		first, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		release <- struct{}{}
		rest, _ := io.ReadAll(r)
		if got := first + string(rest); got != string(want) {
			t.Fatalf("answer changed:\n got %q\nwant %q", got, want)
		}
	})

	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(ids) > 0 && time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/events?limit=100", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(raw), answerKey[8:]) || strings.Contains(string(raw), e2eCanary) {
			t.Fatalf("the decision log shows a secret: %s", raw)
		}
		var page struct {
			Events []struct {
				RequestID string `json:"request_id"`
				Abuse     struct {
					Detectors []struct{ Name, Violation string } `json:"detectors"`
				} `json:"abuse"`
			} `json:"events"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			for _, d := range e.Abuse.Detectors {
				if want, ok := ids[e.RequestID]; ok && d.Name == "response" && d.Violation == want {
					delete(ids, e.RequestID)
				}
			}
		}
		if len(ids) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for id, v := range ids {
		t.Errorf("no event with violation %s for request %s", v, id)
	}
}

// streamText is the text a client reads from a chat-completions stream.
func streamText(t *testing.T, body string) string {
	t.Helper()
	var text string
	for _, line := range strings.Split(body, "\n") {
		d, ok := strings.CutPrefix(line, "data: ")
		if !ok || d == "[DONE]" {
			continue
		}
		var v struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(d), &v); err != nil {
			t.Fatalf("event %q is not JSON: %v", d, err)
		}
		for _, c := range v.Choices {
			text += c.Delta.Content
		}
	}
	return text
}

// TestCheckConfigResponse: errors in ai.response name the field by its
// whole path.
func TestCheckConfigResponse(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"ai:\n  response:\n    actions:\n      secrets: redcat\n", `ai.response.actions.secrets: "redcat" is not an action, want one of off, log, redact, cut (did you mean redact?)`},
		{"ai:\n  response:\n    canary: abc\n", "ai.response.canary: shorter than 8 bytes"},
		{"ai:\n  response:\n    similarity: 2\n", "ai.response.similarity: must be between 0 and 1"},
		{"ai:\n  response:\n    prompt: redcat\n", `ai.response.prompt: "redcat": want off, log or redact (did you mean redact?)`},
		{"detectors:\n  response:\n    routes:\n      \"POST /beta/chat/completions\": monitr\n", `detectors.response.routes["POST /beta/chat/completions"]: must be enforce, monitor or off`},
	} {
		conf := filepath.Join(t.TempDir(), "warden.yaml")
		if err := os.WriteFile(conf, []byte("upstream: http://127.0.0.1:3000\n"+tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb strings.Builder
		code := run(context.Background(), []string{"check-config", conf}, env{nil, &out, &errb, noEnv})
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("exit %d, errors %q; want 2 and %q", code, errb.String(), tc.want)
		}
	}
}

// TestServeResponseGuardRouteMode: detectors.response.routes puts the
// response guard in monitor mode on one route: there a leaked key passes
// as the upstream sent it and the decision log says what enforce mode
// would have done; on the other routes it is still redacted.
func TestServeResponseGuardRouteMode(t *testing.T) {
	up := chatUpstream(t, nil)
	defer up.Close()
	for _, tc := range []struct{ name, detectors string }{
		{"enforced, one route monitored", "detectors:\n  response:\n    routes:\n      \"POST /beta/chat/completions\": monitor\n"},
		{"monitored, one route enforced", "detectors:\n  response:\n    mode: monitor\n    routes:\n      \"POST /v1/chat/completions\": enforce\n"},
	} {
		t.Run(tc.name, func(t *testing.T) { routeMode(t, up.URL, tc.detectors) })
	}
}

func routeMode(t *testing.T, upstream, detectors string) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "warden.yaml")
	yaml := "routes:\n  message: [\"POST /v1/chat/completions\", \"POST /beta/chat/completions\"]\n" + detectors +
		"ai:\n  response:\n    canary: " + e2eCanary + "\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", conf, "--upstream", upstream, "--data", dir)
	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, text, message string
	}{
		{"/v1/chat/completions", "Your API key is [redacted]. Keep it secret.", "1 found, redacted"},
		{"/beta/chat/completions", "Your API key is " + answerKey + ". Keep it secret.", "1 found, logged (monitor: would act as configured)"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"case:key"}]}`
			req, _ := http.NewRequest("POST", "http://"+s.proxy+tc.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if text := streamText(t, string(b)); text != tc.text {
				t.Fatalf("client read %q, want %q", text, tc.text)
			}
			if msg := eventMessage(t, s, strings.TrimSpace(string(tok)), resp.Header.Get("X-Request-Id"), "response"); !strings.Contains(msg, tc.message) {
				t.Fatalf("decision log says %q, want %q in it", msg, tc.message)
			}
		})
	}
}

// eventMessage waits for the event of request id in the admin API and
// returns the messages of its detector name, joined.
func eventMessage(t *testing.T, s *running, token, id, name string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/events?limit=100", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Events []struct {
				RequestID string `json:"request_id"`
				Abuse     struct {
					Detectors []struct {
						Name     string
						Messages []string
					} `json:"detectors"`
				} `json:"abuse"`
			} `json:"events"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if e.RequestID != id {
				continue
			}
			for _, d := range e.Abuse.Detectors {
				if d.Name == name {
					return strings.Join(d.Messages, "; ")
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no event of %s for request %s", name, id)
	return ""
}

// TestServePromptPlaceholders runs `warden serve` with ai.response.prompt
// redact in front of a model that repeats the user's message: the model
// is sent placeholders instead of the user's address and card number,
// and the user reads their own values back, in a streamed answer (in
// 3-byte deltas, so placeholders arrive cut) and in a JSON one; the
// decision log names what was found, never the values.
func TestServePromptPlaceholders(t *testing.T) {
	const msg = "I am jane.doe@acme-corp.com, card 4111 1111 1111 1111. Repeat that."
	got := make(chan string, 4) // what the model was sent
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream   bool                             `json:"stream"`
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", 400)
			return
		}
		said := req.Messages[len(req.Messages)-1].Content
		got <- said
		answer := "You said: " + said
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": answer}}}})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < len(answer); i += 3 {
			q, _ := json.Marshal(answer[i:min(i+3, len(answer))])
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%s}}]}\n\n", q)
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer up.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "warden.yaml")
	yaml := "routes:\n  message: [\"POST /v1/chat/completions\"]\nai:\n  response:\n    prompt: redact\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", conf, "--upstream", up.URL, "--data", dir)
	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			q, _ := json.Marshal(msg)
			body := fmt.Sprintf(`{"model":"m","stream":%v,"messages":[{"role":"user","content":%s}]}`, stream, q)
			req, _ := http.NewRequest("POST", "http://"+s.proxy+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if sent := <-got; sent != "I am [EMAIL_1], card [CARD_1]. Repeat that." {
				t.Fatalf("the model was sent %q", sent)
			}
			var text string
			if stream {
				text = streamText(t, string(b))
			} else {
				var v struct {
					Choices []struct{ Message struct{ Content string } }
				}
				if err := json.Unmarshal(b, &v); err != nil || len(v.Choices) != 1 {
					t.Fatalf("answer %s: %v", b, err)
				}
				text = v.Choices[0].Message.Content
			}
			if text != "You said: "+msg {
				t.Fatalf("client read %q", text)
			}
			m := eventMessage(t, s, strings.TrimSpace(string(tok)), resp.Header.Get("X-Request-Id"), "prompt_data")
			if m != "prompt: email, card in the user's message" {
				t.Fatalf("decision log says %q", m)
			}
		})
	}
	// The values are nowhere in the decision log.
	req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/events?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(raw), "jane.doe") || strings.Contains(string(raw), "4111 1111") {
		t.Fatalf("the decision log shows the user's values: %s", raw)
	}
}
