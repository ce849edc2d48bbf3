package behavior

import (
	"strings"
	"sync/atomic"

	"github.com/warden-dev/warden/internal/hexdigit"
)

// Sensitive-path categories (the first word of a sensitive_path message).
const (
	catDotfile   = "dotfile"
	catVCS       = "vcs"
	catBackup    = "backup"
	catAdmin     = "admin-console"
	catWordPress = "wordpress"
	catCloud     = "cloud-credentials"
	catActuator  = "actuator"
	catWebshell  = "webshell"
	catTraversal = "traversal"
	catCGI       = "cgi"
	catScanner   = "scanner-marker"
	catConfig    = "config"
	catCustom    = "custom"
)

type matchKind uint8

const (
	segExact matchKind = iota
	segPrefix
	nameSuffix
	contains
)

type pathRule struct {
	kind matchKind
	pat  string
	cat  string
}

// builtinRules is Warden's own list of paths no honest visitor asks for.
// Patterns are lower case and matched against the lower-cased, percent-
// decoded path.
var builtinRules = []pathRule{
	// version control and dotfiles (.well-known is exempt in code)
	{segPrefix, ".git", catVCS}, {segPrefix, ".svn", catVCS}, {segPrefix, ".hg", catVCS}, {segPrefix, ".bzr", catVCS},
	{segPrefix, ".env", catConfig}, {segExact, "web.config", catConfig}, {segExact, "wp-config.php", catConfig},
	{segPrefix, "config.php.", catConfig}, {segExact, "phpinfo.php", catConfig}, {segExact, "info.php", catConfig},
	{segExact, "server-status", catConfig}, {segExact, "server-info", catConfig}, {segExact, "docker-compose.yml", catConfig},
	{segExact, "id_rsa", catCloud}, {segExact, "id_dsa", catCloud}, {segExact, "id_ecdsa", catCloud}, {segExact, "id_ed25519", catCloud},
	{contains, ".aws/", catCloud}, {contains, "/latest/meta-data", catCloud}, {contains, "/computemetadata/", catCloud},
	{segExact, "credentials.json", catCloud}, {segPrefix, "service-account", catCloud}, {segExact, ".s3cfg", catCloud},
	// backups and dumps
	{nameSuffix, ".bak", catBackup}, {nameSuffix, ".backup", catBackup}, {nameSuffix, ".old", catBackup},
	{nameSuffix, ".orig", catBackup}, {nameSuffix, ".save", catBackup}, {nameSuffix, ".swp", catBackup},
	{nameSuffix, ".swo", catBackup}, {nameSuffix, "~", catBackup}, {nameSuffix, ".sql", catBackup},
	{nameSuffix, ".sql.gz", catBackup}, {nameSuffix, ".sql.zip", catBackup}, {nameSuffix, ".dump", catBackup},
	{nameSuffix, ".tar.gz", catBackup}, {nameSuffix, ".tgz", catBackup}, {nameSuffix, ".tar", catBackup},
	{nameSuffix, ".rar", catBackup}, {nameSuffix, ".7z", catBackup}, {nameSuffix, ".mdb", catBackup},
	{nameSuffix, ".sqlite", catBackup}, {segPrefix, "backup", catBackup}, {segPrefix, "dump.", catBackup},
	// admin consoles
	{segPrefix, "phpmyadmin", catAdmin}, {segPrefix, "myadmin", catAdmin}, {segPrefix, "mysqladmin", catAdmin},
	{segPrefix, "phppgadmin", catAdmin}, {segPrefix, "adminer", catAdmin}, {segExact, "pma", catAdmin},
	{segExact, "sqladmin", catAdmin}, {segExact, "administrator", catAdmin}, {contains, "/manager/html", catAdmin},
	{contains, "/jmx-console", catAdmin}, {contains, "/web-console", catAdmin}, {contains, "/solr/admin", catAdmin},
	{contains, "/sap/bc/", catAdmin}, {segExact, "nwa", catAdmin}, {segExact, "+cscoe+", catAdmin},
	{contains, "/crx/", catAdmin}, {contains, "/jenkins/script", catAdmin}, {segExact, "_profiler", catAdmin},
	{segExact, "hudson", catAdmin}, {contains, "/axis2/", catAdmin}, {segExact, "webmin", catAdmin},
	// WordPress (ignore the category on WordPress sites)
	{segPrefix, "wp-", catWordPress}, {segExact, "xmlrpc.php", catWordPress}, {segExact, "wlwmanifest.xml", catWordPress},
	// framework debug endpoints
	{segExact, "actuator", catActuator}, {segExact, "jolokia", catActuator}, {segExact, "heapdump", catActuator},
	{contains, "/debug/pprof", catActuator}, {segExact, "_ignition", catActuator}, {contains, "/vendor/phpunit", catActuator},
	{segExact, "telescope", catActuator}, {segExact, "console", catActuator},
	// web shells
	{nameSuffix, "shell.php", catWebshell}, {nameSuffix, "shell.aspx", catWebshell}, {nameSuffix, "shell.jsp", catWebshell},
	{segExact, "c99.php", catWebshell}, {segExact, "r57.php", catWebshell}, {segExact, "wso.php", catWebshell},
	{segExact, "alfa.php", catWebshell}, {segExact, "b374k.php", catWebshell}, {segExact, "cmd.php", catWebshell},
	{segExact, "cmd.jsp", catWebshell}, {segExact, "cmd.asp", catWebshell},
	// traversal and well-known targets
	{contains, "../", catTraversal}, {contains, "..\\", catTraversal}, {contains, "/etc/passwd", catTraversal},
	{contains, "/etc/shadow", catTraversal}, {contains, "win.ini", catTraversal}, {contains, "boot.ini", catTraversal},
	{contains, "/proc/self/", catTraversal},
	// CGI and device exploits
	{segExact, "cgi-bin", catCGI}, {nameSuffix, ".cgi", catCGI}, {segExact, "hnap1", catCGI},
	{segExact, "boaform", catCGI}, {segExact, "goform", catCGI},
	// scanner markers
	{contains, "w00tw00t", catScanner},
}

// pathMatcher classifies paths against the built-in and configured rules.
// Rules are indexed so that a clean path costs a few map lookups and
// prefix compares, not one substring search per rule.
type pathMatcher struct {
	exact      map[string]pathRule // whole segment
	prefixes   [256][]pathRule     // segment prefix, indexed by first byte
	suffixes   [256][]pathRule     // last segment suffix, indexed by last byte
	contains   [256][]pathRule     // substring, indexed by first byte
	pairs      [1 << 10]uint64     // bit a<<8|b: some contains rule starts with a, b (or is just a)
	static     map[string]struct{}
	ignoreSubs []string // site-specific exceptions
	wordpress  bool     // the wordpress category is active
}

func newPathMatcher(c Config) pathMatcher {
	ignored := make(map[string]bool, len(c.IgnoreSensitive))
	var ignoreSubs []string
	for _, s := range c.IgnoreSensitive {
		s = strings.ToLower(s)
		ignored[s] = true
		ignoreSubs = append(ignoreSubs, s)
	}
	m := pathMatcher{
		exact:  make(map[string]pathRule),
		static: make(map[string]struct{}, len(c.StaticExtensions)),
	}
	rules := make([]pathRule, 0, len(builtinRules)+len(c.SensitivePaths))
	for _, r := range builtinRules {
		if !ignored[r.cat] && !ignored[r.pat] {
			rules = append(rules, r)
		}
	}
	for _, p := range c.SensitivePaths {
		rules = append(rules, pathRule{contains, strings.ToLower(p), catCustom})
	}
	for _, r := range rules {
		switch r.kind {
		case segExact:
			m.exact[r.pat] = r
		case segPrefix:
			m.prefixes[r.pat[0]] = append(m.prefixes[r.pat[0]], r)
		case nameSuffix:
			last := r.pat[len(r.pat)-1]
			m.suffixes[last] = append(m.suffixes[last], r)
		case contains:
			m.contains[r.pat[0]] = append(m.contains[r.pat[0]], r)
			if len(r.pat) == 1 {
				for b := range 256 {
					m.setPair(r.pat[0], byte(b))
				}
			} else {
				m.setPair(r.pat[0], r.pat[1])
			}
		}
	}
	for _, e := range c.StaticExtensions {
		m.static[strings.ToLower(e)] = struct{}{}
	}
	m.ignoreSubs = ignoreSubs
	m.wordpress = !ignored[catWordPress]
	return m
}

// maxPathScan bounds how much of a path is classified.
const maxPathScan = 1024

// normBytes marks the bytes normalizePath may change: '%', '+' and upper
// case. A table lookup per byte is the cheapest test on the common path,
// which has none of them. It is never written after initialisation.
var normBytes = func() (t [256]bool) {
	t['%'], t['+'] = true, true
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	return t
}()

// normalizePath lower-cases and percent-decodes p (twice, for double
// encoding). It returns p itself when there is nothing to change.
func normalizePath(p string) string {
	if len(p) > maxPathScan {
		p = p[:maxPathScan]
	}
	need := false
	for i := 0; i < len(p); i++ {
		if normBytes[p[i]] {
			need = true
			break
		}
	}
	if !need {
		return p
	}
	b := []byte(p) // ASCII case folding only: invalid UTF-8 must not grow
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	for range 2 {
		b = unescapeInPlace(b)
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// unescapeInPlace decodes %XX sequences, leaving malformed ones as they are.
func unescapeInPlace(b []byte) []byte {
	j := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) && hexdigit.Is(b[i+1]) && hexdigit.Is(b[i+2]) {
			b[j] = hexdigit.Value(b[i+1])<<4 | hexdigit.Value(b[i+2])
			j++
			i += 2
			continue
		}
		b[j] = b[i]
		j++
	}
	return b[:j]
}

// sensitive returns the category and the matched pattern, or "" when p
// (already normalised) is not sensitive.
func (m *pathMatcher) sensitive(p string) (cat, pat string) {
	cat, pat = m.sensitivePath(p)
	if cat != "" {
		for _, s := range m.ignoreSubs {
			if strings.Contains(p, s) {
				return "", ""
			}
		}
	}
	return cat, pat
}

func (m *pathMatcher) setPair(a, b byte) {
	k := uint(a)<<8 | uint(b)
	m.pairs[k>>6] |= 1 << (k & 63)
}

func (m *pathMatcher) sensitivePath(p string) (cat, pat string) {
	for i := 0; i < len(p); i++ {
		// Most positions start no rule: one bit test on the byte pair
		// saves walking the rules that begin with a common byte like '/'.
		// At the last byte only a one-byte rule can match, and those set
		// every pair of their byte, 0 included.
		var next byte
		if i+1 < len(p) {
			next = p[i+1]
		}
		if k := uint(p[i])<<8 | uint(next); m.pairs[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, r := range m.contains[p[i]] {
			if strings.HasPrefix(p[i:], r.pat) {
				return r.cat, r.pat
			}
		}
	}
	rest := p
	for rest != "" {
		seg := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			seg, rest = rest[:j], rest[j+1:]
		} else {
			rest = ""
		}
		if seg == "" {
			continue
		}
		if r, ok := m.exact[seg]; ok {
			return r.cat, r.pat
		}
		for _, r := range m.prefixes[seg[0]] {
			if strings.HasPrefix(seg, r.pat) {
				return r.cat, r.pat
			}
		}
		if seg[0] == '.' && seg != "." && seg != ".." && seg != ".well-known" {
			cat, pat = catDotfile, seg
		}
		if rest == "" {
			for _, r := range m.suffixes[seg[len(seg)-1]] {
				if len(seg) > len(r.pat) && strings.HasSuffix(seg, r.pat) {
					return r.cat, r.pat
				}
			}
		}
	}
	return cat, pat
}

// isStatic reports whether the path names a static resource.
func (m *pathMatcher) isStatic(p string) bool {
	name := p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		name = p[i+1:]
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 || len(name)-i > 8 {
		return false
	}
	ext := name[i+1:]
	var buf [8]byte
	n := copy(buf[:], ext)
	for k := 0; k < n; k++ {
		if c := buf[k]; 'A' <= c && c <= 'Z' {
			buf[k] = c + 'a' - 'A'
		}
	}
	_, ok := m.static[string(buf[:n])]
	return ok
}

// Hashing: FNV-1a, 32 bits.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func hashString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

func hashLower(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint32(c)
		h *= fnvPrime
	}
	return h
}

// paginationParams are query parameters whose numeric values are pages,
// not object IDs.
var paginationParams = map[string]bool{
	"page": true, "p": true, "offset": true, "limit": true, "per_page": true, "perpage": true,
	"start": true, "size": true, "page_size": true, "pagesize": true, "count": true, "skip": true,
	"take": true, "from": true, "v": true, "ver": true, "version": true, "_": true, "t": true, "ts": true,
	// json-server's
	"_page": true, "_limit": true, "_per_page": true, "_start": true, "_end": true,
}

// shapeOf hashes the route shape of a request (method + path with numeric
// segments replaced) and returns the last numeric ID in the path, or the
// first numeric query parameter not used for pagination.
func shapeOf(method, path, query string) (shape uint32, id uint64, hasID bool, param string) {
	h := hashString(fnvOffset, method)
	h = hashString(h, " ")
	if len(path) > maxPathScan {
		path = path[:maxPathScan]
	}
	// One pass over the bytes, which hashes each segment as if it were
	// not an ID and parses it as if it were, then keeps the right hash:
	// the same hash as hashing each segment of strings.Split(path, "/")
	// (FuzzShapeOf), at a fraction of the cost on every request.
	h = (h ^ '/') * fnvPrime
	seg := h // h through the segment so far, case folded
	var n uint64
	digits := 0 // leading digits of the segment; -1 once it has another byte
	for i := 0; ; i++ {
		if i == len(path) || path[i] == '/' {
			if digits > 0 && digits <= 18 {
				h = hashString(h, "{id}")
				id, hasID = n, true
			} else {
				h = seg
			}
			if i == len(path) {
				break
			}
			h = (h ^ '/') * fnvPrime
			seg, n, digits = h, 0, 0
			continue
		}
		c := path[i]
		if digits >= 0 {
			if d := c - '0'; d <= 9 {
				n = n*10 + uint64(d)
				digits++
			} else {
				digits = -1
			}
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		seg = (seg ^ uint32(c)) * fnvPrime
	}
	if hasID || query == "" {
		return h, id, hasID, ""
	}
	if len(query) > maxPathScan {
		query = query[:maxPathScan]
	}
	for kv := range strings.SplitSeq(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if paginationParams[strings.ToLower(k)] {
			continue
		}
		if v == "" && k != "" {
			v, k = k, ""
		}
		if n, ok := parseID(v); ok {
			h = hashString(h, "?")
			h = hashLower(h, k)
			return h, n, true, k
		}
	}
	return h, 0, false, ""
}

// parseID parses a decimal object ID of 1..18 digits.
func parseID(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// pathClass is what the path rules say about one normalised path.
type pathClass struct {
	path     string
	cat, pat string // sensitive category and the rule that matched; "" if none
	static   bool
}

// pathMemoSlots is the size of the direct-mapped table of recently
// classified paths. A site's traffic goes to a few hundred paths again and
// again; classifying one costs a walk over the rules, a lookup here a hash
// the detector computes anyway and one string compare.
const pathMemoSlots = 4096

// pathClass classifies norm, whose hash under d.seed is h, through the
// memo. Entries are immutable and replaced whole, so requests on any shard
// share the table without a lock; a hit needs the exact path.
func (d *Detector) pathClass(norm string, h uint64) *pathClass {
	// Two-way: a path may sit in either slot of its pair, so two hot
	// paths that hash to the same pair do not keep evicting each other.
	i := h % pathMemoSlots
	pair := [2]*atomic.Pointer[pathClass]{&d.pathMemo[i], &d.pathMemo[i^1]}
	for _, slot := range pair {
		if pc := slot.Load(); pc != nil && pc.path == norm {
			return pc
		}
	}
	pc := &pathClass{path: strings.Clone(norm), static: d.paths.isStatic(norm)}
	pc.cat, pc.pat = d.paths.sensitive(norm)
	// Replace an empty slot, else one of the two by another bit of h.
	victim := pair[(h>>32)&1]
	if pair[0].Load() == nil {
		victim = pair[0]
	} else if pair[1].Load() == nil {
		victim = pair[1]
	}
	victim.Store(pc)
	return pc
}
