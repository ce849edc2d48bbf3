package redact

import (
	"iter"
	"strings"
)

// Text returns s, free text about a request (a message, a log line, the
// content sent to a judge), with the values of secret-named keys and
// every secret shape replaced by Mark. A key is a name followed by = or :
// (key=value, key: value, "key": "value", user[password]=…); the value is
// what is quoted after it, else what runs to the next & ; , } ] or space
// (to the end of the line after "key:", as in a header). A multipart part
// whose name is secret (name="password") has its body replaced. It
// returns s itself, without allocating, when there is nothing to redact.
func (n Names) Text(s string) string {
	var b strings.Builder
	last := 0
	for start, end := range n.secretValues(s) {
		if b.Cap() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		b.WriteString(Mark)
		last = end
	}
	if last == 0 {
		return Shapes(s)
	}
	b.WriteString(s[last:])
	return Shapes(b.String())
}

// secretValues yields the extent of each secret value in s, in order:
// the value after every secret-named key, the scan going on after the
// value (a key inside a value is part of the secret).
func (n Names) secretValues(s string) iter.Seq2[int, int] {
	return func(yield func(start, end int) bool) {
		for i := 0; i < len(s); {
			if !isKeyChar(s[i]) {
				i++
				continue
			}
			j := i + 1
			for j < len(s) && isKeyChar(s[j]) {
				j++
			}
			start, end, ok := n.secretValue(s, i, j)
			if !ok {
				i = j
				continue
			}
			if !yield(start, end) {
				return
			}
			i = max(end, j)
		}
	}
}

// secretValue looks at the key s[i:j] and returns the extent of the
// secret value that follows it, if the key is secret.
func (n Names) secretValue(s string, i, j int) (start, end int, ok bool) {
	quotedKey := i > 0 && (s[i-1] == '"' || s[i-1] == '\'')
	k := j
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		k++
	}
	k = skipBlank(s, k)
	if k >= len(s) || s[k] != '=' && s[k] != ':' {
		return 0, 0, false
	}
	sep := s[k]
	k++
	if sep == ':' && k < len(s) && s[k] == ':' {
		return 0, 0, false // a scope (pkg::name), not a key
	}
	k = skipBlank(s, k)
	if k >= len(s) {
		return 0, 0, false
	}
	if q := s[k]; q == '"' || q == '\'' {
		qe := closingQuote(s, k+1, q)
		if strings.EqualFold(s[i:j], "name") {
			// A multipart part header: name="password" means the body
			// of the part is the secret.
			if !n.Match(s[k+1 : qe]) {
				return 0, 0, false
			}
			return partBody(s, qe)
		}
		if qe == k+1 || !n.Match(s[i:j]) {
			return 0, 0, false
		}
		return k + 1, qe, true
	}
	if !n.Match(s[i:j]) {
		return 0, 0, false
	}
	e := k
	for e < len(s) {
		c := s[e]
		if c == '\n' || c == '\r' {
			break
		}
		if sep == '=' || quotedKey {
			if c == '&' || c == ';' || c == ',' || c == '}' || c == ']' || c == '"' || c == '\'' || c == ' ' || c == '\t' {
				break
			}
		}
		e++
	}
	if e == k {
		return 0, 0, false
	}
	return k, e, true
}

// closingQuote returns the index of the quote q closing a string that
// starts at i, skipping backslash escapes, or len(s).
func closingQuote(s string, i int, q byte) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return len(s)
}

// partBody returns the extent of the body of the multipart part whose
// header holds s[i]: from after the blank line that ends the header to
// the next boundary line.
func partBody(s string, i int) (start, end int, ok bool) {
	h := strings.Index(s[i:], "\n\n")
	hc := strings.Index(s[i:], "\r\n\r\n")
	switch {
	case hc >= 0 && (h < 0 || hc < h):
		start = i + hc + 4
	case h >= 0:
		start = i + h + 2
	default:
		return 0, 0, false
	}
	end = len(s)
	if e := strings.Index(s[start:], "\n--"); e >= 0 {
		end = start + e
		if end > start && s[end-1] == '\r' {
			end--
		}
	}
	return start, end, end > start
}

func isKeyChar(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']'
}

func skipBlank(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}
