package payload

// Line-break injection: a CR or LF followed by an HTTP header, status or
// request line in the parts of a request that reach response headers or
// upstream requests, and SMTP envelope commands on a line of their own.

// checkCRLF flags a CR or LF followed by something that reads as an HTTP
// header line ("Set-Cookie:", "Content-Length:") or a status / request
// line, in the parts of a request that end up in response headers or
// upstream requests: path, query, headers and cookies. Bodies are free
// text where "Note:" after a newline is ordinary.
func (s *scan) checkCRLF(v []byte) {
	switch s.loc {
	case "path", "query", "header", "cookie":
	default:
		s.checkMailCmd(v)
		return
	}
	s.checkMailCmd(v)
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '\r' && v[i] != '\n' {
			continue
		}
		n++
		j := i
		for j < len(v) && (v[j] == '\r' || v[j] == '\n') {
			j++
		}
		k := j
		for k < len(v) && k-j < 40 && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z' || v[k] == '-' || v[k] == '_') {
			k++
		}
		// Servers accept stray CRs and spaces before the colon.
		e := k
		for e < len(v) && e-k < 8 && (v[e] == ' ' || v[e] == '\r' || v[e] == '\t') {
			e++
		}
		header := k-j >= 2 && e < len(v) && v[e] == ':' && headerValue(v[e+1:])
		line := k-j >= 3 && (indexFold(v[j:], "http/1.") == 0 || k < len(v) && v[k] == ' ' && isMethod(v[j:k]))
		if header || line {
			s.signal(len(rules)+sigCRLF, cHeader, 0.85, v, i)
			return
		}
		i = j - 1
	}
}

// checkMailCmd flags an SMTP envelope command on a line of its own
// ("\r\nMAIL FROM:<x@y>", "\nRCPT TO:<…>"): a value that ends up in a
// mail conversation can add recipients or messages that way, and text
// does not put an address in angle brackets right after those words.
func (s *scan) checkMailCmd(v []byte) {
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '\r' && v[i] != '\n' {
			continue
		}
		n++
		j := i
		for j < len(v) && (v[j] == '\r' || v[j] == '\n' || v[j] == ' ') {
			j++
		}
		for _, c := range [...]string{"mail from:", "rcpt to:"} {
			if j+len(c) < len(v) && equalFoldStr(v[j:j+len(c)], c) {
				if k := skipSpaceFwd(v, j+len(c)); k < len(v) && v[k] == '<' {
					s.signal(len(rules)+sigMailCmd, cCommand, 0.85, v, i)
					return
				}
			}
		}
		i = j - 1
	}
}

// headerValue reports whether a header line's value is not empty.
func headerValue(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t':
			continue
		case '\r', '\n':
			return false
		}
		return true
	}
	return false
}

func isMethod(b []byte) bool {
	for _, m := range [...]string{"GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"} {
		if string(b) == m {
			return true
		}
	}
	return false
}
