package payload

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
)

// skippedHeaders are not inspected by OtherHeaders: they are structural,
// carry credentials, or are set by browsers and proxies.
var skippedHeaders = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Accept-Charset": true,
	"Authorization": true, "Proxy-Authorization": true, "Cache-Control": true, "Connection": true,
	"Content-Length": true, "Content-Type": true, "Content-Encoding": true, "Host": true,
	"If-Modified-Since": true, "If-None-Match": true, "If-Match": true, "If-Unmodified-Since": true,
	"If-Range": true, "Origin": true, "Pragma": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Upgrade-Insecure-Requests": true, "Dnt": true,
	"Priority": true, "Keep-Alive": true, "Proxy-Connection": true, "Range": true,
	"Cookie": true, "Referer": true, "User-Agent": true, "Traceparent": true, "Tracestate": true,
	"X-Request-Id": true, "X-Correlation-Id": true, "X-Csrf-Token": true, "X-Xsrf-Token": true,
	"Expect": true, "Date": true, "Max-Forwards": true, "Content-Md5": true, "Via": true,
	"X-Forwarded-Proto": true, "X-Forwarded-Port": true, "X-Amzn-Trace-Id": true, "Sec-Ch-Ua": true,
	"Sec-Ch-Ua-Mobile": true, "Sec-Ch-Ua-Platform": true, "Sec-Fetch-Dest": true,
	"Sec-Fetch-Mode": true, "Sec-Fetch-Site": true, "Sec-Fetch-User": true, "Sec-Gpc": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
}

// request walks every inspected part of r.
func (s *scan) request(ctx context.Context, r *abuse.Request) {
	s.loc, s.name = "path", nil
	s.tbuf = percentUnescape(s.tbuf[:0], r.Path, false)
	s.hiddenPath(s.tbuf)
	s.value(s.tbuf)

	s.pairs("query", r.RawQuery, '&')

	s.headers(r)
	if ctx.Err() != nil {
		return
	}
	if s.d.cfg.Body && len(r.Body) > 0 {
		s.body(r.ContentType, r.Body)
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
		s.headerValue("User-Agent", ua)
	}
	if r.Header == nil {
		return
	}
	for _, ref := range r.Header["Referer"] {
		s.name = unsafeBytes("Referer")
		s.headerValue("Referer", ref)
	}
	for _, c := range r.Header["Cookie"] {
		s.pairs("cookie", c, ';')
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
	if !s.d.cfg.OtherHeaders {
		return
	}
	for h, vs := range r.Header {
		if skippedHeaders[h] || s.isExtraHeader(h) {
			continue
		}
		s.name = unsafeBytes(h)
		s.headerName(h)
		fileHeader := indexFold(s.name, "file") >= 0
		for _, v := range vs {
			if fileHeader {
				s.uploadName(unsafeBytes(v))
			}
			s.headerValue(h, v)
		}
	}
}

func (s *scan) isExtraHeader(h string) bool {
	for _, x := range s.d.headers {
		if x == h {
			return true
		}
	}
	return false
}

// pairs inspects name=value pairs separated by sep (query strings, form
// bodies, cookies), form-unescaped.
func (s *scan) pairs(loc, raw string, sep byte) {
	s.loc = loc
	// '+' is a space in query strings and forms, and in cookies as PHP
	// and other frameworks decode them.
	plus := true
	for raw != "" && s.values < s.d.cfg.MaxValues {
		var kv string
		if i := strings.IndexByte(raw, sep); i >= 0 {
			kv, raw = raw[:i], raw[i+1:]
		} else {
			kv, raw = raw, ""
		}
		if sep == ';' {
			kv = strings.TrimLeft(kv, " ")
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		s.nbuf = percentUnescape(s.nbuf[:0], k, plus)
		s.name = s.nbuf
		s.nameValue(s.nbuf)
		s.tbuf = percentUnescape(s.tbuf[:0], v, plus)
		s.value(s.tbuf)
	}
}

// percentUnescape appends src with %XX escapes decoded (and '+' as a space
// when plus is set) to dst. Invalid escapes are kept literally.
func percentUnescape(dst []byte, src string, plus bool) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '%' && i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2]):
			dst = append(dst, unhex(src[i+1])<<4|unhex(src[i+2]))
			i += 2
		case c == '+' && plus:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// mediaType returns the lowercased type/subtype of a Content-Type value
// and its parameters part.
func mediaType(ct string) (string, string) {
	t, params, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t)), params
}

// body dispatches on the content type; bodies of unknown type are
// inspected as text when they look like text.
func (s *scan) body(contentType string, b []byte) {
	mt, params := mediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		s.pairs("form", unsafeString(b), '&')
	case mt == "multipart/form-data" || mt == "multipart/mixed":
		s.multipart(params, b)
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json" || mt == "application/x-ndjson":
		s.json(b)
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		s.xml(b)
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"),
		mt == "application/octet-stream", mt == "application/grpc", mt == "application/protobuf",
		mt == "application/x-protobuf", mt == "application/zip", mt == "application/gzip", mt == "application/pdf":
		// Binary: not inspected.
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
		s.pairs("form", unsafeString(b), '&')
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
	for parts := 0; parts < s.d.cfg.MaxParts && s.values < s.d.cfg.MaxValues; parts++ {
		p, err := mr.NextRawPart()
		if err != nil {
			return
		}
		s.loc = "multipart"
		name := p.FormName()
		s.nbuf = append(s.nbuf[:0], name...)
		s.name = s.nbuf
		s.nameValue(s.nbuf)
		if fn := p.FileName(); fn != "" {
			s.uploadName(unsafeBytes(fn))
			s.value(unsafeBytes(fn))
			if !textPart(p.Header) {
				continue
			}
		}
		s.tbuf = s.tbuf[:0]
		buf := bytes.NewBuffer(s.tbuf)
		_, err = io.Copy(buf, io.LimitReader(p, int64(s.d.cfg.MaxValueBytes)))
		s.tbuf = buf.Bytes()
		s.value(s.tbuf)
		if err != nil {
			return
		}
	}
}

func textPart(h textproto.MIMEHeader) bool {
	ct := h.Get("Content-Type")
	mt, _ := mediaType(ct)
	return ct == "" || strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/xml" ||
		mt == "application/x-php" || mt == "application/javascript"
}

// hiddenPath flags a request path with a dot-file or dot-directory
// segment (/.env, /.git/config, /.claude/settings.json): applications
// rarely serve them and scanners look for them. /.well-known/ is exempt.
func (s *scan) hiddenPath(p []byte) {
	for i := 0; i+2 < len(p); i++ {
		if p[i] != '/' || p[i+1] != '.' {
			continue
		}
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
