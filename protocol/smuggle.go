package protocol

import "bytes"

// smuggleMethods are the methods whose request line inside a request
// marks a smuggled second request.
var smuggleMethods = [...]string{
	"get", "post", "head", "put", "delete", "options", "patch", "trace", "track", "connect",
	"propfind", "proppatch", "mkcol", "copy", "move", "lock", "unlock",
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// requestLineAt reports whether s starts with an HTTP/1 request line:
// method SP target SP "HTTP/" digit.
func requestLineAt[T text](s T) bool {
	n := 0
	for n < len(s) && n < 10 && ('a' <= lowerASCII(s[n]) && lowerASCII(s[n]) <= 'z') {
		n++
	}
	if n < 3 || n >= len(s) || (s[n] != ' ' && s[n] != '\t') {
		return false
	}
	known := false
	for _, m := range smuggleMethods {
		if len(m) == n && hasPrefixFold(s, m) {
			known = true
			break
		}
	}
	if !known {
		return false
	}
	i := n
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	start := i
	for i < len(s) && s[i] > ' ' && i-start < 8192 {
		i++
	}
	if i == start || i >= len(s) || (s[i] != ' ' && s[i] != '\t') {
		return false
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return hasPrefixFold(s[i:], "http/") && i+5 < len(s) && isDigit(s[i+5])
}

// requestLineEnds reports whether line ends with an HTTP/1 request line
// (method SP target SP "HTTP/" version), whatever precedes the method:
// "barGET /a HTTP/1.1" ends one.
func requestLineEnds[T text](line T) bool {
	n := len(line)
	for n > 0 && (line[n-1] == ' ' || line[n-1] == '\t') {
		n--
	}
	// version: "HTTP/" DIGIT [ "." DIGIT ]
	v := n
	for v > 0 && (isDigit(line[v-1]) || line[v-1] == '.') && n-v < 4 {
		v--
	}
	if v == n || !isDigit(line[v]) || v < 5 || !hasPrefixFold(line[v-5:], "http/") {
		return false
	}
	i := v - 5
	sp := i
	for i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
		i--
	}
	if i == sp {
		return false
	}
	end := i
	for i > 0 && line[i-1] > ' ' && end-i < 8192 {
		i--
	}
	if i == end {
		return false
	}
	sp = i
	for i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
		i--
	}
	if i == sp {
		return false
	}
	word := i
	for word > 0 && 'a' <= lowerASCII(line[word-1]) && lowerASCII(line[word-1]) <= 'z' && i-word < 10 {
		word--
	}
	for _, m := range smuggleMethods {
		if i-word >= len(m) && hasPrefixFold(line[i-len(m):i], m) {
			return true
		}
	}
	return false
}

// headerNameAt reports whether s starts with a field name and a colon.
func headerNameAt[T text](s T) bool {
	i := 0
	for i < len(s) && tchar[s[i]] {
		i++
	}
	return i > 0 && i < len(s) && s[i] == ':'
}

// splitHeaders are header names that, after a CR/LF in a parameter,
// mean the value was built to end one header and start another (RFC 9112
// §11.1: response splitting; request header injection). proseSafe marks
// the names that do not also begin ordinary lines of text ("Location:
// Paris"), the only ones checked in form bodies, whose textareas hold
// line breaks.
var splitHeaders = [...]struct {
	name      string
	proseSafe bool
}{
	{"set-cookie", true}, {"content-type", true}, {"content-length", true}, {"transfer-encoding", true},
	{"content-security-policy", true}, {"x-xss-protection", true}, {"access-control-allow-", true},
	{"x-forwarded-for", true}, {"x-forwarded-host", true}, {"content-disposition", true},
	{"refresh", false}, {"location", false}, {"host", false}, {"cookie", false}, {"connection", false},
	{"cache-control", false}, {"upgrade", false},
}

// headerLineAt reports whether s starts with one of splitHeaders, a
// colon and a value.
func headerLineAt[T text](s T, form bool) bool {
	for _, h := range splitHeaders {
		if form && !h.proseSafe || !hasPrefixFold(s, h.name) {
			continue
		}
		i := len(h.name)
		if h.name[i-1] == '-' { // a prefix: the rest of the name
			for i < len(s) && tchar[s[i]] {
				i++
			}
		}
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != ':' {
			continue
		}
		// An injected header needs a value on its line.
		for i++; i < len(s) && s[i] != '\r' && s[i] != '\n'; i++ {
			if s[i] != ' ' && s[i] != '\t' {
				return true
			}
		}
	}
	return false
}

// lineBreaks checks what follows each CR/LF in t: a request line
// (smuggling), a status line or a header (splitting). It also takes a
// request line at the very start of t when t has a line break at all.
// It returns whether it found anything.
func (s *scan) lineBreaks(t string, form bool) bool {
	found := false
	if requestLineAt(t) {
		s.add(chkSmuggled, t)
		found = true
	}
	lineStart := 0
	for i := 0; i < len(t); i++ {
		if t[i] != '\r' && t[i] != '\n' {
			continue
		}
		before := t[lineStart:i]
		j := i + 1
		for j < len(t) && (t[j] == '\r' || t[j] == '\n' || t[j] == ' ' || t[j] == '\t') {
			j++
		}
		line := t[j:]
		lineStart = j
		switch {
		case headerNameAt(line) && requestLineEnds(before):
			// a request line, wherever it starts, then a header: a
			// second request built inside this one
			s.add(chkSmuggled, before)
			found = true
		case requestLineAt(line):
			s.add(chkSmuggled, line)
			found = true
		case hasPrefixFold(line, "http/") && len(line) > 5 && isDigit(line[5]):
			s.add(chkSplitting, line)
			found = true
		case headerLineAt(line, form):
			s.add(chkSplitting, line)
			found = true
		case !form && markupAt(line):
			s.add(chkSplitting, line)
			found = true
		}
		i = j - 1
	}
	return found
}

// markupAt reports an HTML document start: a response body injected
// after split headers.
func markupAt(s string) bool {
	for _, m := range [...]string{"<html", "<!doctype", "<meta", "<script", "<body", "<head"} {
		if hasPrefixFold(s, m) {
			return true
		}
	}
	return false
}

// bodyRequestLine reports a request line in a raw body: at the start of a
// line after the first (the second request of a CL.TE or TE.CL desync,
// "0\r\n\r\nGET /admin HTTP/1.1"), or ending a line that a header line
// follows. It returns where the request line's line starts.
func bodyRequestLine(b []byte) (int, bool) {
	start := 0
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return 0, false
		}
		end := off + i
		off = end + 1
		if requestLineAt(b[off:]) {
			return off, true
		}
		line := b[start:end]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if headerNameAt(b[off:]) && requestLineEnds(line) {
			return start, true
		}
		start = off
	}
}
