package protocol

import (
	"strings"

	"github.com/warden-dev/warden/internal/args"
)

// argSource is where an argument came from.
type argSource uint8

const (
	srcQuery argSource = iota // the query string (percent-encoded)
	srcForm                   // an application/x-www-form-urlencoded body
	srcPart                   // a multipart form field (raw bytes)
)

// maxNames bounds the argument names kept for the repeat count.
const maxNames = 4096

// query checks the query string's arguments.
func (s *scan) query() {
	kept, rest := s.r.Args().Query(s.r.RawQuery)
	s.args(kept, rest, srcQuery)
}

// args checks every pair: the ones the request's Set kept, then the rest.
func (s *scan) args(kept []args.Pair, rest string, src argSource) {
	for _, p := range kept {
		s.arg(p.Name(), p.Value(), src, p.HasEq())
	}
	if rest == "" {
		return
	}
	for it := args.Rest(rest); ; {
		p, ok := it.Next()
		if !ok {
			return
		}
		s.arg(p.Name(), p.Value(), src, p.HasEq())
	}
}

// arg checks one argument; name and value are percent-encoded unless src
// is srcPart. pair tells whether name came with "=" (a lone token may be
// a value).
func (s *scan) arg(name, value string, src argSource, pair bool) {
	cfg := &s.d.cfg
	s.nargs++
	s.argBytes += len(name) + len(value)
	if len(s.names) < maxNames {
		s.names = append(s.names, name)
	}
	if cfg.MaxArgNameBytes > 0 && len(name) > cfg.MaxArgNameBytes {
		s.add(chkArgName, name)
	}
	if cfg.MaxArgValueBytes > 0 && len(value) > cfg.MaxArgValueBytes {
		s.add(chkArgValue, name)
	}
	var nf, vf enc
	if src == srcPart {
		nf, vf = scanRaw(name), scanRaw(value)
	} else {
		nf, vf = scanEncoded(name, true), scanEncoded(value, true)
	}
	s.encoding(nf|vf, name)
	dname := name
	if src != srcPart && nf&encEscaped != 0 && len(name) <= 128 {
		var nb [128]byte // zeroed only when needed
		dname = string(decode(nb[:0], name, true))
	}
	if nf&encCRLF != 0 && (pair || innerBreak(s.decoded(name, src))) {
		s.add(chkCRLFName, name)
	}
	if vf&encCRLF != 0 {
		v := s.decoded(value, src)
		if !s.lineBreaks(v, src != srcQuery) && src == srcQuery {
			s.add(chkCRLFArg, name)
		}
	}
	// A ']' in the (decoded) name or a '|' in the value is a rare byte,
	// or decodes from one (see encRare).
	s.argName(dname, value, src, nf&encRare != 0)
	// The cookie markers are letters: a value holds them raw unless the
	// letters themselves were escaped, which browsers never do.
	if indexFold(value, "cookie") >= 0 && cookieInValue(s.decoded(value, src)) {
		s.add(chkCookieInValue, name) // the value holds a cookie: quoted by its name only
	}
	if vf&encRare != 0 {
		if i := unixSocket(value); i >= 0 {
			s.add(chkModProxy, value[i:])
		}
	}
}

// decoded returns value decoded, for the rare values whose text must be
// matched; it allocates.
func (s *scan) decoded(value string, src argSource) string {
	if src == srcPart {
		return value
	}
	s.buf = decode(s.buf[:0], value, true)
	return string(s.buf)
}

// encoding turns encoding findings into checks.
func (s *scan) encoding(f enc, detail string) {
	if f&^encRare == 0 {
		return
	}
	if f&encNUL != 0 {
		s.add(chkNUL, detail)
	}
	if f&encCtl != 0 {
		s.add(chkControl, detail)
	}
	if f&encBadPct != 0 {
		s.add(chkPercent, detail)
	}
	if f&encFullwidth != 0 {
		s.add(chkFullwidth, detail)
	} else if f&encPctU != 0 {
		s.add(chkPercentU, detail)
	}
	if f&encOverlong != 0 {
		s.add(chkOverlong, detail)
	}
	if f&encUTF8 != 0 {
		s.add(chkUTF8, detail)
	}
}

// argName checks what an argument's (decoded) name means; rare says
// whether it may hold a ']'.
func (s *scan) argName(name, value string, src argSource, rare bool) {
	if name == "" {
		return
	}
	switch {
	case name == "_method":
		// Rails and Laravel forms tunnel PUT and DELETE through POST;
		// the tunnelled method must be allowed too.
		v := value
		if src != srcPart {
			v = s.decoded(value, src)
		}
		if !containsFold(s.d.methods, trimOWS(v)) || s.safeMethod() {
			s.add(chkMethodOverride, "_method="+v)
		}
	case name == "_charset_":
		// HTML forms name the charset of the other fields here.
		v := value
		if src != srcPart {
			v = s.decoded(value, src)
		}
		if !containsFold(s.d.charsets, trimOWS(v)) {
			s.add(chkCharset, "_charset_="+v)
		}
	}
	if s.sessionName(name) {
		s.session(name)
	}
	// PHP-style array names: "a[b][c]". Text after a closing bracket is
	// dropped by some parsers and kept by others.
	if !rare {
		return // no ']'
	}
	if i := strings.IndexByte(name, ']'); i >= 0 && arrayBase(name) {
		for ; i < len(name); i++ {
			if name[i] == ']' && i+1 < len(name) && name[i+1] != '[' {
				s.add(chkArrayName, name)
				break
			}
		}
	}
}

// repeats checks the argument count, total size and how often a name
// repeats, after every argument was seen.
func (s *scan) repeats() {
	cfg := &s.d.cfg
	if cfg.MaxArgs > 0 && s.nargs > cfg.MaxArgs {
		s.add(chkArgs, "")
	}
	if cfg.MaxArgsBytes > 0 && s.argBytes > cfg.MaxArgsBytes {
		s.add(chkArgsTotal, "")
	}
	if len(s.names) <= cfg.MaxRepeats {
		return
	}
	// Only requests with more arguments than MaxRepeats get here; the map
	// is theirs to pay for.
	seen := make(map[string]int, len(s.names))
	for _, n := range s.names {
		seen[n]++
		if seen[n] == cfg.MaxRepeats+1 {
			s.add(chkRepeat, n)
		}
	}
}

// innerBreak reports a CR or LF followed by more text: a trailing line
// break is what a sloppy client appends, not an injected line.
func innerBreak(s string) bool {
	s = strings.TrimRight(s, "\r\n")
	return strings.ContainsAny(s, "\r\n")
}

// arrayBase reports whether name starts like a PHP array name: an
// identifier, then '['.
func arrayBase(name string) bool {
	i := 0
	for i < len(name) && (isWord(name[i]) || name[i] == '-' || name[i] == '.') {
		i++
	}
	return i > 0 && i < len(name) && name[i] == '['
}

// unixSocket returns where mod_proxy's "unix:" socket syntax (also with
// the colon escaped) starts in s when a '|' follows it, else -1.
func unixSocket(s string) int {
	// IndexByte is vectorised, LastIndexByte is not: rule out the usual
	// value without a '|' with the first.
	if strings.IndexByte(s, '|') < 0 {
		return -1
	}
	bar := strings.LastIndexByte(s, '|')
	s = s[:bar]
	for i := 0; i+4 < len(s); i++ {
		if (s[i] == 'u' || s[i] == 'U') && hasPrefixFold(s[i:], "unix") &&
			(s[i+4] == ':' || hasPrefixFold(s[i+4:], "%3a")) {
			return i
		}
	}
	return -1
}

// safeMethod reports a GET or HEAD request. Frameworks honour method
// overrides on POST only; an override on a safe method turns a link
// (sent with SameSite=Lax cookies) into a state-changing request.
func (s *scan) safeMethod() bool {
	return s.r.Method == "GET" || s.r.Method == "HEAD" || s.r.Method == ""
}
