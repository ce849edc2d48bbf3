package payload

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// json walks a JSON body (or several concatenated values, as in NDJSON):
// every key and string value is inspected, keys as names. Nesting deeper
// than MaxDepth, a syntax error or a truncated body ends the walk, and
// the rest of the body is then inspected as text.
func (s *scan) json(b []byte) {
	s.loc, s.name = "json", nil
	w := jsonWalker{s: s, b: b, max: s.d.cfg.MaxDepth}
	for {
		w.ws()
		if w.i >= len(b) || s.values >= s.d.cfg.MaxValues {
			return
		}
		if !w.value() {
			break
		}
	}
	if w.i < len(b) {
		s.loc, s.name = "json", nil
		s.value(b[w.i:])
	}
}

type jsonWalker struct {
	s     *scan
	b     []byte
	i     int
	depth int
	max   int
}

func (w *jsonWalker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// value parses one value at w.i; it reports false on a syntax error,
// leaving w.i where the error is.
func (w *jsonWalker) value() bool {
	if w.i >= len(w.b) || w.s.values >= w.s.d.cfg.MaxValues {
		return false
	}
	switch c := w.b[w.i]; c {
	case '{', '[':
		if w.depth >= w.max {
			return false
		}
		w.depth++
		w.i++
		ok := false
		if c == '{' {
			ok = w.object()
		} else {
			ok = w.array()
		}
		w.depth--
		return ok
	case '"':
		start := w.i
		v, cm, ok := w.strView(&w.s.tbuf)
		if !ok {
			w.i = start
			return false
		}
		w.s.valueMask(v, cm)
		return true
	default:
		start := w.i
		for w.i < len(w.b) {
			c := w.b[w.i]
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E' {
				w.i++
				continue
			}
			break
		}
		return w.i > start
	}
}

func (w *jsonWalker) object() bool {
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		return true
	}
	for {
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			return false
		}
		key, cm, ok := w.strView(&w.s.nbuf)
		if !ok {
			return false
		}
		w.s.name = key
		w.s.nameValueMask(key, cm)
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			return false
		}
		w.i++
		w.ws()
		if !w.value() {
			return false
		}
		w.ws()
		if w.i >= len(w.b) {
			return false
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case '}':
			w.i++
			return true
		default:
			return false
		}
	}
}

func (w *jsonWalker) array() bool {
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		return true
	}
	for {
		w.ws()
		if !w.value() {
			return false
		}
		w.ws()
		if w.i >= len(w.b) {
			return false
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case ']':
			w.i++
			return true
		default:
			return false
		}
	}
}

// strView returns the JSON string at w.i (which is '"') and its
// character classes (charMask): a view of the body when it holds no
// escapes (the common case, no copy), else its decoded form in *buf. The
// classes of a view come from the same bytes the end was searched in;
// an escape shows as cmEnd among them.
func (w *jsonWalker) strView(buf *[]byte) ([]byte, uint16, bool) {
	b := w.b[w.i+1:]
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		if bytes.IndexByte(b, '\\') < 0 {
			return nil, 0, false
		}
	} else if m := classes(b[:q]); m&cmEnd == 0 {
		w.i += q + 2
		return b[:q], finishMask(m), true
	}
	var ok bool
	*buf, ok = w.str((*buf)[:0])
	return *buf, charMask(*buf), ok
}

// str decodes the JSON string at w.i (which is '"') into dst.
func (w *jsonWalker) str(dst []byte) ([]byte, bool) {
	b := w.b
	i := w.i + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			w.i = i + 1
			return dst, true
		case c == '\\':
			if i+1 >= len(b) {
				return dst, false
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
					return dst, false
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
				return dst, false
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst, false
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
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
