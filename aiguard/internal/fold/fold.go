// Package fold holds the letter disguises the prompt checks see through,
// shared by the heuristics (aiguard/prompt) and the learned model's
// features (aiguard/promptmodel) so both read a disguised word the same
// way: leetspeak digits, Cyrillic and Greek look-alikes of Latin letters,
// and characters that render as nothing.
package fold

// Leet returns the letter a leetspeak character stands for ('0' → 'o',
// '4' and '@' → 'a', …), or 0.
func Leet(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	case '8':
		return 'b'
	case '9':
		return 'g'
	}
	return 0
}

// Homoglyph returns the Latin letter a lower-case Cyrillic or Greek
// look-alike stands for, or 0.
func Homoglyph(r rune) rune {
	switch r {
	case 'а', 'α':
		return 'a'
	case 'с', 'ϲ':
		return 'c'
	case 'ԁ':
		return 'd'
	case 'е', 'ε':
		return 'e'
	case 'ɡ':
		return 'g'
	case 'һ':
		return 'h'
	case 'і', 'ι':
		return 'i'
	case 'ј':
		return 'j'
	case 'к', 'κ':
		return 'k'
	case 'о', 'ο':
		return 'o'
	case 'р', 'ρ':
		return 'p'
	case 'ѕ':
		return 's'
	case 'τ':
		return 't'
	case 'υ':
		return 'u'
	case 'ν':
		return 'v'
	case 'х', 'χ':
		return 'x'
	case 'у':
		return 'y'
	}
	return 0
}

// ZeroWidth reports whether r renders as nothing between letters: zero-width
// spaces and joiners, the soft hyphen, the combining grapheme joiner and
// variation selectors.
func ZeroWidth(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x00AD, 0x180E, 0x034F:
		return true
	}
	return r >= 0xFE00 && r <= 0xFE0F
}

// Bidi reports whether r is a bidirectional embedding, override or
// isolate control.
func Bidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
