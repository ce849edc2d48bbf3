package payload

// Value kinds. A value is judged by what it is and where it goes: an id,
// a sort key, a URL, a token or a short parameter is structured and gets
// every check, because an application puts such values into queries,
// paths, commands and pages as they are. Prose, markdown and code that a
// person writes into a text field are stored and shown, so mentioning
// SELECT, <script> or /etc/passwd there attacks nothing; only evidence
// that the value breaks out of its context or executes where it lands
// counts (see text.go).

// Kind is what an inspected value looks like.
type Kind uint8

// Kinds of value. Identifiers, numbers, tokens, URLs, base64 blobs and
// short values are all KindStructured: they get the same strict checks.
const (
	KindStructured Kind = iota // every check applies
	KindText                   // short free text in a field that takes text: a search, a comment, a title
	KindProse                  // sentences a person wrote
	KindMarkdown               // markdown: fenced code, code spans, headings, lists, links
	KindCode                   // a block of source code or a shell session: several lines
)

var kindNames = [...]string{"structured", "text", "prose", "markdown", "code"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "structured"
}

// maxClassify bounds the bytes read to classify a value: the start of a
// value tells what it is, and a 1 MB code block must not cost more than
// a 4 KB one to classify.
const maxClassify = 4 << 10

// classify returns the kind of v, a value at loc (the walker's location)
// named name. Only values of query strings, forms, multipart text parts
// and JSON can be text; headers, cookies, paths, names and XML are
// structured. A value whose kind cannot be told is structured.
func classify(v []byte, loc string, name []byte) Kind {
	switch loc {
	case "query", "form", "multipart", "json":
	default:
		return KindStructured
	}
	if len(v) < 8 {
		return KindStructured
	}
	if pathOrURL(v) {
		// A path or a URL is what it looks like wherever it is sent.
		return KindStructured
	}
	head := v
	if len(head) > maxClassify {
		head = head[:maxClassify]
	}
	var f textFeatures
	f.read(head)
	switch {
	case f.fences > 0 || f.lines >= 2 && f.markdown >= 2:
		return KindMarkdown
	case f.lines >= 2 && len(v) >= 40 && f.codeLines*3 >= f.lines+1:
		return KindCode
	case f.prose():
		if f.spans > 0 || f.markdown >= 2 {
			return KindMarkdown
		}
		return KindProse
	case f.lines >= 2 && len(v) >= 40:
		return KindCode
	case textField(name):
		return KindText
	}
	return KindStructured
}

// textFeatures counts what tells prose, markdown and code apart.
type textFeatures struct {
	words     int // whitespace-separated tokens
	letters   int // tokens made of letters (with a trailing punctuation mark)
	stops     int // English function words that are not SQL or shell keywords
	sqlw      int // SQL keywords
	lines     int // line breaks
	fences    int // ``` or ~~~ at the start of a line
	spans     int // `code` spans
	markdown  int // headings, list items, links, emphasis
	codeLines int // lines that end as code does: ; { } ) > or start with <
}

func (f *textFeatures) read(v []byte) {
	lineStart := true
	for i := 0; i < len(v); {
		c := v[i]
		if c == '\n' {
			f.lines++
			if f.codeEnd(v, i) {
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
			}
		}
		// One token.
		st := i
		for i < len(v) && !isSpace(v[i]) {
			i++
		}
		f.word(v[st:i])
	}
}

// codeEnd reports whether the line ending at v[nl] ('\n') ends as a line
// of code does.
func (f *textFeatures) codeEnd(v []byte, nl int) bool {
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

// word counts one whitespace-separated token.
func (f *textFeatures) word(w []byte) {
	f.words++
	for j := 0; j+1 < len(w); j++ {
		switch {
		case w[j] == '`' && w[j+1] != '`':
			f.spans++
		case w[j] == ']' && w[j+1] == '(':
			f.markdown++
		}
	}
	// Strip what surrounds a word in a sentence: quotes, brackets, and
	// trailing punctuation.
	for len(w) > 0 && (w[0] == '(' || w[0] == '"' || w[0] == '\'' || w[0] == '*' || w[0] == '_') {
		w = w[1:]
	}
	for len(w) > 0 {
		switch w[len(w)-1] {
		case '.', ',', ';', ':', '!', '?', ')', '"', '\'', '*', '_':
			w = w[:len(w)-1]
			continue
		}
		break
	}
	if len(w) == 0 {
		return
	}
	for _, c := range w {
		if !isLetter(c) && c != '\'' && c != '-' && c < 0x80 {
			return
		}
	}
	f.letters++
	if len(w) <= 7 && isStopword(w) {
		f.stops++
	}
	if len(w) <= 6 && isSQLWord(w) {
		f.sqlw++
	}
}

// prose reports whether the tokens read as sentences: mostly words, and
// at least two English function words. SQL, shell and HTML keep their
// keywords (or, and, in, is, if, for, from, do, not) out of the list, so
// a payload made of them does not pass for prose.
func (f *textFeatures) prose() bool {
	return f.words >= 5 && f.letters*10 >= f.words*6 && f.stops >= 2 && f.stops*2 > f.sqlw
}

// stopwords are function words of English that no query language,
// shell or markup uses as a keyword (when, where and with are SQL's).
var stopwords = [...]string{
	"a", "about", "an", "are", "be", "because", "but", "can", "could", "does",
	"how", "i", "i'm", "it", "it's", "its", "my", "of", "our", "should",
	"that", "the", "their", "there", "these", "this", "those", "to", "was",
	"we", "what", "which", "who", "why", "would", "you", "your",
}

// sqlWords are SQL keywords: a value dense with them is a query, whatever
// function words it holds.
var sqlWords = [...]string{
	"select", "from", "where", "union", "case", "when", "then", "else", "end",
	"and", "or", "not", "null", "like", "insert", "update", "delete", "drop",
	"table", "order", "group", "by", "having", "limit", "into", "values",
	"join", "as", "exec", "sleep",
}

func isSQLWord(w []byte) bool {
	for _, s := range sqlWords {
		if len(s) == len(w) && indexFold(w, s) == 0 {
			return true
		}
	}
	return false
}

func isStopword(w []byte) bool {
	for _, s := range stopwords {
		if len(s) == len(w) && indexFold(w, s) == 0 {
			return true
		}
	}
	return false
}

// textFields are the names of fields that take free text (the last
// segment of a JSON key path, or a form or query name), compared case-
// insensitively: what an application stores and shows, or searches for.
var textFields = [...]string{
	"q", "s", "query", "search", "term", "keyword", "keywords",
	"text", "body", "content", "comment", "message", "description", "title",
	"summary", "note", "notes", "bio", "about", "review", "reply", "answer",
	"question", "subject", "caption", "excerpt", "markdown", "feedback",
}

// textField reports whether name (a JSON key, form or query name) is one
// of textFields.
func textField(name []byte) bool {
	if len(name) == 0 || len(name) > 16 {
		return false
	}
	for _, f := range textFields {
		if len(f) == len(name) && indexFold(name, f) == 0 {
			return true
		}
	}
	return false
}

// pathOrURL reports whether v is one token that reads as a file path or
// a URL: an argument to open or fetch, not text.
func pathOrURL(v []byte) bool {
	for _, c := range v {
		if isSpace(c) {
			return false
		}
	}
	return v[0] == '/' || v[0] == '~' || hasPrefixAt(v, 0, "./") || hasPrefixAt(v, 0, "../") || indexFold(v, "://") > 0
}

func hasPrefixAt(v []byte, i int, p string) bool {
	return len(v)-i >= len(p) && string(v[i:i+len(p)]) == p
}
