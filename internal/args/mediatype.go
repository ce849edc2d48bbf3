package args

import "strings"

// MediaType is a media type (RFC 9110 §8.3.1) split without copying: type
// and subtype as sent, and the parameter list, walked by Params.
type MediaType struct {
	Type, Sub string
	Rest      string // after the subtype: *( OWS ";" OWS [ parameter ] )
}

// ParseMediaType splits s as type "/" subtype parameters, after trimming
// spaces and tabs. ok is false when the type or subtype is not a token;
// the parameters are not checked until Params walks them. It does what
// mime.ParseMediaType does for a well-formed value (FuzzMediaType), but
// keeps the case and the quoted-pair escapes, allocates nothing, and
// reports a malformed parameter list instead of refusing it whole: the
// protocol checks tell a sloppy client from a smuggling attempt by where
// it breaks.
func ParseMediaType(s string) (mt MediaType, ok bool) {
	s = trimOWS(s)
	i := 0
	for i < len(s) && tchar[s[i]] {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '/' {
		return MediaType{}, false
	}
	mt.Type = s[:i]
	s = s[i+1:]
	i = 0
	for i < len(s) && tchar[s[i]] {
		i++
	}
	if i == 0 {
		return MediaType{}, false
	}
	mt.Sub, mt.Rest = s[:i], s[i:]
	return mt, true
}

// Params walks the parameters.
func (mt MediaType) Params() Params { return Params{s: mt.Rest} }

// ParamList walks the parameter list s, *( OWS ";" OWS [ parameter ] ),
// as found after a Content-Disposition's disposition type.
func ParamList(s string) Params { return Params{s: s} }

// Params walks a parameter list. After Next returns false, Bad tells
// whether it stopped at a syntax error, and Junk holds the text from the
// error on.
type Params struct {
	s    string
	Bad  bool
	Junk string
}

// Next returns the next parameter. A quoted value is returned without its
// quotes but with its escapes (quoted-pair) left in; quoted tells whether
// it was quoted. Empty parameters (";;") are skipped.
func (it *Params) Next() (name, value string, quoted, ok bool) {
	for {
		s := trimOWS(it.s)
		if s == "" {
			it.s = ""
			return "", "", false, false
		}
		if s[0] != ';' {
			return it.fail(s)
		}
		s = trimOWS(s[1:])
		if s == "" || s[0] == ';' {
			it.s = s
			continue
		}
		i := 0
		for i < len(s) && tchar[s[i]] {
			i++
		}
		if i == 0 || i >= len(s) || s[i] != '=' {
			return it.fail(s)
		}
		name, s = s[:i], s[i+1:]
		if s != "" && s[0] == '"' {
			end := quotedEnd(s)
			if end < 0 {
				return it.fail(s)
			}
			value, it.s = s[1:end], s[end+1:]
			return name, value, true, true
		}
		i = 0
		for i < len(s) && tchar[s[i]] {
			i++
		}
		if i == 0 {
			return it.fail(s)
		}
		value, it.s = s[:i], s[i:]
		return name, value, false, true
	}
}

func (it *Params) fail(s string) (string, string, bool, bool) {
	it.Bad, it.Junk, it.s = true, s, ""
	return "", "", false, false
}

// quotedEnd returns the index of the quote closing the quoted-string that
// starts at s[0], or -1 when it is not closed or holds a control byte.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '"':
			return i
		case c < 0x20 && c != '\t' || c == 0x7f:
			return -1
		}
	}
	return -1
}

// Essence returns what an application that cuts a Content-Type at its
// first ';' reads: the text before it, trimmed and in lower case, and the
// parameters after it, unparsed. Unlike ParseMediaType it accepts any
// text, so that a body is read as the application reads it whatever the
// header holds.
func Essence(ct string) (mt, params string) {
	t, params, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t)), params
}

// tchar marks the bytes of a token (RFC 9110 §5.6.2).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// trimOWS trims optional whitespace (spaces and tabs) from both ends.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
