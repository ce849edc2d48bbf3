package payload

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/internal/byteview"
	"github.com/warden-dev/warden/internal/hexdigit"
	"github.com/warden-dev/warden/internal/sniff"
)

// skippedHeaders are not inspected by OtherHeaders: they are structural,
// carry credentials, or are set by browsers and proxies. (User-Agent,
// Referer and Cookie are inspected on their own, before the others.)
var skippedHeaders = [...]string{
	"Accept", "Accept-Encoding", "Accept-Language", "Accept-Charset",
	"Authorization", "Proxy-Authorization", "Cache-Control", "Connection",
	"Content-Length", "Content-Type", "Content-Encoding", "Host",
	"If-Modified-Since", "If-None-Match", "If-Match", "If-Unmodified-Since",
	"If-Range", "Origin", "Pragma", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Upgrade-Insecure-Requests", "Dnt",
	"Priority", "Keep-Alive", "Proxy-Connection", "Range",
	"Cookie", "Referer", "User-Agent", "Traceparent", "Tracestate",
	"X-Request-Id", "X-Correlation-Id", "X-Csrf-Token", "X-Xsrf-Token",
	"Expect", "Date", "Max-Forwards", "Content-Md5", "Via",
	"X-Forwarded-Proto", "X-Forwarded-Port", "X-Amzn-Trace-Id", "Sec-Ch-Ua",
	"Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Sec-Fetch-Dest",
	"Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Sec-Gpc",
	"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions",
}

// perClientHeaders name headers whose values differ from client to
// client: remembering them would fill the clean-value memo with values
// never seen again, pushing out the ones that repeat, and allocate on
// every request.
var perClientHeaders = [...]string{"X-Forwarded-For", "Forwarded", "X-Real-Ip",
	"True-Client-Ip", "Cf-Connecting-Ip", "X-Client-Ip"}

// headerKind is what the header walk does with a header, by its exact
// (canonical) name.
type headerKind uint8

const (
	hdrOther     headerKind = iota // inspected by OtherHeaders, memoised
	hdrSkipped                     // in skippedHeaders, not User-Agent, Referer or Cookie
	hdrUserAgent                   // inspected first, from Request.UserAgent
	hdrReferer
	hdrCookie
	hdrPerClient // inspected by OtherHeaders, never memoised
)

// headerKinds is an open-addressed table of the names of skippedHeaders
// and perClientHeaders: the header walk classifies every header of every
// request, and this costs a few byte reads and one string comparison
// where a map lookup hashes the name.
var headerKinds = func() (t [headerSlots]struct {
	name string
	kind headerKind
}) {
	add := func(name string, k headerKind) {
		i := headerHash(name)
		for t[i].name != "" {
			i = (i + 1) % headerSlots
		}
		t[i].name, t[i].kind = name, k
	}
	for _, h := range skippedHeaders {
		switch h {
		case "User-Agent":
			add(h, hdrUserAgent)
		case "Referer":
			add(h, hdrReferer)
		case "Cookie":
			add(h, hdrCookie)
		default:
			add(h, hdrSkipped)
		}
	}
	for _, h := range perClientHeaders {
		add(h, hdrPerClient)
	}
	return t
}()

const headerSlots = 256 // a power of two, over three times the names

// headerHash picks a name's first slot in headerKinds from its length and
// three of its bytes, which set the known names well apart.
func headerHash(h string) uint {
	if h == "" {
		return 0
	}
	n := uint(len(h))
	return (n*29 + uint(h[n-1])*7 + uint(h[n/2])*3 + uint(h[n/3]) + uint(h[1%n])*11) % headerSlots
}

// kindOf classifies header name h (exactly, as a map lookup would).
func kindOf(h string) headerKind {
	for i := headerHash(h); ; i = (i + 1) % headerSlots {
		e := &headerKinds[i]
		if e.name == "" {
			return hdrOther
		}
		if e.name == h {
			return e.kind
		}
	}
}

// request walks every inspected part of r.
func (s *scan) request(ctx context.Context, r *abuse.Request) {
	s.args = r.Args()
	s.setRules(r)
	if s.fields.skip&everyClass == everyClass {
		return // the route's exclusions leave nothing to report
	}
	s.target(r.Path, r.RawQuery)
	s.headers(r)
	if ctx.Err() != nil {
		return
	}
	if s.d.cfg.Body && len(r.Body) > 0 {
		s.body(r.ContentType, r.Body)
		if r.BodyTruncated {
			s.truncated()
		}
	}
	if s.values >= s.d.cfg.MaxValues {
		s.incomplete |= incValues
	}
}

func (s *scan) headers(r *abuse.Request) {
	ua := r.UserAgent
	if ua == "" && r.Header != nil {
		ua = r.Header.Get("User-Agent")
	}
	s.loc, s.name = "header", nil
	if ua != "" {
		s.name = unsafeBytes("User-Agent")
		s.remembered("User-Agent", ua, (*scan).value, false)
	}
	if r.Header == nil {
		return
	}
	var referer, cookie []string
	var others []headerEntry
	switch {
	case !s.d.cfg.OtherHeaders:
		referer, cookie = r.Header["Referer"], r.Header["Cookie"]
	case s.commonHeaders(r.Header):
		// Neither Referer nor Cookie is there.
		others = s.others
	default:
		// Every header is visited anyway: one walk of the map finds
		// Referer and Cookie too and sets the others aside, in the map's
		// order, for after them.
		others = s.others[:0]
		for h, vs := range r.Header {
			switch k := kindOf(h); k {
			case hdrReferer:
				referer = vs
			case hdrCookie:
				cookie = vs
			case hdrOther, hdrPerClient:
				if !s.isExtraHeader(h) {
					others = append(others, headerEntry{h, vs, k == hdrPerClient, false})
				}
			case hdrSkipped:
				if s.lookupIn(vs) && !s.isExtraHeader(h) {
					others = append(others, headerEntry{h, vs, false, true})
				}
			}
		}
		s.others = others
	}
	for _, ref := range referer {
		s.name = unsafeBytes("Referer")
		s.remembered("Referer", ref, (*scan).value, false)
	}
	for _, c := range cookie {
		s.cookie(c)
	}
	s.loc = "header"
	for _, h := range s.d.headers {
		if h == "User-Agent" || h == "Referer" || h == "Cookie" {
			continue
		}
		for _, v := range r.Header[h] {
			s.name = unsafeBytes(h)
			s.headerValue(h, v)
		}
	}
	for _, e := range others {
		h := e.name
		s.name = unsafeBytes(h)
		if e.lookupOnly {
			for _, v := range e.values {
				s.lookupValue(v)
			}
			continue
		}
		fileHeader := false
		if e.perClient {
			// The names of perClientHeaders are clean whatever the
			// configuration (TestPerClientNamesClean) and hold no "file":
			// count the name as its inspection would.
			if s.values < s.d.cfg.MaxValues {
				s.values++
			}
		} else {
			s.headerName(h)
			fileHeader = indexFold(s.name, "file") >= 0
		}
		for _, v := range e.values {
			if fileHeader {
				s.uploadName(unsafeBytes(v))
			}
			s.remembered(h, v, (*scan).value, e.perClient)
		}
	}
}

// commonHeaders sets s.others to the headers of h that OtherHeaders
// inspects and reports true when h holds at most maxProbed headers, all
// among probedHeaders (neither Referer nor Cookie, which it does not look
// for). Walking a map costs more than a few lookups in a small one, and
// many clients send only a few of these headers. When it reports false,
// h must be walked.
func (s *scan) commonHeaders(h http.Header) bool {
	n := len(h)
	if n > maxProbed {
		return false
	}
	found, misses := 0, 0
	s.others = s.others[:0]
	for i := 0; found < n; i++ {
		if i == len(probedHeaders) {
			return false
		}
		name := probedHeaders[i]
		vs, ok := h[name]
		if !ok {
			if misses++; misses == maxProbeMisses {
				return false
			}
			continue
		}
		found++
		switch probedKinds[i] {
		case hdrPerClient:
			if !s.isExtraHeader(name) {
				s.others = append(s.others, headerEntry{name, vs, true, false})
			}
		case hdrSkipped:
			if s.lookupIn(vs) && !s.isExtraHeader(name) {
				s.others = append(s.others, headerEntry{name, vs, false, true})
			}
		}
	}
	return true
}

// probedHeaders are the headers commonHeaders looks for, the most common
// first. Each is in skippedHeaders or perClientHeaders.
var probedHeaders = [...]string{"User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
	"X-Forwarded-For", "Connection", "Content-Type", "Authorization"}

var probedKinds = func() (k [len(probedHeaders)]headerKind) {
	for i, h := range probedHeaders {
		k[i] = kindOf(h)
	}
	return k
}()

const (
	maxProbed      = 4 // more headers are cheaper to walk
	maxProbeMisses = 3 // names looked for in vain before walking the map instead
)

// headerEntry is a header the OtherHeaders walk inspects.
type headerEntry struct {
	name       string
	values     []string
	perClient  bool
	lookupOnly bool // a skipped header holding "${": inspected for Log4Shell only
}

// lookupIn reports whether a value of a header that OtherHeaders skips
// holds a "${" lookup. The header is structural (Accept, X-Request-Id,
// Cache-Control…), so nothing else is inspected in it, but a Java
// application that logs it through Log4j expands the lookup wherever it
// sits: Log4Shell is the one class checked in every header.
func (s *scan) lookupIn(vs []string) bool {
	for _, v := range vs {
		if i := strings.IndexByte(v, '$'); i >= 0 && strings.Contains(v[i:], "${") {
			return !s.d.disabled[cLog4Shell]
		}
	}
	return false
}

// lookupValue inspects one value of a skipped header for Log4Shell only
// (see lookupIn). It is not memoised: it only runs on values with "${".
func (s *scan) lookupValue(v string) {
	if !strings.Contains(v, "${") {
		return
	}
	if len(v) > s.d.cfg.MaxValueBytes {
		v = v[:s.d.cfg.MaxValueBytes]
	}
	s.analyze(unsafeBytes(v), 1, 1<<cLog4Shell)
}

func (s *scan) isExtraHeader(h string) bool {
	for _, x := range s.d.headers {
		if x == h {
			return true
		}
	}
	return false
}

// pairs inspects pairs (of a query string, a form body, a cookie header),
// form-unescaped: the ones a Set kept, then the ones of it.
func (s *scan) pairs(loc string, kept []args.Pair, it args.Iter) {
	s.loc = loc
	for _, p := range kept {
		if s.values >= s.d.cfg.MaxValues {
			return
		}
		s.pair(p.KV)
	}
	for s.values < s.d.cfg.MaxValues {
		p, ok := it.Next()
		if !ok {
			return
		}
		if loc == "cookie" && s.d.cookiePairs != nil && memoizable(p.KV) && len(p.KV) <= s.d.cfg.MaxValueBytes {
			s.cookiePair(p.KV)
			continue
		}
		s.pair(p.KV)
	}
}

// pair inspects one name=value pair, form-unescaped: '+' is a space in
// query strings and forms, and in cookies as PHP and other frameworks
// decode them.
func (s *scan) pair(kv string) {
	k, v := kv, ""
	if i := strings.IndexByte(kv, '='); i >= 0 {
		k, v = kv[:i], kv[i+1:]
	}
	n, cm := unescape(&s.nbuf, k, true)
	s.name = n
	s.nameValueMask(n, cm)
	var mask classMask
	if s.fields.rules != nil && s.loc != "cookie" && s.ruled() {
		mask = s.nameMask(n)
	}
	v2, cm := unescape(&s.tbuf, v, true)
	s.ruledValue(v2, cm, mask)
}

// unescape returns src decoded as percentUnescape decodes it and the
// character classes of the result (charMask). Most names and values have
// nothing to decode: then the result is src itself, not a copy, and its
// classes come from the pass that found so; otherwise src is decoded into
// *buf. The result is only read, like every value the scanner is given.
func unescape(buf *[]byte, src string, plus bool) ([]byte, uint32) {
	m := rawClasses(src)
	esc := uint32(cmDecode) // '%' is a cmDecode byte
	if plus {
		esc |= rawPlus
	}
	switch {
	case m&esc == 0:
		return unsafeBytes(src), finishMask(m &^ rawPlus)
	case m&cmDecode == 0:
		// Only '+' to turn into spaces ("blue+running+shoes"): the
		// classes are src's with a space for the '+'.
		b := append((*buf)[:0], src...)
		for i, c := range b {
			if c == '+' {
				b[i] = ' '
			}
		}
		*buf = b
		return b, finishMask(m&^rawPlus | charClass[' '])
	}
	*buf = percentUnescape((*buf)[:0], src, plus)
	return *buf, charMask(*buf)
}

// rawPlus marks '+' in rawClass. It is cmUnknown's bit, which no
// charClass entry has, and never leaves unescape.
const rawPlus = cmUnknown

// rawClass is charClass with '+' marked, for unescape to learn in one
// pass whether a form value has anything to decode.
var rawClass = func() [256]uint32 {
	t := charClass
	t['+'] |= rawPlus
	return t
}()

// rawClasses is classes over a string, with rawClass.
func rawClasses(v string) uint32 { return unionOf(v, &rawClass) }

// percentUnescape appends src with %XX escapes decoded (and '+' as a space
// when plus is set) to dst. Invalid escapes are kept literally. Runs of
// bytes without an escape are copied whole.
func percentUnescape(dst []byte, src string, plus bool) []byte {
	last := 0 // start of the run not yet copied
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '%' && (c != '+' || !plus) {
			continue
		}
		dst = append(dst, src[last:i]...)
		switch {
		case c == '+':
			dst = append(dst, ' ')
		case i+2 < len(src) && hexdigit.Is(src[i+1]) && hexdigit.Is(src[i+2]):
			dst = append(dst, hexdigit.Value(src[i+1])<<4|hexdigit.Value(src[i+2]))
			i += 2
		default:
			dst = append(dst, c)
		}
		last = i + 1
	}
	return append(dst, src[last:]...)
}

// body dispatches on the content type; bodies of unknown type are
// inspected as text when they look like text.
func (s *scan) body(contentType string, b []byte) {
	mt, params := args.Essence(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		kept, rest := s.args.Form(byteview.String(b))
		s.pairs("form", kept, args.Rest(rest))
	case mt == "multipart/form-data" || mt == "multipart/mixed":
		s.multipart(params, b)
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json" || mt == "application/x-ndjson":
		s.json(b)
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		s.xml(b)
	case sniff.Binary(mt):
		// The declared type is a claim, and many applications parse
		// JSON whatever it says: a body that is text is inspected as
		// what it is.
		if sniff.Text(b) {
			s.sniff(b)
		} else if sniff.Protobuf(mt) {
			s.protobuf(b)
		}
	default:
		s.sniff(b)
	}
}

// sniff inspects a body of unknown or missing type by its first byte.
func (s *scan) sniff(b []byte) {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return
	}
	switch t[0] {
	case '{', '[':
		s.json(b)
		return
	case '<':
		s.xml(b)
		return
	}
	if !looksText(b) {
		return
	}
	if bytes.IndexByte(b, '=') > 0 && bytes.IndexByte(b, ' ') < 0 && bytes.IndexByte(b, '\n') < 0 {
		kept, rest := s.args.Form(byteview.String(b))
		s.pairs("form", kept, args.Rest(rest))
		return
	}
	s.loc, s.name = "body", nil
	s.value(b)
}

// looksText reports whether the first KiB of b is valid UTF-8 without
// control bytes other than whitespace.
func looksText(b []byte) bool {
	if len(b) > 1024 {
		b = b[:1024]
		for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
	}
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// multipart inspects the names, file names and text fields of a
// multipart body, at most MaxParts parts. A truncated body ends the walk.
func (s *scan) multipart(params string, b []byte) {
	boundary := ""
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "boundary") {
			boundary = strings.Trim(v, `"`)
		}
	}
	if boundary == "" || len(boundary) > 200 {
		s.loc, s.name = "body", nil
		s.value(b)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	file := false // the part before holds a file's content, not read
	for parts := 0; s.values < s.d.cfg.MaxValues; parts++ {
		p, err := mr.NextRawPart()
		if err != nil {
			// A body cut inside a file's content ends here, as the walk
			// looks for the next delimiter.
			s.upload = file && err != io.EOF
			return
		}
		if parts == s.d.cfg.MaxParts {
			s.incomplete |= incParts
			return
		}
		s.loc = "multipart"
		name := p.FormName()
		s.nbuf = append(s.nbuf[:0], name...)
		s.name = s.nbuf
		s.nameValue(s.nbuf)
		file = false
		if fn := p.FileName(); fn != "" {
			s.uploadName(unsafeBytes(fn))
			s.value(unsafeBytes(fn))
			if file = !textPart(p.Header); file {
				continue
			}
		}
		// The whole part: the body it is read from is bounded, and a
		// value longer than a window is inspected window by window.
		s.tbuf = s.tbuf[:0]
		buf := bytes.NewBuffer(s.tbuf)
		_, err = io.Copy(buf, p)
		s.tbuf = buf.Bytes()
		if s.fields.rules != nil && s.ruled() {
			s.ruledValue(s.tbuf, charMask(s.tbuf), s.nameMask(s.nbuf))
		} else {
			s.value(s.tbuf)
		}
		if err != nil {
			return
		}
	}
}

func textPart(h textproto.MIMEHeader) bool {
	ct := h.Get("Content-Type")
	mt, _ := args.Essence(ct)
	return ct == "" || strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/xml" ||
		mt == "application/x-php" || mt == "application/javascript"
}

// hiddenPath flags a request path with a dot-file or dot-directory
// segment (/.env, /.git/config, /.claude/settings.json): applications
// rarely serve them and scanners look for them. /.well-known/ is exempt.
func (s *scan) hiddenPath(p []byte) {
	// Visit the dots, each at least one byte from either end, that follow
	// a '/'; most paths have none.
	for from := 1; from < len(p)-1; {
		k := bytes.IndexByte(p[from:len(p)-1], '.')
		if k < 0 {
			return
		}
		k += from
		from = k + 1
		if p[k-1] != '/' {
			continue
		}
		i := k - 1
		c := p[i+2]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			continue
		}
		if indexFold(p[i:], "/.well-known/") == 0 || equalFoldStr(p[i:], "/.well-known") {
			continue
		}
		s.signal(len(rules)+sigHiddenPath, cTraversal, 0.6, p, i)
		return
	}
}
