package prompt

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// suffixScore rates how much the tail of text looks like an adversarial
// optimisation suffix (GCG, AutoDAN-style random search): a window of
// tokens mixing brackets, quotes and code punctuation with letters, case
// flips inside words and several scripts in one token, after prose. It
// returns a score in 0..1. Code-like text (several indented or
// brace-terminated lines) scores 0: code is legitimate chat content.
func suffixScore(text string) float64 {
	sc := tailScore(text)
	if sc >= 0.8 && isDocument(text) {
		// An optimiser appends its suffix to a one-paragraph request;
		// the tail of a pasted document (sections, fences, lists) is the
		// document's own. Alone, it logs.
		return 0.79
	}
	return sc
}

// isDocument reports whether a text reads as a pasted document rather
// than one request: it has a fenced code block, or paragraphs separated
// by a blank line.
func isDocument(text string) bool {
	return strings.Contains(text, "```") || strings.Contains(text, "\n\n") || strings.Contains(text, "\r\n\r\n")
}

// tailScore scores the last tokens of text as optimiser gibberish.
func tailScore(text string) float64 {
	text = dropCode(dropSpans(stripCodeBlocks(text)))
	if len(text) < 40 || looksLikeCode(text) {
		return 0
	}
	// Look at the last 600 bytes only: the suffix is appended to a request.
	tail := text
	if len(tail) > 600 {
		tail = tail[len(tail)-600:]
		for i := 0; i < 4 && len(tail) > 0 && !utf8.RuneStart(tail[0]); i++ {
			tail = tail[1:]
		}
	}
	// Score the last 24 tokens: machine-looking tokens count 1, capitalised
	// words in mid-sentence and long run-together lowercase words count ½.
	// The tokens go round a ring: total counts all of them.
	var ring [24]string
	total, bangs := 0, 0
	forFields(tail, func(tok string) {
		if tok == "!" {
			bangs++
		}
		ring[total%len(ring)] = tok
		total++
	})
	if bangs >= 12 {
		return 0.8
	}
	n := min(total, len(ring))
	if n < 8 {
		return 0
	}
	var toks [24]string
	for i := range n {
		toks[i] = ring[(total-n+i)%len(ring)]
	}
	const win = 10
	var pts [24]float64
	var weird [24]bool
	for i := range n {
		if weird[i] = weirdToken(toks[i]); weird[i] {
			pts[i] = 1
		}
	}
	for i := range n {
		t := toks[i]
		switch {
		case weird[i]:
		case i > 0 && midCap(t, toks[i-1]) && !inTitle(toks[:n], weird[:n], i):
			pts[i] = 0.5
		case longLower(t):
			pts[i] = 0.5
		}
	}
	best := 0.0
	// The window must reach the last tokens: an optimiser's suffix ends
	// the text; gibberish-looking code or markup followed by a sentence
	// of the user's own ("Can you explain this?") is not a suffix.
	for i := max(0, n-win-suffixSlack); i+win <= n; i++ {
		sum := 0.0
		for _, p := range pts[i : i+win] {
			sum += p
		}
		best = max(best, sum)
	}
	switch {
	case best >= 4:
		return 0.9
	case best >= 3:
		return 0.8
	case best >= 2:
		return 0.3
	}
	return 0
}

// suffixSlack is how many tokens may follow the weirdest window.
const suffixSlack = 3

// forFields calls fn with each field of s as strings.FieldsSeq splits
// it: runs of Unicode white space separate fields.
func forFields(s string, fn func(string)) {
	start := -1
	for i := 0; i < len(s); {
		size, space := 1, false
		if c := s[i]; c < utf8.RuneSelf {
			space = asciiSpace[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		switch {
		case space && start >= 0:
			fn(s[start:i])
			start = -1
		case !space && start < 0:
			start = i
		}
		i += size
	}
	if start >= 0 {
		fn(s[start:])
	}
}

// asciiSpace marks the ASCII white space of unicode.IsSpace.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// midCap reports a capitalised word that does not follow a sentence end.
func midCap(tok, prev string) bool {
	r, _ := utf8.DecodeRuneInString(tok)
	if !unicode.IsUpper(r) || len(tok) < 2 {
		return false
	}
	last := prev[len(prev)-1]
	return !strings.ContainsRune(".!?:\"'”)-", rune(last))
}

// acronym reports an all-capitals ASCII word of at most five letters,
// digits allowed ("RAID10", "HTTP2").
func acronym(tok string) bool {
	letters := 0
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case c >= 'A' && c <= 'Z':
			letters++
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letters >= 1 && letters <= 5
}

// capWord reports a capitalised word as people write it: an upper-case
// ASCII letter, then lower-case letters, digits, hyphens or an
// apostrophe ("Chocolate", "Hershey's", "Wi-Fi"), or an acronym. An
// optimiser's glued tokens flip case inside ("StringBuilder").
func capWord(tok string) bool {
	tok = trimProse(tok)
	if tok == "" || tok[0] < 'A' || tok[0] > 'Z' {
		return false
	}
	if acronym(tok) {
		return true
	}
	for i := 1; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '\'') {
			return false
		}
	}
	return true
}

// titleLinks are the short words a title or a name keeps in lower case
// between its capitalised words.
func titleLink(w string) bool {
	switch w {
	case "of", "and", "in", "the", "for", "a", "an", "on", "to", "with", "at", "by", "de", "la", "von", "van", "&":
		return true
	}
	return false
}

// inTitle reports whether toks[i] belongs to a run of three or more
// capitalised words (a title, a product, a list of names: "Current Status
// and Potential Threats", "Bar, Made in USA") that stands in written text: the tokens
// around the run are not machine-looking (weird). An optimiser's suffix
// also strings names together, but amid its gibberish.
func inTitle(toks []string, weird []bool, i int) bool {
	if !capWord(toks[i]) {
		return false
	}
	from, to, n := i, i+1, 1 // the run, toks[from:to], and its n capitalised words
	for {
		switch {
		case from > 0 && capWord(toks[from-1]):
			from, n = from-1, n+1
			continue
		case from > 1 && titleLink(toks[from-1]) && capWord(toks[from-2]):
			from, n = from-2, n+1
			continue
		}
		break
	}
	for {
		switch {
		case to < len(toks) && capWord(toks[to]):
			to, n = to+1, n+1
			continue
		case to+1 < len(toks) && titleLink(toks[to]) && capWord(toks[to+1]):
			to, n = to+2, n+1
			continue
		}
		break
	}
	return n >= 3 && (from == 0 || !weird[from-1]) && (to == len(toks) || !weird[to])
}

// longLower reports a long all-lowercase ASCII word, typical of tokens
// glued together by an optimiser ("complicatedushing").
func longLower(tok string) bool {
	if len(tok) < 14 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 'a' || tok[i] > 'z' {
			return false
		}
	}
	return true
}

// weirdToken reports whether a whitespace-separated token looks machine
// optimised rather than written.
func weirdToken(tok string) bool {
	if strings.Contains(tok, "://") || strings.HasPrefix(tok, "www.") {
		return false
	}
	// Strip ordinary leading and trailing punctuation of prose.
	tok = trimProse(tok)
	if tok == "" {
		return false
	}
	st, ok := tokenCounts(tok)
	if !ok {
		st = runeCounts(tok)
	}
	return weirdCounts(tok, st)
}

// runeCounts counts the letters, punctuation, code characters, case flips
// and scripts of a token.
func runeCounts(tok string) (st tokenStats) {
	var prev rune
	var seen [4]bool // latin, cyrillic, cjk/other letters, digits mixed
	for _, r := range tok {
		switch {
		case unicode.IsLetter(r):
			st.letters++
			sc := 2
			if r < 0x250 {
				sc = 0
			} else if r >= 0x400 && r <= 0x4FF {
				sc = 1
			}
			if !seen[sc] {
				seen[sc] = true
				st.scripts++
			}
			if unicode.IsUpper(r) && unicode.IsLower(prev) {
				st.flips++
			}
		case unicode.IsDigit(r):
		case r == '-' || r == '\'' || r == '’' || r == '.' || r == '/':
			// hyphenated words, contractions, abbreviations, paths
		default:
			st.punct++
			if strings.ContainsRune("[]{}<>\\`|^~_=;", r) {
				st.code++
			}
		}
		prev = r
	}
	return st
}

// tokenStats are weirdToken's counts of a token.
type tokenStats struct{ letters, punct, code, flips, scripts int }

// tokenCounts is runeCounts for an ASCII token, a byte at a time; ok is
// false for a token with non-ASCII bytes.
func tokenCounts(tok string) (st tokenStats, ok bool) {
	var prev byte
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= utf8.RuneSelf:
			return st, false
		case c >= 'a' && c <= 'z':
			st.letters++
		case c >= 'A' && c <= 'Z':
			st.letters++
			if prev >= 'a' && prev <= 'z' {
				st.flips++
			}
		case c >= '0' && c <= '9', c == '-', c == '\'', c == '.', c == '/':
		default:
			st.punct++
			if strings.IndexByte("[]{}<>\\`|^~_=;", c) >= 0 {
				st.code++
			}
		}
		prev = c
	}
	if st.letters > 0 {
		st.scripts = 1
	}
	return st, true
}

// weirdCounts decides weirdToken from its counts.
func weirdCounts(tok string, st tokenStats) bool {
	letters, punct, code, flips, scripts := st.letters, st.punct, st.code, st.flips, st.scripts
	switch {
	case letters > 0 && punct >= 2:
		return true
	case letters > 0 && code >= 1:
		return true
	case letters >= 2 && punct >= 1 && len(tok) > 4 && !simplePunct(tok):
		return true
	case flips >= 2, flips >= 1 && letters >= 8:
		return true
	case scripts >= 2:
		return true
	case letters == 0 && punct >= 2:
		return true
	}
	return false
}

// trimProse strips the punctuation that starts and ends words in prose.
func trimProse(tok string) string {
	for len(tok) > 0 {
		switch tok[0] {
		case '(', '"', '\'', '*', '-':
			tok = tok[1:]
			continue
		}
		if tok[0] < utf8.RuneSelf {
			break
		}
		if strings.HasPrefix(tok, "“") || strings.HasPrefix(tok, "‘") || strings.HasPrefix(tok, "«") || strings.HasPrefix(tok, "¿") || strings.HasPrefix(tok, "¡") {
			_, n := utf8.DecodeRuneInString(tok)
			tok = tok[n:]
			continue
		}
		break
	}
	for len(tok) > 0 {
		switch tok[len(tok)-1] {
		case '.', ',', ';', ':', '!', '?', ')', '"', '\'', '*':
			tok = tok[:len(tok)-1]
			continue
		}
		if tok[len(tok)-1] < utf8.RuneSelf {
			break
		}
		if strings.HasSuffix(tok, "”") || strings.HasSuffix(tok, "’") || strings.HasSuffix(tok, "»") {
			_, n := utf8.DecodeLastRuneInString(tok)
			tok = tok[:len(tok)-n]
			continue
		}
		break
	}
	return tok
}

// simplePunct accepts tokens whose single punctuation is ordinary inside
// prose: "and/or", "e.g.", "x=1", "#tag", "@user", "50%".
func simplePunct(tok string) bool {
	c := tok[0]
	if c == '#' || c == '@' || c == '$' {
		return true
	}
	return strings.ContainsAny(tok, "%&+=")
}

// stripCodeBlocks removes Markdown code blocks that span lines (code is
// legitimate chat content). A one-line "fenced" stretch stays: wrapping an
// optimised suffix in backticks must not hide it.
func stripCodeBlocks(text string) string {
	if !strings.Contains(text, "```") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "```")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		rest := text[i+3:]
		block, after := rest, ""
		if j := strings.Index(rest, "```"); j >= 0 {
			block, after = rest[:j], rest[j+3:]
		}
		if strings.Contains(strings.TrimRight(block, "\n"), "\n") {
			b.WriteString(text[:i])
			b.WriteString("\n")
		} else {
			b.WriteString(text[:i+3+len(block)])
		}
		text = after
	}
}

// dropSpans blanks the inline code spans (single backticks) that run
// over several lines when their brackets and quotes balance: a JSON
// object or a snippet quoted inline. Spans on one line are dropCode's.
func dropSpans(text string) string {
	if strings.Count(text, "`") < 2 || !strings.Contains(text, "\n") {
		return text
	}
	var b strings.Builder
	done := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '`' {
			continue
		}
		j := strings.IndexByte(text[i+1:], '`')
		if j < 0 {
			break
		}
		j += i + 1
		if body := text[i+1 : j]; j > i+1 && strings.Contains(body, "\n") && balanced(body) {
			if b.Cap() == 0 {
				b.Grow(len(text))
			}
			b.WriteString(text[done:i])
			b.WriteByte(' ')
			done = j + 1
		}
		i = j
	}
	if b.Cap() == 0 {
		return text
	}
	b.WriteString(text[done:])
	return b.String()
}

// dropCode blanks what reads as code inside prose: inline code spans
// whose brackets and quotes balance (`onclick()`, `{ admin: true }`),
// and lines that are one balanced statement ending as code does
// ("SELECT … FROM t WHERE x IN ('a', 'b');", "a { color: red; }").
// An optimiser's suffix is not built to balance its brackets and quotes,
// so it stays.
func dropCode(text string) string {
	if !strings.ContainsAny(text, "`;{}()<>") {
		return text
	}
	var b strings.Builder // written from the first change on
	done := 0             // bytes of text accounted for in b
	drop := func(from, to int) {
		if b.Cap() == 0 {
			b.Grow(len(text))
		}
		b.WriteString(text[done:from])
		b.WriteByte(' ')
		done = to
	}
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		t := strings.TrimSpace(line)
		if codeLine(t) {
			drop(start, end)
		} else {
			// Code spans whose brackets and quotes balance, and
			// markdown links whose target has no spaces
			// ("[text](../x.html)"), left to right.
			label := -1 // the last '[' of the line
			for i := 0; i < len(line); i++ {
				switch {
				case line[i] == '`':
					c := strings.IndexByte(line[i+1:], '`')
					if c < 0 {
						i = len(line)
						break
					}
					c += i + 1
					if balanced(line[i+1 : c]) {
						drop(start+i, start+c+1)
					}
					i = c
				case line[i] == '[':
					label = i
				case line[i] == '<' || line[i] == '&':
					// An HTML tag or character reference ("<br />",
					// "&nbsp;"), written in answers and templates.
					if n := markupLen(line[i:]); n > 0 {
						drop(start+i, start+i+n)
						i += n - 1
					}
				case line[i] == '\'' && (i == 0 || line[i-1] == ' '):
					// A quoted shell argument ('{print $2}',
					// '.data[] | {name}') that balances.
					c := strings.IndexByte(line[i+1:], '\'')
					if c < 0 {
						continue
					}
					c += i + 1
					if arg := line[i+1 : c]; (c+1 == len(line) || line[c+1] == ' ') && strings.ContainsAny(arg, "{}[]()|$;<>") && balanced(arg) {
						drop(start+i, start+c+1)
						i = c
					}
				case line[i] == ']' && i+1 < len(line) && line[i+1] == '(':
					c := strings.IndexByte(line[i+2:], ')')
					if c < 0 || strings.ContainsAny(line[i+2:i+2+c], " \t") {
						continue
					}
					c += i + 2
					// The label goes too: it names a page ("the Cross-Site
					// Request Forgery Prevention Cheat Sheet").
					from := i + 1
					if label >= 0 && start+label >= done {
						from = label
					}
					drop(start+from, start+c+1)
					i, label = c, -1
				}
			}
		}
		start = end + 1
	}
	if b.Cap() == 0 {
		return text
	}
	b.WriteString(text[done:])
	return b.String()
}

// codeItem reports a list item or a quiz option whose text is code
// ("- A: `function f() { return 1`", "2. `ls -la`"): the answers of a
// "what is the output?" question quote code, sometimes broken on purpose.
func codeItem(t string) bool {
	item := false
	if t[0] == '-' || t[0] == '*' || t[0] == '+' {
		t, item = strings.TrimLeft(t[1:], " "), true
	}
	i := 0
	for i < len(t) && i < 2 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 && len(t) > 0 && (t[0]|0x20) >= 'a' && (t[0]|0x20) <= 'h' {
		i = 1
	}
	if i > 0 && i < len(t) && (t[i] == '.' || t[i] == ')' || t[i] == ':') {
		t, item = t[i+1:], true
	}
	t = strings.TrimLeft(t, " ")
	return item && len(t) > 1 && t[0] == '`' && t[len(t)-1] == '`'
}

// markupLen is the length of the HTML tag ("<br />", "</p>",
// "<a href=\"x\">") or character reference ("&nbsp;", "&#39;") that s
// starts with, 0 if none.
func markupLen(s string) int {
	if s[0] == '&' {
		i := 1
		if i < len(s) && s[i] == '#' {
			i++
		}
		for i < len(s) && i <= 10 && (isASCIILetter(rune(s[i])) || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i > 2 && i < len(s) && s[i] == ';' {
			return i + 1
		}
		return 0
	}
	i := 1
	if i < len(s) && s[i] == '/' {
		i++
	}
	if i >= len(s) || !isASCIILetter(rune(s[i])) {
		return 0
	}
	end := strings.IndexByte(s[:min(len(s), 200)], '>')
	if end < 0 || strings.IndexByte(s[1:end], '<') >= 0 || !balanced(s[i:end]) {
		return 0
	}
	for k := i; k < end; k++ {
		c := s[k]
		if !(isASCIILetter(rune(c)) || c >= '0' && c <= '9' || strings.IndexByte(" -_=\"'/.:#;,%", c) >= 0) {
			return 0
		}
	}
	return end + 1
}

// codeLine reports whether t, a trimmed line, is markup or one balanced
// statement: an HTML tag line ("</div>", "<a id=\"x\"></a>"), a markdown
// link reference ("[ch20]: ch20-05-macros.html"), or a line ending as code
// does with balanced brackets and quotes.
func codeLine(t string) bool {
	if t == "" {
		return false
	}
	last := t[len(t)-1]
	switch {
	case t[0] == '<' && last == '>':
		return true
	case t[0] == '[' && strings.Contains(t, "]: ") && !strings.Contains(t[strings.Index(t, "]: ")+3:], " "):
		return true
	case codeItem(t):
		return true
	}
	return strings.ContainsRune(";{})>", rune(last)) && strings.ContainsAny(t, "(=;{") && balanced(t)
}

// balanced reports whether the brackets of s nest and its straight
// quotes pair up (a doubled ” inside SQL strings pairs too).
func balanced(s string) bool {
	var stack [32]byte
	n := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			if c == '\'' && i > 0 && i+1 < len(s) && isASCIILetter(rune(s[i-1])) && isASCIILetter(rune(s[i+1])) {
				continue // an apostrophe: "don't"
			}
			quote = c
		case '(', '[', '{':
			if n == len(stack) {
				return false
			}
			stack[n] = c
			n++
		case ')', ']', '}':
			want := byte('(')
			if c == ']' {
				want = '['
			} else if c == '}' {
				want = '{'
			}
			if n == 0 || stack[n-1] != want {
				return false
			}
			n--
		}
	}
	return n == 0 && quote == 0
}

// looksLikeCode reports whether text has several lines that end or start
// like program code.
func looksLikeCode(text string) bool {
	lines, codey := 0, 0
	for line := range strings.SplitSeq(text, "\n") {
		lines++
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t") ||
			strings.HasSuffix(t, ";") || strings.HasSuffix(t, "{") || strings.HasSuffix(t, "}") {
			codey++
		}
		if lines > 200 {
			break
		}
	}
	return codey >= 3
}

// decodeBlob decodes a base64 or hex run (one of textScan.blobs, cut to
// 8 KiB) when it reads as text.
func decodeBlob(run string) (kind, decoded string, ok bool) {
	if len(run) > 8192 {
		run = run[:8192]
	}
	if dec, ok := decodeHex(run); ok {
		return "hex", dec, true
	}
	if dec, ok := decodeB64(run); ok {
		return "base64", dec, true
	}
	return "", "", false
}

// b64Table marks the bytes of the standard and URL base64 alphabets.
var b64Table = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '-' || b == '_'
	}
	return t
}()

func decodeHex(s string) (string, bool) {
	if len(s)%2 != 0 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	b, err := hex.DecodeString(s)
	if err != nil || !readable(b) {
		return "", false
	}
	return string(b), true
}

func decodeB64(s string) (string, bool) {
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	// Words and identifiers are not base64 worth decoding: require a
	// mix of cases or digits.
	upper, lower := false, false
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			upper = true
		} else if s[i] >= 'a' && s[i] <= 'z' {
			lower = true
		}
	}
	if !upper || !lower {
		return "", false
	}
	s = s[:len(s)/4*4+min(len(s)%4, 3)]
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	b, err := enc.DecodeString(s)
	if err != nil || !readable(b) {
		return "", false
	}
	return string(b), true
}

// readable reports whether b is mostly printable text with some spaces,
// which is what an encoded instruction decodes to.
func readable(b []byte) bool {
	if len(b) < 12 || !utf8.Valid(b) {
		return false
	}
	printable, spaces := 0, 0
	for _, c := range b {
		if c == ' ' {
			spaces++
		}
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' || c >= 0x80 {
			printable++
		}
	}
	return printable*100 >= len(b)*95 && spaces > 0
}
