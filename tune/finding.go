package tune

import (
	"regexp"
	"strconv"
)

// finding is one payload finding as its event message tells it:
//
//	xss: html that runs script in text in form "comment" (text): "<img …" (6 signals, confidence 1.00)
//
// The detector writes class, signal, location, field name, kind of value,
// excerpt and confidence in that order; the event log may cut the message
// short (eventlog.MaxMessageBytes), so everything after the location is
// optional.
type finding struct {
	class, loc, field, kind, excerpt string
	conf                             float64 // -1 when the message was cut before it
}

// findingRE parses a payload message. The signal is matched lazily up to
// the first " in <location>", so signal names that hold " in " themselves
// ("html that runs script in text") stay whole.
var findingRE = regexp.MustCompile(`^([a-z_]+): .+? in (query|form|multipart|json|xml|header|cookie|path|body|protobuf)` +
	`(?: ("(?:[^"\\]|\\.)*"))?` +
	`(?: \((structured|text|prose|markdown|code)\))?` +
	`(?:: ("(?:[^"\\]|\\.)*"?))?` +
	`(?: \(\d+ signals?, confidence ([0-9.]+)\))?`)

// parseFinding reads a payload detector message; ok is false for any
// other message.
func parseFinding(msg string) (f finding, ok bool) {
	m := findingRE.FindStringSubmatch(msg)
	if m == nil {
		return f, false
	}
	f = finding{class: m[1], loc: m[2], kind: m[4], conf: -1}
	if m[3] != "" {
		name, err := strconv.Unquote(m[3])
		if err != nil {
			return f, false
		}
		f.field = name
	}
	if ex := m[5]; ex != "" {
		if s, err := strconv.Unquote(ex); err == nil {
			f.excerpt = s
		} else {
			f.excerpt = ex[1:] // cut short: the closing quote is gone
		}
	}
	if m[6] != "" {
		if c, err := strconv.ParseFloat(m[6], 64); err == nil {
			f.conf = c
		}
	}
	return f, true
}

// excludable reports whether payload.exclusions can name the finding's
// field: query parameters, form fields, multipart parts and JSON keys.
func (f *finding) excludable() bool {
	switch f.loc {
	case "query", "form", "multipart", "json":
		return f.field != ""
	}
	return false
}
