package response

import (
	"bytes"
	"slices"
	"strconv"
)

// placeholder is one value of the user's message replaced before the
// request went upstream (Config.Prompt redact): name, as "[EMAIL_1]",
// stands for value in the model's answer. The mapping lives in the
// answer's writer only: it is never logged or stored.
type placeholder struct {
	name, value []byte
}

// maxPlaceholders bounds the values replaced in one request; past it
// the rest go as they are (a body with hundreds of addresses is a list
// the app sent on purpose, not a user's own data).
const maxPlaceholders = 64

// placeholderNames are the names' stems by kind; kinds without one are
// not replaced.
var placeholderNames = [nKinds]string{kSecret: "SECRET", kEmail: "EMAIL", kPhone: "PHONE", kCard: "CARD", kIBAN: "IBAN"}

// longestName returns the length of the longest name in ph: how far
// back a placeholder ending in new text may start.
func longestName(ph []placeholder) int {
	n := 0
	for _, p := range ph {
		n = max(n, len(p.name))
	}
	return n
}

// withPlaceholders returns body, a chat request, with the secrets and
// personal data of the user's messages replaced by placeholders, and the
// mapping; ok is false when nothing was replaced (body is returned
// as it is) or body is not a chat request the reader can read.
func withPlaceholders(body []byte, det *detectors) (out []byte, ph []placeholder, ok bool) {
	var spanBuf [8]strSpan
	spans, ok := userTexts(spanBuf[:0], body)
	if !ok || len(spans) == 0 {
		return body, nil, false
	}
	var text, buf []byte
	var ms []match
	last := 0
	counts := [nKinds]int{}
	for _, s := range spans {
		text = unquote(text[:0], body[s.start:s.end])
		ms = det.find(ms[:0], text, false, false, 0)
		if len(ms) == 0 {
			continue
		}
		slices.SortFunc(ms, func(a, b match) int { return a.start - b.start })
		buf = buf[:0]
		i := 0
		for _, m := range ms {
			if m.start < i || placeholderNames[m.k] == "" {
				continue // overlaps one replaced: a card number read as a phone number too
			}
			v := text[m.start:m.end]
			name := lookup(ph, v)
			if name == nil {
				if len(ph) == maxPlaceholders {
					continue
				}
				name = newName(body, m.k, &counts)
				ph = append(ph, placeholder{name: name, value: append([]byte(nil), v...)})
			}
			buf = append(append(buf, text[i:m.start]...), name...)
			i = m.end
		}
		if i == 0 {
			continue
		}
		buf = append(buf, text[i:]...)
		out = append(out, body[last:s.start]...)
		out = quote(out, buf)
		last = s.end
	}
	if len(ph) == 0 {
		return body, nil, false
	}
	return append(out, body[last:]...), ph, true
}

// lookup returns the name of value in ph: the same value twice is one
// placeholder.
func lookup(ph []placeholder, value []byte) []byte {
	for _, p := range ph {
		if bytes.Equal(p.value, value) {
			return p.name
		}
	}
	return nil
}

// newName returns the next name of kind k that body does not already
// hold: a user writing "[EMAIL_1]" themselves keeps their text.
func newName(body []byte, k kind, counts *[nKinds]int) []byte {
	for {
		counts[k]++
		name := []byte("[" + placeholderNames[k] + "_" + strconv.Itoa(counts[k]) + "]")
		if !bytes.Contains(body, name) {
			return name
		}
	}
}

// restore marks the placeholders in the new text text[from:] (and one
// that began before it) for replacement by the user's values.
func (w *writer) restore(from int) {
	for i := max(from-w.phLen+1, 0); i < len(w.text); i++ {
		j := bytes.IndexByte(w.text[i:], '[')
		if j < 0 {
			return
		}
		i += j
		for _, p := range w.ph {
			if bytes.HasPrefix(w.text[i:], p.name) {
				s := w.base + int64(i)
				if e := s + int64(len(p.name)); e > w.out {
					w.addEdit(s, e, p.value)
				}
				break
			}
		}
	}
}

// placeholderTail returns where a tail of w.text that may be the start
// of a placeholder begins, or len(w.text): it is held until the name
// is whole or cannot be one.
func (w *writer) placeholderTail() int {
	n := len(w.text)
	for i := max(n-w.phLen+1, 0); i < n; i++ {
		j := bytes.IndexByte(w.text[i:], '[')
		if j < 0 {
			break
		}
		i += j
		for _, p := range w.ph {
			if len(p.name) > n-i && bytes.HasPrefix(p.name, w.text[i:]) {
				return i
			}
		}
	}
	return n
}
