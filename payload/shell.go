package payload

// Command injection. A command word counts where a shell would run it:
// at the start of a value or after a separator, metacharacter or command
// prefix (shellContext, binCommand); a separator followed by a command
// line with options or paths (checkShellCmd); Windows batch FOR and IF
// (checkBatch).
//
// Shell evasions: ways of writing a command so that its name never
// appears as a word. Each check looks for the evasion's grammar and then
// asks the automaton whether what it hides is a command word, so the
// shapes are general and the command list stays in one place (rules).

import "bytes"

// shellEvasions runs the checks of this file that n's character
// classes cm and automaton triggers trig call for.
func (s *scan) shellEvasions(n []byte, cm uint32, trig flag) {
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
		for st > 0 {
			if k := braceVarBefore(v, st); k > 0 {
				st -= k
				continue
			}
			if !shellWordByte(v[st-1]) {
				break
			}
			st--
		}
		for e < len(v) {
			if k := braceVarAt(v, e); k > 0 {
				e += k
				continue
			}
			if !shellWordByte(v[e]) {
				break
			}
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
		case c == '$' && i > 0 && isWordChar(w[i-1]) && braceVarAt(w, i) > 0 && i+braceVarAt(w, i) < len(w) && isWordChar(w[i+braceVarAt(w, i)]):
			// "c${KK}url": a variable that splits a word, unset, so
			// empty. One that ends a word ("id${n}") is a template.
			i += braceVarAt(w, i) - 1
			continue
		case !isWordChar(c) && c != '-':
			// Anything else ($x, (, <) is not a plain word.
			return dst[:0]
		}
		dst = append(dst, c)
	}
	return dst
}

// braceVarAt returns the length of the expansion "${name}" at v[i], or 0.
func braceVarAt(v []byte, i int) int {
	if i+3 >= len(v) || v[i] != '$' || v[i+1] != '{' || !isIdentStart(v[i+2]) {
		return 0
	}
	for k := i + 3; k < len(v) && k-i < 34; k++ {
		switch {
		case v[k] == '}':
			return k + 1 - i
		case !isWordChar(v[k]):
			return 0
		}
	}
	return 0
}

// braceVarBefore returns the length of the expansion "${name}" that ends
// just before v[i], or 0.
func braceVarBefore(v []byte, i int) int {
	if i < 4 || v[i-1] != '}' {
		return 0
	}
	for k := i - 2; k >= 1 && i-k < 34; k-- {
		if v[k] == '{' {
			if v[k-1] == '$' && braceVarAt(v, k-1) == i-k+1 {
				return i - k + 1
			}
			return 0
		}
	}
	return 0
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
		if s.braceInWord(v, i, e) {
			s.signal(len(rules)+sigBraceCmd, cCommand, 0.85, v, i)
			return
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

// braceInWord reports whether the brace expansion v[i:e+1], glued to
// letters on both sides, makes a command word of its first alternative:
// "c{a,oun}t" is "cat count" to the shell. A brace set inside a word
// in code ("file{,.bak}", "std::{io,fs}") makes no command.
func (s *scan) braceInWord(v []byte, i, e int) bool {
	st := i
	for st > 0 && i-st < 16 && isLetter(v[st-1]) {
		st--
	}
	en := e + 1
	for en < len(v) && en-e < 16 && isLetter(v[en]) {
		en++
	}
	if st == i || en == e+1 {
		return false
	}
	el := splitComma(v[i+1 : e])[0]
	var buf [48]byte
	w := append(append(append(buf[:0], v[st:i]...), el...), v[e+1:en]...)
	return isCommandWord(w)
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

// shellUnquote appends v to dst without the quoting shells ignore inside
// words (c'a't, c\at, c^at, $@) and one-letter variables before a space
// or '/' ("$u wget"), which are unset and expand to nothing.
func shellUnquote(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\'', '"', '\\', '^':
			continue
		case '$':
			if i+1 < len(v) && (v[i+1] == '@' || v[i+1] == '*') {
				i++
				continue
			}
			if i+2 < len(v) && v[i+1] >= 'a' && v[i+1] <= 'z' && (v[i+2] == ' ' || v[i+2] == '/') {
				// "$u wget", "/et$c/": a one-letter variable, unset, so empty.
				i++
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

// shellContext reports how strongly the word at v[start:end] looks like a
// command: 0 when no shell metacharacter (or bin/ path) precedes it; 0.5
// when prose follows ("; cat lovers"); 2 (strongShell) when the metacharacter is glued
// to what precedes it or starts the value ("127.0.0.1|id", "x`uname`",
// ";ls -la"), the shape of an injected command; 1 otherwise.
func shellContext(v []byte, start, end int) float64 {
	if end < len(v) {
		switch v[end] {
		case ' ', '\t', '\n', '\r', ';', '|', '&', '`', ')', '>', '<', '\'', '"', '$', '{', '\\', '}':
		default:
			// ";id=5", "|cat[]", ";id::x", "; ps-AF": not a command.
			return 0
		}
	}
	i := start - 1
	for i >= 0 && (v[i] == ' ' || v[i] == '\t') {
		i--
	}
	if i < 0 {
		// The value starts with the command: only arguments that look
		// like a shell's count ("cat /etc/passwd", "ls -la").
		j := skipSpaceFwd(v, end)
		if j >= len(v) {
			if j > end && v[len(v)-1] == '\n' {
				// "cmd\n": a command line on its own.
				return 0.9
			}
			return 0
		}
		switch v[j] {
		case '/':
			if globPath(v, j) || sysDirAt(v[j:]) {
				// "cat /etc/pa[s]swd": a file named by a glob;
				// "cat /etc/x": a command line reading system files.
				return strongShell
			}
			return 0.9
		case ';', '|':
			if j == end && (j+1 == len(v) || v[j+1] != v[j] && !isLetter(v[j+1])) {
				// "whoami;…", "id|$x": a command glued to the
				// separator that chains the next one ("id;name" is a
				// list of fields).
				return strongShell
			}
			return 0.9
		case '-', '$', '~', '\'', '"', '&', '<', '>', '`':
			return 0.9
		}
		return 0
	}
	m := v[i]
	switch m {
	case ';', '|', '&', '`', '\n', '\r', '(', '{', '/', '>':
	default:
		if commandPrefix(v, i) {
			return strongShell
		}
		return 0
	}
	if m == '/' && !(i >= 3 && string(v[i-3:i+1]) == "bin/") {
		return 0
	}
	if m == '(' && !(i > 0 && (v[i-1] == '$' || v[i-1] == '<' || v[i-1] == '>')) {
		// $(cmd), and process substitution <(cmd), >(cmd).
		return 0
	}
	j := skipSpaceFwd(v, end)
	if j < len(v) && j > end {
		// "; cat lovers" reads like prose; "; cat /etc/x", "; curl
		// http://x" and "; ls -la" do not.
		k := j
		for k < len(v) && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z') {
			k++
		}
		if k > j && (k == len(v) || isSpace(v[k]) || v[k] == ',' || v[k] == '.' && (k+1 == len(v) || isSpace(v[k+1]))) {
			// ... unless an option follows the word: "; apt-get
			// install -y x".
			if o := skipSpaceFwd(v, k); !(o > k && o+1 < len(v) && v[o] == '-' && (isLetter(v[o+1]) || v[o+1] == '-')) {
				return 0.5
			}
		}
	}
	// A backtick after a space that closes right after the word is a
	// Markdown code span ("use `ls` to list"), not a substitution
	// glued to the text it extends ("x`id`").
	codeSpan := m == '`' && i > 0 && isSpace(v[i-1]) && end < len(v) && v[end] == '`'
	glued := i == 0 || !isSpace(v[i-1]) || m == '`' && !codeSpan || m == '(' || m == '\n'
	if glued && m != '/' && m != '{' && m != '>' {
		if (m == ';' || m == '&') && end-start <= 3 && (j >= len(v) || v[j] == ',') && i > 0 {
			if p := v[i-1]; p >= 'a' && p <= 'z' || p >= 'A' && p <= 'Z' {
				// "name;id", "r&d;env": a short word closing a list of
				// words is data ("127.0.0.1;id" is not).
				return 0.5
			}
		}
		return strongShell
	}
	if (m == ';' || m == '|' || m == '&') && separatorBreakout(v, i) {
		return strongShell
	}
	if j >= len(v) {
		// "Tom & Jerry & more": a spaced-out separator then a last word.
		return 0.5
	}
	return 1
}

// separatorBreakout reports whether the shell separator ending at v[i]
// (";", "|", "||", "&", "&&"), spaced from what precedes it, ends the
// argument the application put the value in: it follows a quote left
// open in a value's first token ("' & whoami", "x\" | id": the quote
// closes the application's string), or a first token that is a host
// name or address ("127.0.0.1 | whoami": the argument of a ping or
// lookup form). "Tom & Jerry", "'a' | b" (balanced quotes) and "the
// kids' & more" (more than one token) are not.
func separatorBreakout(v []byte, i int) bool {
	k := i
	for k > 0 && k > i-2 && v[k-1] == v[i] {
		k--
	}
	k = skipSpaceBack(v, k-1)
	if k < 0 {
		return false
	}
	// The whole text before the separator is one token: a string the
	// quote closes, or a host.
	for _, c := range v[:k+1] {
		if isSpace(c) {
			return false
		}
	}
	if q := v[k]; q == '\'' || q == '"' {
		return bytes.Count(v[:k+1], v[k:k+1])%2 == 1
	}
	dot, digit := false, false
	for _, c := range v[:k+1] {
		switch {
		case c == '.':
			dot = true
		case c >= '0' && c <= '9':
			digit = true
		case isLetter(c) || c == '-' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return dot && digit
}

// strongShell multiplies a command word's weight in the shape of an
// injected command (a metacharacter glued to what precedes it, or a
// command prefix such as sudo or sh -c).
const strongShell = 2.0

// commandPrefixes run the command that follows them.
var commandPrefixes = [...]string{"time", "nohup", "strace", "ltrace", "sudo", "xargs", "exec", "nice", "timeout", "watch", "busybox", "command", "builtin", "-c", "doas", "chroot"}

// commandPrefix reports whether the word ending at v[i] is a command
// prefix (sudo, nohup, sh -c …) that starts the value or follows a
// metacharacter.
func commandPrefix(v []byte, i int) bool {
	e := i + 1
	st := i
	for st >= 0 && (isWordChar(v[st]) || v[st] == '-') {
		st--
	}
	w := v[st+1 : e]
	ok := false
	for _, p := range commandPrefixes {
		if equalFoldStr(w, p) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	if string(w) == "-c" {
		return true
	}
	k := st
	for k >= 0 && isSpace(v[k]) {
		k--
	}
	return k < 0 || v[k] == ';' || v[k] == '|' || v[k] == '&' || v[k] == '`' || v[k] == '(' || v[k] == '\n'
}

// binCommand weighs a program path that starts the value
// ("/usr/bin/perl -e …", "/bin/unxz -c /var/log/x"): 1 when it names a
// program, 0 when the path is not at the start or names none. With its
// arguments it is a command line like "ls -la /var/www", which Warden
// leaves to the grey zone: a job runner's or CI service's "command"
// field holds one by design, and an injection needs a separator, a
// substitution or a system file, which the other checks weigh.
func binCommand(v []byte, start, end int) float64 {
	i := 0
	for i < start && (isSpace(v[i]) || v[i] == '\'' || v[i] == '"') {
		i++
	}
	if i != start {
		return 0
	}
	j := end
	for j < len(v) && j-end < 32 && (isWordChar(v[j]) || v[j] == '-' || v[j] == '.') {
		j++
	}
	if j-end < 2 {
		return 0
	}
	return 1
}

// checkBatch recognises Windows batch FOR … IN (…) DO and IF EXIST /
// DEFINED / ERRORLEVEL / comparisons at the start of a value or after a
// command separator.
func (s *scan) checkBatch(v []byte, factor float64) {
	for i, tries := 0, 0; i < len(v) && tries < 8; i++ {
		if i > 0 && v[i-1] != ' ' && v[i-1] != '&' && v[i-1] != '|' && v[i-1] != ';' && v[i-1] != '(' {
			continue
		}
		// The command must start the value or follow a separator.
		j := i - 1
		for j >= 0 && v[j] == ' ' {
			j--
		}
		if j >= 0 && v[j] != '&' && v[j] != '|' && v[j] != ';' && v[j] != '(' {
			continue
		}
		rest := v[i:]
		if len(rest) > 512 {
			rest = rest[:512]
		}
		isIf := len(rest) > 3 && (indexFold(rest[:3], "if ") == 0 || indexFold(rest[:3], "if/") == 0)
		isFor := len(rest) > 4 && indexFold(rest[:4], "for ") == 0
		if isIf || isFor {
			tries++
		}
		switch {
		case isFor:
			in := indexFold(rest, " in ")
			if in > 0 {
				if k := skipSpaceFwd(rest, in+4); k >= len(rest) || rest[k] != '(' {
					in = -1
				}
			}
			if in > 0 && (indexFold(rest[in:], ") do") > 0 || indexFold(rest[in:], ")do") > 0) {
				s.signal(len(rules)+sigBatch, cCommand, 0.85*factor, v, i)
				return
			}
		case isIf:
			n := 0
			for _, k := range [...]string{" exist ", " defined ", " errorlevel ", "==", " equ ", " neq ", " lss ", " leq ", " gtr ", " geq ", "/i ", " not ", " cmdextversion "} {
				if indexFold(rest, k) > 0 {
					n++
				}
			}
			// The condition's command: a variable, a batch keyword, or
			// a parenthesised block ("IF EXIST x (CMD)").
			block := false
			if p := indexByte(rest, '('); p > 0 && rest[p-1] == ' ' {
				block = true
			}
			if n > 0 && (block || indexByte(rest, '%') >= 0 || indexFold(rest, "echo") > 0 || indexFold(rest, "set ") > 0 || indexFold(rest, "exit") > 0 || indexFold(rest, "goto") > 0 || indexFold(rest, "call ") > 0 || n > 1) {
				s.signal(len(rules)+sigBatch, cCommand, 0.8*factor, v, i)
				return
			}
		}
	}
}

// checkShellCmd flags a command line after a shell separator (";",
// "|", "&&", "$(", "`"): a lowercase command word followed by an option
// ("; perf --version", "|nc -e sh") or a path ("; cat /etc/x"). Prose
// puts words, not options or paths, after a semicolon; cookies and
// header parameters put "name=".
func (s *scan) checkShellCmd(v []byte) {
	best := 0.0
	at := 0
	for p, n := 0, 0; p < len(v) && n < 16; p++ {
		if charClass[v[p]]&cmShell == 0 {
			continue
		}
		c := v[p]
		j := p + 1
		switch {
		case c == ';' || c == '|' || c == '`':
			if j < len(v) && v[j] == '|' {
				j++
			}
		case c == '&' && j < len(v) && v[j] == '&':
			j++
		case c == '$' && j < len(v) && v[j] == '(':
			j++
		default:
			continue
		}
		n++
		j = skipSpaceFwd(v, j)
		st := j
		for j < len(v) && j-st <= 32 && (v[j] >= 'a' && v[j] <= 'z' || j > st && (v[j] >= '0' && v[j] <= '9' || v[j] == '-' || v[j] == '_' || v[j] == '.')) {
			j++
		}
		if j-st < 2 || j-st > 32 || j == len(v) {
			continue
		}
		w := 0.0
		switch {
		case v[j] == ' ' || v[j] == '\t':
			k := skipSpaceFwd(v, j)
			switch {
			case k+2 < len(v) && v[k] == '-' && (isLetter(v[k+1]) || v[k+1] == '-' && isLetter(v[k+2])):
				w = 0.8
			case k < len(v) && v[k] == '$':
				w = 0.7
			case k < len(v) && (v[k] == '/' || v[k] == '~' || v[k] == '.'):
				// A path with at least two segments: "/etc/passwd",
				// "~/.ssh/id_rsa", "./x/y"; not "see /about".
				e := k
				for e < len(v) && v[e] != ' ' && v[e] != '\n' && e-k < 128 {
					e++
				}
				if bytes.Count(v[k:e], []byte("/")) >= 2 {
					w = 0.7
				}
			}
		}
		if w > best {
			best, at = w, st
		}
	}
	if best > 0 {
		s.signal(len(rules)+sigShellCmd, cCommand, best, v, at)
	}
}
