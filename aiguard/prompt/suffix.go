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
	text = dropCode(stripCodeBlocks(text))
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
	for i := 0; i < n; i++ {
		t := toks[i]
		switch {
		case weirdToken(t):
			pts[i] = 1
		case i > 0 && midCap(t, toks[i-1]):
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
