package payload

// Code injection (PHP and JavaScript): a value that is one call, calls
// through a variable or an expression ($f(…), ("sys"."tem")(…)), a PHP
// open tag followed by a statement, and PHP serialized objects. The
// function names these checks know are in funcs.go.

import "bytes"

// phpSerialized reports whether v starts like a PHP serialized object or
// array: O:8:"…" or a:2:{.
func phpSerialized(v []byte) bool {
	if len(v) < 5 || v[1] != ':' {
		return false
	}
	switch v[0] {
	case 'O', 'C', 'a':
	default:
		return false
	}
	i := 2
	for i < len(v) && i < 12 && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 2 || i >= len(v) || v[i] != ':' || i+1 >= len(v) {
		return false
	}
	return v[i+1] == '"' || (v[0] == 'a' && v[i+1] == '{')
}

// checkVarCall finds PHP variable function calls: $f(…), ${'f'}(…),
// $ {@$b}(…), $$f(…), $a['f'](…), $_[1]{0}(…), possibly with comments
// before the '(' or between the subscripts. A call through a variable
// variable or an array element is how obfuscated PHP shells dispatch
// (the function name is assembled at run time), so it blocks alone; a
// plain $f(…) needs a second signal.
func (s *scan) checkVarCall(v []byte, factor float64) {
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '$' {
			continue
		}
		n++
		j := skipSpaceFwd(v, i+1)
		w := 0.0
		switch {
		case j < len(v) && v[j] == '{':
			e := indexByte(v[j:], '}')
			if e < 0 || e > 64 {
				continue
			}
			j += e + 1
			w = 0.85
		case j < len(v) && v[j] == '$':
			// $$f(…), $$$f(…): a variable variable.
			k := j
			for k < len(v) && k-j < 8 && v[k] == '$' {
				k++
			}
			if k == len(v) || !isIdentStart(v[k]) {
				continue
			}
			j = k
			for j < len(v) && isWordChar(v[j]) {
				j++
			}
			w = 0.8
		case j < len(v) && isIdentStart(v[j]):
			for j < len(v) && isWordChar(v[j]) {
				j++
			}
			w = 0.6
		default:
			continue
		}
		// Subscripts: $a['f'], $a[0]{1}, $__[$_[1]].
		for sub := 0; sub < 4; sub++ {
			k := skipCodeSpace(v, j)
			if k >= len(v) || (v[k] != '[' && v[k] != '{') {
				break
			}
			closer := byte(']')
			if v[k] == '{' {
				closer = '}'
			}
			e := matchFwd(v, k, v[k], closer)
			if e < 0 {
				break
			}
			j = e + 1
			if w < 0.8 {
				w = 0.8
			}
		}
		if k := skipCodeSpace(v, j); k < len(v) && v[k] == '(' {
			if w < 0.8 && (k == j && !(v[i+1] >= 'A' && v[i+1] <= 'Z') && !prose(v[k+1:min(len(v), k+65)]) || spacedCall(v, j, k) || i >= 2 && v[i-1] == ':' && v[i-2] == ':') {
				// "$f(101)", "$a //x\n()", "Foo::$m()": a call, not
				// "$USD (approx)".
				w = 0.8
			}
			s.signal(len(rules)+sigPHPVarCall, cCode, w*factor, v, i)
			return
		}
	}
}

// checkDynCall finds calls whose callee is an expression rather than a
// name: a parenthesised expression "(sy.(st).em)(…)", a string literal
// "system"(…), or a subscript "[system][0](…)", "{0}(…)". PHP and
// JavaScript evaluate these by name at run time, which is how payloads
// hide the function they call from word lists. The call must close and
// end the value or be followed by ';' to block alone.
func (s *scan) checkDynCall(v []byte, factor float64) {
	for p, n := 0, 0; p < len(v) && n < 16; p++ {
		if v[p] != '(' {
			continue
		}
		n++
		q := skipCodeSpaceBack(v, p-1)
		if q < 0 {
			continue
		}
		open := -1
		c0 := v[q]
		switch c := c0; c {
		case '"', '\'':
			open = lastIndexByteWithin(v, q, c, 64)
			if open < 0 || !calleeName(v[open+1:q]) {
				continue
			}
		case ')':
			open = matchBack(v, q, '(', ')')
			if open < 0 || !calleeExpr(v[open+1:q]) {
				continue
			}
		case ']':
			open = matchBack(v, q, '[', ']')
		case '}':
			open = matchBack(v, q, '{', '}')
		}
		if open < 0 {
			continue
		}
		// The arguments must close.
		depth, e := 0, -1
		for k := p; k < len(v) && k-p < 256; k++ {
			if v[k] == '(' {
				depth++
			} else if v[k] == ')' {
				depth--
				if depth == 0 {
					e = k
					break
				}
			}
		}
		if e < 0 {
			continue
		}
		if prose(v[p+1 : e]) {
			// "a \"dog\" (not a cat)": words in parentheses.
			continue
		}
		// Only a statement end makes it code: "(a)(b)" and "[text](url)"
		// at the end of a value are math and Markdown; they corroborate.
		// A callee that names a dangerous function is code anywhere:
		// ("system")(…), return"exec"(…).
		w := 0.0
		if (c0 == ')' || c0 == '"' || c0 == '\'') && (q == p-1 || spacedCall(v, q+1, p)) && calleeDangerous(v[open+1:q]) {
			w = 0.85
		} else if k := skipCodeSpace(v, e+1); k < len(v) && v[k] == ';' {
			w = 0.8
		} else if k >= len(v) && q == p-1 && c0 != ']' && c0 != '}' {
			w = 0.5
		}
		if w == 0 {
			continue
		}
		s.signal(len(rules)+sigDynCall, cCode, w*factor, v, open)
		return
	}
}

// calleeDangerous reports whether a callee expression is a dangerous
// function's name, bare or quoted: system, "system", ('exec').
func calleeDangerous(b []byte) bool {
	b = trimCode(b)
	for len(b) >= 2 && (b[0] == '"' || b[0] == '\'' || b[0] == '(' || b[0] == '[') {
		last := b[len(b)-1]
		if !(last == b[0] || b[0] == '(' && last == ')' || b[0] == '[' && last == ']') {
			break
		}
		b = trimCode(b[1 : len(b)-1])
	}
	for _, c := range b {
		if !isWordChar(c) {
			return false
		}
	}
	return dangerousFunc(b)
}

// calleeName reports whether a string literal's content reads as a
// function name: letters, digits, '_' and escapes (\x73), with a letter.
func calleeName(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '_' || c == '\\':
		default:
			return false
		}
	}
	return letter
}

// calleeExpr reports whether a parenthesised expression can evaluate to
// a function name: it has a letter and no '=' (an LDAP filter term
// "(uid=x)(" or a comparison), ',' or '&', '|' (filters, lists).
func calleeExpr(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c == '=' || c == ',' || c == '&' || c == '|' || c == '<' || c == '>':
			return false
		}
	}
	return letter
}

// checkBareCall flags a value that is nothing but a function call:
// "strip_tags()", "posix_getpwuid('foo', 25)", "eval($x);", or a call
// left open at the end, "hex(" (a fragment spliced into code or SQL that
// the application closes). Names, search terms and free text do not end
// in an open parenthesis or consist of one call with code arguments.
func (s *scan) checkBareCall(v []byte) {
	i := skipSpaceFwd(v, 0)
	if i >= len(v) || !isIdentStart(v[i]) {
		return
	}
	if len(v)-i > 7 && equalFoldStr(v[i:i+7], "select ") {
		// "SELECT GROUP_CONCAT(": a select list cut at a call.
		i = skipSpaceFwd(v, i+7)
		if i >= len(v) || !isIdentStart(v[i]) {
			return
		}
	}
	st := i
	under := false
	for i < len(v) && (isWordChar(v[i]) || v[i] == '.' || v[i] == ':' && i+1 < len(v) && v[i+1] == ':') {
		under = under || v[i] == '_'
		i++
	}
	if i-st < 2 {
		return
	}
	p := skipCodeSpace(v, i)
	if p >= len(v) || v[p] != '(' {
		return
	}
	a := skipCodeSpace(v, p+1)
	if a >= len(v) {
		// "hex(", "Rand (": an open call ends the value.
		s.signal(len(rules)+sigBareCall, cCode, 0.8, v, st)
		return
	}
	// The arguments: variables, quoted strings, numbers and names,
	// separated by commas, up to the closing parenthesis.
	code := false
	depth, e := 1, -1
	for k := a; k < len(v) && k-a < 256; k++ {
		switch c := v[k]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				e = k
			}
		case c == '$' || c == '\'' || c == '"':
			code = true
		case c == ' ' && k > a && k+1 < len(v) && isLetter(v[k-1]) && isLetter(v[k+1]):
			// Words separated by a space: prose.
			return
		}
		if e >= 0 {
			break
		}
	}
	if e < 0 {
		return
	}
	// After the call: nothing, ';', or a subscript / member access.
	k := skipCodeSpace(v, e+1)
	if k < len(v) && v[k] != ';' && v[k] != '[' && v[k] != '.' {
		return
	}
	// A function that runs code, reads files or discloses the
	// environment, called without a space ("copy(2)", not the file
	// name "Copy (2)") or on code arguments, or any name cut from its
	// '(' by a comment or a line break, makes the call code; so does a
	// loop whose condition is always true (a denial of service).
	strong := spacedCall(v, i, p) || dangerousFunc(v[st:i]) && (p == i || under || code) ||
		equalFoldStr(v[st:i], "while") && truthyJS(v[p+1:e])
	w := 0.5
	switch {
	case strong:
		w = 0.85
	case under && (code || e == a):
		// "posix_getpwuid('root')", "call_user_func($f)",
		// "str_rot13()": a library name called on code arguments
		// or on none, as a probe for an eval sink does; a value
		// that is nothing but such a call is code, not data.
		w = 0.8
	case code || under:
		w = 0.6
	}
	s.signal(len(rules)+sigBareCall, cCode, w, v, st)
}

// checkPHPTag flags a processing-instruction opener "<?" that is not an
// XML one (a target name followed by name="value" attributes, as in
// <?xml version="1.0"?> or <?mso-application progid="…"?>) and is
// followed by a PHP statement end: "<? echo 'x'; ?>", "<?xml :echo 1;".
func (s *scan) checkPHPTag(v []byte, factor float64) {
	i := indexByte(v, '<')
	for n := 0; i >= 0 && n < 8; n++ {
		if i+1 < len(v) && v[i+1] == '?' {
			j := i + 2
			for j < len(v) && (isWordChar(v[j]) || v[j] == '-' || v[j] == '.') {
				j++
			}
			k := skipSpaceFwd(v, j)
			attr := k > j && k < len(v) && isIdentStart(v[k])
			if attr {
				e := k
				for e < len(v) && (isWordChar(v[e]) || v[e] == '-' || v[e] == ':') {
					e++
				}
				attr = e < len(v) && v[e] == '='
			}
			if !attr && j == i+2 && k > j && k < len(v) && phpStatement(v[k:]) {
				// "<?  echo x", "<? $a=…": a short open tag and a
				// statement; an XML processing instruction names its
				// target right after "<?".
				s.signal(len(rules)+sigPHPTag, cCode, 0.85*factor, v, i)
				return
			}
			if !attr {
				rest := v[j:]
				if len(rest) > 512 {
					rest = rest[:512]
				}
				if indexByte(rest, ';') >= 0 || bytes.Contains(rest, []byte("?>")) {
					s.signal(len(rules)+sigPHPTag, cCode, 0.85*factor, v, i)
					return
				}
			}
		}
		k := indexByte(v[i+1:], '<')
		if k < 0 {
			return
		}
		i += 1 + k
	}
}

// phpStatement reports whether b starts with a PHP statement that
// outputs or runs something: a variable, '@', echo, print, or a
// dangerous function.
func phpStatement(b []byte) bool {
	if b[0] == '$' || b[0] == '@' {
		return true
	}
	e := 0
	for e < len(b) && e < 32 && isWordChar(b[e]) {
		e++
	}
	w := b[:e]
	return equalFoldStr(w, "echo") || equalFoldStr(w, "print") || dangerousFunc(w)
}
