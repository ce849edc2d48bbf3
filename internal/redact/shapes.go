package redact

import (
	"bytes"
	"regexp"
	"strings"
)

// shapeRE finds secrets by their shape. Every alternative but the last is
// a secret as matched; the last is a candidate card number, a secret only
// when it passes Luhn. A JWT's signature is optional so that one cut by an
// excerpt is still found; a PEM private key runs to its END line or to the
// end of the text. Card numbers start with 2 to 6 (the card networks'
// ranges), which keeps millisecond timestamps (1…) out.
var shapeRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?` +
	`|-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)` +
	`|(?i:\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}|\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}` +
	`|\b(?:sk|rk)-[A-Za-z0-9_-]{16,}|\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}` +
	`|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{30,}` +
	`|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}|\bglpat-[A-Za-z0-9_-]{20,}` +
	`|\bxox[abposr]-[A-Za-z0-9-]{10,}` +
	`|\b[2-6][0-9](?:[ -]?[0-9]){11,17}\b`)

// maybeShape reports whether s may hold a secret shape: one pass over s
// looking for the start of one (eyJ, -----BEGIN, bearer, Basic, a key
// prefix, 13 digits). Text without any pays only this pass, never the
// regular expression.
func maybeShape[S ~string | ~[]byte](s S) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			if digits++; digits >= 13 {
				return true
			}
			continue
		}
		if digits > 0 && (c == ' ' || c == '-') {
			continue // a separator between a card number's groups
		}
		digits = 0
		switch c {
		case 'e':
			if hasAt(s, i, "eyJ") {
				return true
			}
		case '-':
			if hasAt(s, i, "-----BEGIN") {
				return true
			}
		case 'b', 'B':
			if hasFoldAt(s, i, "bearer") || hasAt(s, i, "Basic") {
				return true
			}
		case 's', 'r':
			if hasAt(s, i+1, "k-") || hasAt(s, i+1, "k_") {
				return true
			}
		case 'A':
			if hasAt(s, i, "AKIA") || hasAt(s, i, "ASIA") || hasAt(s, i, "AIza") {
				return true
			}
		case 'g':
			if hasAt(s, i, "gh") && hasAt(s, i+3, "_") || hasAt(s, i, "github_pat_") || hasAt(s, i, "glpat-") {
				return true
			}
		case 'x':
			if hasAt(s, i, "xox") {
				return true
			}
		}
	}
	return false
}

func hasAt[S ~string | ~[]byte](s S, i int, p string) bool {
	return i >= 0 && len(s)-i >= len(p) && string(s[i:i+len(p)]) == p
}

func hasFoldAt[S ~string | ~[]byte](s S, i int, p string) bool {
	if len(s)-i < len(p) {
		return false
	}
	for j := 0; j < len(p); j++ {
		if lower(s[i+j]) != p[j] {
			return false
		}
	}
	return true
}

// luhn reports whether the digits of s (separators skipped) number 13 to
// 19 and pass the Luhn check, as every payment card number does.
func luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 13 && n <= 19 && sum%10 == 0
}

// shapeSpans appends to dst the [start, end) byte ranges of the secret
// shapes in s.
func shapeSpans(dst [][2]int, s string) [][2]int {
	if !maybeShape(s) {
		return dst
	}
	for _, m := range shapeRE.FindAllStringIndex(s, -1) {
		if isDigit(s[m[0]]) && !luhn(s[m[0]:m[1]]) {
			continue
		}
		dst = append(dst, [2]int{m[0], m[1]})
	}
	return dst
}

// Shapes returns s with every secret found by its shape replaced by Mark.
// It returns s itself, without allocating, when there is none.
func Shapes(s string) string {
	var buf [4][2]int
	spans := shapeSpans(buf[:0], s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteString(Mark)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// MaxExcerpt is the most bytes of request data an Excerpt quotes.
const MaxExcerpt = 64

// maxShapeScan bounds the text read for shapes around an excerpt: the
// longest secret worth finding whole (an RSA-4096 PEM key) is about 3.3
// KB.
const maxShapeScan = 4 << 10

// Excerpt bounds request data quoted in a message: the values of keys
// named for secrets (by the default names) and its secret shapes become
// Mark (see Names.Text), then it is cut to at most MaxExcerpt bytes, with bytes
// outside printable ASCII replaced by '?', so a message can carry evidence
// without carrying the payload, a secret or control characters.
func Excerpt(s string) string {
	long := len(s) > maxShapeScan
	if long {
		s = s[:maxShapeScan]
	}
	s = Names{}.Text(s)
	cut := long || len(s) > MaxExcerpt
	if len(s) > MaxExcerpt-3 && cut {
		s = s[:MaxExcerpt-3]
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			clean = false
			break
		}
	}
	if !clean {
		b := []byte(s)
		for i, c := range b {
			if c < 0x20 || c > 0x7e {
				b[i] = '?'
			}
		}
		s = string(b)
	}
	if cut {
		s += "..."
	}
	return s
}

// Window returns the excerpt of v that evidence at pos quotes: at most n
// bytes starting 12 before pos, bytes outside printable ASCII shown as
// '.', and every secret shape that overlaps it (looked for around it, so
// that a window inside a long token or a PEM key is still known for one)
// shown as Mark.
func Window(v []byte, pos, n int) string {
	if len(v) == 0 {
		return ""
	}
	start := min(max(pos-12, 0), len(v))
	end := min(start+n, len(v))
	lo, hi := max(start-maxShapeScan, 0), min(end+maxShapeScan, len(v))
	if b := bytes.LastIndex(v[max(start-4*maxShapeScan, 0):end], []byte("-----BEGIN")); b >= 0 {
		// The window may be inside a PEM key whose start is far back.
		lo = min(lo, max(start-4*maxShapeScan, 0)+b)
	}
	var buf [4][2]int
	var spans [][2]int
	if maybeShape(v[lo:hi]) {
		spans = shapeSpans(buf[:0], string(v[lo:hi]))
	}
	out := make([]byte, 0, end-start+len(Mark))
	i := start
	for _, sp := range spans {
		s, e := sp[0]+lo, sp[1]+lo
		if e <= start || s >= end {
			continue
		}
		out = printable(out, v[i:max(s, i)])
		out = append(out, Mark...)
		i = min(e, end)
	}
	if i < end {
		out = printable(out, v[i:end])
	}
	return string(out)
}

func printable(dst, b []byte) []byte {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			c = '.'
		}
		dst = append(dst, c)
	}
	return dst
}
