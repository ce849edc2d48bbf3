package tune

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/warden-dev/warden/llm"
)

// maxExample bounds the excerpt quoted in an example, in runes: enough to
// recognise the value, never the whole of it.
const maxExample = 40

// secretField matches field names whose values are secrets whatever they
// hold.
var secretField = regexp.MustCompile(`(?i)pass|pwd|secret|token|api[_-]?key|auth|cookie|session|card|cvv|ssn|otp|pin$`)

// secretShape matches secret-looking values that llm.Redact leaves alone:
// JWTs and card-number-like digit runs.
var secretShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?|\b\d(?:[ -]?\d){11,18}\b`)

// redactExample returns the excerpt as an example may quote it: nothing
// of a secret field's value, secrets redacted, at most maxExample runes.
func redactExample(field, excerpt string) string {
	if excerpt == "" {
		return ""
	}
	if secretField.MatchString(field) {
		return "[redacted]"
	}
	s := secretShape.ReplaceAllString(llm.Redact(excerpt), "[redacted]")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' ' // a comment line must stay one line
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxExample {
		i := 0
		for n := 0; n < maxExample; n++ {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		s = s[:i] + "…"
	}
	return s
}
