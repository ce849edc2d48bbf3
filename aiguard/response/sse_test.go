package response

import (
	"encoding/json"
	"strings"
	"testing"
)

// sseEvent is one event as a client following the SSE specification
// (HTML Living Standard, "Interpreting an event stream") reads it.
type sseEvent struct{ typ, data string }

// readSSE is the reference reading the guard's framing is checked
// against: it follows the specification's steps line by line, written
// apart from the guard's code. Lines end in CRLF, LF or CR; a blank line
// dispatches; "data" values are joined with "\n"; the last "\n" is
// dropped; an event without data is not dispatched; a stream ending
// without a blank line drops the pending event.
func readSSE(s string) []sseEvent {
	var evs []sseEvent
	var typ, data strings.Builder
	hasData := false
	s = strings.TrimPrefix(s, "\uFEFF")
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			break // no line end: the rest is not a line yet
		}
		line := s[:i]
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			s = s[i+2:]
		} else {
			s = s[i+1:]
		}
		if line == "" {
			if hasData {
				d := strings.TrimSuffix(data.String(), "\n")
				evs = append(evs, sseEvent{typ: typ.String(), data: d})
			}
			typ.Reset()
			data.Reset()
			hasData = false
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, ok := strings.Cut(line, ":")
		if ok {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "event":
			typ.Reset()
			typ.WriteString(value)
		}
	}
	return evs
}

// sseContent returns the text of the chat-completion deltas a client
// reads from body, and whether an error event came; ok is false when an
// event's data is not JSON.
func sseContent(body string) (text string, errored, ok bool) {
	for _, ev := range readSSE(body) {
		if ev.data == "[DONE]" {
			continue
		}
		var v struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Error *struct{ Code string } `json:"error"`
		}
		if json.Unmarshal([]byte(ev.data), &v) != nil {
			return text, errored, false
		}
		for _, c := range v.Choices {
			text += c.Delta.Content
		}
		errored = errored || v.Error != nil || ev.typ == "error"
	}
	return text, errored, true
}

// jsonLines is a chat-completion chunk with the content q (quoted) in
// lines broken between tokens, where a line break is JSON whitespace.
func jsonLines(q []byte) []string {
	return []string{`{"id":"c1",`, `"choices":[{"index":0,`, `"delta":{"role":"assistant","content":` + string(q) + `},`, `"finish_reason":null}]}`}
}

// multiLine is a chat-completion stream of deltas whose JSON is spread
// over several data lines, as a server may send it (jsonLines), with
// prefix "data:" or "data: " and line ends eol.
func multiLine(prefix, eol string, deltas ...string) string {
	var b strings.Builder
	for i, d := range deltas {
		q, _ := json.Marshal(d)
		if i%2 == 1 {
			b.WriteString(": comment" + eol + "event: chunk" + eol + "id: " + string(rune('a'+i%26)) + eol)
		}
		for _, part := range jsonLines(q) {
			b.WriteString(prefix + part + eol)
		}
		b.WriteString(eol)
	}
	b.WriteString(prefix + "[DONE]" + eol + eol)
	return b.String()
}

func TestReadSSE(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []sseEvent
	}{
		{"data: a\ndata:b\ndata\n\n", []sseEvent{{"", "a\nb\n"}}},
		{"event: x\r\ndata:  two spaces\r\n\r\n", []sseEvent{{"x", " two spaces"}}},
		{"data: a\rdata: b\r\r: c\n\nid: 1\n\n", []sseEvent{{"", "a\nb"}}},
		{"dataset: a\ndata: b\n\ndata: unended", []sseEvent{{"", "b"}}},
	} {
		got := readSSE(tc.in)
		if len(got) != len(tc.want) {
			t.Fatalf("readSSE(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("readSSE(%q) = %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

// TestStreamMultiLineData: an event whose JSON spans several data lines
// is read as the specification joins it: a key in it is redacted, the
// canary cuts, the JSON a client reads stays valid, and an ordinary
// answer passes byte for byte.
func TestStreamMultiLineData(t *testing.T) {
	g := newGuard(t, nil)
	for _, fr := range []struct{ name, prefix, eol string }{
		{"data: LF", "data: ", "\n"},
		{"data: CRLF", "data: ", "\r\n"},
		{"data: no space", "data:", "\n"},
	} {
		t.Run(fr.name, func(t *testing.T) {
			plain := multiLine(fr.prefix, fr.eol, "To reverse a list, ", "use slicing: ", "lst[::-1].")
			for cut := 0; cut <= len(plain); cut += 17 {
				if rec, vs := serveStream(t, g, "text/event-stream", plain, cut); rec.Body.String() != plain || len(vs) != 0 {
					t.Fatalf("cut at %d: an ordinary answer changed: %q %v", cut, rec.Body.String(), vs)
				}
			}
			a := multiLine(fr.prefix, fr.eol, "Here is the key: ", testKey[:12], testKey[12:], " keep it safe.")
			for cut := 0; cut <= len(a); cut += 23 {
				rec, vs := serveStream(t, g, "text/event-stream", a, cut)
				text, _, ok := sseContent(rec.Body.String())
				if !ok || text != "Here is the key: [redacted] keep it safe." || violations(vs) != "response_secret" {
					t.Fatalf("cut at %d: client read %q (JSON %v), verdicts %v", cut, text, ok, vs)
				}
			}
			c := multiLine(fr.prefix, fr.eol, "My instructions: ", testCanary[:6], testCanary[6:], " and more.")
			rec, vs := serveStream(t, g, "text/event-stream", c)
			text, errored, ok := sseContent(rec.Body.String())
			if !ok || !errored || strings.Contains(text, testCanary[6:]) || violations(vs) != "system_prompt_leak" {
				t.Fatalf("canary: client read %q (error event %v, JSON %v), verdicts %v", text, errored, ok, vs)
			}
		})
	}
}
