package response

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzStream feeds arbitrary answers, cut at an arbitrary offset, through
// two guards. With every type logged, the answer must pass byte for byte
// whatever it holds. With secrets redacted and the canary cut, the guard
// must not panic, and when the input was a valid stream of JSON events
// every event passed on must still be JSON.
func FuzzStream(f *testing.F) {
	for _, s := range []string{
		openAISSE("Hello", " world"),
		openAISSE("key ", testKey[:9], testKey[9:], " end"),
		anthropicSSE("x ", testCanary[:5], testCanary[5:]),
		"data: {\"choices\":[{\"delta\":{\"content\":\"\xff\\ud800 \\u0041\"}}]}\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}\n\n",
		"data: {}\r\n\r\ndata: [DONE]\r\n\r\n",
		": ping\n\nevent: x\ndata: 1\ndata: 2\n\n",
		"data: {\"content\":\"password=hunter2hunter2 -----BEGIN PRIVATE KEY-----\\nMIIE\"}\n\n",
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	logAll := newGuard(f, func(c *Config) {
		c.Actions = Actions{Secrets: Log, Email: Log, Phone: Log, Card: Log, IBAN: Log, Canary: Log, SystemPrompt: Log, HTML: Log}
		c.RendersMarkdown = true
		c.SystemPrompt = "you are a helpful assistant for the acme company"
		c.MaxEventBytes = 4096
	})
	acting := newGuard(f, func(c *Config) {
		c.Actions.Email, c.Actions.HTML = Redact, Cut
		c.RendersMarkdown = true
		c.MaxEventBytes = 4096
	})
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		c := int(cut) % (len(stream) + 1)
		rec, _ := serveStream(t, logAll, "text/event-stream", string(stream), c)
		if !bytes.Equal(rec.Body.Bytes(), stream) {
			t.Fatalf("a logging guard changed the answer:\n got %q\nwant %q", rec.Body.Bytes(), stream)
		}
		rec, _ = serveStream(t, acting, "text/event-stream", string(stream), c)
		if !validEvents(stream) {
			return
		}
		for _, ev := range strings.Split(rec.Body.String(), "\n\n") {
			if d, ok := strings.CutPrefix(ev, "data: "); ok && d != "[DONE]" && !json.Valid([]byte(d)) {
				t.Fatalf("event %q is not JSON after the guard (input %q)", d, stream)
			}
		}
	})
}

// validEvents reports whether s is SSE events of one "data: " JSON line
// each, ended by "\n\n", with nothing else.
func validEvents(s []byte) bool {
	if len(s) == 0 || !bytes.HasSuffix(s, []byte("\n\n")) {
		return false
	}
	for _, ev := range strings.Split(strings.TrimSuffix(string(s), "\n\n"), "\n\n") {
		d, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.ContainsAny(d, "\r\n") || d != "[DONE]" && !json.Valid([]byte(d)) {
			return false
		}
	}
	return true
}

// FuzzTexts checks the JSON reader against encoding/json: it accepts
// exactly the documents json.Valid accepts (within its depth bound), and
// the texts it finds decode as encoding/json decodes them.
func FuzzTexts(f *testing.F) {
	for _, s := range []string{
		`{"choices":[{"delta":{"content":"hi\n\u00e9\ud83d\ude00"}}]}`,
		`{"content":[{"type":"text","text":"a\"b"}]}`,
		`{"delta":"x","n":-1.5e3,"t":true,"f":false,"z":null}`,
		`[1,2,{"text":"x"}]`, `{"a":}`, `{"k\\":"content","text" : "a:\"b\\","x":{"delta": ":"}}`,
		`{"a\"content":"x","content":"\\"}`, `{"content":[{"text":"p"}],"text":null}`, `{"content":"\x01"}`, `"str"`, `{"text":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		spans, ok := texts(nil, doc)
		if ok && !json.Valid(doc) {
			t.Fatalf("texts accepts %q, encoding/json does not", doc)
		}
		if !ok {
			return
		}
		// The byte search finds what the reader finds in a valid
		// document, or leaves it to the reader.
		if quick, qok := quickTexts(nil, doc); qok && !slices.Equal(quick, spans) {
			t.Fatalf("quickTexts(%q) = %v, texts %v", doc, quick, spans)
		}
		for _, s := range spans {
			var want string
			if err := json.Unmarshal(doc[s.start-1:s.end+1], &want); err != nil {
				t.Fatalf("span %q: %v", doc[s.start-1:s.end+1], err)
			}
			got := string(unquote(nil, doc[s.start:s.end]))
			// Invalid UTF-8 is kept as bytes (detectors read bytes);
			// encoding/json makes each byte U+FFFD, as []rune does.
			if string([]rune(got)) != want {
				t.Fatalf("unquote(%q) = %q, encoding/json %q", doc[s.start:s.end], got, want)
			}
			// quote and unquote round trip.
			if back := string(unquote(nil, quote(nil, []byte(got)))); back != want {
				t.Fatalf("quote round trip of %q gave %q", got, back)
			}
		}
	})
}
