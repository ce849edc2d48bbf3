package payload

import "bytes"

// Value kinds. A value is judged by what it is and where it goes: an id,
// a sort key, a URL, a token or a short parameter is structured and gets
// every check, because an application puts such values into queries,
// paths, commands and pages as they are. Prose, markdown and code that a
// person writes into a text field are stored and shown, so mentioning
// SELECT, <script> or /etc/passwd there attacks nothing; only evidence
// that the value breaks out of its context or executes where it lands
// counts (see text.go).

// valueKind is what an inspected value looks like.
type valueKind uint8

// Kinds of value. Identifiers, numbers, tokens, URLs, base64 blobs and
// short values are all kindStructured: they get the same strict checks.
const (
	kindStructured valueKind = iota // every check applies
	kindText                        // short free text in a field that takes text: a search, a comment, a title
	kindProse                       // sentences a person wrote
	kindMarkdown                    // markdown: fenced code, code spans, headings, lists, links
	kindCode                        // a block of source code or a shell session: several lines
)

var kindNames = [...]string{"structured", "text", "prose", "markdown", "code"}

func (k valueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "structured"
}

// maxClassifyWords bounds the tokens read to classify a value: a few
// dozen words tell sentences from a query or a block of code.
const maxClassifyWords = 40

// maxClassify bounds the bytes read to classify a value: the start of a
// value tells what it is, and a 1 MB code block must not cost more than
// a 512-byte one to classify.
const maxClassify = 512

// classify returns the kind of v, a value at loc (the walker's location)
// whose character classes are cm, in a field that takes free text when
// tf (textField of its name). Only values of query strings, forms,
// multipart text parts and JSON can be text; headers, cookies, paths,
// names and XML are structured, and so is a value whose kind cannot be
// told.
func classify(v []byte, cm uint32, loc string, tf bool) valueKind {
	if !textLoc(loc) {
		return kindStructured
	}
	if len(v) < 8 {
		return kindStructured
	}
	spaced := cm&(cmSpace|cmCtlSpace) != 0
	if !spaced && !tf {
		// One token in a field that does not take text.
		return kindStructured
	}
	if !spaced && pathOrURL(v) {
		// A path or a URL is what it looks like wherever it is sent.
		return kindStructured
	}
	head := v
	if len(head) > maxClassify {
		head = head[:maxClassify]
	}
	oneLine := cm&cmCtlSpace == 0 || bytes.IndexByte(head, '\n') < 0
	switch {
	case !tf && oneLine && bytes.Count(head, space) < 4:
		// Prose needs five words, code and markdown two lines: this is
		// a short value, such as a product name or a sort expression.
		return kindStructured
	case tf && oneLine && cm&(cmQuote|cmDecode) == 0 && bytes.IndexByte(v, '<') < 0 && bytes.IndexByte(v, '`') < 0:
		// One line of a text field with no quote, tag, code span or
		// encoding: whether it reads as prose changes no check.
		return kindText
	}
	var f textFeatures
	f.read(head)
	switch {
	case f.fences > 0 || f.lines >= 2 && f.markdown >= 2:
		return kindMarkdown
	case f.lines >= 2 && len(v) >= 40 && (f.codeLines+f.codeStarts)*3 >= f.lines+1:
		return kindCode
	case f.prose():
		if f.spans > 0 || f.markdown >= 2 {
			return kindMarkdown
		}
		return kindProse
	case f.lines >= 2 && len(v) >= 40:
		return kindCode
	case tf:
		return kindText
	}
	return kindStructured
}

var space = []byte{' '}

// textLoc reports whether values at loc can be text: those of query
// strings, forms, multipart text parts and JSON.
func textLoc(loc string) bool {
	switch loc {
	case "query", "form", "multipart", "json":
		return true
	}
	return false
}

// textFeatures counts what tells prose, markdown and code apart.
type textFeatures struct {
	words      int // whitespace-separated tokens
	letters    int // tokens made of letters (with a trailing punctuation mark)
	stops      int // English function words that are not SQL or shell keywords
	sqlw       int // SQL keywords
	lines      int // line breaks
	fences     int // ``` or ~~~ at the start of a line
	spans      int // `code` spans
	markdown   int // headings, list items, links, emphasis
	codeLines  int // lines that end as code does: ; { } ) > ,
	codeStarts int // lines that start as code does: // /* or a tag
}

func (f *textFeatures) read(v []byte) {
	lineStart := true
	for i := 0; i < len(v) && f.words < maxClassifyWords; {
		c := v[i]
		if c == '\n' {
			f.lines++
			if codeEnd(v, i) {
				f.codeLines++
			}
			lineStart = true
			i++
			continue
		}
		if isSpace(c) {
			i++
			continue
		}
		if lineStart {
			lineStart = false
			switch {
			case hasPrefixAt(v, i, "```") || hasPrefixAt(v, i, "~~~"):
				f.fences++
			case c == '#' && i+1 < len(v) && (v[i+1] == '#' || v[i+1] == ' '):
				f.markdown++
			case (c == '-' || c == '*' || c == '>') && i+1 < len(v) && v[i+1] == ' ':
				f.markdown++
			case hasPrefixAt(v, i, "//") || hasPrefixAt(v, i, "/*") || c == '<' && i+1 < len(v) && (isLetter(v[i+1]) || v[i+1] == '/' || v[i+1] == '!'):
				// A comment line of C-like code, or a line of markup.
				f.codeStarts++
			}
		}
		i = f.word(v, i)
	}
}

// codeEnd reports whether the line ending at v[nl] ('\n') ends as a line
// of code does.
func codeEnd(v []byte, nl int) bool {
	j := nl - 1
	for j >= 0 && (v[j] == ' ' || v[j] == '\t' || v[j] == '\r') {
		j--
	}
	if j < 0 || v[j] == '\n' {
		return false
	}
	switch v[j] {
	case ';', '{', '}', ')', '>', ',':
		return true
	}
	return false
}

// word reads the whitespace-separated token that starts at v[i] and
// returns where it ends. A token is a word when, past the quotes and
// brackets that open it and the punctuation that ends it, it is made of
// letters, apostrophes and hyphens; its letters are packed as they are
// read, for the word sets.
func (f *textFeatures) word(v []byte, i int) int {
	f.words++
	var x uint64
	n := 0            // letters packed into x
	word := true      // no other byte inside the word so far
	trailing := false // punctuation seen after the word's letters
	for ; i < len(v); i++ {
		c := v[i]
		if isSpace(c) {
			break
		}
		if i+1 < len(v) {
			switch {
			case c == '`' && v[i+1] != '`':
				f.spans++
			case c == ']' && v[i+1] == '(':
				f.markdown++
			}
		}
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\'' && n > 0 || c == '-' && n > 0 || c >= 0x80:
			if trailing {
				word = false
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			x = x<<8 | uint64(c)
			n++
		case n == 0 && (c == '(' || c == '"' || c == '\'' || c == '*' || c == '_'):
			// Opening quote or bracket.
		case n > 0 && (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' || c == '"' || c == '*' || c == '_'):
			trailing = true
		default:
			word = false
		}
	}
	if !word || n == 0 {
		return i
	}
	// A trailing apostrophe was packed as a letter ("users'"): it is
	// punctuation.
	for n > 0 && x&0xff == '\'' {
		x >>= 8
		n--
	}
	f.letters++
	if n <= 8 {
		if stopwords.has(x) {
			f.stops++
		} else if sqlWords.has(x) {
			f.sqlw++
		}
	}
	return i
}

// prose reports whether the tokens read as sentences: mostly words, and
// at least two English function words. SQL, shell and HTML keep their
// keywords (or, and, in, is, if, for, from, do, not) out of the list, so
// a payload made of them does not pass for prose.
func (f *textFeatures) prose() bool {
	return f.words >= 5 && f.letters*10 >= f.words*6 && f.stops >= 2 && f.stops*2 > f.sqlw
}

// Word sets for classify, as packed lower-case words (at most 8 bytes):
// English function words that no query language, shell or markup uses as
// a keyword (when, where and with are SQL's), and SQL keywords, since a
// value dense with them is a query whatever function words it holds.
var (
	stopwords = newWordSet("a", "about", "an", "are", "be", "because", "but", "can", "could", "does",
		"how", "i", "i'm", "it", "it's", "its", "my", "of", "our", "should",
		"that", "the", "their", "there", "these", "this", "those", "to", "was",
		"we", "what", "which", "who", "why", "would", "you", "your")
	sqlWords = newWordSet("select", "from", "where", "union", "case", "when", "then", "else", "end",
		"and", "or", "not", "null", "like", "insert", "update", "delete", "drop",
		"table", "order", "group", "by", "having", "limit", "into", "values",
		"join", "as", "exec", "sleep")
)

// wordSet is a set of words of at most 8 bytes, an open-addressing table
// of their packed forms: a lookup is a multiply and a compare or two.
type wordSet [128]uint64

func newWordSet(words ...string) *wordSet {
	var t wordSet
	for _, w := range words {
		x, _ := packWord([]byte(w))
		i := wordSlot(x)
		for t[i] != 0 {
			i = (i + 1) % len(t)
		}
		t[i] = x
	}
	return &t
}

func (t *wordSet) has(x uint64) bool {
	for i := wordSlot(x); t[i] != 0; i = (i + 1) % len(t) {
		if t[i] == x {
			return true
		}
	}
	return false
}

func wordSlot(x uint64) int { return int((x * 0x9e3779b97f4a7c15) >> 57) }

// packWord returns w in lower case packed into a uint64; ok is false for
// an empty word or one longer than 8 bytes.
func packWord(w []byte) (x uint64, ok bool) {
	if len(w) == 0 || len(w) > 8 {
		return 0, false
	}
	for _, c := range w {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		x = x<<8 | uint64(c)
	}
	return x, true
}

// textFields are the names of fields that take free text: what an
// application stores and shows, or searches for. Besides these, the one
// longer name is "description".
var textFields = newWordSet("q", "s", "query", "search", "term", "keyword", "keywords",
	"text", "body", "content", "comment", "message", "title",
	"summary", "note", "notes", "bio", "about", "review", "reply", "answer",
	"question", "subject", "caption", "excerpt", "markdown", "feedback")

// textField reports whether name (a JSON key, form or query name) is
// that of a field that takes free text, compared case-insensitively.
func textField(name []byte) bool {
	if x, ok := packWord(name); ok {
		return textFields.has(x)
	}
	return len(name) == 11 && indexFold(name, "description") == 0
}

// pathOrURL reports whether v, one token, reads as a file path or a URL:
// an argument to open or fetch, not text.
func pathOrURL(v []byte) bool {
	return v[0] == '/' || v[0] == '~' || hasPrefixAt(v, 0, "./") || hasPrefixAt(v, 0, "../") || indexFold(v, "://") > 0
}

func hasPrefixAt(v []byte, i int, p string) bool {
	return len(v)-i >= len(p) && string(v[i:i+len(p)]) == p
}
