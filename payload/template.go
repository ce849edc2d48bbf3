package payload

// Template injection: {{…}}, ${…} and #{…} expressions that probe with
// arithmetic or reach for code and object internals, FreeMarker's ?new()
// on a class name, and Perl's @{[ … ]} interpolation, which runs code
// inside a double-quoted string.

import "bytes"

// checkTemplate inspects {{…}}, ${…} and #{…} expressions for arithmetic
// probes (7*7) and object traversal.
func (s *scan) checkTemplate(v []byte, factor float64) {
	for i, budget := 0, 8; i+1 < len(v) && budget > 0; i++ {
		if v[i+1] != '{' || (v[i] != '{' && v[i] != '$' && v[i] != '#') || v[i] == '$' && s.kind == kindCode {
			continue
		}
		budget--
		open := i + 2
		closeAt := -1
		for j := open; j < len(v) && j < open+256; j++ {
			if v[j] == '}' {
				closeAt = j
				break
			}
		}
		if closeAt < 0 {
			continue
		}
		body := v[open:closeAt]
		w := 0.0
		switch {
		case arithmetic(body):
			w = 0.6
			if v[i] == '{' {
				w = 0.65
			}
		case dangerousExpr(body), sandboxEscape(v, body):
			w = 0.85
		case v[i] == '{' && (indexFold(body, "config") >= 0 || indexFold(body, "self") >= 0 || indexFold(body, "request.") >= 0 || indexFold(body, "|attr") >= 0 || indexFold(body, "popen") >= 0):
			w = 0.55
		case v[i] == '{' || v[i] == '#':
			w = 0.1
		}
		if w < 0.8 && s.kind != kindStructured {
			// Text: {{ name }} and ${x} are what people write about
			// templates; only an expression reaching for code counts.
			w = 0
		}
		if w > 0 {
			id := sigTmplExpr
			if w >= 0.8 {
				id = sigTmplDunder
			}
			s.signal(len(rules)+id, cTemplate, w*factor, v, i)
		}
		i = closeAt
	}
}

// dangerousExpr reports whether a template expression reaches for code
// execution or object internals.
func dangerousExpr(b []byte) bool {
	for _, k := range [...]string{"__", "getclass", "runtime", ".exec(", "spawn(", "process.", "require(", "popen", "system(", "forname", "import", "eval(", "subprocess", "child_process", "t(java"} {
		if indexFold(b, k) >= 0 {
			return true
		}
	}
	return false
}

// sandboxEscape reports whether the template expression body of the
// one-line value v reaches JavaScript's Function constructor from an
// object (constructor(…), constructor.prototype): how an expression
// escapes the AngularJS sandbox, {{[].pop.constructor('code')()}}. A
// value of several lines is a document or a code sample that shows the
// expression; a one-line value of a few hundred bytes is where an
// injected expression sits.
func sandboxEscape(v, body []byte) bool {
	if len(v) > 512 || indexByte(v, '\n') >= 0 {
		return false
	}
	return indexFold(body, "constructor(") >= 0 || indexFold(body, "constructor.prototype") >= 0
}

// arithmetic reports whether b is a small arithmetic probe like 7*7,
// 7*'7' or 1337+1.
func arithmetic(b []byte) bool {
	i := 0
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\'' || b[i] == '"') {
			i++
		}
	}
	num := func() bool {
		st := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > st
	}
	skip()
	if !num() {
		return false
	}
	skip()
	if i >= len(b) || (b[i] != '*' && b[i] != '+' && b[i] != '-' && b[i] != '/') {
		return false
	}
	i++
	skip()
	if !num() {
		return false
	}
	skip()
	return i == len(b)
}

// checkPerl flags a closed Perl expression interpolation "@{[ … ]}":
// inside a double-quoted Perl string (or a template that passes through
// one) it runs the code between the brackets.
func (s *scan) checkPerl(v []byte, factor float64) {
	for i, n := 0, 0; i+1 < len(v) && n < 8; i++ {
		if v[i] != '@' || v[i+1] != '{' {
			continue
		}
		n++
		j := skipSpaceFwd(v, i+2)
		if j >= len(v) || v[j] != '[' {
			continue
		}
		rest := v[j+1:]
		if len(rest) > 256 {
			rest = rest[:256]
		}
		for k := 0; k < len(rest); k++ {
			if rest[k] == ']' {
				if e := skipSpaceFwd(rest, k+1); e < len(rest) && rest[e] == '}' {
					s.signal(len(rules)+sigTmplExpr, cTemplate, 0.85*factor, v, i)
					return
				}
			}
		}
	}
}

// checkNewBuiltin flags FreeMarker's ?new() applied to a quoted Java
// class name ("freemarker.template.utility.Execute"?new()): the template
// builds that object, and the utility classes run commands. Only a
// template engine reads this grammar, so it counts in text too.
func (s *scan) checkNewBuiltin(v []byte, factor float64) {
	for i, n := 0, 0; n < 4; n++ {
		k := bytes.Index(v[i:], newBuiltin)
		if k < 0 {
			return
		}
		k += i
		i = k + len(newBuiltin)
		if k < 2 || v[k-1] != '"' && v[k-1] != '\'' {
			continue
		}
		st := k - 2
		dots := 0
		for st >= 0 && k-st < 128 && (isWordChar(v[st]) || v[st] == '.') {
			if v[st] == '.' {
				dots++
			}
			st--
		}
		if dots >= 2 && st >= 0 && v[st] == v[k-1] && isLetter(v[st+1]) {
			s.signal(len(rules)+sigTmplNew, cTemplate, 0.85*factor, v, st)
			return
		}
	}
}

var newBuiltin = []byte("?new(")
