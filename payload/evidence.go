package payload

// Evidence: the strongest signal kept for each class, and the message a
// finding carries (class, signal, where, the value's kind and a bounded,
// redacted excerpt).

import "strconv"

// maxExcerpt bounds the payload bytes quoted in a message.
const maxExcerpt = 48

// evidence is the strongest signal seen for one class.
type evidence struct {
	w       float32
	sig     int32
	loc     string
	name    string
	kind    valueKind
	excerpt string
}

// format renders the message for one class.
func (e *evidence) format(c class, conf float64, signals int) string {
	b := make([]byte, 0, 160)
	b = append(b, classNames[c]...)
	b = append(b, ": "...)
	b = append(b, signalName(int(e.sig))...)
	b = append(b, " in "...)
	b = append(b, e.loc...)
	if e.name != "" {
		b = append(b, ' ')
		b = strconv.AppendQuote(b, e.name)
	}
	if e.kind != kindStructured {
		b = append(b, " ("...)
		b = append(b, e.kind.String()...)
		b = append(b, ')')
	}
	if e.excerpt != "" {
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, e.excerpt)
	}
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(signals), 10)
	b = append(b, " signal"...)
	if signals != 1 {
		b = append(b, 's')
	}
	b = append(b, ", confidence "...)
	b = strconv.AppendFloat(b, conf, 'f', 2, 64)
	b = append(b, ')')
	return string(b)
}
