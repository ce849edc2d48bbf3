package chat

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

var chatCases = []struct {
	name    string
	body    string
	ok      bool
	format  Format
	want    []Segment // nil: not checked
	msgs    int
	maxOut  int
	stream  bool
	trunced bool
}{
	{name: "openai chat", body: `{"model":"gpt-4o","stream":true,"max_tokens":50,"messages":[{"role":"system","content":"be nice"},{"role":"user","content":"hello"},{"role":"assistant","content":"hi"},{"role":"tool","tool_call_id":"1","content":"tool says"}]}`,
		ok: true, format: FormatOpenAIChat, msgs: 4, maxOut: 50, stream: true,
		want: []Segment{{SourceSystem, "be nice"}, {SourceUser, "hello"}, {SourceAssistant, "hi"}, {SourceTool, "tool says"}}},
	{name: "openai parts", body: `{"messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
		ok: true, format: FormatOpenAIChat, msgs: 1, want: []Segment{{SourceUser, "look"}}},
	{name: "anthropic", body: `{"model":"claude","max_tokens":1024,"system":[{"type":"text","text":"sys"}],"messages":[{"role":"user","content":[{"type":"text","text":"q"},{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"result"}]},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc body"}}]}]}`,
		ok: true, format: FormatAnthropic, msgs: 1, maxOut: 1024,
		want: []Segment{{SourceSystem, "sys"}, {SourceUser, "q"}, {SourceTool, "result"}, {SourceDocument, "doc body"}}},
	{name: "anthropic tool_result string", body: `{"anthropic_version":"x","messages":[{"role":"user","content":[{"type":"tool_result","content":"plain result"}]}]}`,
		ok: true, format: FormatAnthropic, want: []Segment{{SourceTool, "plain result"}}, msgs: 1},
	{name: "responses string", body: `{"model":"gpt-5","instructions":"sys","input":"hi there","max_output_tokens":77}`,
		ok: true, format: FormatResponses, msgs: 1, maxOut: 77, want: []Segment{{SourceSystem, "sys"}, {SourceUser, "hi there"}}},
	{name: "responses items", body: `{"input":[{"role":"user","content":[{"type":"input_text","text":"a"}]},{"type":"function_call","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"fn out"}]}`,
		ok: true, format: FormatResponses, msgs: 3, want: []Segment{{SourceUser, "a"}, {SourceTool, "fn out"}}},
	{name: "librechat ask", body: `{"text":"what is a system prompt?","conversationId":"c1","parentMessageId":"00000000-0000-0000-0000-000000000000","endpoint":"openAI"}`,
		ok: true, format: FormatLibreChat, msgs: 1, want: []Segment{{SourceUser, "what is a system prompt?"}}},
	{name: "completion", body: `{"prompt":["one","two"]}`, ok: true, format: FormatCompletion, msgs: 2,
		want: []Segment{{SourceUser, "one"}, {SourceUser, "two"}}},
	{name: "truncated after an escaped quote", body: `{"text":"he said \"ignore`, ok: true, format: FormatLibreChat, msgs: 1, want: []Segment{{SourceUser, `he said "ignore`}}},
	{name: "truncated after a backslash", body: `{"text":"c:\\dir\`, ok: true, format: FormatLibreChat, msgs: 1, want: []Segment{{SourceUser, `c:\dir\`}}},
	{name: "escaped backslash before quote", body: `{"text":"a\\","model":"m"}`, ok: true, format: FormatLibreChat, msgs: 1, want: []Segment{{SourceUser, `a\`}}},
	{name: "not json", body: `hello there`, ok: false},
	{name: "array root", body: `[1,2,3]`, ok: false},
	{name: "truncated json is read as far as it goes", body: `{"messages":[{"role":"user","content":"x"},{"role":"user","content":"ignore all prev`, ok: true, format: FormatOpenAIChat, msgs: 2,
		want: []Segment{{SourceUser, "x"}, {SourceUser, "ignore all prev"}}},
	{name: "no chat fields", body: `{"user":"bob","age":3}`, ok: false},
	{name: "responses text config is not librechat", body: `{"text":{"format":{"type":"text"}}}`, ok: false},
	{name: "deep nesting", body: strings.Repeat("[", 100) + strings.Repeat("]", 100), ok: false},
	{name: "deep object", body: `{"messages":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, ok: false},
	{name: "binary content", body: "{\"messages\":[{\"role\":\"user\",\"content\":\"\\u0000\\u0001\\ufffd\"}]}", ok: true, format: FormatOpenAIChat, msgs: 1},
	{name: "escaped top-level key", body: `{"te\u0078t":"hi"}`, ok: true, format: FormatLibreChat, msgs: 1, want: []Segment{{SourceUser, "hi"}}},
	{name: "chat key only nested", body: `{"data":{"messages":[{"role":"user","content":"x"}],"text":"y"},"list":["prompt","input"]}`, ok: false},
	{name: "chat key after a large value", body: `{"meta":{"a":[1,2,{"b":"}]"}]},"note":"say \"text\"","prompt":"p"}`, ok: true, format: FormatCompletion, msgs: 1, want: []Segment{{SourceUser, "p"}}},
	{name: "truncated inside a chat key", body: `{"model":"m","messag`, ok: false},
	{name: "unicode escapes", body: `{"text":"ign\u006fre"}`, ok: true, format: FormatLibreChat, msgs: 1, want: []Segment{{SourceUser, "ignore"}}},
}

func TestParseChat(t *testing.T) {
	for _, tc := range chatCases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := Parse([]byte(tc.body), Limits{})
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if c.Format != tc.format {
				t.Errorf("format = %v, want %v", c.Format, tc.format)
			}
			if c.Messages != tc.msgs {
				t.Errorf("messages = %d, want %d", c.Messages, tc.msgs)
			}
			if c.MaxOutput != tc.maxOut || c.Stream != tc.stream {
				t.Errorf("max output, stream = %d, %v; want %d, %v", c.MaxOutput, c.Stream, tc.maxOut, tc.stream)
			}
			if tc.want != nil && fmt.Sprint(c.Segments) != fmt.Sprint(tc.want) {
				t.Errorf("segments = %v, want %v", c.Segments, tc.want)
			}
		})
	}
}

func TestParseChatCustomPaths(t *testing.T) {
	lim := Limits{Paths: []PathSpec{{Path: "inputs.#.text"}, {Path: "context.docs", Source: "document"}}}
	c, ok := Parse([]byte(`{"inputs":[{"text":"a"},{"text":"b"}],"context":{"docs":["d1",{"x":"d2"}]}}`), lim)
	if !ok || c.Format != FormatCustom {
		t.Fatalf("ok=%v format=%v", ok, c.Format)
	}
	want := []Segment{{SourceUser, "a"}, {SourceUser, "b"}, {SourceDocument, "d1"}, {SourceDocument, "d2"}}
	if fmt.Sprint(c.Segments) != fmt.Sprint(want) {
		t.Fatalf("segments = %v, want %v", c.Segments, want)
	}
}

// TestChatKeyBailOut checks that the early exit for bodies without a chat
// key decides as the full parse does, with and without configured paths.
func TestChatKeyBailOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		lim  Limits
		ok   bool
	}{
		{"plain key path", `{"inputs":[{"text":"a"}]}`, Limits{Paths: []PathSpec{{Path: "inputs.#.text"}}}, true},
		{"plain key path absent", `{"other":[{"text":"a"}]}`, Limits{Paths: []PathSpec{{Path: "inputs.#.text"}}}, false},
		{"wildcard path", `{"inp1":"a"}`, Limits{Paths: []PathSpec{{Path: "inp*"}}}, true},
		{"escaped dot path", `{"a.b":"x"}`, Limits{Paths: []PathSpec{{Path: `a\.b`}}}, true},
		{"non-chat object", `{"user":{"name":"bob","tags":["a","b"]},"items":[1,2,3]}`, Limits{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, quick := Parse([]byte(tc.body), tc.lim)
			_, _, full := parseChat([]byte(tc.body), tc.lim, false)
			if quick != tc.ok || full != tc.ok {
				t.Fatalf("Parse ok = %v, full parse ok = %v, want %v", quick, full, tc.ok)
			}
		})
	}
}

func TestParseChatBounds(t *testing.T) {
	t.Run("huge message array keeps the most recent", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString(`{"messages":[`)
		for i := range 100000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"role":"user","content":"m%d"}`, i)
		}
		b.WriteString(`]}`)
		c, ok := Parse(b.Bytes(), Limits{MaxBodyBytes: 8 << 20, MaxMessages: 10})
		if !ok || !c.Truncated || c.Messages != 100000 || len(c.Segments) != 10 {
			t.Fatalf("ok=%v truncated=%v messages=%d segments=%d", ok, c.Truncated, c.Messages, len(c.Segments))
		}
		if c.Segments[9].Text != "m99999" {
			t.Fatalf("last segment %q, want the most recent message", c.Segments[9].Text)
		}
	})
	t.Run("text budget", func(t *testing.T) {
		body := `{"text":"` + strings.Repeat("a", 10000) + `"}`
		c, ok := Parse([]byte(body), Limits{MaxTextBytes: 100})
		if !ok || !c.Truncated || c.TextLen() != 100 {
			t.Fatalf("ok=%v truncated=%v len=%d", ok, c.Truncated, c.TextLen())
		}
	})
	t.Run("body above limit", func(t *testing.T) {
		if _, ok := Parse([]byte(`{"text":"`+strings.Repeat("a", 2000)+`"}`), Limits{MaxBodyBytes: 1000}); ok {
			t.Fatal("parsed a body above max_body_bytes")
		}
	})
}

func TestChatLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxMessages: -1}, "max_messages:"},
		{Limits{Paths: []PathSpec{{Path: ""}}}, "paths[0].path:"},
		{Limits{Paths: []PathSpec{{Path: "a", Source: "robot"}}}, "paths[0].source:"},
	} {
		err := tc.lim.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want prefix %q", err, tc.want)
		}
	}
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range chatCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := Limits{MaxTextBytes: 4096, MaxMessages: 16}
		c, ok := Parse(body, lim)
		if full, _, fullOK := parseChat(body, lim, false); ok != fullOK || ok && fmt.Sprint(c) != fmt.Sprint(full) {
			t.Fatalf("chat-key bail-out changed the result: %v %+v, full parse %v %+v", ok, c, fullOK, full)
		}
		if !ok {
			return
		}
		if c.TextLen() > 4096 {
			t.Fatalf("text %d bytes above the limit", c.TextLen())
		}
	})
}

func ExampleParse() {
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Summarise this page."},{"role":"tool","content":"<page text>"}]}`)
	c, ok := Parse(body, DefaultLimits())
	fmt.Println(ok, c.Format, c.Model)
	for _, s := range c.Segments {
		fmt.Printf("%s: %s\n", s.Source, s.Text)
	}
	// Output:
	// true openai_chat gpt-4o
	// system: You are terse.
	// user: Summarise this page.
	// tool: <page text>
}
