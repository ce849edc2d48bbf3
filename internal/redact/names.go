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
// one and between letters and digits. Only the first 128 letters and
// digits of a name are read.
//
// The zero value matches DefaultFields. Names is read-only once made and
// safe for concurrent use; copies share their tables.
type Names struct {
	t *table
}

// table indexes the entries by their first two bytes, so that a name is
// read once and compared only with the entries that can start at each of
// its positions.
type table struct {
	entries []entry
	byPair  [36 * 36][]uint16 // entry indexes by pairIndex of their first two bytes
}

type entry struct {
	word []byte // lower-case letters and digits, at least two
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
	t := &table{}
	for _, f := range append(DefaultFields(), extra...) {
		w, _ := normalize(f)
		if len(w) < 2 {
			continue
		}
		i := pairIndex(w[0], w[1])
		t.byPair[i] = append(t.byPair[i], uint16(len(t.entries)))
		t.entries = append(t.entries, entry{word: []byte(w), open: len(w) >= minOpen})
	}
	return Names{t: t}
}

// defaultNames is the matcher of the zero Names; it is never written.
var defaultNames = NewNames(nil)

// maxName bounds the letters and digits of a name that are matched, so
// matching costs the same for any name.
const maxName = 128

// Match reports whether name is that of a secret-bearing field.
func (n Names) Match(name string) bool { return matchName(n, name) }

// MatchBytes is Match for a name held in bytes; it does not allocate.
func (n Names) MatchBytes(name []byte) bool { return matchName(n, name) }

func matchName[S ~string | ~[]byte](n Names, name S) bool {
	if len(name) < 2 {
		return false
	}
	t := n.t
	if t == nil {
		t = defaultNames.t
	}
	var buf [maxName]byte
	var bound [maxName/64 + 1]uint64 // bit i: a word starts or ends before buf[i]
	k := 0
	var prev uint8 // the class of the previous byte: cSep after a separator
	for i := 0; i < len(name) && k < maxName; i++ {
		c := name[i]
		cl := classOf[c]
		if cl == cSep {
			prev = cSep
			continue
		}
		if prev != cl && (prev == cSep || cl != cLower || prev == cDigit) ||
			prev == cUpper && cl == cUpper && i+1 < len(name) && classOf[name[i+1]] == cLower { // APIKey: API|Key
			// A word starts after a separator, at a lower-to-upper
			// hump, between letters and digits, and at the last capital
			// of an acronym followed by lower case.
			bound[k/64] |= 1 << (k % 64)
		}
		prev = cl
		buf[k] = c | 0x20 // lower-cases letters, keeps digits
		k++
	}
	bound[k/64] |= 1 << (k % 64)
	s := buf[:k]
	for j := 0; j+1 < len(s); j++ {
		for _, ei := range t.byPair[pairIndex(s[j], s[j+1])] {
			e := &t.entries[ei]
			end := j + len(e.word)
			if end > len(s) || !bytes.Equal(s[j:end], e.word) {
				continue
			}
			if e.open || bound[j/64]&(1<<(j%64)) != 0 && bound[end/64]&(1<<(end%64)) != 0 {
				return true
			}
		}
	}
	return false
}

// Byte classes for matching names.
const (
	cSep = iota
	cLower
	cUpper
	cDigit
)

// classOf is the class of every byte; it is never written.
var classOf = func() (t [256]uint8) {
	for c := range t {
		switch b := byte(c); {
		case isLower(b):
			t[c] = cLower
		case isUpper(b):
			t[c] = cUpper
		case isDigit(b):
			t[c] = cDigit
		}
	}
	return t
}()

// pairIndex maps two lower-case letters or digits to an index of
// table.byPair.
func pairIndex(a, b byte) int { return alnumIndex(a)*36 + alnumIndex(b) }

func alnumIndex(c byte) int {
	if isDigit(c) {
		return int(c-'0') + 26
	}
	return int(c - 'a')
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
