package decode

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/warden-dev/warden/internal/hexdigit"
)

// Flags records what Normalize decoded.
type Flags uint16

// Flag values.
const (
	Percent   Flags = 1 << iota // %XX decoded
	Multi                       // a second or later pass changed the value
	UnicodeU                    // %uXXXX decoded
	JSEscape                    // \xNN, \uNNNN or \u{…} decoded
	Entity                      // HTML entity decoded
	Overlong                    // overlong UTF-8 sequence folded to ASCII
	NUL                         // NUL byte removed
	Fullwidth                   // fullwidth ASCII folded to ASCII
)

// Decoder holds reusable buffers. The zero Decoder is ready to use; a
// Decoder must not be used by two goroutines at once. Slices it returns
// stay valid until the next call that uses the same buffer.
type Decoder struct {
	a, b []byte
}

// Trim drops buffers that grew beyond max bytes, so that one large value
// does not pin memory in a pooled Decoder.
func (d *Decoder) Trim(max int) {
	if cap(d.a) > max {
		d.a = nil
	}
	if cap(d.b) > max {
		d.b = nil
	}
}

// MaxPasses bounds how many decoding rounds Normalize runs.
const MaxPasses = 4

// Normalize decodes src in rounds (at most MaxPasses) until a round changes
// nothing. Each round decodes percent escapes (%XX, %uXXXX), HTML entities,
// JavaScript escapes, overlong UTF-8 and fullwidth ASCII, and drops NUL
// bytes. When src holds
// nothing to decode it is returned as is, without copying. The result is
// never longer than src.
func (d *Decoder) Normalize(src []byte) ([]byte, Flags) {
	if !needsDecode(src) {
		return src, 0
	}
	var flags Flags
	cur := src
	bufs := [2]*[]byte{&d.a, &d.b}
	for pass := 0; pass < MaxPasses; pass++ {
		if pass > 0 && !needsDecode(cur) {
			break
		}
		dst := bufs[pass%2]
		out, f := decodePass((*dst)[:0], cur)
		*dst = out
		if f == 0 {
			break
		}
		if pass > 0 {
			f |= Multi
		}
		flags |= f
		cur = out
	}
	return cur, flags
}

func needsDecode(s []byte) bool {
	for _, c := range s {
		switch c {
		case '%', '&', '\\', 0, 0xC0, 0xC1, 0xE0, 0xF0, 0xEF:
			return true
		}
	}
	return false
}

// hexN parses exactly n hex digits at s[i:].
func hexN(s []byte, i, n int) (rune, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var r rune
	for j := 0; j < n; j++ {
		if !hexdigit.Is(s[i+j]) {
			return 0, false
		}
		r = r<<4 | rune(hexdigit.Value(s[i+j]))
	}
	return r, true
}

func appendRune(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		return append(dst, byte(r))
	}
	if !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return utf8.AppendRune(dst, r)
}

func decodePass(dst, s []byte) ([]byte, Flags) {
	var flags Flags
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case 0:
			flags |= NUL
			i++
			continue
		case '%':
			if i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
				if r, ok := hexN(s, i+2, 4); ok {
					dst = appendRune(dst, r)
					flags |= UnicodeU
					i += 6
					continue
				}
			}
			if r, ok := hexN(s, i+1, 2); ok {
				dst = append(dst, byte(r))
				flags |= Percent
				i += 3
				continue
			}
		case '\\':
			if i+1 < len(s) {
				switch s[i+1] {
				case 'x', 'X':
					if r, ok := hexN(s, i+2, 2); ok {
						dst = append(dst, byte(r))
						flags |= JSEscape
						i += 4
						continue
					}
				case 'u', 'U':
					if i+2 < len(s) && s[i+2] == '{' {
						j := i + 3
						var r rune
						for j < len(s) && j < i+10 && s[j] != '}' {
							if !hexdigit.Is(s[j]) {
								break
							}
							r = r<<4 | rune(hexdigit.Value(s[j]))
							j++
						}
						if j < len(s) && s[j] == '}' && j > i+3 {
							dst = appendRune(dst, r)
							flags |= JSEscape
							i = j + 1
							continue
						}
					} else if r, ok := hexN(s, i+2, 4); ok {
						dst = appendRune(dst, r)
						flags |= JSEscape
						i += 6
						continue
					}
				}
			}
		case '&':
			if r, n := CharRef(s[i:]); n > 0 {
				dst = appendRune(dst, r)
				flags |= Entity
				i += n
				continue
			}
		case 0xC0, 0xC1:
			if i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
				dst = append(dst, (c&0x1F)<<6|s[i+1]&0x3F)
				flags |= Overlong
				i += 2
				continue
			}
		case 0xE0:
			if i+2 < len(s) && s[i+1]&0xE0 == 0x80 && s[i+2]&0xC0 == 0x80 {
				r := rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				if r < 0x80 {
					dst = append(dst, byte(r))
					flags |= Overlong
					i += 3
					continue
				}
			}
		case 0xEF:
			// Fullwidth ASCII (U+FF01–U+FF5E), which some back ends fold
			// to ASCII: ＜script＞.
			if i+2 < len(s) && (s[i+1] == 0xBC && s[i+2] >= 0x81 && s[i+2] <= 0xBF || s[i+1] == 0xBD && s[i+2] >= 0x80 && s[i+2] <= 0x9E) {
				r := 0xFF00 | rune(s[i+1]&0x3)<<6 | rune(s[i+2]&0x3F)
				dst = append(dst, byte(r-0xFEE0))
				flags |= Fullwidth
				i += 3
				continue
			}
		case 0xF0:
			if i+3 < len(s) && s[i+1]&0xF0 == 0x80 && s[i+2]&0xC0 == 0x80 && s[i+3]&0xC0 == 0x80 {
				r := rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F)
				if r < 0x80 {
					dst = append(dst, byte(r))
					flags |= Overlong
					i += 4
					continue
				}
			}
		}
		dst = append(dst, c)
		i++
	}
	return dst, flags
}

// named HTML entities that matter for payloads.
var named = [...]struct {
	name string
	r    rune
}{
	{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'},
	{"apos", '\''}, {"nbsp", ' '}, {"colon", ':'}, {"tab", '\t'},
	{"newline", '\n'}, {"lpar", '('}, {"rpar", ')'}, {"sol", '/'},
	{"bsol", '\\'}, {"semi", ';'}, {"comma", ','}, {"period", '.'},
	{"equals", '='}, {"excl", '!'}, {"num", '#'}, {"dollar", '$'},
	{"percnt", '%'}, {"lsqb", '['}, {"rsqb", ']'}, {"lbrack", '['},
	{"rbrack", ']'}, {"lcub", '{'}, {"rcub", '}'}, {"lbrace", '{'},
	{"rbrace", '}'}, {"grave", '`'}, {"quest", '?'}, {"ast", '*'},
	{"plus", '+'}, {"vert", '|'}, {"verbar", '|'}, {"commat", '@'},
}

// CharRef decodes one HTML character reference at the start of s ("&…"),
// returning the rune and the bytes consumed, or n == 0 when s does not
// start with one.
func CharRef(s []byte) (rune, int) {
	if len(s) < 3 {
		return 0, 0
	}
	if s[1] == '#' {
		i := 2
		hex := false
		if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
			hex = true
			i++
		}
		start := i
		var r rune
		for i < len(s) && i-start < 8 {
			if hex && hexdigit.Is(s[i]) {
				r = r*16 + rune(hexdigit.Value(s[i]))
			} else if !hex && s[i] >= '0' && s[i] <= '9' {
				r = r*10 + rune(s[i]-'0')
			} else {
				break
			}
			i++
		}
		if i == start {
			return 0, 0
		}
		// Skip further leading digits (&#0000060;) already bounded above.
		if i < len(s) && s[i] == ';' {
			i++
		}
		if r > utf8.MaxRune {
			r = utf8.RuneError
		}
		return r, i
	}
	for _, e := range named {
		n := len(e.name)
		if 1+n > len(s) || !equalFold(s[1:1+n], e.name) {
			continue
		}
		if 1+n < len(s) && s[1+n] == ';' {
			return e.r, n + 2
		}
		// Browsers require the ';' except for a few legacy names, but
		// back ends that decode entities are laxer: "&lbracejndi:".
		return e.r, n + 1
	}
	return 0, 0
}

func equalFold(b []byte, lower string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// StripSQLComments replaces each /* … */ comment with one space, keeps the
// body of MySQL executable comments (/*!50000 … */) and returns src
// untouched when it holds no "/*". The result is appended to dst[:0].
func StripSQLComments(dst, src []byte) []byte {
	start := indexComment(src)
	if start < 0 {
		return src
	}
	dst = append(dst[:0], src[:start]...)
	inExec := false
	for i := start; i < len(src); {
		if src[i] == '/' && i+1 < len(src) && src[i+1] == '*' {
			if i+2 < len(src) && src[i+2] == '!' {
				i += 3
				for k := 0; k < 5 && i < len(src) && src[i] >= '0' && src[i] <= '9'; k++ {
					i++
				}
				dst = append(dst, ' ')
				inExec = true
				continue
			}
			end := indexClose(src, i+2)
			dst = append(dst, ' ')
			if end < 0 {
				return dst
			}
			i = end + 2
			continue
		}
		if inExec && src[i] == '*' && i+1 < len(src) && src[i+1] == '/' {
			dst = append(dst, ' ')
			inExec = false
			i += 2
			continue
		}
		dst = append(dst, src[i])
		i++
	}
	return dst
}

func indexComment(s []byte) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '/' && s[i+1] == '*' {
			return i
		}
	}
	return -1
}

func indexClose(s []byte, from int) int {
	for i := from; i+1 < len(s); i++ {
		if s[i] == '*' && s[i+1] == '/' {
			return i
		}
	}
	return -1
}

// MinBase64 is the shortest value Base64 tries to decode.
const MinBase64 = 16

// Base64 decodes src into dst[:0] when src looks like base64 (standard or
// URL alphabet, at least MinBase64 bytes, both letters and digits or
// padding) and the decoded bytes are mostly printable text. It reports
// false, and returns dst unchanged, otherwise.
func Base64(dst, src []byte) ([]byte, bool) {
	n := len(src)
	for n > 0 && src[n-1] == '=' {
		n--
	}
	if n < MinBase64 || len(src)-n > 2 {
		return dst, false
	}
	url, std, upper, lower, digit := false, false, false, false, false
	for _, c := range src[:n] {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		default:
			return dst, false
		}
	}
	if (url && std) || !upper || !lower || (!digit && len(src) == n && !std && !url) {
		return dst, false
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	if n%4 == 1 {
		return dst, false
	}
	need := enc.DecodedLen(n)
	if cap(dst) < need {
		dst = make([]byte, need)
	}
	out := dst[:need]
	m, err := enc.Decode(out, src[:n])
	if err != nil {
		return dst[:0], false
	}
	out = out[:m]
	printable := 0
	for _, c := range out {
		if (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	if m == 0 || printable*10 < m*9 {
		return out[:0], false
	}
	return out, true
}

// MinBase64Fragment is the shortest value Base64Fragment tries to decode.
const MinBase64Fragment = 10

// Base64Fragment decodes src as a piece cut out of a longer base64 stream
// (a serialized object, an encoded archive) that starts shift (0, 1 or 2)
// characters past a 4-character boundary, so that text inside binary data
// can be read whatever its offset: it decodes "A"×shift + src with the
// standard or URL alphabet and drops the shift bytes the padding produced.
// It reports true when src is at least MinBase64Fragment base64 letters
// and digits (with both cases) and at least 9 in 10 of the decoded bytes
// are printable text.
func Base64Fragment(dst, src []byte, shift int) ([]byte, bool) {
	if shift < 0 || shift > 2 {
		return dst, false
	}
	n, url, ok := fragment(src)
	if !ok {
		return dst, false
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	// Whole characters only: a trailing character that holds no whole
	// byte is dropped.
	total := n + shift
	if total%4 == 1 {
		total--
	}
	need := enc.DecodedLen(total)
	if cap(dst) < need+4 {
		dst = make([]byte, 0, need+4)
	}
	var in [4]byte
	out := dst[:0]
	// Decode quantum by quantum so that the prefix needs no copy of src.
	pos := -shift // index into src of the next character; < 0 is prefix 'A'
	for pos < total-shift {
		k := 0
		for k < 4 && pos < total-shift {
			if pos < 0 {
				in[k] = 'A'
			} else {
				in[k] = src[pos]
			}
			k++
			pos++
		}
		var q [3]byte
		m, err := enc.Decode(q[:], in[:k])
		if err != nil {
			return dst[:0], false
		}
		out = append(out, q[:m]...)
	}
	if len(out) <= shift {
		return out[:0], false
	}
	out = out[:copy(out, out[shift:])]
	printable := 0
	for _, c := range out {
		if (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	if len(out) < 6 || printable*10 < len(out)*9 {
		return out[:0], false
	}
	return out, true
}

// IsBase64Fragment reports whether Base64Fragment would try to decode
// src: one check for the three alignments.
func IsBase64Fragment(src []byte) bool {
	_, _, ok := fragment(src)
	return ok
}

// fragment checks src for Base64Fragment and returns its length without
// padding and whether it uses the URL alphabet.
func fragment(src []byte) (n int, url, ok bool) {
	n = len(src)
	for n > 0 && src[n-1] == '=' {
		n--
	}
	if n < MinBase64Fragment || len(src)-n > 2 {
		return 0, false, false
	}
	std, upper, lower := false, false, false
	for _, c := range src[:n] {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		default:
			return 0, false, false
		}
	}
	if (url && std) || !upper || !lower {
		return 0, false, false
	}
	return n, url, true
}
