package payload

// Character classes: the one-pass byte table that tells inspect which
// checks a value can trigger (no '(' means no call, no '$' no variable),
// and the byte predicates the checks share.

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// Character classes present in a value, from one pass over it.
const (
	cmSpecial   = 1 << iota // anything but letters, digits and - , : @ +
	cmDecode                // % & \ NUL or an overlong UTF-8 lead byte
	cmComment               // '/' and '*'
	cmShell                 // ; | & ` $ newline
	cmQuote                 // ' " \ ^
	cmSpace                 // ' '
	cmNotBase64             // a byte outside the base64 alphabets (space aside)
	cmSlash
	cmStar
	cmCtlSpace // tab, newline or carriage return
	cmColon
	cmUpper // an ASCII upper-case letter
	cmLower // an ASCII lower-case letter
	cmParen // '('
	cmEnd   // '"' or '\\': where the JSON walker stops (no check reads it)
	cmAngle // '<': markup may be there (markup.go)

	// cmUnknown stands for the classes of a value of at least minPlain
	// bytes that the JSON walker did not read: inspect reads them only
	// when the value is not a repeat.
	cmUnknown = 1 << 16
)

var charClass = func() (t [256]uint32) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if !(isWordChar(b) || b == '-' || b == ',' || b == ':' || b == '@' || b == '+') {
			t[c] |= cmSpecial
		}
		if !(isWordChar(b) && b != '_' || b == '+' || b == '/' || b == '-' || b == '_' || b == '=' || b == ' ') {
			t[c] |= cmNotBase64
		}
	}
	for _, b := range []byte{'%', '&', '\\', 0, 0xC0, 0xC1, 0xE0, 0xF0, 0xEF} {
		t[b] |= cmDecode
	}
	for _, b := range []byte{';', '|', '&', '`', '$', '\n'} {
		t[b] |= cmShell
	}
	for _, b := range []byte{'\'', '"', '\\', '^'} {
		t[b] |= cmQuote
	}
	t[' '] |= cmSpace
	t['/'] |= cmSlash
	t['\t'] |= cmCtlSpace
	t['\n'] |= cmCtlSpace
	t['\r'] |= cmCtlSpace
	t[':'] |= cmColon
	t['*'] |= cmStar
	t['('] |= cmParen
	t['<'] |= cmAngle
	t['"'] |= cmEnd
	t['\\'] |= cmEnd
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cmUpper
		t[c+'a'-'A'] |= cmLower
	}
	return t
}()

// charMask returns the character classes present in v.
func charMask(v []byte) uint32 {
	return finishMask(classes(v))
}

// classes returns the union of the charClass entries of v's bytes.
func classes(v []byte) uint32 { return unionOf(v, &charClass) }

// unionOf returns the union of t's entries for v's bytes. Four
// accumulators let the lookups of eight bytes run side by side. Bytes
// left over, and short values, are read as overlapping groups (the last
// eight, or the first and last four): a byte read twice adds nothing.
func unionOf[T string | []byte](v T, t *[256]uint32) uint32 {
	n := len(v)
	switch {
	case n >= 8:
	case n >= 4:
		return t[v[0]] | t[v[1]] | t[v[2]] | t[v[3]] |
			t[v[n-4]] | t[v[n-3]] | t[v[n-2]] | t[v[n-1]]
	case n > 0:
		return t[v[0]] | t[v[n/2]] | t[v[n-1]]
	default:
		return 0
	}
	var a, b, c, d uint32
	for w := v; len(w) >= 8; w = w[8:] {
		a |= t[w[0]] | t[w[4]]
		b |= t[w[1]] | t[w[5]]
		c |= t[w[2]] | t[w[6]]
		d |= t[w[3]] | t[w[7]]
	}
	if n%8 != 0 {
		w := v[n-8:]
		a |= t[w[0]] | t[w[4]]
		b |= t[w[1]] | t[w[5]]
		c |= t[w[2]] | t[w[6]]
		d |= t[w[3]] | t[w[7]]
	}
	return a | b | c | d
}

// finishMask adds the classes that depend on two others to m, the union
// of the charClass entries of a value's bytes.
func finishMask(m uint32) uint32 {
	if m&(cmSlash|cmStar) == cmSlash|cmStar {
		m |= cmComment
	}
	return m
}

type classMask uint16

const allClasses classMask = 1<<numClasses - 1

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// lower returns c in lower case when it is an ASCII letter.
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// inList reports whether w, in any case, is one of list.
func inList(w []byte, list []string) bool {
	for _, s := range list {
		if equalFoldStr(w, s) {
			return true
		}
	}
	return false
}
