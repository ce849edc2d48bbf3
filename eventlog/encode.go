package eventlog

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends e's JSON form — the contract's log line, the same
// bytes encoding/json writes with HTML escaping off — to b and returns the
// extended buffer. It uses no reflection and, given room in b, does not
// allocate; the decision-log line and the stores encode with it.
// (Event has no MarshalJSON on purpose: encoding/json validates and
// re-compacts a marshaler's output, which costs more than its reflection.)
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","request_id":`...)
	b = appendString(b, e.RequestID)
	b = append(b, `,"client":{"ip":`...)
	b = appendString(b, e.Client.IP)
	b = append(b, `,"user":`...)
	b = appendString(b, e.Client.User)
	b = append(b, `},"method":`...)
	b = appendString(b, e.Method)
	b = append(b, `,"route":`...)
	b = appendString(b, e.Route)
	b = append(b, `,"path":`...)
	b = appendString(b, e.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"action":`...)
	b = appendString(b, e.Action)
	b = append(b, `,"mode":`...)
	b = appendString(b, e.Mode)
	if e.Would != "" {
		b = append(b, `,"would":`...)
		b = appendString(b, e.Would)
	}
	if a := e.Abuse; a != nil {
		b = append(b, `,"abuse":{"confidence":`...)
		b = appendFloat(b, a.Confidence)
		b = append(b, `,"detectors":`...)
		if a.Detectors == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i := range a.Detectors {
				d := &a.Detectors[i]
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"name":`...)
				b = appendString(b, d.Name)
				b = append(b, `,"confidence":`...)
				b = appendFloat(b, d.Confidence)
				b = append(b, `,"violation":`...)
				b = appendString(b, d.Violation)
				b = append(b, `,"messages":`...)
				if d.Messages == nil {
					b = append(b, "null"...)
				} else {
					b = append(b, '[')
					for j, m := range d.Messages {
						if j > 0 {
							b = append(b, ',')
						}
						b = appendString(b, m)
					}
					b = append(b, ']')
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if t := e.Tokens; t != nil {
		b = append(b, `,"tokens":{"prompt":`...)
		b = strconv.AppendInt(b, t.Prompt, 10)
		b = append(b, `,"completion":`...)
		b = strconv.AppendInt(b, t.Completion, 10)
		b = append(b, `,"model":`...)
		b = appendString(b, t.Model)
		if t.Estimated {
			b = append(b, `,"estimated":true`...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendFloat formats f as encoding/json does; NaN and infinities, which
// JSON cannot hold, are written as 0 (New never produces them).
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-07 → 1e-7, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped (as encoding/json does, for JavaScript), HTML left alone.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
