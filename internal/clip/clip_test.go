package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefix(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // é is two bytes: not split
		{"héllo", 3, "hé"},
		{"日本語", 4, "日"},
		{"abc", 0, ""},
		{"abc", -1, ""},
	} {
		if got := Prefix(tt.s, tt.n); got != tt.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"listen", 40, "listen"},
		{strings.Repeat("a", 50), 40, strings.Repeat("a", 40) + Mark},
		{"ab\xffcd", 40, "ab\uFFFDcd"},
		{"日本語です", 7, "日本" + Mark},
	} {
		got := String(tt.s, tt.n)
		if got != tt.want {
			t.Errorf("String(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("String(%q, %d) is not valid UTF-8", tt.s, tt.n)
		}
	}
}

func TestRunes(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"a longer title", 8, "a longe" + Mark},
		{"日本語のタイトル", 4, "日本語" + Mark},
		{"x", 0, ""},
	} {
		got := Runes(tt.s, tt.n)
		if got != tt.want {
			t.Errorf("Runes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
		if tt.n > 0 && utf8.RuneCountInString(got) > tt.n {
			t.Errorf("Runes(%q, %d) has %d runes", tt.s, tt.n, utf8.RuneCountInString(got))
		}
	}
}

func FuzzClip(f *testing.F) {
	f.Add("héllo wörld", 4)
	f.Add("\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 300
		p := Prefix(s, n)
		if !strings.HasPrefix(s, p) || (n >= 0 && len(p) > n) {
			t.Fatalf("Prefix(%q, %d) = %q", s, n, p)
		}
		if utf8.ValidString(s) && !utf8.ValidString(p) {
			t.Fatalf("Prefix split a rune: %q", p)
		}
		if got := String(s, n); !utf8.ValidString(got) {
			t.Fatalf("String(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
		if got := Runes(s, n); n > 0 && utf8.RuneCountInString(got) > n {
			t.Fatalf("Runes(%q, %d) = %q: too long", s, n, got)
		}
	})
}
