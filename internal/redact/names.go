package redact

import (
	"bytes"
	"fmt"
	"strings"
)

// Mark replaces a secret in what Warden writes.
const Mark = "[redacted]"

// DefaultFields returns the names of the fields whose values are secrets
// by default. Config.Fields adds to them; it cannot remove any.
func DefaultFields() []string {
	return []string{
		"password", "passwd", "passphrase", "pwd", "pass", "secret", "token",
		"api_key", "apikey", "access_token", "refresh_token", "client_secret",
		"authorization", "cookie", "private_key", "credential", "credentials",
		"session", "cvv", "cvc",
	}
}

// Config is the YAML section redact.
type Config struct {
	// Fields are names of fields, parameters and headers whose values are
	// secrets, besides DefaultFields (which cannot be switched off).
	Fields []string `yaml:"fields"`
}

// maxFieldBytes bounds a configured name; names are matched by value on
// every finding.
const maxFieldBytes = 64

// Validate checks that every field name is a plain name: letters, digits
// and _ - . only, at most 64 bytes.
func (c Config) Validate() error {
	for i, f := range c.Fields {
		if f == "" {
			return fmt.Errorf("fields[%d]: empty name", i)
		}
		if len(f) > maxFieldBytes {
			return fmt.Errorf("fields[%d]: longer than %d bytes", i, maxFieldBytes)
		}
		for j := 0; j < len(f); j++ {
			if !isAlnum(f[j]) && f[j] != '_' && f[j] != '-' && f[j] != '.' {
				return fmt.Errorf("fields[%d]: %q: only letters, digits and _ - . may make a name", i, f)
			}
		}
		if w, _ := normalize(f); w == "" {
			return fmt.Errorf("fields[%d]: %q has no letter or digit", i, f)
		}
		for _, d := range DefaultFields() {
			if strings.EqualFold(f, d) {
				return fmt.Errorf("fields[%d]: %q is a default already", i, f)
			}
		}
	}
	return nil
}

// Names matches the names of secret-bearing fields, parameters and
// headers. A name matches an entry when, ignoring case and the separators
// _ - . and spaces, the entry appears in it on word boundaries: "password"
// matches user_password, newPassword and PASSWORD2, "api_key" matches
// X-Api-Key and apiKey, "pass" matches pass and user-pass but not passage,
// compass or bypass. Entries of seven letters or more are distinctive
// enough to match inside a word too (userpassword, clientsecret). Words
// break at separators, at a lower-case letter followed by an upper-case
// one and between letters and digits.
//
// The zero value matches DefaultFields. Names is read-only once made and
// safe for concurrent use.
type Names struct {
	entries []entry
}

type entry struct {
	word []byte // lower-case letters and digits
	open bool   // may match inside a word
}

// minOpen is the length from which an entry matches inside a word: every
// default that long (password, authorization, credential) names a secret
// wherever it appears, while shorter ones (pass, secret, token) would
// match passage, secretary and tokenizer.
const minOpen = 7

// NewNames returns the matcher for DefaultFields and extra, which must
// have passed Config.Validate.
func NewNames(extra []string) Names {
	all := append(DefaultFields(), extra...)
	n := Names{entries: make([]entry, 0, len(all))}
	for _, f := range all {
		if w, _ := normalize(f); w != "" {
			n.entries = append(n.entries, entry{word: []byte(w), open: len(w) >= minOpen})
		}
	}
	return n
}

// defaultNames is the matcher of the zero Names; it is never written.
var defaultNames = NewNames(nil)

// maxName bounds the bytes of a name that are matched: names longer than
// this are cut, so matching costs the same for any name.
const maxName = 128

// Match reports whether name is that of a secret-bearing field.
func (n Names) Match(name string) bool { return matchName(n, name) }

// MatchBytes is Match for a name held in bytes; it does not allocate.
func (n Names) MatchBytes(name []byte) bool { return matchName(n, name) }

func matchName[S ~string | ~[]byte](n Names, name S) bool {
	if len(name) < 3 {
		return false // every entry has three letters or more
	}
	entries := n.entries
	if entries == nil {
		entries = defaultNames.entries
	}
	var buf [maxName]byte
	var bound [maxName + 1]bool // bound[i]: a word starts or ends before buf[i]
	k := 0
	var prev byte // the previous name byte that was a letter or digit, 0 after a separator
	for i := 0; i < len(name) && k < maxName; i++ {
		c := name[i]
		if !isAlnum(c) {
			prev = 0
			continue
		}
		switch {
		case prev == 0:
			bound[k] = true
		case isLower(prev) && isUpper(c), isDigit(prev) != isDigit(c):
			bound[k] = true
		case isUpper(prev) && isUpper(c) && i+1 < len(name) && isLower(name[i+1]):
			bound[k] = true // APIKey: API|Key
		}
		prev = c
		buf[k] = lower(c)
		k++
	}
	bound[k] = true
	s := buf[:k]
	for _, e := range entries {
		for from := 0; from+len(e.word) <= len(s); {
			j := bytes.Index(s[from:], e.word)
			if j < 0 {
				break
			}
			j += from
			if e.open || bound[j] && bound[j+len(e.word)] {
				return true
			}
			from = j + 1
		}
	}
	return false
}

// normalize returns f lower-cased without separators, and whether it had
// any.
func normalize(f string) (string, bool) {
	b := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		if isAlnum(f[i]) {
			b = append(b, lower(f[i]))
		}
	}
	return string(b), len(b) != len(f)
}

func isAlnum(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}
