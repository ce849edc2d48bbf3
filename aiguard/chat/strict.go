package chat

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The strict path of Parse. Almost every chat body is well-formed
// JSON; for those, one validating pass over the body (jsonCheck) notes
// where the top-level values are, and the extraction walks only the values
// a format reads (the message array, the system prompt, …), slicing the
// text out of one string copy of the body instead of building a tree.
// Any deviation from the JSON grammar, and the few shapes where gjson's
// reading is peculiar (a document source that is not an object), make it
// give up: the lenient gjson reader in chat.go then parses the body as
// before, so both paths give the same Chat for every body (FuzzParseChat
// compares them).
//
// String contents are not validated beyond their closing quote, as gjson
// does not validate them either; unescaping follows gjson's (see
// appendUnescaped).

// jsonSpan is one JSON value of the body, body[start:end]; end == 0 means
// absent.
type jsonSpan struct{ start, end int }

func (v jsonSpan) exists() bool { return v.end > 0 }

// chatTop is what the validating pass keeps of the top-level object: the
// last value of each key a format reads (gjson's ForEach gives the last
// duplicate the final say, and so does this) and the element count of the
// arrays among them.
type chatTop struct {
	model, stream, system, instructions, text jsonSpan
	messages, input, prompt                   jsonSpan
	messagesN, inputN, promptN                int
	anthropic                                 bool
	maxOutput                                 int
}

// jsonCheck validates JSON structure: whitespace, punctuation, numbers and
// literals by the grammar, nesting within max, strings up to their
// closing quote.
type jsonCheck struct {
	b     []byte
	max   int       // deepest nesting accepted, the top-level object being 1
	n     int       // element count of the array value() read last
	items *itemRing // where the first message / input / prompt array goes
}

// chatItem is one element of a message / input / prompt array as the
// validating pass reads it, for parser.item: so the extraction does not
// walk the array again.
type chatItem struct {
	kind            uint8 // itemOther, itemString, itemObject
	typ             uint8 // itemPlain, itemToolOutput, itemSkip
	role            Source
	v               jsonSpan // the element
	content, output jsonSpan // of an object: its last "content" / "output"
}

// Kinds and types of chatItem.
const (
	itemOther = iota
	itemString
	itemObject
)

const (
	itemPlain      = iota
	itemToolOutput // type function_call_output and the like: output is tool text
	itemSkip       // type function_call and the like: produced by the model
)

// itemRing keeps the most recent items of one array (MaxMessages of
// them): the first array a format reads items from, which is the one
// used unless the body has several (then the extraction walks the
// winner). The first 16 slots are in the ring itself (no allocation for
// the usual body; chatItem holds no pointer, so storing one does not make
// the ring escape), the rest in more.
type itemRing struct {
	arr   jsonSpan // the array, end == 0 before one is read
	n     int      // elements seen
	max   int
	fixed [16]chatItem
	more  []chatItem
}

// slot returns ring slot k.
func (r *itemRing) slot(k int) *chatItem {
	if k < len(r.fixed) {
		return &r.fixed[k]
	}
	return &r.more[k-len(r.fixed)]
}

// size is the number of items kept.
func (r *itemRing) size() int { return min(r.n, r.max) }

func (r *itemRing) push(it chatItem) {
	k := r.n % r.max
	if k >= len(r.fixed) && k-len(r.fixed) == len(r.more) {
		r.more = append(r.more, chatItem{})
	}
	*r.slot(k) = it
	r.n++
}

// each calls fn with the kept items, oldest first, until it returns false.
func (r *itemRing) each(fn func(chatItem) bool) {
	size, start := r.size(), 0
	if r.n > r.max {
		start = r.n % r.max
	}
	for k := range size {
		if !fn(*r.slot((start + k) % size)) {
			return
		}
	}
}

// ws skips whitespace from i; compact JSON has none, which is decided
// inline.
func (j *jsonCheck) ws(i int) int {
	if i < len(j.b) && j.b[i] > ' ' {
		return i
	}
	return j.wsRun(i)
}

func (j *jsonCheck) wsRun(i int) int {
	for i < len(j.b) {
		switch j.b[i] {
		case ' ', '\n', '\r', '\t':
			i++
			continue
		}
		break
	}
	return i
}

// str reads the string whose opening quote is b[i] and returns the index
// after its closing quote, -1 when it does not close.
func (j *jsonCheck) str(i int) int {
	b := j.b
	q := bytes.IndexByte(b[i+1:], '"')
	if q < 0 {
		return -1
	}
	q += i + 1
	if b[q-1] != '\\' { // the usual case: not an escaped quote
		return q + 1
	}
	for {
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		k := bytes.IndexByte(b[q+1:], '"')
		if k < 0 {
			return -1
		}
		q += k + 1
	}
}

// value reads the value at b[i] inside a container at nesting depth and
// returns the index after it, -1 on a deviation.
func (j *jsonCheck) value(i, depth int) int {
	b := j.b
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		return j.str(i)
	case c == '{':
		return j.object(i, depth+1)
	case c == '[':
		return j.array(i, depth+1)
	case c == 't':
		return j.literal(i, "true")
	case c == 'f':
		return j.literal(i, "false")
	case c == 'n':
		return j.literal(i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return j.number(i)
	}
	return -1
}

func (j *jsonCheck) literal(i int, lit string) int {
	if len(j.b)-i < len(lit) || string(j.b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (j *jsonCheck) number(i int) int {
	b := j.b
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == s {
			return -1
		}
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == s {
			return -1
		}
	}
	return i
}

func (j *jsonCheck) object(i, depth int) int {
	if depth > j.max {
		return -1
	}
	b := j.b
	i = j.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		if i = j.str(i); i < 0 {
			return -1
		}
		if i = j.ws(i); i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = j.value(j.ws(i+1), depth); i < 0 {
			return -1
		}
		if i = j.ws(i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = j.ws(i + 1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

func (j *jsonCheck) array(i, depth int) int {
	if depth > j.max {
		return -1
	}
	b := j.b
	i = j.ws(i + 1)
	if i < len(b) && b[i] == ']' {
		j.n = 0
		return i + 1
	}
	n := 0
	for {
		if i = j.value(i, depth); i < 0 {
			return -1
		}
		n++
		if i = j.ws(i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = j.ws(i + 1)
		case ']':
			j.n = n
			return i + 1
		default:
			return -1
		}
	}
}

// top validates the whole body, a top-level object, and fills t. It
// reports false on any deviation from the grammar.
func (j *jsonCheck) top(t *chatTop) bool {
	b := j.b
	i := j.ws(0)
	if i >= len(b) || b[i] != '{' || j.max < 1 {
		return false
	}
	i = j.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		return j.ws(i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		ks := i
		if i = j.str(i); i < 0 {
			return false
		}
		ke := i
		if i = j.ws(i); i >= len(b) || b[i] != ':' {
			return false
		}
		vs := j.ws(i + 1)
		key := b[ks+1 : ke-1]
		if vs < len(b) && b[vs] == '[' && j.items != nil && !j.items.arr.exists() && isItemsKey(key) {
			i = j.itemArray(vs)
			j.items.arr = jsonSpan{vs, i}
		} else {
			i = j.value(vs, 1)
		}
		if i < 0 {
			return false
		}
		t.member(b, key, jsonSpan{vs, i}, j.n)
		if i = j.ws(i); i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = j.ws(i + 1)
		case '}':
			return j.ws(i+1) == len(b)
		default:
			return false
		}
	}
}

// isItemsKey reports whether a top-level key (raw) holds an item array.
func isItemsKey(key []byte) bool {
	switch string(key) {
	case "messages", "input", "prompt":
		return true
	}
	return false // an escaped one goes through the extraction walk
}

// itemArray reads an array at depth 2 into j.items.
func (j *jsonCheck) itemArray(i int) int {
	if j.max < 2 {
		return -1
	}
	b := j.b
	r := j.items
	i = j.ws(i + 1)
	if i < len(b) && b[i] == ']' {
		j.n = 0
		return i + 1
	}
	n := 0
	for {
		var it chatItem
		start := i
		switch {
		case i >= len(b):
			return -1
		case b[i] == '"':
			it.kind = itemString
			i = j.str(i)
		case b[i] == '{':
			it.kind = itemObject
			i = j.item(i, &it)
		default:
			i = j.value(i, 2)
		}
		if i < 0 {
			return -1
		}
		it.v = jsonSpan{start, i}
		r.push(it)
		n++
		if i = j.ws(i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = j.ws(i + 1)
		case ']':
			j.n = n
			return i + 1
		default:
			return -1
		}
	}
}

// item reads a message / input item object at depth 3, keeping what
// parser.item reads of it: the last role, type, content and output.
func (j *jsonCheck) item(i int, it *chatItem) int {
	if j.max < 3 {
		return -1
	}
	b := j.b
	i = j.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		ks := i
		if i = j.str(i); i < 0 {
			return -1
		}
		key := b[ks+1 : i-1]
		if i = j.ws(i); i >= len(b) || b[i] != ':' {
			return -1
		}
		vs := j.ws(i + 1)
		if i = j.value(vs, 3); i < 0 {
			return -1
		}
		if len(key) > 7 && bytes.IndexByte(key, '\\') >= 0 { // see jsonIter.name
			var buf [32]byte
			key = appendUnescaped(buf[:0], string(key), len(key))
		}
		switch string(key) {
		case "role":
			it.role = roleSource(string(j.strValue(vs, i)))
		case "type":
			switch string(j.strValue(vs, i)) {
			case "function_call_output", "custom_tool_call_output", "mcp_call_output", "computer_call_output":
				it.typ = itemToolOutput
			case "function_call", "reasoning", "custom_tool_call":
				it.typ = itemSkip
			default:
				it.typ = itemPlain
			}
		case "content":
			it.content = jsonSpan{vs, i}
		case "output":
			it.output = jsonSpan{vs, i}
		}
		if i = j.ws(i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = j.ws(i + 1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// strValue is gjson's Result.Str of the value b[vs:ve] when it is short
// (roles, types): the unescaped text of a string, nil for other values.
func (j *jsonCheck) strValue(vs, ve int) []byte {
	if j.b[vs] != '"' {
		return nil
	}
	v := j.b[vs+1 : ve-1]
	if bytes.IndexByte(v, '\\') >= 0 {
		v = appendUnescaped(nil, string(v), len(v))
	}
	return v
}

// member records one top-level key (its raw, possibly escaped text) and
// value; n is the element count when the value is an array.
func (t *chatTop) member(b, key []byte, v jsonSpan, n int) {
	if bytes.IndexByte(key, '\\') >= 0 {
		var buf [64]byte
		key = appendUnescaped(buf[:0], string(key), len(key))
	}
	switch string(key) {
	case "model":
		t.model = v
	case "stream":
		t.stream = v
	case "max_tokens", "max_completion_tokens", "max_output_tokens":
		if c := b[v.start]; t.maxOutput == 0 && (c == '-' || isDigit(c)) {
			if f := parseNumber(b[v.start:v.end]); f > 0 {
				t.maxOutput = int(min(f, 1<<30))
			}
		}
	case "messages":
		t.messages, t.messagesN = v, n
	case "system":
		t.system = v
	case "anthropic_version":
		t.anthropic = true
	case "input":
		t.input, t.inputN = v, n
	case "instructions":
		t.instructions = v
	case "text":
		t.text = v
	case "prompt":
		t.prompt, t.promptN = v, n
	}
}

// parseNumber reads a valid JSON number; short integers without
// allocating.
func parseNumber(num []byte) float64 {
	if len(num) <= 15 {
		v := 0.0
		for _, c := range num {
			if !isDigit(c) {
				goto general
			}
			v = v*10 + float64(c-'0')
		}
		return v
	}
general:
	f, _ := strconv.ParseFloat(string(num), 64) // ±Inf past the range, as gjson reads it
	return f
}

// parseStrict is the strict path of parseChat. done is false when the
// body must go to the lenient reader instead.
func parseStrict(body []byte, lim Limits) (_ Chat, raw string, ok, done bool) {
	var t chatTop
	ring := itemRing{max: lim.MaxMessages}
	j := jsonCheck{b: body, max: min(lim.MaxDepth, 64), items: &ring}
	if !j.top(&t) {
		return Chat{}, "", false, false
	}
	msgs := t.messages.exists() && body[t.messages.start] == '['
	if !msgs && !t.input.exists() && !(t.text.exists() && body[t.text.start] == '"') && !t.prompt.exists() && len(lim.Paths) == 0 {
		return Chat{}, "", false, true // not chat: no copy of the body
	}
	raw = string(body)
	p := parser{lim: lim, raw: raw}
	p.c.Model = p.stringOf(t.model)
	p.c.Stream = p.boolOf(t.stream)
	p.c.MaxOutput = t.maxOutput
	// One allocation for the segments of the usual body: one per message
	// kept, and the system prompt.
	p.c.Segments = make([]Segment, 0, min(max(t.messagesN, t.inputN, t.promptN), lim.MaxMessages)+2)
	switch {
	case msgs:
		p.c.Format = FormatOpenAIChat
		if t.system.exists() || t.anthropic {
			p.c.Format = FormatAnthropic
			p.contentAt(t.system, SourceSystem)
		}
		p.itemsAt(t.messages, t.messagesN, &ring)
	case t.input.exists():
		p.c.Format = FormatResponses
		if t.instructions.exists() && raw[t.instructions.start] == '"' {
			p.addString(SourceSystem, t.instructions)
		}
		switch raw[t.input.start] {
		case '"':
			p.c.Messages = 1
			p.addString(SourceUser, t.input)
		case '[':
			p.itemsAt(t.input, t.inputN, &ring)
		default:
			p.c.Format = FormatUnknown
		}
	case t.text.exists() && raw[t.text.start] == '"':
		p.c.Format = FormatLibreChat
		p.c.Messages = 1
		p.addString(SourceUser, t.text)
	case t.prompt.exists():
		p.c.Format = FormatCompletion
		switch raw[t.prompt.start] {
		case '"':
			p.c.Messages = 1
			p.addString(SourceUser, t.prompt)
		case '[':
			p.itemsAt(t.prompt, t.promptN, &ring)
		}
	}
	if p.bail {
		return Chat{}, "", false, false
	}
	p.settle()
	if len(lim.Paths) > 0 {
		// gjson reads the configured paths; its callbacks make their
		// parser escape, so it gets one of its own.
		q := &parser{lim: lim, c: p.c, raw: raw, used: p.used}
		q.paths()
		return q.c, raw, q.c.Format != FormatUnknown, true
	}
	return p.c, raw, p.c.Format != FormatUnknown, true
}

// The extraction walks below read raw, which the validating pass has
// accepted: they skip values without checking them again.

// strEnd returns the index after the string whose opening quote is s[i]
// (see jsonCheck.str).
func strEnd(s string, i int) int {
	q := i + 1 + strings.IndexByte(s[i+1:], '"')
	for s[q-1] == '\\' {
		n := 0
		for p := q - 1; p > i && s[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			break
		}
		q += 1 + strings.IndexByte(s[q+1:], '"')
	}
	return q + 1
}

// skipValue returns the index after the value at s[i].
func skipValue(s string, i int) int {
	switch s[i] {
	case '"':
		return strEnd(s, i)
	case '{', '[':
		depth := 0
		for {
			switch s[i] {
			case '"':
				i = strEnd(s, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(s) {
		switch s[i] {
		case ',', ']', '}', ' ', '\n', '\r', '\t':
			return i
		}
		i++
	}
	return i
}

func skipWS(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\n', '\r', '\t':
			i++
			continue
		}
		return i
	}
	return i
}

// jsonIter walks the elements of an array or the members of an object.
type jsonIter struct {
	s   string
	i   int
	obj bool
	buf [32]byte // unescaped keys
}

func iterate(s string, v jsonSpan) jsonIter {
	return jsonIter{s: s, i: v.start + 1, obj: s[v.start] == '{'}
}

// next returns the next element, and for objects its key, unescaped.
func (it *jsonIter) next() (key string, v jsonSpan, ok bool) {
	s := it.s
	i := skipWS(s, it.i)
	if s[i] == ',' {
		i = skipWS(s, i+1)
	}
	if s[i] == ']' || s[i] == '}' {
		it.i = i
		return "", jsonSpan{}, false
	}
	if it.obj {
		ke := strEnd(s, i)
		key = s[i+1 : ke-1]
		i = skipWS(s, ke) // at ':'
		i = skipWS(s, i+1)
	}
	v.start, v.end = i, skipValue(s, i)
	it.i = v.end
	return key, v, true
}

// name returns key as it compares with the names the walks look for,
// lower-case words of at most 7 letters: unescaped when it holds escapes.
// A \uXXXX escape takes six bytes, so a key of 7 bytes or fewer reads as
// such a name only when it is one as it stands.
func (it *jsonIter) name(key string) string {
	if len(key) <= 7 || strings.IndexByte(key, '\\') < 0 {
		return key
	}
	return string(appendUnescaped(it.buf[:0], key, len(key)))
}

// unquote returns the string value v, unescaped.
func (p *parser) unquote(v jsonSpan) string {
	inner := p.raw[v.start+1 : v.end-1]
	if strings.IndexByte(inner, '\\') < 0 {
		return inner
	}
	return string(appendUnescaped(nil, inner, len(inner)))
}

// stringOf is gjson's Result.String for value v.
func (p *parser) stringOf(v jsonSpan) string {
	if !v.exists() {
		return ""
	}
	s := p.raw[v.start:v.end]
	switch s[0] {
	case '"':
		return p.unquote(v)
	case '{', '[':
		return s
	case 't':
		return "true"
	case 'f':
		return "false"
	case 'n':
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && !(i == 0 && s[i] == '-') {
			f, _ := strconv.ParseFloat(s, 64)
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return s
}

// boolOf is gjson's Result.Bool for value v.
func (p *parser) boolOf(v jsonSpan) bool {
	if !v.exists() {
		return false
	}
	switch p.raw[v.start] {
	case 't':
		return true
	case '"':
		b, _ := strconv.ParseBool(strings.ToLower(p.unquote(v)))
		return b
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f, _ := strconv.ParseFloat(p.raw[v.start:v.end], 64)
		return f != 0
	}
	return false
}

// addString adds the string value v, unescaped into the parser's arena
// when it holds escapes (settle turns the arena into one string).
func (p *parser) addString(src Source, v jsonSpan) {
	inner := p.raw[v.start+1 : v.end-1]
	if strings.IndexByte(inner, '\\') < 0 {
		p.add(src, inner)
		return
	}
	left := p.lim.MaxTextBytes - p.used
	off := len(p.arena)
	// One byte past the budget tells whether the text was cut.
	p.arena = appendUnescaped(p.arena, inner, max(left, 0)+1)
	n := len(p.arena) - off
	switch {
	case n == 0:
		return
	case left <= 0:
		p.arena = p.arena[:off]
		p.c.Truncated = true
		return
	case n > left:
		n = left
		p.arena = p.arena[:off+n]
		p.c.Truncated = true
	}
	p.used += n
	p.fixups = append(p.fixups, fixup{seg: len(p.c.Segments), off: off, n: n})
	p.c.Segments = append(p.c.Segments, Segment{Source: src})
}

// fixup is a segment whose text is arena[off:off+n].
type fixup struct{ seg, off, n int }

// settle points the segments of unescaped text into one string.
func (p *parser) settle() {
	if len(p.fixups) == 0 {
		return
	}
	s := string(p.arena)
	for _, f := range p.fixups {
		p.c.Segments[f.seg].Text = s[f.off : f.off+f.n]
	}
}

// addValue adds gjson's String of v (text blocks whose text is a number
// or an object are read so too).
func (p *parser) addValue(src Source, v jsonSpan) {
	if v.exists() && p.raw[v.start] == '"' {
		p.addString(src, v)
		return
	}
	p.add(src, p.stringOf(v))
}

// itemsAt handles a messages / input array of n elements, keeping the most
// recent MaxMessages, as parser.items does: from the items the validating
// pass kept when it is their array, else walking it.
func (p *parser) itemsAt(arr jsonSpan, n int, r *itemRing) {
	count, skip := -1, 0
	if (arr.end-arr.start)/2 > p.lim.MaxMessages {
		count = n
		if n > p.lim.MaxMessages {
			skip = n - p.lim.MaxMessages
			p.c.Truncated = true
		}
	}
	if r != nil && r.arr == arr {
		idx := skip // the ring holds the elements after the skipped ones
		r.each(func(it chatItem) bool {
			idx++
			switch it.kind {
			case itemString:
				p.addString(SourceUser, it.v)
			case itemObject:
				switch it.typ {
				case itemToolOutput:
					p.contentAt(it.output, SourceTool)
				case itemPlain:
					if it.content.exists() {
						p.contentAt(it.content, it.role)
					}
				}
			}
			return p.used < p.lim.MaxTextBytes && !p.bail
		})
		if count < 0 {
			count = idx
		}
		p.c.Messages = count
		return
	}
	idx := 0
	it := iterate(p.raw, arr)
	for _, m, ok := it.next(); ok && !p.bail; _, m, ok = it.next() {
		idx++
		if idx <= skip {
			continue
		}
		p.itemAt(m)
		if p.used >= p.lim.MaxTextBytes {
			break
		}
	}
	if count < 0 {
		count = idx
	}
	p.c.Messages = count
}

// itemAt handles one message or input item (see parser.item).
func (p *parser) itemAt(m jsonSpan) {
	switch p.raw[m.start] {
	case '"':
		p.addString(SourceUser, m)
		return
	case '{':
	default:
		return
	}
	var role, typ string
	var content, output jsonSpan
	it := iterate(p.raw, m)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch it.name(k) {
		case "role":
			role = p.strOnly(v)
		case "type":
			typ = p.strOnly(v)
		case "content":
			content = v
		case "output":
			output = v
		}
	}
	switch typ {
	case "function_call_output", "custom_tool_call_output", "mcp_call_output", "computer_call_output":
		p.contentAt(output, SourceTool)
		return
	case "function_call", "reasoning", "custom_tool_call":
		return
	}
	if content.exists() {
		p.contentAt(content, roleSource(role))
	}
}

// strOnly is gjson's Result.Str: the text of a string value, else "".
func (p *parser) strOnly(v jsonSpan) string {
	if p.raw[v.start] != '"' {
		return ""
	}
	return p.unquote(v)
}

// contentAt handles a content value (see parser.content).
func (p *parser) contentAt(v jsonSpan, src Source) {
	if !v.exists() {
		return
	}
	switch p.raw[v.start] {
	case '"':
		p.addString(src, v)
	case '[':
		it := iterate(p.raw, v)
		for _, b, ok := it.next(); ok && !p.bail; _, b, ok = it.next() {
			p.blockAt(b, src, 0)
			if p.used >= p.lim.MaxTextBytes {
				break
			}
		}
	case '{':
		p.blockAt(v, src, 0)
	}
}

// blockAt handles one content block (see parser.block). gjson's Get
// takes a key's first occurrence, so the fields do too.
func (p *parser) blockAt(b jsonSpan, src Source, depth int) {
	if depth > 4 {
		return
	}
	switch p.raw[b.start] {
	case '"':
		p.addString(src, b)
		return
	case '{':
	default:
		return
	}
	var typ, text, content, source, context jsonSpan
	it := iterate(p.raw, b)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		var f *jsonSpan
		switch it.name(k) {
		case "type":
			f = &typ
		case "text":
			f = &text
		case "content":
			f = &content
		case "source":
			f = &source
		case "context":
			f = &context
		default:
			continue
		}
		if !f.exists() {
			*f = v
		}
	}
	switch p.stringOf(typ) {
	case "text", "input_text", "output_text", "":
		p.addValue(src, text)
	case "tool_result":
		if !content.exists() {
			return
		}
		switch p.raw[content.start] {
		case '"':
			p.addString(SourceTool, content)
		case '[':
			it := iterate(p.raw, content)
			for _, x, ok := it.next(); ok && !p.bail; _, x, ok = it.next() {
				p.blockAt(x, SourceTool, depth+1)
				if p.used >= p.lim.MaxTextBytes {
					break
				}
			}
		}
	case "document":
		switch p.stringOf(p.field(source, "type")) {
		case "text":
			p.addValue(SourceDocument, p.field(source, "data"))
		case "content":
			p.eachBlock(p.field(source, "content"), SourceDocument, depth+1)
		}
		p.addValue(SourceDocument, context)
	case "search_result":
		p.eachBlock(content, SourceDocument, depth+1)
	}
}

// field is gjson's Result.Get(key) on v: the first member named key of an
// object. On other values gjson looks for an object anywhere in the raw
// text, even inside a string; those rare shapes bail out to the lenient
// reader.
func (p *parser) field(v jsonSpan, key string) jsonSpan {
	if !v.exists() {
		return jsonSpan{}
	}
	switch p.raw[v.start] {
	case '{':
		it := iterate(p.raw, v)
		for k, x, ok := it.next(); ok; k, x, ok = it.next() {
			if it.name(k) == key {
				return x
			}
		}
		return jsonSpan{}
	case '[':
		p.bail = true
	case '"':
		if strings.ContainsAny(p.raw[v.start:v.end], "{[") {
			p.bail = true
		}
	}
	return jsonSpan{}
}

// eachBlock is gjson's ForEach over v calling blockAt: the elements of an
// array, the member values of an object, a scalar itself.
func (p *parser) eachBlock(v jsonSpan, src Source, depth int) {
	if !v.exists() {
		return
	}
	switch p.raw[v.start] {
	case '[', '{':
		it := iterate(p.raw, v)
		for _, x, ok := it.next(); ok && !p.bail; _, x, ok = it.next() {
			p.blockAt(x, src, depth)
			if p.used >= p.lim.MaxTextBytes {
				return
			}
		}
	default:
		p.blockAt(v, src, depth)
	}
}

// appendUnescaped appends the JSON string content s (between the quotes)
// to dst, unescaped exactly as gjson unescapes it: it stops at a control
// character, at an invalid or truncated escape, decodes surrogate pairs
// and writes U+FFFD for a lone surrogate. It stops once limit bytes are
// written (the caller keeps at most that much).
func appendUnescaped(dst []byte, s string, limit int) []byte {
	start := len(dst)
	for i := 0; i < len(s); {
		room := limit - (len(dst) - start)
		if room <= 0 {
			break
		}
		// Copy the run up to the next backslash or control character,
		// within the room left.
		end := min(len(s), i+room)
		j := i
		for j < end && s[j] != '\\' && s[j] >= ' ' {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j == end || s[j] < ' ' {
			break
		}
		i = j + 1 // past the backslash
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '\\', '/', '"':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+5 > len(s) {
				return clip(dst, start, limit)
			}
			r := hexRune(s[i+1:])
			i += 5
			if utf16.IsSurrogate(r) && len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' {
				r = utf16.DecodeRune(r, hexRune(s[i+2:]))
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return clip(dst, start, limit)
		}
		i++
	}
	return clip(dst, start, limit)
}

func clip(dst []byte, start, limit int) []byte {
	if len(dst)-start > limit {
		return dst[:start+limit]
	}
	return dst
}

// hexRune reads four hex digits as gjson does: anything else reads as 0.
func hexRune(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0
		}
		r = r<<4 | rune(c)
	}
	return r
}
