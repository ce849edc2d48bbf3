package protocol

// mediaType is a Content-Type value split without copying: type and
// subtype as sent, and the parameter list for params().
type mediaType struct {
	typ, sub string
	rest     string // after the subtype: *( OWS ";" OWS [ parameter ] )
}

// parseMediaType splits s (RFC 9110 §8.3.1: type "/" subtype parameters).
// ok is false when the type or subtype is not a token.
func parseMediaType(s string) (mt mediaType, ok bool) {
	s = trimOWS(s)
	i := 0
	for i < len(s) && tchar[s[i]] {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '/' {
		return mediaType{}, false
	}
	mt.typ = s[:i]
	s = s[i+1:]
	i = 0
	for i < len(s) && tchar[s[i]] {
		i++
	}
	if i == 0 {
		return mediaType{}, false
	}
	mt.sub, mt.rest = s[:i], s[i:]
	return mt, true
}

// params iterates the parameters.
func (mt mediaType) params() paramIter { return paramIter{s: mt.rest} }

// paramIter walks a parameter list. After next returns false, bad tells
// whether it stopped at a syntax error, and junk holds the text from the
// error on.
type paramIter struct {
	s    string
	bad  bool
	junk string
}

// next returns the next parameter. Quoted values are returned with their
// quotes removed but escapes (quoted-pair) left in; quoted tells whether
// the value was quoted. Empty parameters (";;") are skipped.
func (it *paramIter) next() (name, value string, quoted, ok bool) {
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

func (it *paramIter) fail(s string) (string, string, bool, bool) {
	it.bad, it.junk, it.s = true, s, ""
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

// looksLikeMediaType reports whether s holds a "type/subtype" whose type
// is a registered top-level type: what a lenient parser that searches the
// header for "json" or "multipart/" would take for the real type.
func looksLikeMediaType(s string) bool {
	for _, top := range [...]string{"application/", "text/", "multipart/", "image/", "audio/", "video/", "font/", "message/", "model/"} {
		if i := indexFold(s, top); i >= 0 && i+len(top) < len(s) && tchar[s[i+len(top)]] {
			return true
		}
	}
	return false
}

// typeAllowed reports whether the media type matches an allow-list entry
// ("type/sub", "type/*", "+suffix"). An empty list allows everything.
func typeAllowed(list []string, mt mediaType) bool {
	if len(list) == 0 {
		return true
	}
	for _, e := range list {
		switch {
		case e[0] == '+':
			if len(mt.sub) > len(e) && equalFold(mt.sub[len(mt.sub)-len(e):], e) {
				return true
			}
		default:
			i := 0
			for i < len(e) && e[i] != '/' {
				i++
			}
			if !equalFold(e[:i], mt.typ) {
				continue
			}
			if sub := e[i+1:]; sub == "*" || equalFold(sub, mt.sub) {
				return true
			}
		}
	}
	return false
}

// charsetRefused reports whether a charset parameter of mt names a charset
// outside the allow-list, and whether its parameter list was malformed.
func (s *scan) charsetRefused(mt mediaType) (refused, malformed bool) {
	it := mt.params()
	for {
		name, value, _, ok := it.next()
		if !ok {
			break
		}
		if equalFold(name, "charset") && !containsFold(s.d.charsets, value) {
			refused = true
		}
	}
	return refused, it.bad
}
