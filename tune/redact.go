package tune

import (
	"strings"
	"unicode/utf8"

	"github.com/warden-dev/warden/internal/redact"
)

// maxExample bounds the excerpt quoted in an example, in runes: enough to
// recognise the value, never the whole of it.
const maxExample = 40

// redactExample returns the excerpt as an example may quote it: nothing
// of a secret field's value, secrets redacted, at most maxExample runes.
func redactExample(field, excerpt string) string {
	if excerpt == "" {
		return ""
	}
	if (redact.Names{}).Match(field) {
		return redact.Mark
	}
	s := redact.Names{}.Text(excerpt)
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
