package response

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
)

const (
	userEmail = "jane.doe@acme-corp.com"
	userCard  = "4111 1111 1111 1111"
)

func TestWithPlaceholders(t *testing.T) {
	g := newGuard(t, func(c *Config) { c.Prompt = Redact })
	for _, tc := range []struct {
		name, body string
		want       []string // in the body sent upstream
		gone       []string // not in it
		ok         bool
	}{
		{"user values", `{"model":"m","messages":[{"role":"system","content":"Support: help@acme-corp.com"},` +
			`{"role":"user","content":"Mail ` + userEmail + `, card ` + userCard + `, key ` + testKey + `; again ` + userEmail + `"}]}`,
			[]string{`"Mail [EMAIL_1], card [CARD_1], key [SECRET_1]; again [EMAIL_1]"`, "help@acme-corp.com"},
			[]string{userEmail, userCard, testKey}, true},
		{"assistant turn left", `{"messages":[{"role":"assistant","content":"I noted ` + userEmail + `"},{"role":"user","content":"thanks"}]}`,
			[]string{userEmail}, nil, false},
		{"parts and escapes", `{"messages":[{"role":"user","content":[{"type":"text","text":"a \"quote\" and\n` + userEmail + `"}]}]}`,
			[]string{`"text":"a \"quote\" and\n[EMAIL_1]"`}, []string{userEmail}, true},
		{"the user's own [EMAIL_1] kept", `{"messages":[{"role":"user","content":"[EMAIL_1] is ` + userEmail + `"}]}`,
			[]string{`"[EMAIL_1] is [EMAIL_2]"`}, []string{userEmail}, true},
		{"numbered past the user's own", `{"messages":[{"role":"user","content":"[EMAIL_1] [EMAIL_2] [EMAIL_3] [EMAIL_4] [EMAIL_5] [EMAIL_6] [EMAIL_7] [EMAIL_8] [EMAIL_9] ` + userEmail + `"}]}`,
			[]string{`[EMAIL_9] [EMAIL_10]"`}, []string{userEmail}, true},
		{"nothing to replace", `{"messages":[{"role":"user","content":"How do I reverse a list?"}]}`, nil, nil, false},
		{"not a chat body", `{"messages":`, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ph, ok := withPlaceholders([]byte(tc.body), &g.promptDet)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (%s)", ok, tc.ok, out)
			}
			if !ok {
				if string(out) != tc.body || ph != nil {
					t.Fatalf("body changed to %s", out)
				}
				return
			}
			if !json.Valid(out) {
				t.Fatalf("not JSON: %s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("%s does not hold %s", out, w)
				}
			}
			for _, w := range tc.gone {
				if strings.Contains(string(out), w) {
					t.Errorf("%s still holds %s", out, w)
				}
			}
		})
	}
}

// placeholderRequest wraps a recorder for a chat request with the
// user's email and card, and returns the writer and the body the
// upstream is sent.
func placeholderRequest(t *testing.T, g *Guard, monitor bool) (*httptest.ResponseRecorder, http.ResponseWriter, string) {
	t.Helper()
	body := `{"model":"m","messages":[{"role":"user","content":"I am ` + userEmail + `, card ` + userCard + `. Repeat it."}]}`
	hr := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
	r := &abuse.Request{ID: "r1", Class: "message", Method: "POST", Path: "/v1/chat/completions", Body: []byte(body), HTTP: hr}
	rec := httptest.NewRecorder()
	wrap := g.WrapResponse
	if monitor {
		wrap = g.WrapResponseMonitor
	}
	w := wrap(rec, r)
	sent, err := io.ReadAll(hr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec, w, string(sent)
}

// TestPlaceholdersRestored: the upstream gets placeholders, and the
// client reads its own values where the answer repeats them, whatever
// event boundaries cut a placeholder; a placeholder the request did not
// send, and a redacted key next to a restored value, stay as they are.
func TestPlaceholdersRestored(t *testing.T) {
	g := newGuard(t, func(c *Config) { c.Prompt = Redact })
	answer := "You are [EMAIL_1] with card [CARD_1]; [EMAIL_9] is not yours, nor " + testKey + "."
	want := "You are " + userEmail + " with card " + userCard + "; [EMAIL_9] is not yours, nor [redacted]."
	for split := 1; split < len(answer); split++ {
		_, w, sent := placeholderRequest(t, g, false)
		if strings.Contains(sent, userEmail) || strings.Contains(sent, userCard) || !strings.Contains(sent, "I am [EMAIL_1], card [CARD_1].") {
			t.Fatalf("the upstream was sent %s", sent)
		}
		// Deltas of 1..split bytes: every placeholder is cut somewhere.
		var deltas []string
		for i := 0; i < len(answer); i += split {
			deltas = append(deltas, answer[i:min(i+split, len(answer))])
		}
		rec := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap().(*httptest.ResponseRecorder)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(openAISSE(deltas...)))
		w.(abuse.ResponseFinisher).FinishResponse()
		// A key's first bytes may go out before they are known to start
		// one ("s", "sk"), as without placeholders; its body may not.
		text, _ := sseText(t, rec.Body.String())
		head, tail, _ := strings.Cut(want, "nor ")
		if got, rest, _ := strings.Cut(text, "nor "); got != head || !strings.HasSuffix(rest, tail) || len(rest) > len(tail)+2 {
			t.Fatalf("deltas of %d bytes: client read %q", split, text)
		}
	}
	// A name longer than the others ("[EMAIL_10]", numbered past the
	// user's own "[EMAIL_1]"…"[EMAIL_9]"), cut across events.
	own := "[EMAIL_1] [EMAIL_2] [EMAIL_3] [EMAIL_4] [EMAIL_5] [EMAIL_6] [EMAIL_7] [EMAIL_8] [EMAIL_9] "
	body := `{"messages":[{"role":"user","content":"` + own + userEmail + `"}]}`
	hr := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
	rec0 := httptest.NewRecorder()
	w0 := g.WrapResponse(rec0, &abuse.Request{Class: "message", Body: []byte(body), HTTP: hr})
	w0.Header().Set("Content-Type", "text/event-stream")
	w0.Write([]byte(openAISSE("Mail [EMA", "IL_1", "0] now")))
	w0.(abuse.ResponseFinisher).FinishResponse()
	if text, _ := sseText(t, rec0.Body.String()); text != "Mail "+userEmail+" now" {
		t.Fatalf("client read %q", text)
	}
	// A JSON answer, read whole.
	rec, w, _ := placeholderRequest(t, g, false)
	w.Header().Set("Content-Type", "application/json")
	q, _ := json.Marshal(answer)
	w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":` + string(q) + `}}]}`))
	w.(abuse.ResponseFinisher).FinishResponse()
	var got struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Choices[0].Message.Content != want {
		t.Fatalf("JSON answer %s (%v)", rec.Body.String(), err)
	}
	// Monitor mode changes nothing: not the request, not the answer.
	_, _, sent := placeholderRequest(t, g, true)
	if !strings.Contains(sent, userEmail) {
		t.Fatalf("monitor mode rewrote the request: %s", sent)
	}
	if n := g.Counters()["warden_ai_prompt_placeholders_total"]; n == 0 {
		t.Error("placeholders not counted")
	}
}

// FuzzPlaceholders sends a fuzzed user message through the placeholder
// rewrite and a model that repeats what it was sent, streamed in fuzzed
// pieces: the body sent upstream is JSON when the request was, and the
// client reads back exactly the message it wrote.
func FuzzPlaceholders(f *testing.F) {
	for _, s := range []string{
		"I am " + userEmail + ", card " + userCard + ", key " + testKey,
		"[EMAIL_1] and " + userEmail + " and [EMAIL_",
		"call +1 415-555-0132 or " + userEmail + userEmail,
		"DE89 3704 0044 0532 0130 00\n\"quoted\" \\ \u00e9",
	} {
		f.Add(s, uint64(7))
	}
	g := newGuard(f, func(c *Config) {
		c.Prompt, c.Canary = Redact, ""
		c.Actions = Actions{Secrets: Log, Email: Log, Phone: Log, Card: Log, IBAN: Log, Canary: Log, SystemPrompt: Log, HTML: Log}
	})
	f.Fuzz(func(t *testing.T, msg string, seed uint64) {
		if len(msg) > 1024 || !utf8.ValidString(msg) || strings.ContainsRune(msg, utf8.RuneError) {
			return // invalid UTF-8 comes back as U+FFFD, by design
		}
		q, _ := json.Marshal(msg)
		body := `{"model":"m","messages":[{"role":"user","content":` + string(q) + `}]}`
		hr := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		rec := httptest.NewRecorder()
		w := g.WrapResponse(rec, &abuse.Request{Class: "message", Body: []byte(body), HTTP: hr})
		sent, _ := io.ReadAll(hr.Body)
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.Unmarshal(sent, &req); err != nil || len(req.Messages) != 1 {
			t.Fatalf("sent %q: %v", sent, err)
		}
		said := req.Messages[0].Content
		r := seed | 1
		var deltas []string
		for len(said) > 0 {
			r ^= r << 13
			r ^= r >> 7
			r ^= r << 17
			n := min(int(r%9)+1, len(said))
			for n < len(said) && !utf8.RuneStart(said[n]) {
				n++ // a model's deltas are whole characters
			}
			deltas = append(deltas, said[:n])
			said = said[n:]
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(openAISSE(deltas...)))
		w.(abuse.ResponseFinisher).FinishResponse()
		if text, _ := sseText(t, rec.Body.String()); text != msg {
			t.Fatalf("client read %q, wrote %q (the model was sent %q)", text, msg, req.Messages[0].Content)
		}
	})
}
