package protocol

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/internal/redact"
)

// requestLine checks the method, HTTP version and request target.
func (s *scan) requestLine() {
	r := s.r
	m := r.Method
	if m == "" {
		m = http.MethodGet
	}
	// Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET.
	switch {
	case !isToken(m):
		s.add(chkMethodInvalid, m)
	case !contains(s.d.methods, m):
		s.add(chkMethod, m)
	}
	target := r.Path
	if s.hr != nil {
		if len(s.d.versions) > 0 && !contains(s.d.versions, s.hr.Proto) {
			s.add(chkVersion, s.hr.Proto)
		}
		if s.hr.RequestURI != "" {
			target = s.hr.RequestURI
		}
	}
	s.target(m, target)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// target checks the request-target form (RFC 9112 §3.2): origin-form for
// every method, absolute-form (http or https) for every method,
// authority-form for CONNECT only, "*" for OPTIONS only.
func (s *scan) target(method, t string) {
	switch {
	case t == "":
	case t == "*":
		if method != http.MethodOptions {
			s.add(chkTarget, t)
		}
	case t[0] == '/':
	case hasPrefixFold(t, "http://") || hasPrefixFold(t, "https://"):
	case method == http.MethodConnect:
	default:
		s.add(chkTarget, t)
	}
	if strings.IndexByte(t, '#') >= 0 {
		s.add(chkFragment, t)
	}
	// mod_proxy's "unix:" socket syntax lets a request pick the backend
	// (CVE-2021-40438); no ordinary URL carries it.
	if i := unixSocket(t); i >= 0 {
		s.add(chkModProxy, t[i:])
	}
}

// framing checks how the body is delimited (RFC 9112 §6).
func (s *scan) framing() {
	r := s.r
	cl := s.hdr.vals[fContentLength]
	te := s.hdr.vals[fTransferEncoding]
	chunked := false
	if s.hr != nil && len(s.hr.TransferEncoding) > 0 {
		chunked = true // net/http moved the header here
	}
	if len(cl) > 1 {
		for _, v := range cl[1:] {
			if trimOWS(v) != trimOWS(cl[0]) {
				s.add(chkContentLength, v)
			}
		}
	}
	for _, v := range cl {
		if !digits(trimOWS(v)) {
			s.add(chkContentLength, v)
		}
	}
	if len(te) > 0 {
		chunked = true
		if len(cl) > 0 {
			s.add(chkCLAndTE, te[0])
		}
		if len(te) > 1 || !equalFold(trimOWS(te[0]), "chunked") {
			s.add(chkTransferEncoding, te[len(te)-1])
		}
		if s.hr != nil && !s.hr.ProtoAtLeast(1, 1) {
			s.add(chkTransferEncoding, "HTTP/1.0")
		}
	}
	hasBody := len(r.Body) > 0 || chunked
	if s.hr != nil && s.hr.ContentLength > 0 {
		hasBody = true
	}
	for _, v := range cl {
		if v = trimOWS(v); v != "" && v != "0" && digits(v) {
			hasBody = true
		}
	}
	m := r.Method
	if m == http.MethodGet || m == http.MethodHead || m == "" {
		if hasBody {
			if chunked {
				s.add(chkBodyOnGet, "Transfer-Encoding: chunked")
			} else {
				s.add(chkBodyOnGet, "")
			}
		}
	} else if (m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch) &&
		len(cl) == 0 && !chunked && len(r.Body) == 0 && (s.hr == nil || s.hr.ProtoMajor == 1) {
		// RFC 9110 §8.6: a user agent sends Content-Length: 0 for an
		// empty POST; HTTP/2 frames bodies itself. A forward-auth
		// subrequest's framing is the front proxy's.
		if sub, _ := subrequest(s.hr); !sub {
			s.add(chkNoLength, m)
		}
	}
	if hasBody && len(s.hdr.vals[fContentType]) == 0 {
		s.add(chkTypeMissing, "")
	}
}

func digits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// hostFields checks Host (RFC 9112 §3.2). HTTP/2 and HTTP/3 carry the
// authority in a pseudo-header that their servers validate, so only
// HTTP/1.x requests are checked for a missing or empty Host.
func (s *scan) hostFields() {
	r := s.r
	hosts, present := s.hdr.vals[fHost], s.hdr.present(fHost)
	if len(hosts) > 1 {
		s.add(chkHostMultiple, hosts[1])
	}
	if s.hr != nil {
		if s.hr.ProtoMajor == 1 && r.Host == "" {
			// net/http refuses an HTTP/1.1 request without Host, so an
			// empty one here was sent empty; on HTTP/1.0 it may just be
			// missing (old clients, health checks).
			if s.hr.ProtoAtLeast(1, 1) {
				s.add(chkHostEmpty, "")
			} else {
				s.add(chkHostMissing, "")
			}
		}
	} else {
		switch {
		case present && len(hosts) > 0 && trimOWS(hosts[0]) == "":
			s.add(chkHostEmpty, "")
		case !present && r.Host == "" && r.Header != nil:
			s.add(chkHostMissing, "")
		}
	}
	host := r.Host
	if host == "" && len(hosts) > 0 {
		host = hosts[0]
	}
	if host = trimOWS(host); host != "" && numericHost(host) {
		if sub, fwd := subrequest(s.hr); !sub || fwd {
			s.add(chkHostNumeric, host)
		}
	}
	if strings.IndexByte(host, '%') >= 0 {
		// reg-name allows percent-encoding; what it decodes to must
		// still be a host name
		s.encoding(scanEncoded(host, false)&^encEscaped, host)
		if scanEncoded(host, false)&encCRLF != 0 {
			s.add(chkHeaderInjection, host)
		}
	}
}

// numericHost reports whether host ("a.b.c.d", "[v6]", with or without
// port) is an IP literal.
func numericHost(host string) bool {
	if c := host[0]; c != '[' && (c < '0' || c > '9') {
		return false // a name, the usual case: no need to find the port
	}
	if host[0] == '[' {
		if i := strings.IndexByte(host, ']'); i > 0 {
			_, err := netip.ParseAddr(host[1:i])
			return err == nil
		}
		return false
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if host == "" || host[0] < '0' || host[0] > '9' {
		return false
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// endToEnd lists header names that a Connection header may not make
// hop-by-hop: a proxy that honours it would drop the header (client IP,
// credentials, framing) before the next hop checks it.
var endToEnd = [...]string{
	"host", "authorization", "cookie", "content-length", "content-type", "transfer-encoding",
	"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "forwarded",
	"x-api-key", "origin", "referer", "user-agent",
}

// methodOverride lists the headers frameworks read to replace the method.
var methodOverride = [...]string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// headerFields checks the header section.
func (s *scan) headerFields() {
	h := s.r.Header
	s.hostFields()
	if h == nil {
		return
	}
	if s.d.cfg.MaxHeaders > 0 && len(h) > s.d.cfg.MaxHeaders {
		s.add(chkHeaders, "")
	}
	// net/http's server refused invalid field names and values (CR, LF,
	// NUL and other controls) before any handler ran; only requests built
	// without it need the scan.
	if s.hr == nil {
		for name, vals := range h {
			if !isToken(name) {
				s.add(chkHeaderInjection, name)
			}
			for _, v := range vals {
				switch f := scanRaw(v); {
				case f&(encCRLF|encNUL) != 0 && secretHeader(name):
					s.add(chkHeaderInjection, name+": "+redact.Mark)
				case f&(encCRLF|encNUL) != 0:
					s.add(chkHeaderInjection, name+": "+v)
				case f&encCtl != 0:
					s.add(chkControl, name)
				}
			}
		}
	}
	// The rare headers are only marked present; their checks look them up.
	if s.hdr.has&hdrRestricted != 0 {
		for _, name := range s.d.headers {
			if _, ok := h[name]; ok {
				s.add(chkHeader, name)
			}
		}
	}
	if s.hdr.has&hdrRequestRange != 0 {
		s.add(chkRequestRange, "")
	}
	if s.hdr.has&hdrMethodOverride != 0 {
		for _, name := range methodOverride {
			for _, v := range h[name] {
				// Frameworks upper-case the value before they use it.
				if v = trimOWS(v); !containsFold(s.d.methods, v) || s.safeMethod() {
					s.add(chkMethodOverride, name+": "+v)
				}
			}
		}
	}
	s.accept()
	s.contentType()
	if rs := s.hdr.vals[fRange]; len(rs) > 0 {
		s.rangeHeader(rs)
	}
	if cs := s.hdr.vals[fConnection]; len(cs) > 0 {
		s.connection(cs)
	}
	for _, c := range s.hdr.vals[fCookie] {
		if strings.IndexByte(c, '$') >= 0 && indexFold(c, "$version") >= 0 {
			s.add(chkCookieV1, "") // the header's values are sessions: never quoted
		}
		s.cookie(c)
	}
	for _, v := range s.hdr.vals[fCharset] {
		// Old WAP gateways name the body's charset here, and ASP.NET
		// believes it.
		if !containsFold(s.d.charsets, trimOWS(v)) {
			s.add(chkCharset, v)
		}
	}
}

func (s *scan) accept() {
	acc, ok := s.hdr.vals[fAccept], s.hdr.present(fAccept)
	switch {
	case !ok:
		s.add(chkAcceptMissing, "")
		return
	case len(acc) == 0 || len(acc) == 1 && trimOWS(acc[0]) == "":
		s.add(chkAcceptEmpty, "")
		return
	}
	for _, v := range acc {
		// A charset is a parameter: it comes after a ';'.
		if i := strings.IndexByte(v, ';'); i < 0 || indexFold(v[i:], "charset") < 0 {
			continue // the usual Accept: no item to parse
		}
		for rest := v; rest != ""; {
			var item string
			item, rest = nextItem(rest)
			if strings.IndexByte(item, ';') < 0 || indexFold(item, "charset") < 0 {
				continue
			}
			if mt, ok := args.ParseMediaType(item); ok {
				if refused, _ := s.charsetRefused(mt); refused {
					s.add(chkAcceptCharset, item)
				}
			}
		}
	}
	for _, v := range s.hdr.vals[fAcceptEncoding] {
		if len(v) > 100 {
			s.add(chkAcceptEncoding, v)
		}
	}
}

// contentType checks the Content-Type header: one, well-formed, allowed,
// with an allowed charset, and nothing that looks like a second media
// type in its parameters.
func (s *scan) contentType() {
	cts := s.hdr.vals[fContentType]
	if len(cts) == 0 {
		return
	}
	if len(cts) > 1 {
		s.add(chkTypeMultiple, cts[1])
	}
	v := cts[0]
	mt, ok := args.ParseMediaType(v)
	if !ok {
		if looksLikeMediaType(v) {
			s.add(chkTypeSmuggled, v)
		} else {
			s.add(chkTypeInvalid, v)
		}
		return
	}
	if s.carriesContent() && !typeAllowed(s.d.types, mt) {
		s.add(chkTypeNotAllowed, v)
	}
	it := mt.Params()
	charsets, boundaries := 0, 0
	for {
		name, value, _, ok := it.Next()
		if !ok {
			break
		}
		switch {
		case equalFold(name, "charset"):
			charsets++
			if !containsFold(s.d.charsets, value) {
				s.add(chkCharset, value)
			}
		case equalFold(name, "boundary"):
			boundaries++
			if !equalFold(mt.Type, "multipart") && looksLikeMediaType(value) {
				// meaningless on this type; a media type here is bait
				// for parsers that search the whole header
				s.add(chkTypeSmuggled, v)
			}
		case equalFold(name, "type") || equalFold(name, "start-info") || equalFold(name, "profile"):
			// multipart/related and some JSON types carry a media type
			// here by design.
		default:
			if looksLikeMediaType(value) {
				s.add(chkTypeSmuggled, v)
			}
		}
	}
	if it.Bad {
		if looksLikeMediaType(it.Junk) {
			s.add(chkTypeSmuggled, v)
		} else {
			s.add(chkTypeInvalid, v)
		}
	}
	if charsets > 1 {
		s.add(chkCharsetMultiple, v)
	}
	if boundaries > 1 {
		s.add(chkBoundary, v)
	}
}

// carriesContent reports whether the request has or announces a body.
func (s *scan) carriesContent() bool {
	if len(s.r.Body) > 0 {
		return true
	}
	if s.hr != nil && (s.hr.ContentLength > 0 || len(s.hr.TransferEncoding) > 0) {
		return true
	}
	switch s.r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// connection checks the Connection header's options (RFC 9110 §7.6.1).
func (s *scan) connection(vals []string) {
	keepAlive, closeConn := false, false
	for _, v := range vals {
		for rest := v; rest != ""; {
			var opt string
			opt, rest = nextItem(rest)
			switch {
			case equalFold(opt, "keep-alive"):
				keepAlive = true
			case equalFold(opt, "close"):
				closeConn = true
			default:
				for _, e := range endToEnd {
					if equalFold(opt, e) {
						s.add(chkHopByHop, opt)
					}
				}
			}
		}
	}
	if keepAlive && closeConn {
		s.add(chkConnection, "")
	}
}

// cookie checks the values of a Cookie header for line breaks, raw or
// percent-encoded: applications that copy a cookie into a response
// header (Set-Cookie, Location) split the response on them.
func (s *scan) cookie(c string) {
	if !escapedBreak(c) {
		return
	}
	for it := args.Cookies(c); ; {
		p, ok := it.Next()
		if !ok {
			return
		}
		if scanEncoded(p.KV, false)&encCRLF != 0 {
			s.buf = decode(s.buf[:0], trimOWS(p.KV), false)
			s.lineBreaks(string(s.buf), false)
		}
	}
}

// escapedBreak reports a %0D or %0A in s.
func escapedBreak(s string) bool {
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 || i+2 >= len(s) {
			return false
		}
		if s[i+1] == '0' && (s[i+2]|0x20 == 'd' || s[i+2]|0x20 == 'a') {
			return true
		}
		s = s[i+1:]
	}
}

// secretHeader reports whether a header's value is a secret by its name
// (Authorization, Cookie, X-Api-Key, …): a message names it and never
// quotes the value.
func secretHeader(name string) bool { return redact.Names{}.Match(name) }
