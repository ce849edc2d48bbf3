package payload

// SQL grammar checks that corroborate libinjection or catch what it
// misses: a boolean condition after OR / AND / WHERE (1=1, 'a'='a',
// 7417=(select …)), a value that starts by closing a quote or
// parenthesis and goes on in SQL, a trailing comment, and stacked
// queries. They tokenise at most maxSQLTokens tokens of the value.
// sqliWeight turns libinjection's fingerprint into a weight.

const maxSQLTokens = 256

type tokKind uint8

const (
	tWord tokKind = iota + 1
	tNum
	tOp    // = < > ! | & combinations
	tOpen  // (
	tClose // )
	tSemi  // ;
	tComma
	tQuote // unbalanced quote
	tComment
	tOther
)

type token struct {
	kind       tokKind
	start, end int32
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '@' || c == '.'
}

// sqlTokens appends the tokens of v to dst.
func sqlTokens(dst []token, v []byte) []token {
	i := 0
	for i < len(v) && len(dst) < maxSQLTokens {
		c := v[i]
		st := i
		switch {
		case isSpace(c):
			i++
			continue
		case c >= '0' && c <= '9':
			for i < len(v) && isIdent(v[i]) {
				i++
			}
			dst = append(dst, token{tNum, int32(st), int32(i)})
		case isIdent(c):
			for i < len(v) && isIdent(v[i]) {
				i++
			}
			dst = append(dst, token{tWord, int32(st), int32(i)})
		case c == '\'' || c == '"' || c == '`':
			i++
			dst = append(dst, token{tQuote, int32(st), int32(i)})
		case c == '=' || c == '<' || c == '>' || c == '!' || c == '|' || c == '&':
			for i < len(v) && i-st < 3 && (v[i] == '=' || v[i] == '<' || v[i] == '>' || v[i] == '!' || v[i] == '|' || v[i] == '&') {
				i++
			}
			dst = append(dst, token{tOp, int32(st), int32(i)})
		case c == '(':
			i++
			dst = append(dst, token{tOpen, int32(st), int32(i)})
		case c == ')':
			i++
			dst = append(dst, token{tClose, int32(st), int32(i)})
		case c == ';':
			i++
			dst = append(dst, token{tSemi, int32(st), int32(i)})
		case c == ',':
			i++
			dst = append(dst, token{tComma, int32(st), int32(i)})
		case c == '#' || c == '-' && i+1 < len(v) && v[i+1] == '-' || c == '/' && unclosedComment(v, i):
			dst = append(dst, token{tComment, int32(st), int32(len(v))})
			i = len(v)
		default:
			i++
			dst = append(dst, token{tOther, int32(st), int32(i)})
		}
	}
	return dst
}

// unclosedComment reports whether v[i:] opens a /* comment that no */
// closes and that ends the value within a line of a few words: like --
// and #, it comments out the rest of the statement ("admin'/*", "' or
// 1=1/*"). A closed /* */ is only a separator and stays two tOther
// tokens; an unclosed one followed by more lines is code or a glob
// ("src/*", "https://*/*" in a manifest), not the end of an injection.
func unclosedComment(v []byte, i int) bool {
	if i+1 >= len(v) || v[i+1] != '*' || len(v)-i > maxTrailingComment {
		return false
	}
	return indexByte(v[i+2:], '\n') < 0 && indexClose(v, i+2) < 0
}

// maxTrailingComment bounds an unclosed /* comment that ends a value.
const maxTrailingComment = 34

func tokIs(v []byte, t token, word string) bool {
	return t.kind == tWord && int(t.end-t.start) == len(word) && indexFold(v[t.start:t.end], word) == 0
}

func isConj(v []byte, t token) bool {
	if t.kind == tOp {
		s := v[t.start:t.end]
		return string(s) == "||" || string(s) == "&&"
	}
	return tokIs(v, t, "or") || tokIs(v, t, "and") || tokIs(v, t, "xor") || tokIs(v, t, "where") ||
		tokIs(v, t, "having") || tokIs(v, t, "when") || tokIs(v, t, "not")
}

func isCmp(v []byte, t token) bool {
	if t.kind == tOp {
		s := string(v[t.start:t.end])
		return s == "=" || s == "<" || s == ">" || s == "<=" || s == ">=" || s == "<>" || s == "!=" || s == "=="
	}
	return tokIs(v, t, "like") || tokIs(v, t, "rlike") || tokIs(v, t, "regexp") || tokIs(v, t, "is") ||
		tokIs(v, t, "between") || tokIs(v, t, "in") || tokIs(v, t, "sounds")
}

func isOperand(t token) bool { return t.kind == tNum || t.kind == tWord }

var sqlFollowers = [...]string{"or", "and", "xor", "union", "select", "order", "group", "having", "where", "limit", "procedure", "into", "like", "rlike", "regexp", "waitfor", "exec", "execute", "declare", "between", "div", "mod", "is", "not", "sleep", "benchmark", "case", "end"}

var stacked = [...]string{"select", "insert", "update", "delete", "drop", "exec", "execute", "declare", "waitfor", "shutdown", "call", "create", "alter", "truncate", "set", "if", "begin"}

// stackedWord reports whether token t of v is a statement keyword that
// can start a stacked query.
func stackedWord(v []byte, t token) bool {
	for _, st := range stacked {
		if tokIs(v, t, st) {
			return true
		}
	}
	return false
}

// sqlChecks runs the grammar checks on v.
func (s *scan) sqlChecks(v []byte, factor float64) {
	s.toks = sqlTokens(s.toks[:0], v)
	toks := s.toks
	if len(toks) < 2 {
		return
	}
	quoteOrParen := false
	for _, t := range toks {
		if t.kind == tQuote || t.kind == tOpen || t.kind == tClose {
			quoteOrParen = true
			break
		}
	}

	// Boolean condition after a conjunction: [(]* operand cmp operand,
	// operands optionally quoted.
	operand := func(j int) (token, int, bool) {
		q := j < len(toks) && toks[j].kind == tQuote
		if q {
			j++
		}
		if j >= len(toks) || !isOperand(toks[j]) {
			return token{}, j, false
		}
		t := toks[j]
		j++
		if q && j < len(toks) && toks[j].kind == tQuote {
			j++
		}
		return t, j, true
	}
	boolFound := false
	for i := 0; i < len(toks) && !boolFound; i++ {
		if !isConj(v, toks[i]) {
			continue
		}
		j := i + 1
		for j < len(toks) && toks[j].kind == tOpen {
			j++
		}
		qa := j < len(toks) && toks[j].kind == tQuote
		a, j, ok := operand(j)
		if !ok || j >= len(toks) || !isCmp(v, toks[j]) {
			continue
		}
		symbolic := toks[j].kind == tOp
		j++
		qb := j < len(toks) && toks[j].kind == tQuote
		if !symbolic && a.kind == tWord && !qa && !qb {
			// "songwriting or music in general": prose, not a condition.
			continue
		}
		w := 0.0
		if j < len(toks) && toks[j].kind == tOpen && j+1 < len(toks) && tokIs(v, toks[j+1], "select") {
			w = 0.6
		} else if b, _, ok := operand(j); ok && (a.kind != tWord || b.kind != tWord || quoteOrParen) {
			w = 0.5
			if string(v[a.start:a.end]) == string(v[b.start:b.end]) {
				w = 0.6
			}
		}
		if w > 0 && (quoteOrParen || a.kind == tNum) {
			if i == 0 && w >= 0.6 {
				// The whole value is "or 1=1 …": nothing else reads so.
				w = 0.8
			}
			s.signal(len(rules)+sigSQLBool, cSQLi, w*factor, v, int(toks[i].start))
			boolFound = true
		}
	}

	// Breakout: the value closes a quote or parenthesis early and goes on
	// in SQL ("1') or …", "x' union …").
	breakout := 0 // 1 + position of the SQL after the breakout, 0 if none
	commented, stackedQ := false, false
	defer func() {
		if breakout > 0 && (commented || stackedQ) {
			// Closing the quote and cutting off the rest of the original
			// query is the whole shape of an injection: x' or … --
			s.signal(len(rules)+sigSQLBreakout, cSQLi, 0.8*factor, v, breakout-1)
		}
	}()
	i := 0
	if toks[0].kind == tOther && v[toks[0].start] == '-' {
		i++
	}
	if i < len(toks) && (toks[i].kind == tNum || toks[i].kind == tWord) && toks[i].end-toks[i].start <= 24 {
		// The closing quote or parenthesis must be glued to the prefix:
		// "1' or", not "Use `SELECT".
		if toks[i].kind == tWord && i+1 < len(toks) && toks[i+1].start != toks[i].end {
			return
		}
		i++
	}
	closes := 0
	for i < len(toks) && (toks[i].kind == tQuote || toks[i].kind == tClose || toks[i].kind == tOther && v[toks[i].start] == '%') {
		if toks[i].kind != tOther {
			closes++
		}
		i++
	}
	if closes > 0 && i < len(toks) {
		t := toks[i]
		ok := t.kind == tSemi || t.kind == tComment
		for _, f := range sqlFollowers {
			if ok || tokIs(v, t, f) {
				ok = true
				break
			}
		}
		if ok {
			s.signal(len(rules)+sigSQLBreakout, cSQLi, 0.5*factor, v, int(t.start))
			breakout = int(t.start) + 1
		} else if aliasFrom(v, toks, i) {
			// A select list closed and named, then FROM: the value
			// rewrites the statement's columns and source.
			s.signal(len(rules)+sigSQLBreakout, cSQLi, 0.8*factor, v, int(t.start))
		}
	}

	// Trailing comment after quotes or parentheses.
	if last := toks[len(toks)-1]; last.kind == tComment && (quoteOrParen || boolFound) && len(toks) >= 3 {
		s.signal(len(rules)+sigSQLComment, cSQLi, 0.35*factor, v, int(last.start))
		commented = true
	}

	// A value that is itself an SQL statement with SQL punctuation.
	k := 0
	for k < len(toks) && (toks[k].kind == tOpen || toks[k].kind == tComma || toks[k].kind == tQuote) {
		k++
	}
	if k < len(toks) {
		if stackedWord(v, toks[k]) {
			punct := false
			for _, t := range toks[k+1:] {
				if t.kind == tOpen || t.kind == tOp || t.kind == tComment || t.kind == tSemi || t.kind == tOther && (v[t.start] == '*' || v[t.start] == '@') {
					punct = true
					break
				}
			}
			if punct && len(toks)-k >= 4 {
				s.signal(len(rules)+sigSQLStatement, cSQLi, 0.45*factor, v, int(toks[k].start))
			}
		}
	}

	// Stacked query.
	for k := 0; k+1 < len(toks); k++ {
		if toks[k].kind != tSemi {
			continue
		}
		if stackedWord(v, toks[k+1]) {
			if k+2 < len(toks) {
				s.signal(len(rules)+sigSQLStacked, cSQLi, 0.5*factor, v, int(toks[k].start))
				stackedQ = true
			}
			return
		}
	}
}

// conjStart reports whether v starts with a conjunction (OR, AND, XOR,
// ||, &&) followed by a space or '(': a value that goes on after the
// application's operand. The automaton's conjunction patterns need a
// space before them, which the start of a value does not have.
func conjStart(v []byte) bool {
	i := skipSpaceFwd(v, 0)
	if i >= len(v) {
		return false
	}
	if c := v[i] | 0x20; c != 'o' && c != 'a' && c != 'x' && c != '|' && c != '&' {
		// Neither a conjunction's letter nor its symbol: most values
		// ("https://…", "Product 12") end here.
		return false
	}
	if i+2 < len(v) && (v[i] == '|' && v[i+1] == '|' || v[i] == '&' && v[i+1] == '&') {
		return true
	}
	j := i
	for j < len(v) && j-i < 3 && isLetter(v[j]) {
		j++
	}
	if j >= len(v) || v[j] != ' ' && v[j] != '(' && v[j] != '\t' {
		return false
	}
	w := v[i:j]
	return equalFoldStr(w, "or") || equalFoldStr(w, "and") || equalFoldStr(w, "xor")
}

// closeStart reports whether v starts with a closing parenthesis, after
// at most a short word or number glued to it ("1) …"): the value ends
// the application's call or subquery and goes on after it.
func closeStart(v []byte) bool {
	i := skipSpaceFwd(v, 0)
	for j := i; j < len(v) && j-i <= 24; j++ {
		if !identByte[v[j]] {
			return v[j] == ')'
		}
	}
	return false
}

// identByte holds the bytes isIdent reports, for closeStart's walk,
// which runs on every value with an '=' or ')'.
var identByte = func() (t [256]bool) {
	for c := range t {
		t[c] = isIdent(byte(c))
	}
	return t
}()

// aliasFrom reports whether the tokens from i read "AS alias FROM", an
// alias quoted or not: the end of a select list ("1) AS total FROM").
func aliasFrom(v []byte, toks []token, i int) bool {
	if i >= len(toks) || !tokIs(v, toks[i], "as") {
		return false
	}
	i++
	q := i < len(toks) && toks[i].kind == tQuote
	if q {
		i++
	}
	if i >= len(toks) || toks[i].kind != tWord {
		return false
	}
	i++
	if q && i < len(toks) && toks[i].kind == tQuote {
		i++
	}
	return i < len(toks) && tokIs(v, toks[i], "from")
}

// sqliWeight maps a libinjection fingerprint to a signal weight.
func sqliWeight(fp string) float64 {
	w := 0.7
	for i := 0; i < len(fp); i++ {
		switch fp[i] {
		case 'U', 'E', 'k', 'T': // union, SQL statement, keyword, table/func
			w = 0.8
		}
	}
	return w
}
