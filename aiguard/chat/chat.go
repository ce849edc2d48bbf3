package chat

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// Format is the wire format a chat body was recognised as.
type Format uint8

// Formats recognised by Parse.
const (
	FormatUnknown    Format = iota
	FormatOpenAIChat        // POST /v1/chat/completions: {"messages":[{"role","content"}]}
	FormatResponses         // POST /v1/responses: {"input": string | items, "instructions"}
	FormatAnthropic         // POST /v1/messages: {"system", "messages":[{"role","content":[blocks]}]}
	FormatLibreChat         // LibreChat ask: {"text": "...", "conversationId", …}
	FormatCompletion        // legacy completions: {"prompt": string | [string]}
	FormatCustom            // text found through configured JSON paths
)

var formatNames = [...]string{"unknown", "openai_chat", "openai_responses", "anthropic", "librechat", "completion", "custom"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// Source says where a piece of chat text came from, which decides how far
// it is trusted: system text is usually the operator's, user text the
// client's, tool results and documents are third-party content where
// indirect injections hide.
type Source uint8

// Sources of chat text.
const (
	SourceUser Source = iota
	SourceTool
	SourceDocument
	SourceSystem
	SourceAssistant
)

var sourceNames = [...]string{"user", "tool", "document", "system", "assistant"}

func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "unknown"
}

// ParseSource parses a Source name as used in config ("user", "tool", …).
func ParseSource(s string) (Source, error) {
	for i, n := range sourceNames {
		if n == s {
			return Source(i), nil
		}
	}
	return 0, fmt.Errorf("unknown source %q (want user, tool, document, system or assistant)", s)
}

// Segment is one piece of text of a chat request.
type Segment struct {
	Source Source
	Text   string // at most Limits.MaxTextBytes in total over all segments
}

// Chat is the parsed view of a chat request body.
type Chat struct {
	Format    Format
	Model     string
	Stream    bool
	MaxOutput int // requested output tokens (max_tokens, max_completion_tokens, max_output_tokens), 0 when absent
	Messages  int // number of messages / input items in the body
	Segments  []Segment
	// Truncated is set when limits cut the parse short: more messages than
	// MaxMessages (the most recent ones are kept), or more text than
	// MaxTextBytes.
	Truncated bool
}

// TextLen is the total length in bytes of the segments' text.
func (c *Chat) TextLen() int {
	n := 0
	for _, s := range c.Segments {
		n += len(s.Text)
	}
	return n
}

// PathSpec names a JSON path (gjson syntax, e.g. "inputs.#.text" or
// "data.prompt") whose string values are chat text of the given source.
type PathSpec struct {
	Path   string `yaml:"path"`
	Source string `yaml:"source"` // user (default), tool, document, system, assistant
}

// Limits bounds chat parsing. The zero value means the defaults.
type Limits struct {
	MaxBodyBytes int        `yaml:"max_body_bytes"` // bodies above are not parsed (default 1 MiB)
	MaxMessages  int        `yaml:"max_messages"`   // most recent messages kept (default 256)
	MaxTextBytes int        `yaml:"max_text_bytes"` // total text kept (default 64 KiB)
	MaxDepth     int        `yaml:"max_depth"`      // JSON nesting accepted (default 64)
	Paths        []PathSpec `yaml:"paths"`          // extra JSON paths for other APIs
}

// DefaultLimits returns the default parsing limits.
func DefaultLimits() Limits {
	return Limits{MaxBodyBytes: 1 << 20, MaxMessages: 256, MaxTextBytes: 64 << 10, MaxDepth: 64}
}

// Validate checks the limits; errors start with the field path.
func (l Limits) Validate() error {
	switch {
	case l.MaxBodyBytes < 0:
		return fmt.Errorf("max_body_bytes: must be >= 0")
	case l.MaxMessages < 0:
		return fmt.Errorf("max_messages: must be >= 0")
	case l.MaxTextBytes < 0:
		return fmt.Errorf("max_text_bytes: must be >= 0")
	case l.MaxDepth < 0:
		return fmt.Errorf("max_depth: must be >= 0")
	}
	for i, p := range l.Paths {
		if p.Path == "" {
			return fmt.Errorf("paths[%d].path: must not be empty", i)
		}
		if p.Source != "" {
			if _, err := ParseSource(p.Source); err != nil {
				return fmt.Errorf("paths[%d].source: %w", i, err)
			}
		}
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxMessages == 0 {
		l.MaxMessages = d.MaxMessages
	}
	if l.MaxTextBytes == 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}

// IsJSONContentType reports whether a Content-Type may carry a JSON body:
// empty (many clients omit it), application/json or any +json type.
func IsJSONContentType(ct string) bool {
	if ct == "" {
		return true
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(strings.ToLower(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json") || ct == "text/json"
}

// Parse parses body as a chat request. It reports ok=false, without
// error, for anything that is not a chat-shaped JSON object (not an
// object, too large, too deep, no recognised fields). Malformed or
// truncated JSON is read leniently as far as it goes, so a prefix of a
// large body is still parsed. It never panics and its work is bounded by
// the limits whatever the body holds.
func Parse(body []byte, lim Limits) (c Chat, ok bool) {
	c, _, ok = parseChat(body, lim, true)
	return c, ok
}

// parseChat is Parse; it also returns the string copy of the body
// (plus what closes it when truncated) the segments point into. quick=false
// skips the chat-key bail-out: tests check that the shortcut never changes
// a result.
//
// One reader for every body, gjson: it reads malformed and truncated JSON
// leniently, so a body the pipeline truncated to its inspection limit is
// still scanned (else padding a body past the limit would hide an
// injection at its start). Nesting is bounded first to keep gjson's
// recursion short.
func parseChat(body []byte, lim Limits, quick bool) (c Chat, raw string, ok bool) {
	lim = lim.withDefaults()
	if len(body) == 0 || len(body) > lim.MaxBodyBytes {
		return c, "", false
	}
	i := skipSpace(body)
	if i >= len(body) || body[i] != '{' {
		return c, "", false
	}
	keys := chatKeys{paths: lim.Paths, found: !quick}
	closer, ok := scanNesting(body, lim.MaxDepth, &keys)
	if !ok || !keys.found {
		// Not chat-shaped: no top-level key any format or configured
		// path reads. Non-chat JSON on every route ends here after one
		// pass, before gjson.
		return c, "", false
	}
	if len(closer) > 0 { // truncated: close the open string and brackets
		c.Truncated = true
		body = append(append(make([]byte, 0, len(body)+len(closer)), body...), closer...)
	}
	raw = fixSurrogates(string(body))
	root := gjson.Parse(raw)
	p := &parser{lim: lim, c: c, raw: raw}
	// One pass over the top-level keys instead of one Get per key.
	var msgs, system, input, instructions, text, prompt gjson.Result
	anthropic := false
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			p.c.Model = v.String()
		case "stream":
			p.c.Stream = v.Bool()
		case "max_tokens", "max_completion_tokens", "max_output_tokens":
			if v.Type == gjson.Number && v.Num > 0 && p.c.MaxOutput == 0 {
				p.c.MaxOutput = int(min(v.Num, 1<<30))
			}
		case "messages":
			msgs = v
		case "system":
			system = v
		case "anthropic_version":
			anthropic = true
		case "input":
			input = v
		case "instructions":
			instructions = v
		case "text":
			text = v
		case "prompt":
			prompt = v
		}
		return true
	})

	switch {
	case msgs.IsArray():
		p.c.Format = FormatOpenAIChat
		if system.Exists() || anthropic {
			p.c.Format = FormatAnthropic
			p.content(system, SourceSystem)
		}
		p.items(msgs)
	case input.Exists():
		p.c.Format = FormatResponses
		if instructions.Type == gjson.String {
			p.add(SourceSystem, instructions.String())
		}
		if input.Type == gjson.String {
			p.c.Messages = 1
			p.add(SourceUser, input.String())
		} else if input.IsArray() {
			p.items(input)
		} else {
			p.c.Format = FormatUnknown
		}
	case text.Type == gjson.String:
		p.c.Format = FormatLibreChat
		p.c.Messages = 1
		p.add(SourceUser, text.String())
	case prompt.Exists():
		p.c.Format = FormatCompletion
		if prompt.Type == gjson.String {
			p.c.Messages = 1
			p.add(SourceUser, prompt.String())
		} else if prompt.IsArray() {
			p.items(prompt)
		}
	}
	p.paths()
	return p.c, raw, p.c.Format != FormatUnknown
}

// paths adds the text found through the configured paths.
func (p *parser) paths() {
	if len(p.lim.Paths) == 0 {
		return
	}
	root := gjson.Parse(p.raw)
	for _, ps := range p.lim.Paths {
		src, err := ParseSource(ps.Source)
		if ps.Source == "" || err != nil {
			src = SourceUser
		}
		before := len(p.c.Segments)
		p.strings(root.Get(ps.Path), src, 0)
		if len(p.c.Segments) > before && p.c.Format == FormatUnknown {
			p.c.Format = FormatCustom
		}
	}
}

// parser collects the segments of one chat body within the limits.
type parser struct {
	lim  Limits
	c    Chat
	raw  string // the body the segments point into
	used int    // text bytes kept so far
}

// add appends text of the given source within the text budget.
func (p *parser) add(src Source, s string) {
	if s == "" {
		return
	}
	left := p.lim.MaxTextBytes - p.used
	if left <= 0 {
		p.c.Truncated = true
		return
	}
	if len(s) > left {
		s = s[:left]
		p.c.Truncated = true
	}
	p.used += len(s)
	if p.c.Segments == nil {
		// Room for a usual conversation in one allocation instead of
		// append's doubling from one.
		p.c.Segments = make([]Segment, 0, 32)
	}
	p.c.Segments = append(p.c.Segments, Segment{Source: src, Text: s})
}

// items walks a messages / input array, keeping the most recent
// MaxMessages entries.
func (p *parser) items(arr gjson.Result) {
	// Count first only when the array may exceed the limit: a cheap
	// length bound is one element per 2 bytes.
	n := -1
	skip := 0
	if len(arr.Raw)/2 > p.lim.MaxMessages {
		n = int(arr.Get("#").Int())
		if n > p.lim.MaxMessages {
			skip = n - p.lim.MaxMessages
			p.c.Truncated = true
		}
	}
	idx := 0
	arr.ForEach(func(_, m gjson.Result) bool {
		idx++
		if idx <= skip {
			return true
		}
		p.item(m)
		return p.used < p.lim.MaxTextBytes
	})
	if n < 0 {
		n = idx
	}
	p.c.Messages = n
}

// item handles one message or input item of any supported format.
func (p *parser) item(m gjson.Result) {
	if m.Type == gjson.String { // prompt arrays, plain input arrays
		p.add(SourceUser, m.String())
		return
	}
	if !m.IsObject() {
		return
	}
	var role, typ string
	var content, output gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v.Str
		case "type":
			typ = v.Str
		case "content":
			content = v
		case "output":
			output = v
		}
		return true
	})
	switch typ {
	case "function_call_output", "custom_tool_call_output", "mcp_call_output", "computer_call_output":
		p.content(output, SourceTool)
		return
	case "function_call", "reasoning", "custom_tool_call":
		return // produced by the model, echoed back by the client
	}
	if content.Exists() {
		p.content(content, roleSource(role))
	}
}

func roleSource(role string) Source {
	switch role {
	case "system", "developer":
		return SourceSystem
	case "assistant", "model":
		return SourceAssistant
	case "tool", "function", "ipython":
		return SourceTool
	}
	return SourceUser
}

// content handles a content value: a string or an array of blocks.
func (p *parser) content(c gjson.Result, src Source) {
	switch {
	case c.Type == gjson.String:
		p.add(src, c.String())
	case c.IsArray():
		c.ForEach(func(_, b gjson.Result) bool {
			p.block(b, src, 0)
			return p.used < p.lim.MaxTextBytes
		})
	case c.IsObject():
		p.block(c, src, 0)
	}
}

// block handles one content block (OpenAI parts, Anthropic blocks).
func (p *parser) block(b gjson.Result, src Source, depth int) {
	if depth > 4 {
		return
	}
	if b.Type == gjson.String {
		p.add(src, b.String())
		return
	}
	if !b.IsObject() {
		return
	}
	switch b.Get("type").String() {
	case "text", "input_text", "output_text", "":
		p.add(src, b.Get("text").String())
	case "tool_result":
		inner := b.Get("content")
		if inner.Type == gjson.String {
			p.add(SourceTool, inner.String())
		} else if inner.IsArray() {
			inner.ForEach(func(_, x gjson.Result) bool {
				p.block(x, SourceTool, depth+1)
				return p.used < p.lim.MaxTextBytes
			})
		}
	case "document":
		s := b.Get("source")
		switch s.Get("type").String() {
		case "text":
			p.add(SourceDocument, s.Get("data").String())
		case "content":
			s.Get("content").ForEach(func(_, x gjson.Result) bool {
				p.block(x, SourceDocument, depth+1)
				return p.used < p.lim.MaxTextBytes
			})
		}
		p.add(SourceDocument, b.Get("context").String())
	case "search_result":
		b.Get("content").ForEach(func(_, x gjson.Result) bool {
			p.block(x, SourceDocument, depth+1)
			return p.used < p.lim.MaxTextBytes
		})
	}
	// image, image_url, input_image, file, audio, tool_use: no text to scan.
}

// strings collects every string under v (configured paths may select
// objects or arrays), bounded by depth and the text budget.
func (p *parser) strings(v gjson.Result, src Source, depth int) {
	if depth > p.lim.MaxDepth || p.used >= p.lim.MaxTextBytes {
		return
	}
	switch {
	case v.Type == gjson.String:
		p.add(src, v.String())
	case v.IsArray() || v.IsObject():
		v.ForEach(func(_, x gjson.Result) bool {
			p.strings(x, src, depth+1)
			return p.used < p.lim.MaxTextBytes
		})
	}
}

func skipSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// DepthWithin reports whether the JSON nesting of b stays within max,
// skipping strings. It keeps the recursive readers off pathological
// inputs such as a megabyte of '['.
func DepthWithin(b []byte, max int) bool {
	_, ok := scanNesting(b, max, nil)
	return ok
}

// chatKeys looks, during scanNesting, for a top-level key Parse reads
// text from: one of the formats' keys or the first component of a
// configured path. A configured path whose first component is not a plain
// key (wildcards, modifiers, escapes) may select anything, so found is
// then set from the start.
//
// gjson reads malformed JSON leniently (it alternates keys and values
// without looking at ':' and ',', skips stray bytes while looking for a
// key or a value, runs a number to the next delimiter), so on malformed
// input its keys may be other strings than ours. shape therefore follows
// the top level of the object as a strict JSON grammar (nested values,
// which gjson skips by brackets and strings as scanNesting does, are not
// looked into); any deviation sets found, and the full parse decides.
type chatKeys struct {
	paths []PathSpec
	found bool
	state uint8 // top-level grammar state, see shape
}

// Top-level grammar states of chatKeys.shape.
const (
	tlStart    = iota // before the opening '{'
	tlFirstKey        // after '{': a key or '}'
	tlColon           // after a key: ':'
	tlValue           // after ':': a value
	tlLiteral         // inside a number or literal
	tlAfter           // after a value: ',' or '}'
	tlKey             // after ',': a key
	tlClosed          // after the closing '}'
)

// shape feeds byte c, outside strings, read at nesting depth (before c
// is applied) to the top-level grammar; it reports false on a deviation.
func (k *chatKeys) shape(c byte, depth int) bool {
	ws := c == ' ' || c == '\t' || c == '\n' || c == '\r'
	if depth == 2 { // a closer ending a nested value
		k.state = tlAfter
		return true
	}
	switch k.state {
	case tlStart:
		if c == '{' {
			k.state = tlFirstKey
		}
		return c == '{' || ws
	case tlFirstKey, tlKey:
		switch {
		case c == '"':
			k.state = tlColon
		case c == '}' && k.state == tlFirstKey:
			k.state = tlClosed
		default:
			return ws
		}
	case tlColon:
		if c == ':' {
			k.state = tlValue
			return true
		}
		return ws
	case tlValue:
		switch {
		case c == '"', c == '{', c == '[':
			k.state = tlAfter // nested values come back through depth 2
		case c >= '0' && c <= '9', c == '-', c == '+', c == 't', c == 'f', c == 'n':
			k.state = tlLiteral
		default:
			return ws
		}
	case tlLiteral:
		switch {
		case ws:
			k.state = tlAfter
		case c == ',':
			k.state = tlKey
		case c == '}':
			k.state = tlClosed
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c == '-', c == '+', c == '.', c == 'E':
		default:
			return false
		}
	case tlAfter:
		switch {
		case c == ',':
			k.state = tlKey
		case c == '}':
			k.state = tlClosed
		default:
			return ws
		}
	case tlClosed:
		return ws
	}
	return true
}

// init sets found when a configured path cannot be reduced to a key.
func (k *chatKeys) init() {
	for _, p := range k.paths {
		first, _, _ := strings.Cut(p.Path, ".")
		if first == "" || strings.ContainsAny(first, "*?#|@\\[]{}()!=<>%,:\"") {
			k.found = true
			return
		}
	}
}

// key checks one string that stands directly in the top-level object (a
// key, or for malformed bodies possibly a value: either way only a
// reason to parse). Escaped strings are not decoded; they count as found.
func (k *chatKeys) key(s []byte) {
	switch string(s) {
	case "messages", "input", "text", "prompt", "system", "instructions", "contents":
		k.found = true
		return
	}
	if bytes.IndexByte(s, '\\') >= 0 {
		k.found = true
		return
	}
	for _, p := range k.paths {
		first, _, _ := strings.Cut(p.Path, ".")
		if string(s) == first {
			k.found = true
			return
		}
	}
}

// scanNesting checks that nesting stays within max and returns what
// closes a truncated document: a quote if it ends inside a string, then
// the brackets still open. ok is false when nesting exceeds max. With
// keys non-nil it also looks at the strings directly inside the
// top-level object (see chatKeys).
func scanNesting(b []byte, max int, keys *chatKeys) (closer []byte, ok bool) {
	if keys != nil {
		if !keys.found {
			keys.init()
		}
		if keys.found {
			keys = nil // nothing left to find
		}
	}
	var stack [65]byte
	if max > 64 {
		max = 64
	}
	depth := 0
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		// gjson skips nested values by brackets, parentheses included
		// (a stray ')' can end one early and surface a key): any
		// parenthesis outside strings sends the body to the full parse.
		if keys != nil && ((depth <= 1 || depth == 2 && (c == '}' || c == ']')) && !keys.shape(c, depth) || c == '(' || c == ')') {
			keys.found = true
			keys = nil
		}
		switch c {
		case '"':
			// Jump to the closing quote: one not preceded by an odd
			// number of backslashes.
			j := i + 1
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					if keys != nil && depth == 1 && stack[0] == '{' {
						keys.key(b[i+1:])
					}
					inStr, i = true, len(b)
					break
				}
				q := j + k
				n := 0
				for p := q - 1; p > i && b[p] == '\\'; p-- {
					n++
				}
				if n%2 == 0 {
					if keys != nil && depth == 1 && stack[0] == '{' {
						keys.key(b[i+1 : q])
						if keys.found {
							keys = nil
						}
					}
					i = q
					break
				}
				j = q + 1
			}
		case '{', '[':
			if depth >= max {
				return nil, false
			}
			stack[depth] = c
			depth++
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	if !inStr && depth == 0 {
		return nil, true
	}
	if inStr {
		n := 0
		for p := len(b) - 1; p >= 0 && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 1 {
			closer = append(closer, '\\')
		}
		closer = append(closer, '"')
	}
	for d := depth - 1; d >= 0; d-- {
		if stack[d] == '{' {
			closer = append(closer, '}')
		} else {
			closer = append(closer, ']')
		}
	}
	return closer, true
}
