package response

import (
	"bytes"
	"encoding/json"
	"fmt"
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
		multiLine("data: ", "\n", "key ", testKey[:10], testKey[10:]),
		multiLine("data:", "\r\n", testCanary[:4], testCanary[4:]),
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
		if !validEvents(string(stream)) {
			return
		}
		for _, ev := range readSSE(rec.Body.String()) {
			if ev.data != "[DONE]" && !json.Valid([]byte(ev.data)) {
				t.Fatalf("event %q is not JSON after the guard (input %q)", ev.data, stream)
			}
		}
	})
}

// validEvents reports whether s, read as the specification reads it, is
// events whose data is JSON or [DONE], ended by a blank line.
func validEvents(s string) bool {
	if !strings.HasSuffix(s, "\n\n") && !strings.HasSuffix(s, "\r\n\r\n") {
		return false
	}
	for _, ev := range readSSE(s) {
		if ev.data != "[DONE]" && !json.Valid([]byte(ev.data)) {
			return false
		}
	}
	return true
}

// FuzzSSEFraming builds a chat stream from fuzzed text and framing (data
// lines split between JSON tokens, "data:" with or without its space, LF
// or CRLF, comments and other fields, the canary inserted or not) and
// checks the guard against the reference reading (readSSE): a logging
// guard passes the stream byte for byte; a guard that cuts on the canary
// cuts only when the text the reference reads holds it, never lets it
// through, and leaves every event's data JSON.
func FuzzSSEFraming(f *testing.F) {
	f.Add([]byte("Hello, world. How are you?"), uint64(0), uint16(7))
	f.Add([]byte("key: sk-proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6 done"), uint64(0xdeadbeef), uint16(40))
	f.Add([]byte("a\"b\\c\n\u00e9"), uint64(0x5555), uint16(3))
	logAll := newGuard(f, func(c *Config) {
		c.Actions = Actions{Secrets: Log, Email: Log, Phone: Log, Card: Log, IBAN: Log, Canary: Log, SystemPrompt: Log, HTML: Log}
	})
	acting := newGuard(f, nil)
	f.Fuzz(func(t *testing.T, text []byte, seed uint64, cut uint16) {
		if len(text) > 2048 {
			return
		}
		r := seed | 1                   // xorshift stays at 0
		next := func(n uint64) uint64 { // a small generator: the same seed, the same stream
			r ^= r << 13
			r ^= r >> 7
			r ^= r << 17
			return r % n
		}
		src := string(text)
		if next(2) == 0 {
			at := int(next(uint64(len(src) + 1)))
			src = src[:at] + testCanary + src[at:]
		}
		eol := [...]string{"\n", "\r\n"}[next(2)]
		var b strings.Builder
		for len(src) > 0 {
			n := min(int(next(12))+1, len(src))
			q, _ := json.Marshal(src[:n])
			src = src[n:]
			if next(4) == 0 {
				b.WriteString(": ping" + eol + "event: delta" + eol)
			}
			parts := jsonLines(q)
			if next(2) == 0 {
				parts = []string{strings.Join(parts, "")}
			}
			for _, p := range parts {
				b.WriteString([...]string{"data: ", "data:"}[next(2)] + p + eol)
			}
			b.WriteString(eol)
		}
		b.WriteString("data: [DONE]" + eol + eol)
		stream := b.String()
		want, _, ok := sseContent(stream)
		if !ok {
			t.Fatalf("the test built a stream the reference cannot read: %q", stream)
		}
		c := int(cut) % (len(stream) + 1)
		rec, _ := serveStream(t, logAll, "text/event-stream", stream, c)
		if rec.Body.String() != stream {
			t.Fatalf("a logging guard changed the answer:\n got %q\nwant %q", rec.Body.String(), stream)
		}
		rec, _ = serveStream(t, acting, "text/event-stream", stream, c)
		got, errored, ok := sseContent(rec.Body.String())
		if !ok {
			t.Fatalf("the guard's output is not JSON events: %q", rec.Body.String())
		}
		// A canary run into a key ("sk-0" then the canary) is redacted
		// with it rather than cut: either way it does not go out.
		leak := strings.Contains(want, testCanary)
		if errored && !leak || leak && !errored && !strings.Contains(got, "[redacted]") || strings.Contains(got, testCanary) {
			t.Fatalf("canary in the text %v, cut %v; client read %q", leak, errored, got)
		}
		if !errored && !strings.Contains(got, "[redacted]") && got != want {
			t.Fatalf("client read %q, the stream says %q", got, want)
		}
	})
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

// FuzzWrites checks that what the client reads does not depend on how
// the upstream's writes cut the answer, nor on the reader: event by
// event (the reference), or passing the plain events of a read in one
// piece (writer.fast), fed the whole answer in one write (many events to
// a read), one event to a write, or writes cut at arbitrary offsets. The
// bytes and the findings must be the same.
func FuzzWrites(f *testing.F) {
	for _, s := range []string{
		openAISSE("Hello", " world", " how", " are", " you"),
		openAISSE("key ", testKey[:9], testKey[9:], " end"),
		openAISSE("a", " s", "k-proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok"),
		openAISSE("a", " xox", "b-", "1234567890-abcdefghij", " ok"),
		openAISSE("The value is sk-pr\u00efoj", " or ", "AK", "IAIOSFODNN7EXAMPLE", " end"),
		"data: {\"choices\":[{\"delta\":{\"content\":\"sk-pr\\u006fj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6\"}}]}\n\n",
		anthropicSSE("x ", "y ", testCanary[:5], testCanary[5:], " y"),
		anthropicSSE("x ", "y ", "wdn", "-can", "ary-7f3a9c1e"),
		openAISSE("mail ", "me", " jo", "hn@acme-corp.com", " <scr", "ipt>alert(1)</script>"),
		openAISSE("password", "=hunter2", "hunter2 ", "-----BEGIN PRIVATE KEY-----\nMIIE", "\n-----END PRIVATE KEY-----"),
		multiLine("data: ", "\n", "key ", testKey[:10], testKey[10:]),
		"data: {}\r\n\r\ndata: [DONE]\r\n\r\n",
		": ping\n\nevent: x\ndata: 1\ndata: 2\n\n",
	} {
		f.Add([]byte(s), uint64(len(s)))
	}
	mod := func(c *Config) {
		c.Actions.Email, c.Actions.HTML = Redact, Cut
		c.RendersMarkdown = true
		c.MaxEventBytes = 4096
	}
	ref := newGuard(f, mod)
	ref.eventByEvent = true
	acting := newGuard(f, mod)
	logging := newGuard(f, nil) // defaults: PII logged, so plain text is not held
	refLogging := newGuard(f, nil)
	refLogging.eventByEvent = true
	f.Fuzz(func(t *testing.T, stream []byte, seed uint64) {
		if bytes.IndexByte(stream, '\r') >= 0 {
			// A bare CR makes the guard give up from the read that holds
			// it: where reads end changes what was read before.
			return
		}
		checkWrites(t, [][2]*Guard{{ref, acting}, {refLogging, logging}}, string(stream), seed)
	})
}

// checkWrites serves s through each pair of guards, the first reading
// event by event, the second as it is, with the whole answer in one
// write, one event to a write, and writes cut at offsets drawn from
// seed, and fails unless the client reads the same bytes and the same
// findings are reported each time.
func checkWrites(t *testing.T, pairs [][2]*Guard, s string, seed uint64) {
	t.Helper()
	var perEvent []int
	for i := 0; ; {
		j := strings.Index(s[i:], "\n\n")
		if j < 0 {
			break
		}
		i += j + 2
		perEvent = append(perEvent, i)
	}
	r := seed | 1
	var cuts []int
	for range 4 {
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		cuts = append(cuts, int(r%uint64(len(s)+1)))
	}
	slices.Sort(cuts)
	for _, p := range pairs {
		want, wv := serveStream(t, p[0], "text/event-stream", s, perEvent...)
		for _, g := range p {
			for _, c := range [][]int{nil, perEvent, cuts} {
				rec, vs := serveStream(t, g, "text/event-stream", s, c...)
				if rec.Body.String() != want.Body.String() {
					t.Fatalf("event by event %v, writes cut at %v:\n got %q\nwant %q", g.eventByEvent, c, rec.Body.String(), want.Body.String())
				}
				if fmt.Sprint(vs) != fmt.Sprint(wv) {
					t.Fatalf("event by event %v, writes cut at %v: findings %v, want %v", g.eventByEvent, c, vs, wv)
				}
			}
		}
	}
}

// FuzzShapedWrites is FuzzWrites for the streams writer.shaped reads:
// many events of one shape (OpenAI's chunks; Anthropic's deltas, each
// after an event: line) whose texts are pieces the fuzzer picks: words,
// the starts of keys and the rest of them, the canary in parts, digits,
// an address, HTML, escapes and line ends, "Bearer", a private key's
// dashes; now and then a ping or an event of another shape. Under each
// set of actions (the defaults, personal data redacted and HTML cut, the
// canary redacted, secrets only logged) the client must read what the
// event-by-event reader passes on, with the same findings, however the
// writes cut the answer.
func FuzzShapedWrites(f *testing.F) {
	pieces := [...]string{
		" the", " list", " slicing", " reverse", " returns", " step,", " s", "k-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6",
		" sk", "_live_", "x", " xox", "b-", "1234567890", " gh", "p_", "abcdefghijklmnopqrstuvwxyz0123456789",
		" AKIA", "IOSFODNN7EXAMPLE", " eyJ", "hbGciOiJIUzI1NiJ9", " Bearer", " ", "abc.def", " wdn", "-can", "ary-",
		"7f3a9c1e", " w", "wdn-canary-7f3a9c1e", " jo", "hn@acme-corp.com", " 555", " 0100", " <scr", "ipt>", " a\"b",
		" c\\d", "\n", " é", " password", "=", "hunter2hunter2", " -", "-", "---BEGIN PRIVATE KEY-----", " DE89 3704",
		" e", "y", "_", ".", " AIza", "SyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv", " rk", "\t", "\u2028", "Basic", " ok.",
		" Bear", "er", "er xyzzy", " Bas", "ic", "ic xyzzy", " xyzzy", "--", " a-", "-b", " tok",
		" my_", "sk-", "a.eyJ", "ab_gh", "p_abcdefghij", " aws=AKIA", " a.", "a.gh", " a-sk-", " a.sk-", " a.AKIA",
	}
	picks := func(ps ...string) []byte {
		var b []byte
		for _, p := range ps {
			b = append(b, byte(slices.Index(pieces[:], p)))
		}
		return b
	}
	// The space after "Bearer" or "Basic" makes the text not plain: at
	// an event's start, within its first five bytes, further in.
	for _, ps := range [][]string{
		{" the", " Bearer", " ", "xyzzy", " ok."}, {" the", " Bear", "er", " xyzzy", " ok."}, {" the", " Bear", "er xyzzy", " ok."},
		{" Bas", "ic", " xyzzy"}, {" the", " Bas", "ic xyzzy", " tok", " ok."}, {" list", "Basic", " xyzzy"},
		{" the", " Bearer", " ", "xyzzy", "abcdefghijklmnopqrstuvwxyz0123456789", " ok."},
		{" the", " Bear", "er xyzzy", "abcdefghijklmnopqrstuvwxyz0123456789", " ok."},
		{" the", " Bear", "er", " xyzzy", "abcdefghijklmnopqrstuvwxyz0123456789", " ok."},
		{" a-", "-b", " ok."}, {" a-", "--", " tok"}, {" my_", "sk-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok."},
		{" tok", " a.", "sk-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok."}, {" tok", " a-", "sk-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok."},
		{" tok", " a.gh", "p_abcdefghij", "abcdefghijklmnopqrstuvwxyz0123456789", " ok."},
		{" tok", " a-sk-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok."}, {" tok", " a.sk-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok."},
		{" tok", " a.AKIA", "IOSFODNN7EXAMPLE", " ok."},
		{" tok", "a.eyJ", "hbGciOiJIUzI1NiJ9", " ok."}, {" ab_gh", "p_abcdefghij", "abcdefghijklmnopqrstuvwxyz0123456789", " ok."}, {" s", "k-", "proj-Zq3Xv9Lm2Pw7Rt5Yk8Nb4Hc6", " ok."},
	} {
		f.Add(picks(ps...), uint64(3))
		f.Add(picks(ps...), uint64(4))
	}
	for _, s := range []string{"", "\x00\x01\x02\x03", "\x06\x07\x08\x09\x0a\x0b", "\x1e\x1f\x1c\x1d\x1b",
		"\x0f\x10\x11\x12\x13", "\x14\x15\x16\x17\x18\x03", "\x28\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30", "\x20\x21\x22\x23"} {
		f.Add([]byte(s), uint64(7))
		f.Add([]byte(s), uint64(0x1234567))
	}
	mods := []func(*Config){
		nil,
		func(c *Config) {
			c.Actions.Email, c.Actions.Phone, c.Actions.IBAN, c.Actions.HTML = Redact, Redact, Redact, Cut
			c.RendersMarkdown = true
		},
		func(c *Config) { c.Actions.Canary = Redact },
		func(c *Config) { c.Actions.Secrets, c.Canary = Log, "" },
	}
	var pairs [][2]*Guard
	for _, m := range mods {
		ref := newGuard(f, m)
		ref.eventByEvent = true
		pairs = append(pairs, [2]*Guard{ref, newGuard(f, m)})
	}
	f.Fuzz(func(t *testing.T, picks []byte, seed uint64) {
		if len(picks) > 200 {
			return
		}
		var b strings.Builder
		anthropic := seed%2 == 1
		if anthropic {
			b.WriteString(anthropicStart)
		} else {
			b.WriteString(openAIStart)
		}
		for _, p := range picks {
			q := quoteNoHTML(pieces[int(p)%len(pieces)])
			switch {
			case p >= 0xf8:
				b.WriteString(": ping\n\n")
			case p >= 0xf0:
				b.WriteString(`data: {"id":"c2","choices":[{"index":0,"delta":{"content":` + string(q) + `}}]}` + "\n\n")
			case anthropic:
				b.WriteString(`event: content_block_delta` + "\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":` + string(q) + `}}` + "\n\n")
			default:
				b.WriteString(`data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":` + string(q) + `},"finish_reason":null}]}` + "\n\n")
			}
		}
		b.WriteString("data: [DONE]\n\n")
		checkWrites(t, pairs, b.String(), seed)
	})
}

// The first events of a stream, before its deltas.
const (
	openAIStart    = `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"
	anthropicStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\",\"role\":\"assistant\",\"content\":[]}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
)

// quoteNoHTML is s as a JSON string, with < > & as they are, as most
// upstreams send them (json.Marshal escapes them).
func quoteNoHTML(s string) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
