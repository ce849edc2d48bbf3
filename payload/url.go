package payload

import (
	"bytes"
	"net/netip"

	"github.com/warden-dev/warden/internal/hexdigit"
)

// dangerousSchemes are URL schemes that let a server-side fetch reach
// files or non-HTTP services.
var dangerousSchemes = [...]string{
	"gopher", "dict", "file", "ldap", "ldaps", "tftp", "sftp", "netdoc", "jar", "smb", "rmi", "iiop",
}

// authorityEnd marks the bytes that end a URL's authority.
var authorityEnd = func() (t [256]bool) {
	for _, c := range []byte("/?#\\\"'<> \t\n\r\v\f") {
		t[c] = true
	}
	return t
}()

// authorityByte sorts the bytes of an authority for checkURLs' walk:
// authEnd for authorityEnd's, authMark for '@' and ':', 0 for the rest,
// so an ordinary byte costs one load.
var authorityByte = func() (t [256]uint8) {
	for c := range t {
		switch {
		case authorityEnd[c]:
			t[c] = authEnd
		case c == '@' || c == ':':
			t[c] = authMark
		}
	}
	return t
}()

const (
	authEnd  = 1
	authMark = 2
)

// dangerousLead holds the first bytes, in either case, of
// dangerousSchemes.
var dangerousLead = func() (t [256]bool) {
	for _, d := range dangerousSchemes {
		t[d[0]] = true
		t[d[0]-'a'+'A'] = true
	}
	return t
}()

// spaceByte holds the bytes isSpace reports.
var spaceByte = func() (t [256]bool) {
	for c := range t {
		t[c] = isSpace(byte(c))
	}
	return t
}()

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}

// checkURLs examines up to four URLs in v: dangerous schemes, hosts that
// are internal or cloud-metadata addresses (in any IPv4 notation), IP
// literals and URLs ending in '?' (remote file inclusion).
func (s *scan) checkURLs(v []byte, factor float64) {
	found := 0
	for i := 0; i+2 < len(v) && found < 4; i++ {
		k := bytes.IndexByte(v[i:], ':')
		if k < 0 {
			return
		}
		i += k
		if i+2 >= len(v) {
			return
		}
		var schemeEnd, authStart int
		switch {
		case v[i] == ':' && v[i+1] == '/' && v[i+2] == '/':
			schemeEnd, authStart = i, i+3
		case v[i] == ':' && i >= 3 && indexFold(v[i-3:i], "jar") == 0:
			schemeEnd, authStart = i, i+1
		default:
			continue
		}
		found++
		st := schemeEnd
		for st > 0 && isSchemeChar(v[st-1]) {
			st--
		}
		scheme := v[st:schemeEnd]
		if len(scheme) == 0 {
			continue
		}
		if authStart >= len(v) || isSpace(v[authStart]) {
			// "gopher://" alone names a scheme; it reaches nothing.
			continue
		}
		if dangerousLead[scheme[0]] {
			// Most schemes (http, https) start with none of
			// dangerousSchemes' letters: one load instead of twelve
			// comparisons.
			s.checkScheme(v, scheme, st, authStart, factor)
		}
		// Authority: up to the first '/', '?', '#', '\', whitespace; the
		// host follows its last '@' and ends at a last ':' (the port).
		end := authStart
		hostStart, colon := authStart, -1
		for lim := min(len(v), authStart+256); end < lim; end++ {
			c := v[end]
			if authorityByte[c] == 0 {
				continue
			}
			if authorityByte[c] == authEnd {
				break
			}
			if c == '@' {
				hostStart, colon = end+1, -1
			} else {
				colon = end
			}
		}
		host := v[hostStart:end]
		if len(host) > 0 && host[0] == '[' {
			if k := indexByte(host, ']'); k > 0 {
				host = host[:k+1]
			}
		} else if colon >= 0 {
			host = v[hostStart:colon]
		}
		kind := hostKind(host)
		if kind == hostName && colon >= 0 && end-hostStart <= 45 && bytes.Count(v[hostStart:end], []byte(":")) >= 2 {
			// An IPv6 literal written without brackets.
			var b [47]byte
			b[0] = '['
			n := copy(b[1:], v[hostStart:end])
			b[n+1] = ']'
			if hostKind(b[:n+2]) != hostName {
				kind = hostPublicIP
			}
		}
		switch kind {
		case hostMetadata:
			s.signal(len(rules)+sigSSRFMetadata, cSSRF, 0.9*factor, v, st)
		case hostInternal:
			s.signal(len(rules)+sigSSRFInternal, cSSRF, 0.6*factor, v, st)
		case hostPublicIP:
			s.signal(len(rules)+sigRFIIP, cRFI, 0.45*factor, v, st)
		}
		// A URL that ends in '?' or '??' cuts off the suffix the app
		// appends: the classic remote-include trick.
		j := end
		for lim := min(len(v), end+1024); j < lim && !spaceByte[v[j]]; {
			j++
		}
		if kind == hostInternal && st == skipSpaceFwd(v, 0) && skipSpaceFwd(v, j) == len(v) && s.fetchedURL(scheme) {
			// The whole value is a URL to an internal host: a
			// parameter the server fetches, pointed at itself or its
			// network. A URL mentioned in prose is not the value.
			s.signal(len(rules)+sigSSRFWhole, cSSRF, 0.6*factor, v, st)
		}
		cut := j > end && v[j-1] == '?' && (j == len(v) || isSpace(v[j]))
		if cut {
			s.signal(len(rules)+sigRFIQuery, cRFI, 0.5*factor, v, st)
		}
		if (kind == hostPublicIP || cut || bytes.IndexByte(v[end:j], 0) >= 0) && isRemoteScheme(scheme) {
			// A script fetched from an IP literal, or with the app's
			// suffix cut off ('?', NUL): a remote include.
			if codeFile(v[end:j]) {
				s.signal(len(rules)+sigRFICode, cRFI, 0.85*factor, v, st)
			}
			if st == skipSpaceFwd(v, 0) && includeParam(s.name) {
				// include($_GET['mosConfig_absolute_path'] . '/x.php'):
				// a parameter named for a local path. Real traffic has
				// "full_path=https://…" links, so the name only
				// corroborates.
				s.signal(len(rules)+sigRFIParam, cRFI, 0.45*factor, v, st)
			}
		}
	}
}

// checkScheme signals a URL of v whose scheme (at v[st:]) is one of
// dangerousSchemes; its authority starts at v[authStart].
func (s *scan) checkScheme(v, scheme []byte, st, authStart int, factor float64) {
	for _, d := range dangerousSchemes {
		if !equalFoldStr(scheme, d) {
			continue
		}
		w := 0.75
		switch {
		case d == "gopher" || d == "dict":
			w = 0.85
		case d == "file" && localFile(v[authStart:]):
			// file:///etc/x, file://c:/x, file://localhost/x: a local
			// file read.
			w = 0.85
		}
		s.signal(len(rules)+sigSSRFScheme, cSSRF, w*factor, v, st)
	}
}

// fetchedURL reports whether a value that is wholly a URL with this
// scheme, at the current location, is one the server may fetch: an
// http(s) or ftp URL in a query, form, JSON, XML or multipart value
// whose name is not a browser navigation target. Headers (Referer,
// Origin-like ones) name the page the client came from, and redirect,
// return and next parameters send the browser, not the server, there:
// native OAuth clients register loopback redirect URIs (RFC 8252).
func (s *scan) fetchedURL(scheme []byte) bool {
	switch s.loc {
	case "query", "form", "json", "xml", "multipart":
	default:
		return false
	}
	return isRemoteScheme(scheme) && !navName(s.name)
}

// isRemoteScheme reports whether scheme fetches from another host.
func isRemoteScheme(scheme []byte) bool {
	return equalFoldStr(scheme, "http") || equalFoldStr(scheme, "https") || equalFoldStr(scheme, "ftp") ||
		equalFoldStr(scheme, "ftps") || equalFoldStr(scheme, "smb")
}

// codeFile reports whether the URL path p (from the end of the
// authority) ends in a server-side or shell script name.
func codeFile(p []byte) bool {
	e := 0
	for e < len(p) && p[e] != '?' && p[e] != '#' && p[e] != 0 && !isSpace(p[e]) {
		e++
	}
	dot := lastIndexByte(p[:e], '.')
	if dot < 0 || lastIndexByte(p[:e], '/') > dot {
		return false
	}
	ext := p[dot+1 : e]
	for _, x := range [...]string{"php", "php3", "php4", "php5", "phtml", "phar", "inc", "txt", "sh", "pl", "py", "rb", "cgi", "asp", "aspx", "jsp", "ps1", "bat", "exe"} {
		if equalFoldStr(ext, x) {
			return true
		}
	}
	return false
}

// includeParam reports whether a parameter name says it holds a local
// path to include: path, *_path, dir, *_dir, root, include, inc.
func includeParam(name []byte) bool {
	if len(name) < 3 || len(name) > 64 {
		return false
	}
	for _, suf := range [...]string{"path", "_dir", "dir", "root", "include", "inc"} {
		if hasSuffixFold(name, suf) {
			if len(name) == len(suf) || suf[0] == '_' || !isLetter(name[len(name)-len(suf)-1]) || isUpperAt(name, len(name)-len(suf)) {
				return true
			}
		}
	}
	return false
}

// isUpperAt reports whether name[i] is an upper-case letter: the start
// of a camel-case word ("absolutePath").
func isUpperAt(name []byte, i int) bool {
	return name[i] >= 'A' && name[i] <= 'Z'
}

// localFile reports whether the part of a file: URL after "//" names a
// local file: an absolute path, a drive letter or localhost.
func localFile(b []byte) bool {
	if len(b) > 0 && (b[0] == '/' || b[0] == '\\') {
		return true
	}
	if len(b) > 1 && isLetter(b[0]) && (b[1] == ':' || b[1] == '|') {
		return true
	}
	return len(b) >= 10 && equalFoldStr(b[:10], "localhost/")
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

type hostClass uint8

const (
	hostName hostClass = iota
	hostPublicIP
	hostInternal
	hostMetadata
)

// hostKind classifies a URL host: a name, a public IP literal, an internal
// address (loopback, private, link-local, unspecified, localhost, the
// names only a private network resolves: *.internal, *.local, *.lan,
// *.home.arpa, Kubernetes' *.svc, and the never-delegated .corp, .home,
// .intranet) or a cloud metadata endpoint.
func hostKind(h []byte) hostClass {
	for len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	if len(h) == 0 {
		return hostName
	}
	if h[0] == '[' && h[len(h)-1] == ']' {
		a, err := netip.ParseAddr(string(h[1 : len(h)-1]))
		if err != nil {
			return hostName
		}
		if a.Is4In6() {
			a = a.Unmap()
			return ipv4Kind(a.As4())
		}
		if a == netip.MustParseAddr("fd00:ec2::254") {
			return hostMetadata
		}
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
			return hostInternal
		}
		return hostPublicIP
	}
	if h[0] >= '0' && h[0] <= '9' {
		// Every IPv4 notation starts with a digit ("0x7f.1" too): a
		// name is not parsed.
		if ip, ok := parseIPv4Any(h); ok {
			return ipv4Kind(ip)
		}
	}
	// Dispatch on the last byte: most hosts (".com", ".org") end in a
	// byte no special name ends in, and pay one comparison.
	switch h[len(h)-1] | 0x20 {
	case 'm':
		if equalFoldStr(h, "metadata.azure.com") || equalFoldStr(h, "metadata.platformequinix.com") {
			return hostMetadata
		}
	case 't':
		if equalFoldStr(h, "metadata.packet.net") {
			return hostMetadata
		}
		if equalFoldStr(h, "localhost") || hasSuffixFold(h, ".localhost") || equalFoldStr(h, "ip6-localhost") ||
			equalFoldStr(h, "kubernetes.default") || hasSuffixFold(h, ".intranet") {
			return hostInternal
		}
	case 'l':
		if equalFoldStr(h, "metadata.google.internal") {
			return hostMetadata
		}
		if hasSuffixFold(h, ".internal") || hasSuffixFold(h, ".local") {
			return hostInternal
		}
	case 'a':
		if equalFoldStr(h, "metadata") || equalFoldStr(h, "instance-data") {
			return hostMetadata
		}
		if hasSuffixFold(h, ".home.arpa") {
			return hostInternal
		}
	case 'c':
		// Kubernetes service names: "api.ns.svc", "kubernetes.default.svc".
		if hasSuffixFold(h, ".svc") {
			return hostInternal
		}
	case 'p':
		if hasSuffixFold(h, ".corp") {
			return hostInternal
		}
	case 'e':
		// Public names whose DNS answers loopback, for every
		// subdomain as well.
		if equalFoldStr(h, "localtest.me") || equalFoldStr(h, "lvh.me") || equalFoldStr(h, "vcap.me") ||
			hasSuffixFold(h, ".localtest.me") || hasSuffixFold(h, ".lvh.me") || hasSuffixFold(h, ".vcap.me") ||
			hasSuffixFold(h, ".home") {
			return hostInternal
		}
	case 'o':
		if hasSuffixFold(h, ".nip.io") || hasSuffixFold(h, ".sslip.io") {
			return hostInternal
		}
	case 'n', '4', '6':
		if hasSuffixFold(h, ".localdomain") || hasSuffixFold(h, ".localdomain4") || hasSuffixFold(h, ".localdomain6") || hasSuffixFold(h, ".lan") {
			return hostInternal
		}
	case 'k':
		if equalFoldStr(h, "ip6-loopback") {
			return hostInternal
		}
	}
	return hostName
}

// equalFoldStr reports whether b is the lower-case s, folding ASCII case
// in b. It is small enough to inline: most calls fail on the length.
func equalFoldStr(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func hasSuffixFold(b []byte, s string) bool {
	return len(b) >= len(s) && equalFoldStr(b[len(b)-len(s):], s)
}

func ipv4Kind(ip [4]byte) hostClass {
	switch {
	case ip == [4]byte{169, 254, 169, 254}, ip == [4]byte{100, 100, 100, 200}, ip == [4]byte{168, 63, 129, 16},
		ip == [4]byte{169, 254, 170, 2}, ip == [4]byte{192, 0, 0, 192}:
		return hostMetadata
	case ip[0] == 127, ip[0] == 10, ip[0] == 0,
		ip[0] == 172 && ip[1]&0xf0 == 16,
		ip[0] == 192 && ip[1] == 168,
		ip[0] == 169 && ip[1] == 254,
		ip[0] == 100 && ip[1]&0xc0 == 64:
		return hostInternal
	}
	return hostPublicIP
}

// parseIPv4Any parses an IPv4 address in any notation inet_aton accepts:
// 1 to 4 parts, each decimal, octal (leading 0) or hex (0x), the last part
// filling the remaining bytes (127.1, 2130706433, 0x7f.0.0.1, 169.16689662).
func parseIPv4Any(h []byte) ([4]byte, bool) {
	var parts [4]uint64
	n := 0
	i := 0
	for {
		if n == 4 || i >= len(h) {
			return [4]byte{}, false
		}
		base := uint64(10)
		if h[i] == '0' && i+1 < len(h) && (h[i+1] == 'x' || h[i+1] == 'X') {
			base = 16
			i += 2
		} else if h[i] == '0' && i+1 < len(h) && h[i+1] != '.' {
			base = 8
			i++
		}
		st := i
		var val uint64
		for i < len(h) && h[i] != '.' {
			if !hexdigit.Is(h[i]) || uint64(hexdigit.Value(h[i])) >= base {
				return [4]byte{}, false
			}
			val = val*base + uint64(hexdigit.Value(h[i]))
			if val > 0xffffffff {
				return [4]byte{}, false
			}
			i++
		}
		if i == st && base != 8 {
			return [4]byte{}, false
		}
		parts[n] = val
		n++
		if i == len(h) {
			break
		}
		i++ // '.'
	}
	var ip uint64
	for k := 0; k < n-1; k++ {
		if parts[k] > 255 {
			return [4]byte{}, false
		}
		ip |= parts[k] << (24 - 8*uint(k))
	}
	last := parts[n-1]
	if last >= 1<<(8*uint(5-n)) {
		return [4]byte{}, false
	}
	ip |= last
	return [4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}, true
}

// fetchNames are the words in a parameter name that say the server
// fetches its value: a URL to load, a feed, a webhook, an image.
var fetchNames = [...]string{"url", "uri", "link", "src", "webhook", "callback", "endpoint", "feed", "proxy", "fetch"}

// fetchName reports whether the value being inspected is one the server
// may fetch by its name: a query, form, JSON, XML or multipart value
// whose name holds one of fetchNames as a word and does not name a
// browser navigation target (see fetchedURL). A name such as "host" or
// "server" is left out: installers and admin forms take "localhost"
// there.
func (s *scan) fetchName() bool {
	if s.inName || len(s.name) < 3 || len(s.name) > 64 {
		return false
	}
	switch s.loc {
	case "query", "form", "json", "xml", "multipart":
	default:
		return false
	}
	return s.fetchMemo.lookup(s.name)
}

// fetchedName reports whether a parameter name holds one of fetchNames
// as a word and names no browser navigation target.
func fetchedName(name []byte) bool {
	return hasNameWord(name, fetchNames[:]) && !navName(name)
}

// navName reports whether a parameter name says its value is where the
// browser goes next (redirect, return, next, continue), not what the
// server fetches.
func navName(name []byte) bool {
	for _, n := range [...]string{"redirect", "return", "next", "continue"} {
		if indexFold(name, n) >= 0 {
			return true
		}
	}
	return false
}

// checkBareHost judges a value of a fetched parameter that names a host
// without a scheme ("localhost/", "127.1:6379", "metadata.google.internal/
// computeMetadata/v1/") as the http URL an HTTP client makes of it: the
// same internal address is reached either way. Values with a scheme are
// checkURLs' own.
func (s *scan) checkBareHost(v []byte) {
	if len(v) > 2048 {
		return
	}
	end := 0
	for end < len(v) && !authorityEnd[v[end]] {
		if v[end] == ':' && end+2 < len(v) && v[end+1] == '/' && v[end+2] == '/' {
			return // a scheme
		}
		end++
	}
	if end < len(v) && v[end] != '/' && v[end] != '?' && v[end] != '#' {
		// Followed by a space or a quote: text, not a URL.
		return
	}
	if c := indexByte(v[:end], ':'); c >= 0 && v[0] != '[' {
		// host:port only; "mailto:x", "javascript:" and "a:b" are not.
		for _, d := range v[c+1 : end] {
			if d < '0' || d > '9' {
				return
			}
		}
	}
	host := hostOf(v[:end])
	if !namedHost(host) {
		// "1", "0" and "2130706433" are counts and ids as often as
		// addresses: without a scheme, only a dotted quad, an IPv6
		// literal or a name is a host.
		return
	}
	if k := hostKind(host); k != hostInternal && k != hostMetadata {
		return
	}
	s.ubuf = append(append(s.ubuf[:0], "http://"...), v...)
	s.checkURLs(s.ubuf, 1)
}

// bareHost runs checkBareHost on a value without a space (a host has
// none) that starts as a host does, in a parameter the server fetches.
func (s *scan) bareHost(v []byte) {
	if hostByte(v[0]) && !s.d.disabled[cSSRF] && s.fetchName() {
		s.checkBareHost(v)
	}
}

// hostByte reports whether a host can start with c.
func hostByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '['
}

// hostOf returns the host of an authority: after its last '@', before
// the port.
func hostOf(a []byte) []byte {
	if at := lastIndexByte(a, '@'); at >= 0 {
		a = a[at+1:]
	}
	if len(a) > 0 && a[0] == '[' {
		if k := indexByte(a, ']'); k > 0 {
			return a[:k+1]
		}
		return a
	}
	if c := indexByte(a, ':'); c >= 0 {
		return a[:c]
	}
	return a
}

// namedHost reports whether h reads as a host on its own: a name with a
// letter, an IPv6 literal in brackets, or an IPv4 address of four dotted
// parts.
func namedHost(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	if h[0] == '[' {
		return true
	}
	dots := 0
	for _, c := range h {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return true
		}
	}
	return dots == 3
}

// fetchMemo remembers fetchedName's answer for the names of a request:
// the keys of a JSON array's objects come back with every element, and
// reading a name costs more than most of its values' checks.
// Direct-mapped by the name's length and end bytes, as nameMemo is.
type fetchMemo struct {
	n     [16]uint8 // lengths; 0 for an empty slot
	name  [16][24]byte
	fetch uint16 // bit i: fetchedName(name i)
}

func (m *fetchMemo) lookup(name []byte) bool {
	n := len(name)
	if n > len(m.name[0]) {
		return fetchedName(name)
	}
	i := (uint(n)*31 + uint(name[0]) + uint(name[n-1])*7) % uint(len(m.n))
	if int(m.n[i]) == n && string(m.name[i][:n]) == string(name) {
		return m.fetch&(1<<i) != 0
	}
	f := fetchedName(name)
	m.n[i] = uint8(n)
	copy(m.name[i][:], name)
	if f {
		m.fetch |= 1 << i
	} else {
		m.fetch &^= 1 << i
	}
	return f
}

// hasNameWord reports whether one of the lower-case words is a word of
// name: bounded by the name's ends, a separator, a digit or a change to
// upper case ("image_url", "imageUrl", "url2"), not part of another word
// ("urlfix", "prefetch", "srcurl"). One pass over the name: values are
// many and their names short.
func hasNameWord(name []byte, words []string) bool {
	for i := 0; i < len(name); i++ {
		if !isLetter(name[i]) || i > 0 && isLetter(name[i-1]) && !(isUpperAt(name, i) && !isUpperAt(name, i-1)) {
			continue // not the start of a word
		}
		c := name[i] | 0x20
		for _, w := range words {
			e := i + len(w)
			if w[0] != c || e > len(name) || !equalFoldStr(name[i:e], w) {
				continue
			}
			if e == len(name) || !isLetter(name[e]) || isUpperAt(name, e) && !isUpperAt(name, e-1) {
				return true
			}
		}
	}
	return false
}
