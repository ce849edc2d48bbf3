package payload

import "bytes"

// JavaScript obfuscation: shapes that reach a sink without writing its
// name as a call, so the word lists and libinjection do not see them.

// jsSubscript weighs a global object subscripted by a string literal
// (v[end-1] is the '['): self["alert"](…), top['document']['cookie'],
// window[`eval`](…), with spaces or stripped comments around. Code that
// is not an exploit reads properties with a dot; a string subscript
// that is then called or subscripted again is how payloads hide names.
func jsSubscript(v []byte, end int) bool {
	e := skipSpaceFwd(v, end)
	// One string literal or several joined with '+': ['ev'+'al'].
	for n := 0; ; n++ {
		if n == 4 || e >= len(v) || (v[e] != '"' && v[e] != '\'' && v[e] != '`') {
			return false
		}
		q, k := v[e], e
		e++
		for e < len(v) && e-k < 64 && v[e] != q {
			e++
		}
		if e >= len(v) {
			return false
		}
		e = skipSpaceFwd(v, e+1)
		if e < len(v) && v[e] == '+' {
			e = skipSpaceFwd(v, e+1)
			continue
		}
		break
	}
	if e >= len(v) || v[e] != ']' {
		return false
	}
	e = skipSpaceFwd(v, e+1)
	return e < len(v) && (v[e] == '(' || v[e] == '[' || v[e] == '`')
}

// checkJSFuck flags JSFuck: a run of at least 12 bytes made only of
// []()!+ (and spaces), with ![] or +[] in it, which evaluates to any
// string or function without letters. Arithmetic and Markdown do not
// write "![]" or "+[]" in such runs.
func (s *scan) checkJSFuck(v []byte, factor float64) {
	run, best, at := 0, 0, 0
	for i, c := range v {
		switch c {
		case '[', ']', '(', ')', '!', '+', ' ':
			run++
			if run > best {
				best, at = run, i-run+1
			}
		default:
			run = 0
		}
	}
	if best >= 12 {
		s.signal(len(rules)+sigJSFuck, cXSS, 0.85*factor, v, at)
	}
}

// taggedSinks are names that, used as the tag of a template literal,
// call a function with attacker text: [].sort.call`${alert}`,
// alert`1`, Function`x`.
var taggedSinks = [...]string{"call", "apply", "bind", "alert", "eval", "prompt", "confirm", "function",
	"settimeout", "setinterval", "navigate", "write", "writeln", "fromcharcode", "constructor", "import"}

// checkTagged flags a tagged template literal whose tag is a call
// helper or a sink and whose body interpolates: "call`${alert}1`",
// "[].map.call ` ${eval} `". Template literals in prose and Markdown
// have no identifier glued to the opening backtick.
func (s *scan) checkTagged(v []byte, factor float64) {
	for i, n := 0, 0; i+1 < len(v) && n < 8; i++ {
		if v[i] != '`' {
			continue
		}
		k := skipSpaceFwd(v, i+1)
		if k+1 >= len(v) || v[k] != '$' || v[k+1] != '{' {
			continue
		}
		n++
		e := i - 1
		for e >= 0 && isSpace(v[e]) {
			e--
		}
		st := e
		for st >= 0 && isWordChar(v[st]) {
			st--
		}
		w := v[st+1 : e+1]
		for _, t := range taggedSinks {
			if equalFoldStr(w, t) {
				s.signal(len(rules)+sigTagged, cXSS, 0.85*factor, v, st+1)
				return
			}
		}
	}
}

// truthyJS reports whether a JavaScript condition is a constant that is
// always true: true, a non-zero number, Infinity, an object, array or
// constructor, or the negation of a falsy constant ("!false", "!!{}",
// "-1", "String", "new Date"). while(…) on one never ends.
func truthyJS(b []byte) bool {
	b = trimCode(b)
	for len(b) >= 2 && b[0] == '(' && b[len(b)-1] == ')' {
		b = trimCode(b[1 : len(b)-1])
	}
	neg := false
	for len(b) > 0 && b[0] == '!' {
		neg = !neg
		b = trimCode(b[1:])
	}
	if len(b) == 0 || len(b) > 32 {
		return false
	}
	var t bool
	switch {
	case equalFoldStr(b, "true"), equalFoldStr(b, "infinity"), equalFoldStr(b, "-infinity"),
		string(b) == "{}", string(b) == "[]":
		t = true
	case equalFoldStr(b, "false"), equalFoldStr(b, "null"), equalFoldStr(b, "undefined"), equalFoldStr(b, "nan"),
		string(b) == "``", string(b) == `""`, string(b) == "''":
		t = false
	case b[0] == '-' || b[0] == '+' || b[0] >= '0' && b[0] <= '9':
		k := 0
		if b[0] == '-' || b[0] == '+' {
			k = 1
		}
		if k == len(b) {
			return false
		}
		zero := true
		for ; k < len(b); k++ {
			c := b[k]
			if c == '.' {
				continue
			}
			if c < '0' || c > '9' {
				return false
			}
			if c != '0' {
				zero = false
			}
		}
		t = !zero
	case b[0] >= 'A' && b[0] <= 'Z' || len(b) > 4 && equalFoldStr(b[:4], "new "):
		// A constructor or a new object: String, Date, new Date.
		for _, c := range b {
			if !isWordChar(c) && c != ' ' && c != '.' {
				return false
			}
		}
		t = true
	default:
		return false
	}
	return t != neg
}

// jsMembers are the member accesses a script payload reads: the session,
// the origin, a navigation, a write into the page.
var jsMembers = [...]string{
	"document.cookie", "document.domain", "document.location", "document.write",
	"window.location", "document[\"cookie\"]", "document['cookie']",
	"document)[\"cookie\"]", "document)['cookie']", "document).cookie",
}

// checkJSComment flags a comment written inside a member access of a
// script sink (document/*x*/.cookie, (document/**/)["cookie"]): the
// comment splits the name for filters, and JavaScript skips it. stripped
// is v with its comments blanked (decode.StripSQLComments), read here
// without spaces. Code that comments a line keeps the access whole, so v
// itself must not hold the access its comment-free form shows.
func (s *scan) checkJSComment(v, stripped []byte) {
	var buf [256]byte
	c := buf[:0]
	for i := 0; i < len(stripped) && len(c) < len(buf); i++ {
		if !isSpace(stripped[i]) {
			c = append(c, stripped[i])
		}
	}
	for _, m := range jsMembers {
		if indexFold(c, m) >= 0 && indexFold(v, m) < 0 {
			s.signal(len(rules)+sigJSComment, cXSS, 0.85, v, 0)
			return
		}
	}
}

// checkUTF7 flags a tag written in UTF-7 ("+ADw-script+AD4-"): a page
// served without a charset was once read as UTF-7 by browsers, and a
// value that spells '<' as "+ADw-" before a tag name is written for
// that; base64 has no '-' after '+', so data does not look like it.
func (s *scan) checkUTF7(v []byte) {
	if bytes.IndexByte(v, '+') < 0 {
		// Most values have no '+': one byte search in place of the
		// string search.
		return
	}
	i := bytes.Index(v, []byte("+ADw-"))
	if i < 0 || i+5 >= len(v) || !isLetter(v[i+5]) && v[i+5] != '/' {
		return
	}
	s.signal(len(rules)+sigUTF7, cXSS, 0.85, v, i)
}

// checkJSBreakout flags a value framed to sit inside a JavaScript string
// and run code there: it opens by closing the string with an operator
// after the quote and ends by reopening it, with a call in between
// ("'-alert(1)-'", "\"+fetch('//x.example')+\""). The page's own quotes
// complete it: in var q = '…'; the value makes two empty strings around
// -alert(1)-. A value that starts and ends with
// quotes for its own reasons ("'a' | 'b'", "'x'") has no operator against
// both of them, or no call.
func (s *scan) checkJSBreakout(v []byte) {
	st := skipSpaceFwd(v, 0)
	en := skipSpaceBack(v, len(v)-1)
	if en-st < 6 || en-st > 512 || (v[st] != '\'' && v[st] != '"') || v[en] != v[st] {
		return
	}
	a := skipSpaceFwd(v, st+1)
	b := skipSpaceBack(v, en-1)
	if a >= b || !jsOperator(v[a]) || !jsOperator(v[b]) {
		return
	}
	body := v[a+1 : b]
	for i := 0; i+1 < len(body); i++ {
		if body[i] != '(' || i == 0 {
			continue
		}
		k := skipSpaceBack(body, i-1)
		if k >= 0 && (isWordChar(body[k]) || body[k] == ')' || body[k] == ']' || body[k] == '`') {
			s.signal(len(rules)+sigJSBreakout, cXSS, 0.85, v, st)
			return
		}
	}
}

// jsOperator reports whether c joins two JavaScript expressions or ends
// a statement.
func jsOperator(c byte) bool {
	switch c {
	case '-', '+', '*', '/', '%', '^', '|', '&', ',', ';', '?', ':', '<', '>', '=':
		return true
	}
	return false
}
