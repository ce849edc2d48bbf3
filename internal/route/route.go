// Package route matches requests against net/http.ServeMux patterns
// ("POST /api/projects/{id}", "GET example.com/static/", "/files/{p...}")
// without allocating. The pipeline matches every request, so it cannot pay
// for ServeMux.Handler, which allocates while computing the methods allowed
// for a 405 answer.
//
// Patterns are validated by ServeMux itself when added (same syntax, same
// conflict rules); matching then picks the most specific pattern by a
// score that orders any two non-conflicting overlapping patterns the way
// ServeMux does: host before no host, more literal segments before fewer,
// single wildcards before multi-segment ones, a method before none.
//
// A table may also take some spellings of a path (Variants) for the path
// itself, as upstream frameworks do when they route "/API/Login",
// "/login/" or "/login;jsessionid=x" to the handler of "/login", so that
// whatever is keyed by the matched pattern (a route class, a rate limit)
// cannot be dodged by spelling the path another way.
package route

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

type segKind uint8

const (
	literal  segKind = iota
	wildcard         // {name}: one segment
	rest             // {name...} or a trailing slash: the rest of the path
	end              // {$}: the path ends here (with its trailing slash)
)

type segment struct {
	kind segKind
	lit  string
}

type entry[T any] struct {
	pattern string
	method  string // "" = any
	host    string // "" = any
	segs    []segment
	score   int
	value   T
}

// Table is an immutable-after-build set of patterns. Build it with Add,
// then call Match from any number of goroutines.
type Table[T any] struct {
	entries []entry[T]
	mux     *http.ServeMux // only to validate patterns and conflicts
	v       Variants
}

// NewTable returns an empty table that matches paths under v; Exact
// matches as ServeMux does.
func NewTable[T any](v Variants) *Table[T] { return &Table[T]{mux: http.NewServeMux(), v: v} }

// Variants returns the variants the table matches under.
func (t *Table[T]) Variants() Variants { return t.v }

// Len returns the number of patterns.
func (t *Table[T]) Len() int { return len(t.entries) }

// Add registers pattern with value v. It returns an error for an invalid
// pattern, one that conflicts with a pattern already added, or, as a
// *VariantConflict, one that is the same route as a pattern already added
// under the table's variants ("GET /Login" and "GET /login" when case is
// ignored).
func (t *Table[T]) Add(pattern string, v T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	// ServeMux checks the syntax (panicking with its message) before the
	// parse below, which assumes a valid pattern; the table's own mux
	// checks conflicts once the pattern is accepted.
	http.NewServeMux().Handle(pattern, http.NotFoundHandler())
	e := entry[T]{pattern: pattern, value: v}
	p := pattern
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		e.method, p = p[:i], strings.TrimLeft(p[i:], " \t")
	}
	slash := strings.IndexByte(p, '/')
	e.host, p = p[:slash], p[slash:]
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		last := i == len(parts)-1
		switch {
		case last && s == "":
			e.segs = append(e.segs, segment{kind: rest}) // trailing slash: prefix
		case s == "{$}":
			e.segs = append(e.segs, segment{kind: end})
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}"):
			e.segs = append(e.segs, segment{kind: rest})
		case strings.HasPrefix(s, "{"):
			e.segs = append(e.segs, segment{kind: wildcard})
		default:
			e.segs = append(e.segs, segment{kind: literal, lit: pathUnescape(s)})
		}
	}
	for _, s := range e.segs {
		switch s.kind {
		case literal, end:
			e.score += 1000
		case wildcard:
			e.score += 100
		}
	}
	if e.segs[len(e.segs)-1].kind != rest {
		e.score += 10 // an exact-length pattern is narrower than a prefix
	}
	if e.host != "" {
		e.score += 1_000_000
	}
	if e.method != "" {
		e.score++
	}
	// Under variants two patterns ServeMux tells apart may be one route;
	// check before registering so that a refused pattern leaves no trace.
	if t.v != Exact {
		for i := range t.entries {
			if under, same := sameRoute(&t.entries[i], &e, t.v); same {
				return &VariantConflict{Pattern: pattern, Other: t.entries[i].pattern, Under: under}
			}
		}
	}
	t.mux.Handle(pattern, http.NotFoundHandler())
	t.entries = append(t.entries, e)
	return nil
}

// Match returns the value and pattern of the most specific pattern that
// matches the request, given its method, host and URL path. Paths are
// matched in the form Variants.Normalize gives them ("/a//b/../c" as
// "/a/c"), then segment by segment under the table's variants. When two
// patterns match equally specifically (only possible under variants), the
// one that matches the path as sent wins, then the one that sorts first.
func (t *Table[T]) Match(method, host, urlPath string) (v T, pattern string, ok bool) {
	return t.match(method, host, urlPath, false)
}

// MatchEscaped is Match for a path in its escaped form (URL.EscapedPath,
// the request line's path), matched as ServeMux matches it: split at its
// slashes, each segment then unescaped, so that "/files/a%2Fb" is one
// segment "a/b" under "/files/{name}".
func (t *Table[T]) MatchEscaped(method, host, escapedPath string) (v T, pattern string, ok bool) {
	return t.match(method, host, escapedPath, true)
}

func (t *Table[T]) match(method, host, urlPath string, escaped bool) (v T, pattern string, ok bool) {
	if len(t.entries) == 0 {
		return v, "", false
	}
	sent := urlPath
	urlPath = t.v.Normalize(urlPath) // once per lookup, not per pattern
	loose := escaped || t.v != Exact // segments may match other than byte for byte
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	best := -1
	for i := range t.entries {
		e := &t.entries[i]
		if e.method != "" && e.method != method && !(e.method == http.MethodGet && method == http.MethodHead) {
			continue
		}
		if e.host != "" && !strings.EqualFold(e.host, host) {
			continue
		}
		if !t.v.matchPath(e.segs, urlPath, escaped, loose) {
			continue
		}
		switch {
		case best < 0 || e.score > t.entries[best].score:
			best = i
		case e.score == t.entries[best].score && t.prefer(e, &t.entries[best], sent, escaped):
			best = i
		}
	}
	if best < 0 {
		return v, "", false
	}
	return t.entries[best].value, t.entries[best].pattern, true
}

// prefer breaks a tie between two equally specific patterns that both
// match a path under the table's variants (a format suffix lets "/feed"
// match "/feed.xml" too): the one that matches the path as sent (cleaned,
// as ServeMux would) wins, then one that matches without a format suffix,
// then the one that sorts first, so that the answer never depends on the
// order of Add. Ties are rare; this runs only on them.
func (t *Table[T]) prefer(a, b *entry[T], sent string, escaped bool) bool {
	ra, rb := t.rank(a, sent, escaped), t.rank(b, sent, escaped)
	if ra != rb {
		return ra < rb
	}
	if ra == 2 {
		// Both take the last segment with an extension: the longer
		// literal takes less as extension ("feed.xml.gz" is "feed.xml"
		// with ".gz" before it is "feed" with ".xml.gz").
		if la, lb := lastLiteral(a.segs), lastLiteral(b.segs); la != lb {
			return la > lb
		}
	}
	return a.pattern < b.pattern
}

// lastLiteral is the length of the last segment of a pattern when it is a
// literal, else 0.
func lastLiteral(segs []segment) int {
	for i := len(segs) - 1; i >= 0; i-- {
		switch segs[i].kind {
		case literal:
			return len(segs[i].lit)
		case end:
			continue // "/feed/{$}": the literal before the trailing slash
		}
		return 0
	}
	return 0
}

// rank is how closely e matches the path sent: 0 as sent, 1 without a
// format suffix, 2 otherwise.
func (t *Table[T]) rank(e *entry[T], sent string, escaped bool) int {
	if Exact.matchPath(e.segs, Exact.Normalize(sent), escaped, escaped) {
		return 0
	}
	v := t.v
	v.FormatSuffix = false
	if v.matchPath(e.segs, v.Normalize(sent), escaped, true) {
		return 1
	}
	return 2
}

// matchPath reports whether the segments match the normalised path p
// under v; with escaped, p is in escaped form and each of its segments is
// compared unescaped. loose is escaped || v != Exact: false, a literal
// matches only byte for byte, without a call.
func (v Variants) matchPath(segs []segment, p string, escaped, loose bool) bool {
	p = p[1:] // drop the leading slash
	for i, s := range segs {
		switch s.kind {
		case rest:
			return true
		case end:
			return p == "" // "{$}": nothing after the trailing slash
		}
		seg, tail, more := p, "", false
		if j := strings.IndexByte(p, '/'); j >= 0 { // not Cut: one call, not three
			seg, tail, more = p[:j], p[j+1:], true
		}
		switch s.kind {
		case literal:
			if seg != s.lit && (!loose || !v.literal(seg, s.lit, escaped, !more || tail == "")) {
				return false
			}
		case wildcard:
			if seg == "" {
				return false
			}
		}
		if i == len(segs)-1 {
			// "/login/" is "/login" when trailing slashes are ignored.
			return !more || v.TrailingSlash && tail == ""
		}
		if !more {
			// The path ended before the pattern did: "/static" is
			// "/static/" and "/items/9" is "/items/9/{$}" when trailing
			// slashes are ignored.
			next := segs[i+1].kind
			return v.TrailingSlash && (next == rest || next == end)
		}
		p = tail
	}
	return p == ""
}

// literal reports whether path segment seg is the literal lit under v;
// last says seg is the path's last segment, where a format suffix may
// follow.
func (v Variants) literal(seg, lit string, escaped, last bool) bool {
	if v.equal(seg, lit, escaped) {
		return true
	}
	if v.FormatSuffix && last {
		// "login.json" is "login"; "feed.xml.gz" is "feed" or "feed.xml".
		for i := 1; i < len(seg); i++ {
			if seg[i] == '.' && v.equal(seg[:i], lit, escaped) {
				return true
			}
		}
	}
	return false
}

// equal compares one segment with a literal, folding case under
// CaseInsensitive. Literals are stored unescaped.
func (v Variants) equal(seg, lit string, escaped bool) bool {
	if seg == lit {
		return true
	}
	if escaped && strings.IndexByte(seg, '%') >= 0 {
		if !v.CaseInsensitive {
			return equalUnescaped(seg, lit)
		}
		return strings.EqualFold(pathUnescape(seg), lit) // rare: escapes and folding
	}
	return v.CaseInsensitive && strings.EqualFold(seg, lit)
}

// pathUnescape returns the unescaped form of a path segment, or the
// segment itself when it holds an invalid escape (as ServeMux does).
func pathUnescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// equalUnescaped reports whether pathUnescape(seg) == lit, without
// allocating. A segment with an invalid escape stands for itself.
func equalUnescaped(seg, lit string) bool {
	if strings.IndexByte(seg, '%') < 0 {
		return seg == lit
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] == '%' && (i+2 >= len(seg) || !ishex(seg[i+1]) || !ishex(seg[i+2])) {
			return seg == lit
		}
	}
	j := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' {
			c = unhex(seg[i+1])<<4 | unhex(seg[i+2])
			i += 2
		}
		if j >= len(lit) || lit[j] != c {
			return false
		}
		j++
	}
	return j == len(lit)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// isClean reports whether p needs no cleaning: it starts with '/', and has
// no empty, "." or ".." segments except a trailing slash.
func isClean(p string) bool { return isNormal(p, false) }

// isNormal is isClean, and with params also no ';'. One pass over the
// bytes: most are above '/' (letters, digits) and cost one comparison
// (IndexByte per segment costs more on paths this short).
func isNormal(p string, params bool) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		switch c := p[i]; {
		case c > '/':
			if c == ';' && params {
				return false
			}
		case c == '/':
			if p[i-1] == '/' {
				return false
			}
		case c == '.':
			if p[i-1] == '/' && (i+1 == len(p) || p[i+1] == '/' || p[i+1] == '.' && (i+2 == len(p) || p[i+2] == '/')) {
				return false
			}
		}
	}
	return true
}
