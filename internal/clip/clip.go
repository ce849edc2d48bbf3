// Package clip cuts text to a bound without breaking a UTF-8 sequence: the
// one way Warden shortens a value it quotes in an error, a log line, a
// message, an alert or a prompt sent to a model.
//
// It does not redact: request data quoted as evidence goes through
// internal/redact's Excerpt, which uses it.
package clip

import (
	"strings"
	"unicode/utf8"
)

// Mark ends a value that was cut.
const Mark = "…"

// Prefix returns the longest prefix of s of at most n bytes that ends on a
// rune boundary, without a mark.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// String quotes s in a message: at most n bytes of it on a rune
// boundary, followed by Mark when cut, with invalid UTF-8 replaced so the
// message stays valid text.
func String(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToValidUTF8(Prefix(s, n), "\uFFFD") + Mark
}

// Runes cuts s to at most n runes, the last being Mark when cut: for
// titles and table cells whose limits count characters (a mail subject, a
// Slack title, a terminal column).
func Runes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	k := 0
	for i := range s {
		if k == n-1 {
			return s[:i] + Mark
		}
		k++
	}
	return s
}
