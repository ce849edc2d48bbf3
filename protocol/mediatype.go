package protocol

import "github.com/warden-dev/warden/internal/args"

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
func typeAllowed(list []string, mt args.MediaType) bool {
	if len(list) == 0 {
		return true
	}
	for _, e := range list {
		switch {
		case e[0] == '+':
			if len(mt.Sub) > len(e) && equalFold(mt.Sub[len(mt.Sub)-len(e):], e) {
				return true
			}
		default:
			i := 0
			for i < len(e) && e[i] != '/' {
				i++
			}
			if !equalFold(e[:i], mt.Type) {
				continue
			}
			if sub := e[i+1:]; sub == "*" || equalFold(sub, mt.Sub) {
				return true
			}
		}
	}
	return false
}

// charsetRefused reports whether a charset parameter of mt names a charset
// outside the allow-list, and whether its parameter list was malformed.
func (s *scan) charsetRefused(mt args.MediaType) (refused, malformed bool) {
	it := mt.Params()
	for {
		name, value, _, ok := it.Next()
		if !ok {
			break
		}
		if equalFold(name, "charset") && !containsFold(s.d.charsets, value) {
			refused = true
		}
	}
	return refused, it.Bad
}
