package response

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// strSpan is a JSON string value holding the model's text: doc[start:end]
// is its raw contents between the quotes; esc says it has escapes.
type strSpan struct {
	start, end int
	esc        bool
}

// maxDepth bounds the nesting texts reads; deeper documents are not read.
const maxDepth = 64

// texts appends to dst the string values of doc that hold the model's
// text — those of the keys "content" and "text" (OpenAI chat
// completions, Anthropic messages, at any depth) and "delta" (OpenAI
// responses) — and reports whether doc is one valid JSON value. It is a
// small reader rather than encoding/json so that an event costs one pass
// and no allocation, and so that a text's position is known for rewriting
// it in place.
func texts(dst []strSpan, doc []byte) ([]strSpan, bool) {
	return read(jsonReader{b: doc, dst: dst})
}

// userTexts is texts for a chat request: the texts of a message whose
// role is system, developer or assistant are left out, so that what is
// found is what the user sent.
func userTexts(dst []strSpan, doc []byte) ([]strSpan, bool) {
	return read(jsonReader{b: doc, dst: dst, userOnly: true})
}

func read(p jsonReader) ([]strSpan, bool) {
	p.ws()
	if !p.value(false, 0) {
		return p.dst, false
	}
	p.ws()
	return p.dst, p.i == len(p.b)
}

type jsonReader struct {
	b        []byte
	i        int
	dst      []strSpan
	userOnly bool // drop the texts of objects with a role other than user or tool
}

func (p *jsonReader) ws() {
	for p.i < len(p.b) && isWS(p.b[p.i]) {
		p.i++
	}
}

// value reads one value; keep says a string value is a text.
func (p *jsonReader) value(keep bool, depth int) bool {
	if p.i >= len(p.b) || depth > maxDepth {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return true
		}
		for {
			p.ws()
			if !p.value(keep, depth+1) {
				return false
			}
			p.ws()
			if p.i >= len(p.b) {
				return false
			}
			if p.b[p.i] == ']' {
				p.i++
				return true
			}
			if p.b[p.i] != ',' {
				return false
			}
			p.i++
		}
	case c == '"':
		s, ok := p.str()
		if ok && keep {
			p.dst = append(p.dst, s)
		}
		return ok
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return false
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonReader) number() bool {
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if p.digits() == 0 {
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

func (p *jsonReader) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

func (p *jsonReader) object(depth int) bool {
	p.i++ // {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return true
	}
	first, notUser := len(p.dst), false
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		k, ok := p.str()
		if !ok {
			return false
		}
		key := p.b[k.start:k.end]
		keep := !k.esc && isTextKey(key)
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == '[' && keep {
			// "content": [ … ] holds parts, not text: only strings
			// directly under a text key count.
			keep = false
		}
		vs := p.i
		if !p.value(keep, depth) {
			return false
		}
		if p.userOnly && string(key) == "role" {
			switch string(p.b[vs:p.i]) {
			case `"system"`, `"developer"`, `"assistant"`:
				notUser = true
			}
		}
		p.ws()
		if p.i >= len(p.b) {
			return false
		}
		if p.b[p.i] == '}' {
			p.i++
			if notUser {
				p.dst = p.dst[:first]
			}
			return true
		}
		if p.b[p.i] != ',' {
			return false
		}
		p.i++
	}
}

func (p *jsonReader) lit(w string) bool {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		return false
	}
	p.i += len(w)
	return true
}

// str reads a string at p.i (a quote).
func (p *jsonReader) str() (strSpan, bool) {
	p.i++
	s := strSpan{start: p.i}
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s.end = p.i
			p.i++
			return s, true
		case c == '\\':
			s.esc = true
			if p.i+1 >= len(p.b) {
				return s, false
			}
			switch p.b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if _, n := hex4(p.b[p.i+2:]); n == 0 {
					return s, false
				}
				p.i += 6
			default:
				return s, false
			}
		case c < 0x20:
			return s, false
		default:
			p.i++
		}
	}
	return s, false
}

// unquote appends the text of the raw string contents raw (escapes
// decoded) to dst. Bad escapes become U+FFFD.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			r, n := hex4(raw[i+1:])
			if n == 0 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if len(raw) > i+2 && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if r2, n2 := hex4(raw[i+3:]); n2 != 0 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							dst = utf8.AppendRune(dst, d)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ /
			dst = append(dst, raw[i])
		}
	}
	return dst
}

func hex4(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, 0
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, 0
		}
	}
	return r, 4
}

// quote appends s as the contents of a JSON string (without the quotes)
// to dst: quotes, backslashes and control bytes escaped, invalid UTF-8 as
// U+FFFD.
func quote(dst []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return dst
}

// quickTexts is texts for the common event: it finds the text keys from
// the colons that end keys instead of reading every token, which was
// most of an event's cost. ok is false when it cannot tell (no closing
// brace at the end, a document that may be deeper than maxDepth, a text
// string without its end); then texts must read doc. For a document
// json.Valid accepts it finds what texts finds: in valid JSON an
// unescaped quote, `content`, an unescaped quote and a colon are a key.
// A document it accepts may still be invalid elsewhere: a rewrite checks
// with texts first (writer.rewrite).
func quickTexts(dst []strSpan, doc []byte) ([]strSpan, bool) {
	last := len(doc) - 1
	for last > 0 && isWS(doc[last]) {
		last--
	}
	if len(doc) == 0 || doc[0] != '{' || doc[last] != '}' || bytes.Count(doc, []byte{'{'}) > maxDepth {
		return dst, false
	}
	n := len(dst)
	for i := 0; ; {
		c := bytes.IndexByte(doc[i:], ':')
		if c < 0 {
			return dst, true
		}
		c += i
		i = c + 1
		q := c - 1
		for q > 0 && isWS(doc[q]) {
			q--
		}
		if q < 5 || doc[q] != '"' || escaped(doc, q) {
			continue
		}
		var k int // the key's opening quote
		switch {
		case q >= 8 && string(doc[q-7:q]) == "content":
			k = q - 8
		case string(doc[q-4:q]) == "text":
			k = q - 5
		case q >= 6 && string(doc[q-5:q]) == "delta":
			k = q - 6
		default:
			continue
		}
		if doc[k] != '"' || escaped(doc, k) || !isTextKey(doc[k+1:q]) {
			continue
		}
		v := c + 1
		for v < len(doc) && isWS(doc[v]) {
			v++
		}
		if v >= len(doc) || doc[v] != '"' {
			continue // an object, a list of parts, null
		}
		s := strSpan{start: v + 1}
		e := s.start
		for {
			x := bytes.IndexByte(doc[e:], '"')
			if x < 0 {
				return dst[:n], false
			}
			e += x
			if !escaped(doc, e) {
				break
			}
			e++
		}
		s.end = e
		s.esc = bytes.IndexByte(doc[s.start:s.end], '\\') >= 0
		dst = append(dst, s)
		i = e + 1
	}
}

// isTextKey reports whether k, a key without escapes, names a text.
func isTextKey(k []byte) bool {
	return string(k) == "content" || string(k) == "text" || string(k) == "delta"
}

// isWS reports whether c is JSON whitespace.
func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// escaped reports whether the quote at doc[i] is escaped: an odd number
// of backslashes before it.
func escaped(doc []byte, i int) bool {
	n := 0
	for i > 0 && doc[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}
