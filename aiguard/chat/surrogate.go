package chat

import (
	"strings"

	"github.com/warden-dev/warden/internal/hexdigit"
)

// fixSurrogates rewrites every \u escape of a UTF-16 surrogate that is not
// half of a high-low pair as \uFFFD, which is how encoding/json (and the
// JSON readers of the apps behind Warden) decode it. gjson instead takes
// the escape after a lone high surrogate as its pair and drops it, so
// `ign\ud800\u006fre` would read as "ign\uFFFDre" here and as
// "ign\uFFFDore" upstream: one hidden letter per escape. Bodies without a
// surrogate escape are returned as they are, without a copy.
func fixSurrogates(raw string) string {
	if !hasSurrogateEscape(raw) {
		return raw
	}
	var b []byte // nil until the first rewrite
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := escapeAt(raw, i)
		if !ok {
			i++ // another escape: skip the escaped byte
			continue
		}
		if r < 0xD800 || r > 0xDFFF {
			i += 5
			continue
		}
		if r <= 0xDBFF {
			if lo, ok := escapeAt(raw, i+6); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11 // a pair: both escapes stay
				continue
			}
		}
		if b == nil {
			b = []byte(raw)
		}
		copy(b[i:i+6], `\uFFFD`)
		i += 5
	}
	if b == nil {
		return raw
	}
	return string(b)
}

// escapeAt reads the \uXXXX escape at s[i:], if there is one.
func escapeAt(s string, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i+2 : i+6]) {
		if !hexdigit.Is(c) {
			return 0, false
		}
		r = r<<4 | rune(hexdigit.Value(c))
	}
	return r, true
}

// hasSurrogateEscape reports, in one pass, whether raw holds a \uD…
// escape (either case): most bodies have none and are left as they are.
func hasSurrogateEscape(raw string) bool {
	for {
		i := strings.Index(raw, `\u`)
		if i < 0 || i+2 >= len(raw) {
			return false
		}
		if raw[i+2]|0x20 == 'd' {
			return true
		}
		raw = raw[i+2:]
	}
}
