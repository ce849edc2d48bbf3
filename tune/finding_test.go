package tune

import (
	"strings"
	"testing"
)

func TestParseFinding(t *testing.T) {
	tests := []struct {
		name, msg string
		ok        bool
		want      finding
	}{
		{"json field", `sqli: sql breakout in json "password": "' OR 1=1 --" (6 signals, confidence 0.99)`, true,
			finding{class: "sqli", loc: "json", field: "password", excerpt: "' OR 1=1 --", conf: 0.99}},
		{"signal holding ' in '", `xss: html that runs script in text in form "comment" (text): " <img src=x onerror=alert(1)>" (6 signals, confidence 1.00)`, true,
			finding{class: "xss", loc: "form", field: "comment", kind: "text", excerpt: " <img src=x onerror=alert(1)>", conf: 1}},
		{"query with kind", `sqli: sql breakout from text in query "q" (text): "1' union select" (1 signal, confidence 0.90)`, true,
			finding{class: "sqli", loc: "query", field: "q", kind: "text", excerpt: "1' union select", conf: 0.9}},
		{"path has no field", `path_traversal: /etc/passwd in path: "/../../etc/passwd" (3 signals, confidence 1.00)`, true,
			finding{class: "path_traversal", loc: "path", excerpt: "/../../etc/passwd", conf: 1}},
		{"quoted field name with escapes", `xss: script tag in json "a\"b" (prose): "x" (1 signal, confidence 0.55)`, true,
			finding{class: "xss", loc: "json", field: `a"b`, kind: "prose", excerpt: "x", conf: 0.55}},
		{"cut inside the excerpt", `xss: script tag in json "body" (markdown): "<script>` + strings.Repeat("a", 20), true,
			finding{class: "xss", loc: "json", field: "body", kind: "markdown", excerpt: "<script>" + strings.Repeat("a", 20), conf: -1}},
		{"another detector's message", "sequential ids 1..8 in 4s", false, finding{}},
		{"no location", "sqli: something", false, finding{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseFinding(tc.msg)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("parseFinding = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRedactExample(t *testing.T) {
	tests := []struct {
		name, field, excerpt, want string
	}{
		{"plain", "comment", "<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"},
		{"secret field", "password", "' OR 1=1 --", "[redacted]"},
		{"token shape", "q", "Bearer abcdefghijklmnop", "[redacted]"},
		{"jwt", "note", "x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "x [redacted]"},
		{"card number", "note", "pay 4111 1111 1111 1111 now", "pay [redacted] now"},
		{"long value cut", "body", strings.Repeat("é", 100), strings.Repeat("é", maxExample) + "…"},
		{"newline kept off the comment", "body", "a\nb", "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := redactExample(tc.field, tc.excerpt); got != tc.want {
				t.Fatalf("redactExample(%q, %q) = %q, want %q", tc.field, tc.excerpt, got, tc.want)
			}
		})
	}
}
