package payload

// Shell evasions: ways of writing a command so that its name never
// appears as a word. Each check looks for the evasion's grammar and then
// asks the automaton whether what it hides is a command word, so the
// shapes are general and the command list stays in one place (rules).

// shellEvasions runs the checks of this file that n's character
// classes cm and automaton triggers trig call for.
func (s *scan) shellEvasions(n []byte, cm uint16, trig flag) {
	if cm&(cmQuote|cmShell) != 0 {
		s.checkQuotedCmd(n)
	}
	if trig&trigBrace != 0 {
		s.checkBraceCmd(n)
	}
	if trig&trigShFunc != 0 {
		s.checkShellFunc(n)
	}
	if cm&cmShell != 0 && trig&eqParen != 0 {
		s.checkShellVars(n)
	}
}

// isCommandWord reports whether w, in any case, is one of the command
// words of the rules (those checked in shell context).
func isCommandWord(w []byte) bool {
	if len(w) < 2 || len(w) > 24 {
		return false
	}
	for _, p := range commandPrefixes {
		if p[0] != '-' && equalFoldStr(w, p) {
			return true
		}
	}
	found := false
	matcher.Scan(w, func(id, end int) bool {
		r := &rules[id]
		if r.class == cCommand && r.flags&shell != 0 && end == len(w) && len(r.pat) == len(w) {
			found = true
			return false
		}
		return true
	})
	return found
}

// isShellQuote reports whether c is quoting a shell removes inside a
// word.
func isShellQuote(c byte) bool {
	return c == '\'' || c == '"' || c == '\\' || c == '`'
}

// shellWordByte reports whether c can be part of a shell word written
// with quoting and empty expansions: c'a't, cu$@rl, ping“, pi$()ng.
func shellWordByte(c byte) bool {
	return isWordChar(c) || c == '-' || isShellQuote(c) || c == '$' || c == '@' || c == '*' || c == '(' || c == ')' || c == '<'
}

// checkQuotedCmd flags a command word written with quoting or empty
// expansions inside it ("c'a't", "'wh'oami", "cu$@rl", "ping“",
// "pi$()ng"), which the shell removes and which no prose or data
// needs: "O'Reilly" and "don't" do not unquote to commands, and a word
// quoted as a whole ("'id'") hides nothing.
func (s *scan) checkQuotedCmd(v []byte) {
	var buf [32]byte
	for i, n := 0, 0; i < len(v) && n < 16; i++ {
		c := v[i]
		if !isShellQuote(c) && c != '$' && c != '<' {
			continue
		}
		n++
		st, e := i, i
		for st > 0 && shellWordByte(v[st-1]) {
			st--
		}
		for e < len(v) && shellWordByte(v[e]) {
			e++
		}
		i = e
		w := v[st:e]
		if !balancedQuotes(w) {
			// "I'd", "Let's": an apostrophe, not shell quoting, which
			// comes in pairs.
			continue
		}
		// A word quoted as a whole hides nothing: 'id', `ls` (Markdown
		// code), \dir (a Windows path), \"id\" (JSON in JSON).
		for len(w) > 0 && isShellQuote(w[0]) {
			w = w[1:]
		}
		for len(w) > 0 && (w[len(w)-1] == '\'' || w[len(w)-1] == '"' || w[len(w)-1] == '\\') {
			w = w[:len(w)-1]
		}
		if len(w) >= 2 && w[len(w)-1] == '`' && w[len(w)-2] != '`' {
			// A closing Markdown backtick; "ping``" is an empty
			// substitution.
			w = w[:len(w)-1]
		}
		if len(w) < 3 || len(w) > len(buf) {
			continue
		}
		u := unquoteWord(buf[:0], w)
		if len(u) == len(w) || len(u) < 2 {
			continue
		}
		if isCommandWord(u) {
			s.signal(len(rules)+sigQuotedCmd, cCommand, 0.85, v, st)
			return
		}
	}
}

// balancedQuotes reports whether w holds an even number of single
// quotes, of double quotes and of backticks.
func balancedQuotes(w []byte) bool {
	var sq, dq, bt int
	for _, c := range w {
		switch c {
		case '\'':
			sq++
		case '"':
			dq++
		case '`':
			bt++
		}
	}
	return sq%2 == 0 && dq%2 == 0 && bt%2 == 0
}

// unquoteWord appends w to dst without the quoting and empty expansions
// the shell removes: quotes and backslashes, $@ and $*, “, $() and
// <(), and one-letter variables that are unset ($u).
func unquoteWord(dst, w []byte) []byte {
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case isShellQuote(c):
			continue
		case c == '$' && i+1 < len(w) && (w[i+1] == '@' || w[i+1] == '*'):
			i++
			continue
		case (c == '$' || c == '<') && i+1 < len(w) && w[i+1] == '(' && i+2 < len(w) && w[i+2] == ')':
			i += 2
			continue
		case c == '$' && i+1 < len(w) && isLetter(w[i+1]) && (i+2 == len(w) || !isWordChar(w[i+2])):
			i++
			continue
		case !isWordChar(c) && c != '-':
			// Anything else ($x, (, <) is not a plain word.
			return dst[:0]
		}
		dst = append(dst, c)
	}
	return dst
}

// checkBraceCmd flags bash brace expansion used to write a command with
// arguments and no spaces: "{cat,/etc/passwd}", "{id,}", "{,ifconfig}".
// The first non-empty element must be a command word (quoting inside
// it removed): a JSON object or a set of names ("{a,b}") is not one.
func (s *scan) checkBraceCmd(v []byte) {
	var buf [32]byte
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '{' {
			continue
		}
		n++
		e := -1
		comma := false
		for k := i + 1; k < len(v) && k-i < 128; k++ {
			c := v[k]
			if c == '}' {
				e = k
				break
			}
			if c == ',' {
				comma = true
			}
			if isSpace(c) || c == '{' || c == ':' || c == '"' {
				break
			}
		}
		if e < 0 || !comma {
			continue
		}
		for _, el := range splitComma(v[i+1 : e]) {
			if len(el) == 0 {
				continue
			}
			if len(el) <= len(buf) {
				if u := unquoteWord(buf[:0], el); isCommandWord(u) {
					s.signal(len(rules)+sigBraceCmd, cCommand, 0.85, v, i)
					return
				}
			}
			break
		}
		i = e
	}
}

// splitComma splits b at commas, at most 8 parts.
func splitComma(b []byte) [][]byte {
	var out [][]byte
	for len(out) < 7 {
		k := indexByte(b, ',')
		if k < 0 {
			break
		}
		out = append(out, b[:k])
		b = b[k+1:]
	}
	return append(out, b)
}

// checkShellFunc flags a shell function defined and then called in the
// same value, the shape of a fork bomb ":(){ :|:& };:" and of payloads
// that hide a command in a function body: name(){ … }; name.
func (s *scan) checkShellFunc(v []byte) {
	for i, n := 0, 0; i+2 < len(v) && n < 8; i++ {
		if v[i] != '(' || v[i+1] != ')' {
			continue
		}
		n++
		b := skipSpaceFwd(v, i+2)
		if b >= len(v) || v[b] != '{' {
			continue
		}
		// The name: a word, or shell punctuation such as ':' or '.'.
		st := i
		for st > 0 && i-st < 32 && (isWordChar(v[st-1]) || v[st-1] == ':' || v[st-1] == '.' || v[st-1] == '-') {
			st--
		}
		if st == i {
			continue
		}
		name := v[st:i]
		e := matchFwd(v, b, '{', '}')
		if e < 0 {
			continue
		}
		k := skipSpaceFwd(v, e+1)
		if k >= len(v) || (v[k] != ';' && v[k] != '&' && v[k] != '\n' && v[k] != '|') {
			continue
		}
		k = skipSpaceFwd(v, k+1)
		if k+len(name) <= len(v) && string(v[k:k+len(name)]) == string(name) &&
			(k+len(name) == len(v) || !isWordChar(v[k+len(name)])) {
			s.signal(len(rules)+sigShellFunc, cCommand, 0.85, v, st)
			return
		}
	}
}

// checkShellVars flags a command assembled from shell variables: two or
// more assignments chained with ';' or '&&' and then two or more
// expansions of the variables assigned ("a=/etc&&b=/passwd&&c=cat&&$c
// $a$b"). Query strings chain with a single '&' and never expand.
func (s *scan) checkShellVars(v []byte) {
	var names [8][]byte
	nn := 0
	for i := 0; i < len(v) && nn < len(names); {
		// An assignment starts the value or follows ; && || or newline.
		if i > 0 {
			p := v[i-1]
			if p != ';' && p != '&' && p != '|' && p != '\n' && p != ' ' {
				i++
				continue
			}
			if p == '&' && (i < 2 || v[i-2] != '&') || p == ' ' && !afterSep(v, i-1) {
				i++
				continue
			}
		}
		j := i
		for j < len(v) && j-i < 32 && isWordChar(v[j]) {
			j++
		}
		if j > i && j < len(v) && v[j] == '=' && isIdentStart(v[i]) {
			names[nn] = v[i:j]
			nn++
		}
		i = j + 1
	}
	if nn < 2 {
		return
	}
	refs := 0
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '$' {
			continue
		}
		j := i + 1
		if v[j] == '{' {
			j++
		}
		k := j
		for k < len(v) && k-j < 32 && isWordChar(v[k]) {
			k++
		}
		for _, nm := range names[:nn] {
			if string(v[j:k]) == string(nm) {
				refs++
				break
			}
		}
	}
	if refs >= 2 {
		s.signal(len(rules)+sigShellVars, cCommand, 0.85, v, 0)
	}
}

// afterSep reports whether the spaces ending at v[i] follow a shell
// separator (; & | newline).
func afterSep(v []byte, i int) bool {
	for i >= 0 && v[i] == ' ' {
		i--
	}
	return i >= 0 && (v[i] == ';' || v[i] == '&' || v[i] == '|' || v[i] == '\n')
}

// globPath reports whether the argument starting at v[j] is an absolute
// path with a shell glob in it ("/etc/pa[s]swd", "/ET*/*WD"): a file
// named by pattern, which the shell expands and no form field holds.
func globPath(v []byte, j int) bool {
	if j >= len(v) || v[j] != '/' {
		return false
	}
	glob := false
	for k := j; k < len(v) && k-j < 128 && !isSpace(v[k]); k++ {
		switch v[k] {
		case '*', '?':
			glob = true
		case '[':
			if matchFwd(v, k, '[', ']') > k+1 {
				glob = true
			}
		}
	}
	return glob
}
