package protocol

import "strings"

// sessionName reports whether name is a configured session parameter.
func (s *scan) sessionName(name string) bool {
	// Every parameter of every request comes here: the names are
	// grouped by length so that most parameters compare with none.
	if len(name) < len(s.d.sessExact) {
		for _, p := range s.d.sessExact[len(name)] {
			if equalFold(name, p) {
				return true
			}
		}
	}
	for _, p := range s.d.sessPrefix {
		if hasPrefixFold(name, p) {
			return true
		}
	}
	return false
}

// session weighs a session id found in a parameter. Session fixation
// plants an id in a link the victim's browser follows, so the request is
// a browser navigation that comes from another site or from nowhere (a
// mail, a chat); a parameter of an API call or of a same-site page is
// much weaker evidence.
func (s *scan) session(name string) {
	h := s.r.Header
	var ref string
	if rs := h["Referer"]; len(rs) > 0 {
		ref = trimOWS(rs[0])
	}
	switch {
	case ref != "" && offSite(ref, s.host()):
		s.add(chkSessionOffsite, name)
	case ref != "":
		s.add(chkSessionSameSite, name)
	case s.navigation():
		s.add(chkSessionNoReferer, name)
	default:
		s.add(chkSessionParamAPI, name)
	}
}

// host is the request's host without port.
func (s *scan) host() string {
	host := s.r.Host
	if host == "" {
		if hs := s.r.Header["Host"]; len(hs) > 0 {
			host = hs[0]
		}
	}
	return stripPort(trimOWS(host))
}

func stripPort(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			return host[1:i]
		}
		return host
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.IndexByte(host, ':') == i {
		return host[:i]
	}
	return host
}

// navigation reports whether the request looks like a browser loading a
// page: it accepts HTML or says it is a navigation.
func (s *scan) navigation() bool {
	h := s.r.Header
	for _, v := range h["Sec-Fetch-Mode"] {
		if equalFold(trimOWS(v), "navigate") {
			return true
		}
	}
	for _, v := range h["Accept"] {
		if indexFold(v, "text/html") >= 0 || indexFold(v, "application/xhtml") >= 0 {
			return true
		}
	}
	return false
}

// offSite reports whether the Referer URL names a host that is neither
// host nor shares its parent domain (www.example.com and example.com,
// app.example.com and api.example.com are the same site).
func offSite(ref, host string) bool {
	i := strings.Index(ref, "://")
	if i < 0 {
		return false // a relative or opaque Referer says nothing
	}
	rh := ref[i+3:]
	if j := strings.IndexAny(rh, "/?#"); j >= 0 {
		rh = rh[:j]
	}
	if j := strings.LastIndexByte(rh, '@'); j >= 0 {
		rh = rh[j+1:]
	}
	rh = stripPort(rh)
	if rh == "" || host == "" {
		return rh != host
	}
	return !equalFold(parentDomain(rh), parentDomain(host))
}

// parentDomain drops the first label of a name with three or more labels:
// a cheap stand-in for the registrable domain that treats sibling
// subdomains as one site.
func parentDomain(h string) string {
	if numericHost(h) {
		return h
	}
	if strings.Count(h, ".") >= 2 {
		return h[strings.IndexByte(h, '.')+1:]
	}
	return h
}

// cookieInValue reports a value that sets a cookie when a page reflects
// it: script assigning document.cookie with cookie attributes, or a meta
// http-equiv Set-Cookie.
func cookieInValue(v string) bool {
	if i := indexFold(v, ".cookie"); i >= 0 {
		rest := v[i+len(".cookie"):]
		for {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				break
			}
			rest = rest[j+1:]
			k := 0
			for k < len(rest) && !isWord(rest[k]) && k < 16 {
				k++
			}
			attr := rest[k:]
			for _, a := range [...]string{"expires", "domain", "path", "max-age"} {
				if !hasPrefixFold(attr, a) {
					continue
				}
				m := len(a)
				for m < len(attr) && (attr[m] == ' ' || attr[m] == '"' || attr[m] == '\'') {
					m++
				}
				if m < len(attr) && attr[m] == '=' {
					return true
				}
			}
		}
	}
	if i := indexFold(v, "http-equiv"); i >= 0 {
		w := v[i:]
		if len(w) > 64 {
			w = w[:64]
		}
		if indexFold(w, "set-cookie") >= 0 {
			return true
		}
	}
	return false
}

func isWord(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}
