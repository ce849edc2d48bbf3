package payload

import (
	"bytes"
)

// chatKind is a kind of chat request body whose message text is left to
// the AI detectors (Config.ChatContent).
type chatKind uint8

const (
	chatMessages  chatKind = 1 << iota // OpenAI chat completions, Anthropic messages: model + messages
	chatResponses                      // OpenAI responses: model + input
	chatPrompt                         // legacy completions: model + prompt
	chatLibre                          // LibreChat: text, on a route of the message class
)

// chatRules are the message-text fields of each kind of chat body. A
// field naming an array covers its elements ("prompt" covers "prompt[]").
var chatRules = func() []struct {
	kind chatKind
	path fieldPath
} {
	var out []struct {
		kind chatKind
		path fieldPath
	}
	add := func(k chatKind, paths ...string) {
		for _, p := range paths {
			fp, err := parseFieldPath(p)
			if err != nil {
				panic(err)
			}
			out = append(out, struct {
				kind chatKind
				path fieldPath
			}{k, fp})
		}
	}
	add(chatMessages, "messages[].content", "messages[].content[].text", "system", "system[].text")
	add(chatResponses, "input", "input[].content", "input[].content[].text", "instructions")
	add(chatPrompt, "prompt")
	add(chatLibre, "text")
	return out
}()

var modelKey = []byte(`"model"`)

// chatKey reports whether a value under key k may be message text in
// some chat format: the JSON walker asks whether the body is a chat body
// only on meeting such a value.
func chatKey(k []byte) bool {
	// By the last byte first: valueMask asks for every value it inspects
	// until the answer is yes, and most keys end in another byte.
	n := len(k)
	if n < 4 || n > 12 {
		return false
	}
	switch k[n-1] {
	case 't':
		return string(k) == "text" || string(k) == "input" || string(k) == "prompt" || string(k) == "content"
	case 'm':
		return string(k) == "system"
	case 's':
		return string(k) == "instructions"
	}
	return false
}

// chatKinds recognises a chat request body from its top-level keys, in
// any order: a "model" string with a "messages" array, an "input" string
// or array, or a "prompt" string or array; or, on a route of the message
// class (message), a "text" string. It reads the body once, skipping
// nested values, and only when the body is an object that names a model
// (or is on a message route). Anything unexpected (a syntax error, a
// value of another type, text after the object) answers 0: the body is
// then inspected in full.
func chatKinds(b []byte, message bool) chatKind {
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '{' || !message && !bytes.Contains(b, modelKey) {
		return 0
	}
	const (
		model = 1 << iota
		messages
		input
		prompt
		text
	)
	var seen uint8
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return 0
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0
		}
		end, ok := skipJSONString(b, i)
		if !ok {
			return 0
		}
		key := b[i+1 : end-1] // raw: a key with escapes matches none
		i = skipJSONSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0
		}
		i = skipJSONSpace(b, i+1)
		if i >= len(b) {
			return 0
		}
		first := b[i]
		if i, ok = skipJSONValue(b, i); !ok {
			return 0
		}
		str, arr := first == '"', first == '['
		switch string(key) {
		case "model":
			if str {
				seen |= model
			}
		case "messages":
			if arr {
				seen |= messages
			}
		case "input":
			if str || arr {
				seen |= input
			}
		case "prompt":
			if str || arr {
				seen |= prompt
			}
		case "text":
			if str {
				seen |= text
			}
		}
		i = skipJSONSpace(b, i)
		if i >= len(b) {
			return 0
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return 0
		}
		i = skipJSONSpace(b, i+1)
	}
	if skipJSONSpace(b, i+1) != len(b) {
		return 0 // more than one value: not a chat request
	}
	var k chatKind
	if seen&model != 0 {
		if seen&messages != 0 {
			k |= chatMessages
		}
		if seen&input != 0 {
			k |= chatResponses
		}
		if seen&prompt != 0 {
			k |= chatPrompt
		}
	}
	if message && seen&text != 0 {
		k |= chatLibre
	}
	return k
}

// skipJSONString returns the index past the JSON string at b[i] (which
// is '"'), without decoding it.
func skipJSONString(b []byte, i int) (int, bool) {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b), false
		}
		i += q
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i, true
		}
	}
}

// skipJSONValue returns the index past the JSON value at b[i], nested
// values and all, checking no more of its syntax than the brackets'
// balance: the walker reads it properly afterwards.
func skipJSONValue(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			var ok bool
			if i, ok = skipJSONString(b, i); !ok {
				return i, false
			}
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, false
			}
			depth--
			i++
		default:
			if depth == 0 {
				// A number, true, false or null.
				st := i
				for i < len(b) && jsonScalar[b[i]] {
					i++
				}
				return i, i > st
			}
			i++
		}
		if depth == 0 {
			return i, true
		}
	}
	return i, false
}

// jsonText inspects v, a JSON string value (not a key) with character
// classes cm, under its field's rules: the walk tracks paths.
func (s *scan) jsonText(v []byte, cm uint32) {
	if s.fields.pending && chatKey(s.name) {
		s.chatBegins() // paths are tracked already
	}
	s.ruledValue(v, cm, s.pathMask())
}

// chatBegins asks, once per JSON body, whether it is a chat body, on
// meeting the first value under a key that may hold chat text. If it is,
// and paths are not tracked, it ends the walk (as MaxValues ends it) for
// json to start it again, tracking, and reports true.
func (s *scan) chatBegins() bool {
	s.fields.pending = false
	s.fields.chat = chatKinds(s.fields.body, s.fields.message)
	if s.fields.chat == 0 || s.fields.track {
		return false
	}
	s.fields.restart = true
	s.values = s.d.cfg.MaxValues
	return true
}
