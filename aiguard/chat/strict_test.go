package chat

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// strictCases are well-formed bodies in the shapes the strict path reads
// field by field; each must come out of it (not the lenient reader) equal
// to the lenient reader's parse.
var strictCases = []string{
	`{"model":"gpt-4o","messages":[{"role":"user","content":"line one\nline \"two\" \u00e9 \ud83d\ude00 \ud800 x \/ \\ \t"}]}`,
	`{"messages":[{"role":"sy\u0073tem","content":"s"},{"r\u006fle":"assistant","content":"a"},{"role":"user","content":"u"}],"stream":"TRUE","max_tokens":12.5}`,
	`{"system":"top","messages":[{"role":"user","content":[{"type":"text","text":"t1"},{"type":"tool_result","content":[{"type":"text","text":"tr"},"plain",{"type":"document","source":{"type":"text","data":"d"},"context":"ctx"}]}]}]}`,
	`{"anthropic_version":"v","messages":[{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"text","text":"c1"},"c2"]}},{"type":"search_result","content":[{"type":"text","text":"sr"}]},{"type":"search_result","content":"sr2"}]}]}`,
	`{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"content","content":{"a":{"text":"m1"},"b":"m2"}}}]}]}`,
	`{"input":[{"role":"user","content":[{"type":"input_text","text":"a"}]},{"type":"function_call","arguments":"{}"},{"type":"function_call_output","output":[{"type":"input_text","text":"o"}]},"bare",7,null]}`,
	`{"instructions":"sys","input":"hi","max_output_tokens":1e3}`,
	`{"input":{"x":1},"text":"not used"}`,
	`{"text":"t","prompt":"p"}`,
	`{"prompt":[1,"a",{"text":"b"},["c"]],"stream":1}`,
	`{"prompt":null}`,
	`{"messages":[{"role":"user","content":{"type":null,"text":123}},{"role":"user","content":{"text":{"k":[1,2]}}},{"role":"user","content":{"text":-1.50e+2}},{"role":"user","content":{"type":"text","type":"image","text":"first type wins"}}]}`,
	`{"messages":"not an array","messages":[{"role":"user","content":"last duplicate wins"}],"model":1,"model":["m"]}`,
	`{"messages":[{"role":"user","content":"a","content":"last content wins","role":"tool"}]}`,
	`{"messages":[{"role":"user","content":"x"}],"max_tokens":0,"max_tokens":-5,"max_completion_tokens":99999999999999999999}`,
	`{"te\u0078t":"escaped key","model":"\u006d"}`,
	`{"messages":[{"role":"user","content":"bad escape \q here"},{"role":"user","content":"ctrl \n then` + "\x01" + ` raw"},{"role":"user","content":"raw ctrl ` + "\x02" + ` no escape"}]}`,
	`{"messages":[{"role":"user","content":[{"type":"document","source":"a {\"type\":\"text\",\"data\":\"x\"}"}]}]}`,
	`{"messages":[{"role":"user","content":[{"type":"document","source":["x"]}]}]}`,
	` {"messages":[ { "role" : "user" , "content" : [ { "type" : "text" , "text" : "spaced" } ] } ] } `,
	`{"messages":[]}`,
	`{}`,
	`{"input":[{"role":"user","content":"from input"}],"messages":[{"role":"user","content":"messages win"}]}`,
	`{"prompt":["p1","p2"],"input":[{"role":"user","content":"input beats prompt"}]}`,
	`{"messages":[{"role":"user","content":"first"}],"messages":[{"role":"user","content":"second array wins"},"x"]}`,
	`{"mess\u0061ges":[{"role":"user","content":"escaped key"}]}`,
	`{"messages":[{"role":"tool","type":"x","type":"function_call","content":"skipped"},{"role":7,"content":"role not a string"},{"ro\u006ce":"system","content":"escaped role key"}]}`,
	`{"messages":[` + strings.Repeat(`{"role":"user","content":"m"},"s",3,`, 30) + `{"role":"assistant","content":"last"}]}`,
	`{"messages":[{"role":"user","content":"` + strings.Repeat("é\\n", 3000) + `"}]}`,
}

func TestParseStrictMatchesLenient(t *testing.T) {
	for i, body := range strictCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			lim := DefaultLimits()
			_, _, _, done := parseStrict([]byte(body), lim)
			if !done && !strings.Contains(body, `"source":"a {`) && !strings.Contains(body, `"source":[`) {
				t.Fatalf("strict path declined a well-formed body")
			}
			compareParses(t, []byte(body), lim)
			compareParses(t, []byte(body), Limits{MaxTextBytes: 7, MaxMessages: 2})
			compareParses(t, []byte(body), Limits{MaxMessages: 17})
			compareParses(t, []byte(body), Limits{MaxMessages: 40})
		})
	}
}

func TestParseStrictDeclinesMalformed(t *testing.T) {
	for _, body := range []string{
		`{"messages":[{"role":"user","content":"x"}]`, // truncated
		`{"messages":[{"role":"user","content":"x"},]}`,
		`{"text":"a",}`,
		`{"text":"a" "b"}`,
		`{"text":01}`,
		`{"text":"a"}x`,
		`{"text":tru}`,
		`{'text':"a"}`,
		"{\"text\":\"a\"\x00}",
	} {
		if _, _, _, done := parseStrict([]byte(body), DefaultLimits()); done {
			t.Errorf("strict path took %q", body)
		}
		compareParses(t, []byte(body), DefaultLimits())
	}
}

// compareParses fails when Parse and the lenient reader disagree.
func compareParses(t *testing.T, body []byte, lim Limits) {
	t.Helper()
	c, ok := Parse(body, lim)
	full, _, fullOK := parseChat(body, lim, false)
	if ok != fullOK || ok && fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", full) {
		t.Fatalf("limits %+v:\nParseChat %v %+v\nlenient   %v %+v", lim, ok, c, fullOK, full)
	}
}

func TestAppendUnescaped(t *testing.T) {
	for _, s := range []string{
		`plain`, `a\nb`, `\u00e9\u00E9`, `\ud83d\ude00`, `\ud800`, `\ud800\u0041`, `\ud800x`, `\uzzzz`, `\u12`,
		`bad \q`, "ctrl \x01 \\n", `\"\\\/\b\f\r\t`, `\u0000`,
	} {
		want := gjson.Parse(`"` + s + `"`).String()
		if got := string(appendUnescaped(nil, s, len(s))); got != want {
			t.Errorf("appendUnescaped(%q) = %q, gjson %q", s, got, want)
		}
		if got := string(appendUnescaped(nil, s, 3)); got != want[:min(3, len(want))] {
			t.Errorf("appendUnescaped(%q, 3) = %q, want %q", s, got, want[:min(3, len(want))])
		}
	}
}

// FuzzParseStrict checks the strict path against the lenient reader
// under varied limits.
func FuzzParseStrict(f *testing.F) {
	for _, body := range strictCases {
		f.Add([]byte(body), uint16(4096), uint8(16))
	}
	for _, tc := range chatCases {
		f.Add([]byte(tc.body), uint16(5), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, maxText uint16, maxMsgs uint8) {
		lim := Limits{MaxTextBytes: int(maxText) + 1, MaxMessages: int(maxMsgs) + 1, MaxDepth: 16}
		compareParses(t, body, lim)
		c, ok := Parse(body, lim)
		if ok && c.TextLen() > lim.MaxTextBytes {
			t.Fatalf("text %d bytes above the limit", c.TextLen())
		}
		if i := skipSpace(body); i < len(body) && body[i] == '{' && json.Valid(body) {
			s := string(body)
			// Well-formed bodies take the strict path unless a document
			// source is not an object.
			if _, _, _, done := parseStrict(body, lim.withDefaults()); !done && !strings.Contains(s, "source") && strings.Count(s, "[")+strings.Count(s, "{") < 16 {
				t.Fatalf("strict path declined valid JSON %q", s)
			}
		}
	})
}
