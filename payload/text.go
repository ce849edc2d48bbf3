package payload

// Checks for text a person wrote (kindText, kindProse, kindMarkdown,
// kindCode). Such a value is stored through a parameterised or quoted
// string, shown in a page, perhaps rendered by a template and written to
// a log. An attack on it must break out of one of those places or run in
// it:
//
//   - SQL: a quote that closes a string (or a number that ends a numeric
//     literal) followed by SQL that continues the statement: a condition,
//     UNION SELECT, a stacked statement, a comment cutting the rest off;
//   - HTML: outside code spans and fences, a script element, an event
//     handler or a javascript: URL that calls something an attacker
//     wants (alert, eval, fetch, document.cookie, …);
//   - templates: an expression that reaches for code or object internals;
//   - logs: a JNDI lookup (a logger does not care about code spans);
//   - shell: a value that starts with a command separator.
//
// Mentioning SELECT, <script>, /etc/passwd, `rm -rf ./build` or
// <?php system(...) ?> in a sentence, a code block or a search does none
// of these.

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/warden-dev/warden/payload/internal/decode"
)

const (
	maxTextQuotes = 64  // quotes read on from for a SQL breakout per value, and one per 64 bytes
	maxTextTags   = 256 // tags examined per value
	maxTagBytes   = 1024
	// maxSpan bounds the search for the end of a code span: runs of
	// backticks of lengths that never close would otherwise each cost a
	// search to the end of the line.
	maxSpan = 1024
)

// inspectText runs the checks for text of kind k on v, whose character
// classes are cm.
// inspectSecret runs the checks on a value whose field is named for a
// secret (a password, a token). An application stores such a value hashed
// or compares it; it never shows or runs it. So only the evidence that
// it breaks out of where a legacy application may still put it counts:
// a quote that closes an SQL string (the classic ' OR '1'='1 login
// bypass), an LDAP filter (a bind with )(uid=*)), a JNDI lookup for a
// logger. A strong random password matches SQL and XSS fingerprints by
// chance; it is not judged by them.
func (s *scan) inspectSecret(v []byte) {
	s.kind = kindText
	if !s.d.disabled[cSQLi] && bytes.ContainsAny(v, `'"`) {
		s.textSQLQuotes(v, 1)
	}
	if !s.d.disabled[cLog4Shell] && indexFold(v, "${") >= 0 {
		s.checkJNDI(v, 1)
	}
	if !s.d.disabled[cLDAP] && indexFold(v, ")(") >= 0 {
		s.checkLDAP(v, 1)
	}
	s.kind = kindStructured
}

func (s *scan) inspectText(v []byte, cm uint32, k valueKind) {
	s.kind = k
	tb := textBytesOf(v)
	if !s.d.disabled[cSQLi] && len(v) > 0 && (tb&tbQuote != 0 || sqlMayContinue(v) || v[0] >= '0' && v[0] <= '9') {
		s.textSQL(v, 1)
	}
	shown := v
	if (k == kindProse || k == kindMarkdown) && tb&tbCode != 0 {
		s.xbuf = maskCode(s.xbuf[:0], v)
		shown = s.xbuf
	}
	if !s.d.disabled[cXSS] {
		if tb&tbMarkup != 0 {
			s.textHTML(shown, 1, k == kindCode)
		}
		if cm&cmDecode != 0 {
			if n, flags := s.dec.Normalize(shown); flags != 0 {
				s.textHTML(n, 0.95, k == kindCode)
			}
		}
	}
	// Short text is often reflected into the page that answers it ("you
	// searched for …"), in an element or an attribute: it gets every XSS
	// check. Prompt-injection phrases are meant for text: they run where
	// text lands, in a model.
	// Short text that starts with a quote, as a search may, closes the
	// query's string right away: it is judged as SQL whole ("'{…}'::jsonb
	// #- '{1,b}'"). Prose and code start with quotes for their own
	// reasons ('use client'; """docstring""").
	mask := classMask(1 << cPrompt)
	if k == kindText && !(tb&tbMarkup != 0 && (inertTags(shown) || inertMarkup(shown))) {
		mask |= 1 << cXSS
		if j := skipSpaceFwd(v, 0); j < len(v) && (v[j] == '\'' || v[j] == '"') {
			mask |= 1 << cSQLi
		}
	}
	s.analyze(shown, 1, mask)
	if !s.d.disabled[cTemplate] && tb&tbBrace != 0 {
		// checkTemplate leaves ${…} in code alone: there it is an
		// interpolation, not a server template.
		s.checkTemplate(shown, 1)
	}
	if !s.d.disabled[cLog4Shell] && tb&tbDollar != 0 && indexFold(v, "${") >= 0 {
		s.checkJNDI(v, 1)
	}
	if !s.d.disabled[cTemplate] && tb&tbQuote != 0 {
		s.checkNewBuiltin(shown, 1)
	}
	if !s.d.disabled[cCommand] {
		s.textShell(shown)
	}
	if !s.d.disabled[cLDAP] && tb&tbClose != 0 && indexFold(v, ")(") >= 0 {
		// A filter term after a closing parenthesis closes the
		// application's LDAP filter: a search box is a query.
		s.checkLDAP(v, 1)
	}
	s.kind = kindStructured
}

// inertTags reports whether v names HTML elements and does nothing with
// them: it holds tags, every '<' starts a tag with no attribute ("<iframe>",
// "</table>"), none is a script or style element, and no quote, '=' or
// '(' is there to break out of an attribute or call anything. A search
// for "<iframe>" reflected into a page adds an empty frame; it runs
// nothing.
func inertTags(v []byte) bool {
	tags := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\'', '"', '`', '=', '(':
			return false
		case '<':
			j := i + 1
			if j < len(v) && v[j] == '/' {
				j++
			}
			st := j
			for j < len(v) && isLetter(v[j]) {
				j++
			}
			if j == st || j >= len(v) || v[j] != '>' {
				return false
			}
			name := v[st:j]
			if equalFoldStr(name, "script") || equalFoldStr(name, "style") {
				return false
			}
			tags++
			i = j
		}
	}
	return tags > 0
}

// Bytes the text checks look for, gathered in one pass so that each
// check reads a value only when it can find something.
const (
	tbQuote  = 1 << iota // ' "
	tbCode               // ` ~ (code spans and fences)
	tbMarkup             // < ] (tags, markdown links)
	tbBrace              // {
	tbDollar             // $
	tbClose              // )
)

var textByte = func() (t [256]uint8) {
	t['\''], t['"'] = tbQuote, tbQuote
	t['`'], t['~'] = tbCode, tbCode
	t['<'], t[']'] = tbMarkup, tbMarkup
	t['{'] = tbBrace
	t['$'] = tbDollar
	t[')'] = tbClose
	return t
}()

func textBytesOf(v []byte) uint8 {
	var m uint8
	for _, c := range v {
		m |= textByte[c]
	}
	return m
}

// maskCode appends v to dst with the contents of fenced code blocks
// (``` and ~~~) and inline code spans blanked: code shown as code does
// not run in the page. Line breaks are kept.
func maskCode(dst, v []byte) []byte {
	start := len(dst)
	dst = append(dst, v...)
	b := dst[start:]
	blank := func(from, to int) {
		for j := from; j < to; j++ {
			if b[j] != '\n' {
				b[j] = ' '
			}
		}
	}
	lineStart := true
	for i := 0; i < len(b); {
		c := b[i]
		if lineStart && (hasPrefixAt(b, i, "```") || hasPrefixAt(b, i, "~~~")) {
			// A fence runs to the next line starting with the same
			// marker, or to the end.
			marker := string(b[i : i+3])
			end := len(b)
			for j := i + 3; j < len(b); j++ {
				if b[j] == '\n' {
					k := j + 1
					for k < len(b) && (b[k] == ' ' || b[k] == '\t') {
						k++
					}
					if hasPrefixAt(b, k, marker) {
						end = k + 3
						break
					}
				}
			}
			blank(i, end)
			i = end
			continue
		}
		switch {
		case c == '\n':
			lineStart = true
			i++
			continue
		case c == ' ' || c == '\t':
			i++
			continue
		}
		lineStart = false
		if c != '`' {
			i++
			continue
		}
		// A code span: a run of backticks closed by a run of the same
		// length on the same paragraph (bounded to the line here).
		n := 0
		for i+n < len(b) && b[i+n] == '`' {
			n++
		}
		closeAt := -1
		for j := i + n; j < len(b) && j < i+maxSpan && b[j] != '\n'; j++ {
			if b[j] != '`' {
				continue
			}
			m := 0
			for j+m < len(b) && b[j+m] == '`' {
				m++
			}
			if m == n {
				closeAt = j
				break
			}
			j += m - 1
		}
		if closeAt < 0 {
			i += n
			continue
		}
		blank(i, closeAt+n)
		i = closeAt + n
	}
	return dst
}

// textSQL signals SQL that breaks out of a string or numeric literal.
func (s *scan) textSQL(v []byte, factor float64) {
	if s.sqlLeads(v) {
		s.signal(len(rules)+sigTextSQL, cSQLi, 0.9*factor, v, 0)
		return
	}
	s.textSQLQuotes(v, factor)
}

// sqlLeads reports whether v goes on as SQL from its start, as if a
// literal had ended before it: "OR 1=1", "UNION SELECT …" (the
// application supplies the literal), or after a numeric literal: "1 OR
// 1=1", "1; DROP TABLE users".
func (s *scan) sqlLeads(v []byte) bool {
	if !hasPrefixAt(v, 0, "/*") && !hasPrefixAt(v, 0, "--") && !hasPrefixAt(v, 0, "#") && sqlMayContinue(v) && s.sqlContinues(v) {
		return true
	}
	if len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i < len(v) && (isSpace(v[i]) || v[i] == ')' || v[i] == ';') && s.sqlContinues(v[i:]) {
			return true
		}
	}
	return false
}

// maxPathSegments bounds the path segments pathSQL reads.
const maxPathSegments = 32

// pathSQL signals a path segment that goes on as SQL after the literal
// the application puts it in ("/items/OR '{…}' @> '{…}'"): a REST
// route's segment is an id, and ids go into queries.
func (s *scan) pathSQL(v []byte, factor float64) {
	for i, n := 0, 0; i+1 < len(v) && n < maxPathSegments; i++ {
		if v[i] != '/' {
			continue
		}
		n++
		seg := v[i+1:]
		c := seg[0]
		if !isLetter(c) && (c < '0' || c > '9') && c != ';' && c != '|' && c != '&' && c != ')' {
			// "--", "#" and "/*" alone are not cut off from an
			// operand here.
			continue
		}
		if (c < '0' || c > '9') && !sqlMayContinue(seg) {
			continue
		}
		if s.sqlLeads(seg) {
			s.signal(len(rules)+sigTextSQL, cSQLi, 0.9*factor, v, i+1)
			return
		}
	}
}

// textSQLQuotes finds a quote in v that closes the application's string
// and SQL that goes on after it.
func (s *scan) textSQLQuotes(v []byte, factor float64) {
	// A quote that closes the application's string is one the value
	// did not open: of each kind, an odd one out (apostrophes inside
	// words, as in "don't", are not quotes). And it is glued to what it
	// closes: "admin'", "1'", "x')"; an opening quote follows a space.
	//
	// Every quote is looked at, as padding put before the breakout
	// would otherwise hide it; the checks that read on from a quote are
	// bounded instead, and a value that exhausts them was not inspected
	// in full.
	var open [2]bool // ' and " opened by the value and not yet closed
	budget := maxTextQuotes + len(v)/64
	for i := 0; i < len(v); i++ {
		k := bytes.IndexAny(v[i:], `'"`)
		if k < 0 {
			return
		}
		i += k
		c := v[i]
		if c == '\'' && i > 0 && i+1 < len(v) && isLetter(v[i-1]) && isLetter(v[i+1]) {
			continue
		}
		q := 0
		if c == '"' {
			q = 1
		}
		if open[q] {
			open[q] = false
			continue
		}
		glued := i == 0 || isWordChar(v[i-1]) || v[i-1] == ')' || v[i-1] == '%'
		if glued && sqlMayContinue(v[i+1:]) {
			if budget--; budget < 0 {
				s.incomplete |= incChecks
				return
			}
			if s.sqlContinues(v[i+1:]) {
				s.signal(len(rules)+sigTextSQL, cSQLi, 0.9*factor, v, i)
				return
			}
		}
		open[q] = true
	}
}

// sqlMayContinue is sqlContinues' cheap first look: after spaces and
// closing parentheses, SQL that continues a statement starts with one of
// these bytes (OR, AND, XOR, UNION, ORDER, GROUP, WHERE, HAVING, ;, ||,
// &&, --, #, /*, an operator).
func sqlMayContinue(rest []byte) bool {
	j := 0
	for j < len(rest) && j < 32 && (isSpace(rest[j]) || rest[j] == ')') {
		j++
	}
	if j >= len(rest) {
		return false
	}
	switch rest[j] | 0x20 {
	case ';', '|', '&', '-', '#', '/':
		return true
	case '<', '=', '>', '+', '*', '%', '^', '!':
		// An operator: sqlContinues wants an operand and a comment
		// that ends the value after it.
		return true
	case 'o', 'a', 'x', 'u', 'g', 'w', 'h':
		// A whole word: "accounts" and "users" go on as prose.
		k := j
		for k < len(rest) && k-j < 6 && isLetter(rest[k]) {
			k++
		}
		if k < len(rest) && isWordChar(rest[k]) {
			return false
		}
		w := rest[j:k]
		return equalFoldStr(w, "or") || equalFoldStr(w, "and") || equalFoldStr(w, "xor") ||
			equalFoldStr(w, "union") || equalFoldStr(w, "order") || equalFoldStr(w, "group") ||
			equalFoldStr(w, "where") || equalFoldStr(w, "having")
	}
	return false
}

// sqlContinues reports whether rest, what follows a closed literal, goes
// on as SQL: after closing parentheses, a condition after OR / AND, UNION
// SELECT, a stacked statement, ORDER / GROUP BY, or a comment that cuts
// the original statement off.
func (s *scan) sqlContinues(rest []byte) bool {
	if len(rest) > 160 {
		rest = rest[:160]
	}
	j := 0
	for j < len(rest) && (isSpace(rest[j]) || rest[j] == ')') {
		j++
	}
	if commentEnds(rest, j) {
		return true
	}
	s.toks = sqlTokens(s.toks[:0], rest)
	t := s.toks
	i := 0
	for i < len(t) && t[i].kind == tClose {
		i++
	}
	if i >= len(t) {
		return false
	}
	switch {
	case t[i].kind == tSemi:
		return i+1 < len(t) && stackedWord(rest, t[i+1])
	case tokIs(rest, t[i], "union"):
		k := i + 1
		if k < len(t) && (tokIs(rest, t[k], "all") || tokIs(rest, t[k], "distinct")) {
			k++
		}
		return k < len(t) && tokIs(rest, t[k], "select") && selectList(rest, t[k+1:])
	case tokIs(rest, t[i], "order") || tokIs(rest, t[i], "group"):
		return i+2 < len(t) && tokIs(rest, t[i+1], "by") && (t[i+2].kind == tNum || t[i+2].kind == tWord) && (i+3 == len(t) || t[i+3].kind == tComment || t[i+3].kind == tComma)
	case isConj(rest, t[i]) && !tokIs(rest, t[i], "not") && !tokIs(rest, t[i], "when"):
		return sqlCondition(rest, t, i+1) || jsonCondition(rest[t[i].end:])
	case sqlOperator(rest, t[i]):
		// "x'|email--", "x'<pass--": an operator and an operand after
		// the literal, and a comment that cuts the rest off.
		return i+2 < len(t) && isOperand(t[i+1]) && t[i+2].kind == tComment && commentEnds(rest, int(t[i+2].start))
	}
	return false
}

// sqlOperator reports whether token t of v is a comparison, bitwise or
// arithmetic operator.
func sqlOperator(v []byte, t token) bool {
	switch t.kind {
	case tOp:
		return true
	case tOther:
		switch v[t.start] {
		case '+', '-', '*', '/', '%', '^':
			return true
		}
	}
	return false
}

// commentEnds reports whether rest[j:] is a comment that cuts off the
// rest of the statement ("admin'--", "admin'#", "x'/*"): nothing but
// spaces after -- or #, no */ after /*. A comment followed by more text
// is what code looks like: echo "$x" # prints it.
func commentEnds(rest []byte, j int) bool {
	switch {
	case hasPrefixAt(rest, j, "/*"):
		return indexFold(rest[j+2:], "*/") < 0
	case hasPrefixAt(rest, j, "--"):
		j += 2
	case hasPrefixAt(rest, j, "#"):
		j++
	default:
		return false
	}
	for j < len(rest) && isSpace(rest[j]) {
		j++
	}
	return j == len(rest)
}

// selectList reports whether the tokens after SELECT read as SQL rather
// than words ("union select committee"): a number, NULL, *, a call, a
// list, a variable, a string, FROM, or a comment.
func selectList(v []byte, t []token) bool {
	for _, tk := range t[:min(len(t), 8)] {
		switch tk.kind {
		case tNum, tOpen, tComma, tQuote, tComment:
			return true
		case tOther:
			if c := v[tk.start]; c == '*' || c == '@' {
				return true
			}
		case tWord:
			if tokIs(v, tk, "null") || tokIs(v, tk, "from") || v[tk.start] == '@' {
				return true
			}
		}
	}
	return false
}

// sqlCondition reports whether the tokens from i are a condition an
// injection would add: [(]* operand cmp operand (1=1, 'a'='a', x LIKE
// '%'), a time or error function call, or a literal truth followed by a
// comment or the end (OR 1--, OR true).
func sqlCondition(v []byte, t []token, i int) bool {
	for i < len(t) && t[i].kind == tOpen {
		i++
	}
	operand := func(j int) (int, bool) {
		q := j < len(t) && t[j].kind == tQuote
		if q {
			j++
		}
		switch {
		case j >= len(t):
			return j, q // a quote that ends the value opens a string the application closes: ''='
		case q && t[j].kind == tQuote:
			return j + 1, true // '' is an operand
		case !isOperand(t[j]):
			return j, false
		}
		j++
		if q && j < len(t) && t[j].kind == tQuote {
			j++
		}
		return j, true
	}
	if i >= len(t) {
		return false
	}
	if t[i].kind == tWord && i+1 < len(t) && t[i+1].kind == tOpen {
		for _, f := range [...]string{"sleep", "benchmark", "pg_sleep", "extractvalue", "updatexml", "ascii", "substring", "substr", "exists", "if", "char", "length"} {
			if tokIs(v, t[i], f) {
				return true
			}
		}
		return false
	}
	j, ok := operand(i)
	if !ok {
		return false
	}
	if j < len(t) && (t[j].kind == tComment || t[j].kind == tSemi) {
		// "OR 1--", "OR true #", "OR true;": a literal truth, the rest
		// cut off or the statement ended.
		return t[i].kind == tNum || tokIs(v, t[i], "true")
	}
	if j >= len(t) || !isCmp(v, t[j]) {
		return false
	}
	if t[j].kind != tOp {
		// A comparison keyword reads as a word in a sentence ("or
		// 'maps' in other languages") unless SQL follows it: IN (…),
		// LIKE '…', IS NULL.
		next := j + 1
		switch {
		case next >= len(t):
			return false
		case tokIs(v, t[j], "in"):
			return t[next].kind == tOpen
		case tokIs(v, t[j], "is"):
			return tokIs(v, t[next], "null") || tokIs(v, t[next], "not") || tokIs(v, t[next], "true")
		default:
			return t[next].kind == tQuote || t[next].kind == tNum
		}
	}
	_, ok = operand(j + 1)
	return ok
}

// jsonOps are the JSON operators of PostgreSQL, MySQL and SQLite that
// make a condition of a JSON value: containment, key existence, path
// extraction.
var jsonOps = [...]string{"->>", "->", "#>>", "#>", "@>", "<@", "?|", "?&", "@?", "@@", "?"}

// jsonCondition reports whether b, what follows OR / AND, is a condition
// on a JSON value: a string literal (cast with ::json or ::jsonb or not)
// followed by a JSON operator ("OR '{"a":1}' @> '{"a":1}'", "OR '[1]' ?
// '1'"), or a call to a JSON function ("OR json_extract(…) = …"). Such
// conditions are how injections get past filters that know only = and
// LIKE.
func jsonCondition(b []byte) bool {
	j := 0
	for j < len(b) && (isSpace(b[j]) || b[j] == '(') {
		j++
	}
	if j >= len(b) {
		return false
	}
	if b[j] != '\'' {
		k := j
		for k < len(b) && k-j < 32 && (isWordChar(b[k])) {
			k++
		}
		return k-j > 4 && hasPrefixFold(b[j:k], "json") && skipCodeSpace(b, k) < len(b) && b[skipCodeSpace(b, k)] == '('
	}
	e := indexByte(b[j+1:min(len(b), j+1+256)], '\'')
	if e < 0 {
		return false
	}
	k := j + 1 + e + 1
	if k+2 < len(b) && b[k] == ':' && b[k+1] == ':' {
		k += 2
		for k < len(b) && isLetter(b[k]) {
			k++
		}
	}
	k = skipSpaceFwd(b, k)
	for _, op := range jsonOps {
		if hasPrefixAt(b, k, op) {
			// The operand after it is SQL too: a literal, a number,
			// an ARRAY[…] or a parenthesis; not a word ("'why' ? yes").
			o := skipSpaceFwd(b, k+len(op))
			return o < len(b) && (b[o] == '\'' || b[o] >= '0' && b[o] <= '9' || b[o] == '(' || hasPrefixFold(b[o:], "array"))
		}
	}
	return false
}

// hasPrefixFold reports whether b starts with the lower-case p, folding
// ASCII case.
func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && equalFoldStr(b[:len(p)], p)
}

// textShell signals a value that starts with a command separator (after
// an optional closing quote) followed by a command: "; cat /etc/passwd",
// "' && whoami", "$(id)", or with a Windows batch construct. Anywhere
// else in text, a separator is punctuation or a pipeline someone is
// writing about.
func (s *scan) textShell(v []byte) {
	i := 0
	for i < len(v) && (isSpace(v[i]) || v[i] == '\'' || v[i] == '"') {
		i++
	}
	if i >= len(v) {
		return
	}
	head := v[i:]
	if len(head) > 256 {
		head = head[:256]
	}
	switch c := v[i]; {
	case c == ';' || c == '|' || c == '&' || c == '`' || c == '$' && i+1 < len(v) && v[i+1] == '(':
		id := len(rules) + sigShellCmd
		before := s.sigW[id]
		s.checkShellCmd(head)
		if w := s.sigW[id]; w > before && w >= 0.5 {
			// The separator starts the value: it ends the
			// application's command, and the rest runs.
			s.signal(id, cCommand, 0.9, head, 0)
		}
	case (c == 'i' || c == 'I' || c == 'f' || c == 'F') && batchStart(head):
		s.checkBatch(head, 1)
	}
}

// batchStart reports whether v starts like a Windows batch command rather
// than a sentence or code: IF [NOT] EXIST | DEFINED | ERRORLEVEL, IF
// followed by %VAR% or a quoted string, FOR /… or FOR %%x.
func batchStart(v []byte) bool {
	word := func(i int) (int, int) { // the next word after spaces
		for i < len(v) && v[i] == ' ' {
			i++
		}
		st := i
		for i < len(v) && v[i] != ' ' {
			i++
		}
		return st, i
	}
	st, end := word(0)
	first := v[st:end]
	switch {
	case len(first) == 3 && indexFold(first, "for") == 0:
		n, _ := word(end)
		return n < len(v) && (v[n] == '/' || v[n] == '%')
	case len(first) == 2 && indexFold(first, "if") == 0:
		n, e := word(end)
		w := v[n:e]
		if len(w) == 3 && indexFold(w, "not") == 0 {
			n, e = word(e)
			w = v[n:e]
		}
		if len(w) > 0 && (w[0] == '%' || w[0] == '"') {
			return true
		}
		for _, k := range [...]string{"exist", "defined", "errorlevel"} {
			if len(w) == len(k) && indexFold(w, k) == 0 {
				return true
			}
		}
	}
	return false
}

// textHTML signals HTML in v (text outside code) that runs script where
// the page shows it: a script element, an event handler that calls a
// sink, or a javascript: / vbscript: / data:text/html URL in a URL
// attribute or a markdown link. In a block of code (code is true), which
// is shown as code, a script element counts only when it calls a sink:
// an HTML example loads its scripts, an attack calls something.
func (s *scan) textHTML(v []byte, factor float64, code bool) {
	for i, n := 0, 0; i < len(v) && n < maxTextTags; i++ {
		switch v[i] {
		case '<':
			n++
			if at, ok := tagRuns(v, i, code); ok {
				s.signal(len(rules)+sigTextHTML, cXSS, 0.9*factor, v, at)
				return
			}
		case ']':
			if i+1 < len(v) && v[i+1] == '(' && scriptURL(v[i+2:]) {
				s.signal(len(rules)+sigTextHTML, cXSS, 0.9*factor, v, i)
				return
			}
		}
	}
}

// tagRuns parses the tag at v[i] ('<') and reports whether it runs
// script, with the position of the evidence (see textHTML for code).
func tagRuns(v []byte, i int, code bool) (int, bool) {
	j := i + 1
	st := j
	for j < len(v) && (isLetter(v[j]) || v[j] >= '0' && v[j] <= '9' || v[j] == '-' || v[j] == ':') {
		j++
	}
	if j == st || !isLetter(v[st]) {
		return 0, false
	}
	name := v[st:j]
	end := min(len(v), i+maxTagBytes)
	if k := lastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:] // <x:script xmlns:x="http://www.w3.org/1999/xhtml">
	}
	if len(name) == 6 && indexFold(name, "script") == 0 && j < len(v) && (v[j] == '>' || isSpace(v[j]) || v[j] == '/') {
		if !code {
			return i, true
		}
		body := v[j:min(len(v), j+maxTagBytes)]
		if e := indexFold(body, "</script"); e >= 0 {
			body = body[:e]
		}
		return i, callsSink(body)
	}
	// Attributes: name[=value], separated by space or '/'.
	for j < end {
		for j < end && (isSpace(v[j]) || v[j] == '/') {
			j++
		}
		if j >= end || v[j] == '>' || v[j] == '<' {
			return 0, false
		}
		an := j
		for j < end && !isSpace(v[j]) && v[j] != '/' && v[j] != '>' && v[j] != '=' {
			j++
		}
		attr := v[an:j]
		for j < end && isSpace(v[j]) {
			j++
		}
		var val []byte
		if j < end && v[j] == '=' {
			j++
			for j < end && isSpace(v[j]) {
				j++
			}
			if j < end && (v[j] == '"' || v[j] == '\'') {
				q := v[j]
				vs := j + 1
				for j = vs; j < end && v[j] != q; j++ {
				}
				val = v[vs:j]
				j++
			} else {
				vs := j
				for j < end && !isSpace(v[j]) && v[j] != '>' {
					j++
				}
				val = v[vs:j]
			}
		}
		switch {
		case len(attr) > 2 && (attr[0] == 'o' || attr[0] == 'O') && (attr[1] == 'n' || attr[1] == 'N') && callsSink(val):
			return an, true
		case urlAttr(attr) && scriptURL(val):
			return an, true
		}
	}
	return 0, false
}

// urlAttr reports whether attr takes a URL the browser loads or follows.
func urlAttr(attr []byte) bool { return inList(attr, scriptURLAttrs[:]) }

// scriptURLAttrs are the attributes whose URL a browser loads or follows.
var scriptURLAttrs = [...]string{"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster", "lowsrc", "dynsrc"}

// scriptURL reports whether the attribute value v starts with a scheme
// that runs script, read as a browser does: character references
// decoded first ("ja&Tab;vascript&colon;"), then tabs, newlines and
// control bytes dropped. A javascript: URL that does nothing
// ("javascript:;", "javascript:void(0)") is an inert link.
func scriptURL(v []byte) bool {
	var b [24]byte
	head, _ := urlHead(b[:0], v)
	s := string(head)
	switch {
	case strings.HasPrefix(s, "javascript:"):
		rest := s[len("javascript:"):]
		return rest != "" && rest[0] != ';' && rest[0] != '"' && rest[0] != '\'' && !strings.HasPrefix(rest, "void")
	case strings.HasPrefix(s, "vbscript:"), strings.HasPrefix(s, "data:text/html"):
		return true
	}
	return false
}

// urlHead appends to dst, up to its capacity, the start of the attribute
// value v as a browser reads a URL there: character references decoded
// ("ja&Tab;vascript&colon;"), then tabs, newlines, spaces and control
// bytes dropped, letters lowered. plain is false when a '&' starts no
// ASCII character reference; it is then kept as it is.
func urlHead(dst, v []byte) (head []byte, plain bool) {
	plain = true
	for i := 0; i < len(v) && len(dst) < cap(dst); {
		c := v[i]
		i++
		if c == '&' {
			if r, k := decode.CharRef(v[i-1:]); k > 0 && r < utf8.RuneSelf {
				c = byte(r)
				i += k - 1
			} else {
				plain = false
			}
		}
		if c <= ' ' {
			continue
		}
		dst = append(dst, lower(c))
	}
	return dst, plain
}

// sinks are what handler code an attacker writes reaches for: a probe
// that shows it ran, code from a string, the session, another origin.
var sinks = [...]string{
	"alert", "prompt(", "confirm", "eval", "fetch", "atob", "import(", "constructor",
	"fromcharcode", "cookie", "document.domain", "document.write", "location", "localstorage",
	"sessionstorage", "xmlhttprequest", "settimeout", "setinterval", "innerhtml",
	"outerhtml", "window[", "top[", "self[", "parent[", "javascript:",
}

// callsSink reports whether handler code v mentions a sink.
func callsSink(v []byte) bool {
	for _, s := range sinks {
		if indexFold(v, s) >= 0 {
			return true
		}
	}
	return false
}
