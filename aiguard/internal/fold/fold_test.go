package fold

import "testing"

func TestFold(t *testing.T) {
	for _, tt := range []struct {
		in, leet, glyph rune
	}{
		{'0', 'o', 0}, {'@', 'a', 0}, {'$', 's', 0}, {'a', 0, 0},
		{'а', 0, 'a'}, {'ο', 0, 'o'}, {'υ', 0, 'u'}, {'у', 0, 'y'}, {'к', 0, 'k'}, {'ж', 0, 0},
	} {
		if got := Leet(tt.in); got != tt.leet {
			t.Errorf("Leet(%q) = %q, want %q", tt.in, got, tt.leet)
		}
		if got := Homoglyph(tt.in); got != tt.glyph {
			t.Errorf("Homoglyph(%q) = %q, want %q", tt.in, got, tt.glyph)
		}
	}
	for _, r := range []rune{0x200B, 0x034F, 0xFE0F} {
		if !ZeroWidth(r) {
			t.Errorf("ZeroWidth(%U) = false", r)
		}
	}
	if ZeroWidth('a') || Bidi('a') || !Bidi(0x202E) || !Bidi(0x2066) {
		t.Error("Bidi or ZeroWidth wrong on a plain letter or a control")
	}
}
