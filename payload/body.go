package payload

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/warden-dev/warden/internal/hexdigit"
)

// json walks a JSON body (or several concatenated values, as in NDJSON):
// every key and string value is inspected, keys as names. Nesting deeper
// than MaxDepth, a syntax error or a truncated body ends the walk, and
// the rest of the body is then inspected as text.
//
// The walker tracks each value's field path only when the request has
// field rules: the route's exclusions name fields, or the body is a
// recognised chat body (Config.ChatContent). Whether it is one is asked
// (chatKinds) when the walk first meets a value under a key that holds
// message text in some chat format ("content", "text", …; chatBegins):
// most bodies have none and pay a comparison or two per value. If it is, and paths were not
// tracked, the walk starts again with them; the values walked so far
// held no message text, and their signals are raised again, which
// changes nothing.
func (s *scan) json(b []byte) {
	s.loc, s.name = "json", nil
	s.fields.track = s.ruled()
	s.fields.pending, s.fields.body = s.d.chat, b
	values := s.values
	i := s.jsonWalk(b)
	if s.fields.restart {
		s.fields.restart, s.fields.track = false, true
		s.values, s.name = values, nil
		i = s.jsonWalk(b)
	}
	s.fields.pending, s.fields.body = false, nil
	if i < len(b) {
		s.loc, s.name = "json", nil
		s.value(b[i:])
	}
}

// jsonWalk walks the JSON values of b and returns the index of the byte
// that ended the walk (a syntax error, nesting past MaxDepth), or len(b)
// when nothing of b is left to inspect.
func (s *scan) jsonWalk(b []byte) int {
	i := 0
	for {
		i = skipJSONSpace(b, i)
		if i >= len(b) || s.values >= s.d.cfg.MaxValues {
			return len(b)
		}
		var ok bool
		if s.fields.track {
			i, ok = s.jsonValueTracked(b, i)
		} else {
			i, ok = s.jsonValue(b, i)
		}
		if !ok {
			return i
		}
	}
}

// jsonValue walks the value at b[i:], nested values included, and returns
// where it ends. On a syntax error (or at MaxValues, or nesting deeper than
// MaxDepth) it reports false with the index of the offending byte.
//
// It is one loop over local state rather than a recursive descent: arr
// says whether the innermost container is an array, and outer holds that
// bit for each enclosing level. The common case (a short key, a number, a
// string without escapes) is a handful of comparisons. Each key sets
// s.name, which stays for the values that follow until the next key.
func (s *scan) jsonValue(b []byte, i int) (int, bool) {
	var outer [(maxMaxDepth + 63) / 64]uint64
	var depth uint
	arr := false
	maxDepth, maxValues := uint(s.d.cfg.MaxDepth), s.d.cfg.MaxValues
value:
	if i >= len(b) || s.values >= maxValues {
		return i, false
	}
	switch c := b[i]; c {
	case '{', '[':
		if depth >= maxDepth || depth >= maxMaxDepth {
			s.incomplete |= incDepth
			return i, false
		}
		if arr {
			outer[depth/64] |= 1 << (depth % 64)
		} else {
			outer[depth/64] &^= 1 << (depth % 64)
		}
		depth++
		arr = c == '['
		i = skipJSONSpace(b, i+1)
		if arr {
			if i < len(b) && b[i] == ']' {
				i++
				goto closed
			}
			goto value
		}
		if i < len(b) && b[i] == '}' {
			i++
			goto closed
		}
		goto key
	case '"':
		v, cm, next, ok := jsonString(b, i, &s.tbuf, true)
		if !ok {
			return i, false
		}
		i = next
		if len(v) < minPlain && cm&cmSpecial == 0 {
			// Short and plain: counted, nothing to inspect (see
			// inspect), and no call. s.values < maxValues here.
			if len(v) > 0 {
				s.values++
			}
		} else {
			s.valueMask(v, cm)
		}
	default:
		// A number, true, false or null: nothing to inspect.
		st := i
		for i < len(b) && jsonScalar[b[i]] {
			i++
		}
		if i == st {
			return i, false
		}
	}
	// A value ended at i.
after:
	if depth == 0 {
		return i, true
	}
	i = skipJSONSpace(b, i)
	if i >= len(b) {
		return i, false
	}
	if arr {
		switch b[i] {
		case ',':
			i = skipJSONSpace(b, i+1)
			goto value
		case ']':
			i++
			goto closed
		}
		return i, false
	}
	switch b[i] {
	case ',':
		i++
		goto key
	case '}':
		i++
		goto closed
	}
	return i, false
key:
	i = skipJSONSpace(b, i)
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	{
		k, cm, next, ok := jsonString(b, i, &s.nbuf, false)
		if !ok {
			return i, false
		}
		i = next
		s.name = k
		if len(k) < minPlain && cm&cmSpecial == 0 {
			// As for values; no '$', so no operator either.
			if len(k) > 0 && s.values < maxValues {
				s.values++
			}
		} else {
			s.nameValueMask(k, cm)
		}
	}
	i = skipJSONSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	i = skipJSONSpace(b, i+1)
	goto value
closed:
	depth--
	arr = outer[depth/64]&(1<<(depth%64)) != 0
	goto after
}

// jsonValueTracked is jsonValue keeping s.fields.fs, the current field
// path, for requests with field rules (s.fields.track). It is a copy
// rather than a flag in jsonValue: the walk of every other JSON body
// measurably slows with any branch added to that loop. FuzzTrackedWalk
// keeps the two in step.
func (s *scan) jsonValueTracked(b []byte, i int) (int, bool) {
	var outer [(maxMaxDepth + 63) / 64]uint64
	var depth uint
	arr := false
	maxDepth, maxValues := uint(s.d.cfg.MaxDepth), s.d.cfg.MaxValues
	s.fields.fs.reset()
value:
	if i >= len(b) || s.values >= maxValues {
		return i, false
	}
	switch c := b[i]; c {
	case '{', '[':
		if depth >= maxDepth || depth >= maxMaxDepth {
			s.incomplete |= incDepth
			return i, false
		}
		if arr {
			outer[depth/64] |= 1 << (depth % 64)
		} else {
			outer[depth/64] &^= 1 << (depth % 64)
		}
		depth++
		arr = c == '['
		s.fields.fs.push(arr)
		i = skipJSONSpace(b, i+1)
		if arr {
			if i < len(b) && b[i] == ']' {
				i++
				goto closed
			}
			goto value
		}
		if i < len(b) && b[i] == '}' {
			i++
			goto closed
		}
		goto key
	case '"':
		v, cm, next, ok := jsonString(b, i, &s.tbuf, true)
		if !ok {
			return i, false
		}
		i = next
		if len(v) < minPlain && cm&cmSpecial == 0 {
			// Short and plain: counted, nothing to inspect (see
			// inspect), and no call. s.values < maxValues here.
			if len(v) > 0 {
				s.values++
			}
		} else {
			s.jsonText(v, cm)
		}
	default:
		// A number, true, false or null: nothing to inspect.
		st := i
		for i < len(b) && jsonScalar[b[i]] {
			i++
		}
		if i == st {
			return i, false
		}
	}
	// A value ended at i.
after:
	if depth == 0 {
		return i, true
	}
	i = skipJSONSpace(b, i)
	if i >= len(b) {
		return i, false
	}
	if arr {
		switch b[i] {
		case ',':
			i = skipJSONSpace(b, i+1)
			goto value
		case ']':
			i++
			goto closed
		}
		return i, false
	}
	switch b[i] {
	case ',':
		i++
		goto key
	case '}':
		i++
		goto closed
	}
	return i, false
key:
	i = skipJSONSpace(b, i)
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	{
		k, cm, next, ok := jsonString(b, i, &s.nbuf, false)
		if !ok {
			return i, false
		}
		i = next
		s.name = k
		s.fields.fs.key(k)
		if len(k) < minPlain && cm&cmSpecial == 0 {
			// As for values; no '$', so no operator either.
			if len(k) > 0 && s.values < maxValues {
				s.values++
			}
		} else {
			s.nameValueMask(k, cm)
		}
	}
	i = skipJSONSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	i = skipJSONSpace(b, i+1)
	goto value
closed:
	s.fields.fs.pop()
	depth--
	arr = outer[depth/64]&(1<<(depth%64)) != 0
	goto after
}

// maxMaxDepth is the largest MaxDepth Config.Validate accepts; the JSON
// walker's stack of container kinds is sized for it.
const maxMaxDepth = 1000

// jsonScalar marks the bytes of numbers and of true, false and null (and
// of the bare words a lenient parser would take for them).
var jsonScalar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for _, c := range "-+.E" {
		t[c] = true
	}
	return t
}()

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON whitespace.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// jsonString returns the JSON string at b[i] (which is '"'), its
// character classes (charMask) and the index past its closing quote: a
// view of b when it holds no escapes (the common case, no copy), else its
// decoded form in *buf. The classes of a short view come from the same
// bytes the end was searched in (an escape shows as cmEnd among them);
// with lazy, a view of minPlain bytes or more gets cmUnknown instead, for
// inspect to read them only if the value is not a repeat (a description
// in every element of an array). It reports false for an unterminated
// string or a bad escape.
func jsonString(b []byte, i int, buf *[]byte, lazy bool) ([]byte, uint32, int, bool) {
	rest := b[i+1:]
	q := quoteIn8(rest)
	if q < 0 {
		q = bytes.IndexByte(rest, '"')
	}
	switch {
	case q < 0:
		if bytes.IndexByte(rest, '\\') < 0 {
			return nil, 0, i, false
		}
	case lazy && q >= minPlain:
		if bytes.IndexByte(rest[:q], '\\') < 0 {
			return rest[:q], cmUnknown, i + q + 2, true
		}
	default:
		if m := classes(rest[:q]); m&cmEnd == 0 {
			return rest[:q], finishMask(m), i + q + 2, true
		}
	}
	d, next, ok := jsonUnquote((*buf)[:0], b, i)
	*buf = d
	if !ok {
		return nil, 0, i, false
	}
	return d, charMask(d), next, true
}

// quoteIn8 returns the index of the first '"' in the first eight bytes
// of b, or -1 when they hold none or b is shorter. Keys and enum values
// end within eight bytes: one word read costs less than the call that
// searches for the end.
func quoteIn8(b []byte) int {
	if len(b) < 8 {
		return -1
	}
	x := binary.LittleEndian.Uint64(b) ^ 0x2222222222222222 // '"' bytes become 0
	// The lowest 0x80 bit marks the first zero byte exactly: a borrow
	// only carries upwards from a zero byte.
	t := (x - 0x0101010101010101) &^ x & 0x8080808080808080
	if t == 0 {
		return -1
	}
	return bits.TrailingZeros64(t) >> 3
}

// jsonUnquote decodes the JSON string at b[i] (which is '"') into dst and
// returns the index past its closing quote.
func jsonUnquote(dst, b []byte, i int) ([]byte, int, bool) {
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return dst, i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return dst, i, false
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
				i += 2
			case 'b':
				dst = append(dst, '\b')
				i += 2
			case 'f':
				dst = append(dst, '\f')
				i += 2
			case 'n':
				dst = append(dst, '\n')
				i += 2
			case 'r':
				dst = append(dst, '\r')
				i += 2
			case 't':
				dst = append(dst, '\t')
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					return dst, i, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							i += 6
						}
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, i, false
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst, i, false
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		if !hexdigit.Is(c) {
			return 0, false
		}
		r = r<<4 | rune(hexdigit.Value(c))
	}
	return r, true
}

var (
	xmlComment = []byte("<!--")
	xmlCDATA   = []byte("<![CDATA[")
)

// xml walks an XML body without building a tree: text nodes, CDATA
// sections, attribute values and processing instructions are inspected as
// values (attribute names as names), and DOCTYPE / ENTITY declarations
// whole, so external entities are seen. Comments are skipped.
func (s *scan) xml(b []byte) {
	s.loc = "xml"
	i := 0
	for i < len(b) && s.values < s.d.cfg.MaxValues {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			s.xmlText(b[i:])
			return
		}
		s.xmlText(b[i : i+lt])
		i += lt
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, xmlComment):
			end := bytes.Index(rest, []byte("-->"))
			if end < 0 {
				return
			}
			i += end + 3
		case bytes.HasPrefix(rest, xmlCDATA):
			end := bytes.Index(rest, []byte("]]>"))
			if end < 0 {
				end = len(rest)
			}
			s.name = nil
			s.value(rest[len(xmlCDATA):end])
			i += end + 3
		case len(rest) > 1 && rest[1] == '!':
			// Declaration; an internal subset runs to "]>".
			end := bytes.IndexByte(rest, '>')
			if open := bytes.IndexByte(rest, '['); open >= 0 && (end < 0 || open < end) {
				if e := bytes.Index(rest, []byte("]>")); e >= 0 {
					end = e + 1
				} else {
					end = -1
				}
			}
			if end < 0 {
				end = len(rest) - 1
			}
			s.name = unsafeBytes("doctype")
			s.value(rest[:end+1])
			i += end + 1
		case len(rest) > 1 && rest[1] == '?':
			end := bytes.Index(rest, []byte("?>"))
			if end < 0 {
				end = len(rest)
			}
			s.name = nil
			if !bytes.HasPrefix(rest, []byte("<?xml ")) {
				s.value(rest[:end])
			}
			i += end + 2
		default:
			i += s.xmlTag(rest)
		}
	}
}

func (s *scan) xmlText(t []byte) {
	t = bytes.TrimSpace(t)
	if len(t) > 0 {
		s.name = nil
		s.value(t)
	}
}

// xmlTag inspects the attributes of the tag at the start of t and returns
// its length.
func (s *scan) xmlTag(t []byte) int {
	i := 1
	for i < len(t) && !isSpace(t[i]) && t[i] != '>' && t[i] != '/' {
		i++
	}
	for i < len(t) {
		for i < len(t) && (isSpace(t[i]) || t[i] == '/') {
			i++
		}
		if i >= len(t) {
			return len(t)
		}
		if t[i] == '>' {
			return i + 1
		}
		ns := i
		for i < len(t) && !isSpace(t[i]) && t[i] != '=' && t[i] != '>' && t[i] != '/' {
			i++
		}
		name := t[ns:i]
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i >= len(t) || t[i] != '=' {
			continue
		}
		i++
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return len(t)
		}
		q := t[i]
		if q != '"' && q != '\'' {
			vs := i
			for i < len(t) && !isSpace(t[i]) && t[i] != '>' {
				i++
			}
			s.name = name
			s.value(t[vs:i])
			continue
		}
		i++
		end := bytes.IndexByte(t[i:], q)
		if end < 0 {
			end = len(t) - i
		}
		s.name = name
		s.value(t[i : i+end])
		i += end + 1
	}
	return len(t)
}
