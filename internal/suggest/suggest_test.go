package suggest

import "testing"

func TestClosest(t *testing.T) {
	classes := []string{"sqli", "xss", "path_traversal", "command_injection", "code_injection", "ssrf"}
	tests := []struct {
		word string
		want string // "" = no suggestion
	}{
		{"comand_injection", "command_injection"},
		{"command-injection", "command_injection"},
		{"xsss", "xss"},
		{"sslf", "ssrf"},
		{"sqil", "sqli"},
		{"sqlx", "sqli"},
		{"path_travesal", "path_traversal"},
		{"code_injections", "code_injection"},
		{"banana", ""},
		{"", ""},
		{"x", ""},
	}
	for _, tc := range tests {
		got, ok := Closest(tc.word, classes)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestHint(t *testing.T) {
	if h := Hint("modle", []string{"model", "inspect"}); h != " (did you mean model?)" {
		t.Errorf("Hint = %q", h)
	}
	if h := Hint("inspct", []string{"model", "inspect"}); h != " (did you mean inspect?)" {
		t.Errorf("Hint = %q", h)
	}
	if h := Hint("zzzzzz", []string{"model", "inspect"}); h != "" {
		t.Errorf("Hint = %q, want none", h)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"abc", "abc", 0},
		{"modle", "model", 1}, {"ab", "ba", 1}, {"ca", "abc", 3},
	} {
		if got := distance(tc.a, tc.b, 100); got != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
		if got := distance(tc.b, tc.a, 100); got != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.d)
		}
	}
}
