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
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-dev/warden/internal/hexdigit"
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
		e.score += 2 // one less when a GET pattern takes a HEAD request
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

// Match returns the value and pattern of the pattern that matches the
// request, given its method, its Host header and its path in escaped form
// (URL.EscapedPath, as sent on the request line).
//
// With Exact it is the pattern ServeMux routes the request to: the path is
// cleaned, split at its slashes and each segment unescaped ("/files/a%2Fb"
// is one segment "a/b"); a host pattern wins over any pattern without one,
// then the most specific; "/tree" is "/tree/" when ServeMux would redirect
// it there. For a path ServeMux redirects to its clean form ("/a//b",
// "/a/../b") it is the pattern of the clean path, where the client lands.
//
// Under variants the table matches a superset: a pattern also matches the
// spellings its variants allow, and the path decoded whole ("%2e%2e" is
// "..", "%2F" a slash, as frameworks that decode before routing read it).
// Every pattern ServeMux would route the request to still matches it, so
// the pattern returned is ServeMux's or a more specific one. When two
// patterns match equally specifically (only possible under variants), the
// one that matches the path as sent wins, then the one that sorts first.
func (t *Table[T]) Match(method, host, escapedPath string) (v T, pattern string, ok bool) {
	if len(t.entries) == 0 {
		return v, "", false
	}
	host = stripHostPort(host)
	p := t.v.Normalize(escapedPath) // once per lookup, not per pattern
	// slashable: ServeMux redirects "/tree" to "/tree/" when that is an
	// exact match and "/tree" is none.
	slashable := !strings.HasSuffix(p, "/")
	// Without escapes, segments compare byte for byte (nearly every
	// request: no unescaping per segment).
	escapes := strings.IndexByte(p, '%') >= 0
	loose := escapes || t.v != Exact
	var decoded string // the path decoded whole, under variants only
	if t.v != Exact && escapes && t.v.decodes(p) {
		if d, err := url.PathUnescape(escapedPath); err == nil {
			decoded = t.v.Normalize(d)
		}
	}
	best, bestScore, bestKind := -1, 0, noMatch
	redirect, redirectScore := -1, 0 // best pattern "/tree/" matches exactly
	inexact := -1                    // best score of a pattern whose rest takes part of the path
	for i := range t.entries {
		e := &t.entries[i]
		score := e.score
		if e.method != "" && e.method != method {
			if e.method != http.MethodGet || method != http.MethodHead {
				continue
			}
			score-- // "HEAD /x" is more specific than "GET /x" for HEAD
		}
		if e.host != "" && e.host != host && !(t.v.CaseInsensitive && strings.EqualFold(e.host, host)) {
			continue
		}
		k := t.v.matchPath(e.segs, p, escapes, loose)
		if k == noMatch && decoded != "" {
			k = t.v.matchPath(e.segs, decoded, false, true)
		}
		switch k {
		case noMatch:
			continue
		case slashMatch:
			if !t.v.TrailingSlash {
				if slashable && (redirect < 0 || score > redirectScore) {
					redirect, redirectScore = i, score
				}
				continue
			}
			k = exactMatch // "/static" is "/static/" when trailing slashes are ignored
		case restMatch:
			inexact = max(inexact, score)
		}
		switch {
		case best < 0 || score > bestScore:
			best, bestScore, bestKind = i, score, k
		case score == bestScore && t.prefer(e, &t.entries[best], escapedPath):
			best, bestKind = i, k
		}
	}
	if redirect >= 0 && (best < 0 || bestKind == restMatch && slashable) && redirectScore > inexact {
		// ServeMux's "/tree" → "/tree/" redirect: the patterns that
		// would match "/tree/" are the redirect's and those whose rest
		// takes part of "/tree"; it redirects when the former is better.
		best = redirect
	}
	if best < 0 {
		return v, "", false
	}
	return t.entries[best].value, t.entries[best].pattern, true
}

// decodes reports whether the escaped path p reads otherwise decoded
// whole than segment by segment: when an escape stands for a slash, a dot
// (a dot segment, a format suffix) or, with PathParams, a ';'. Other
// escapes ("%61", "%C3%A9") compare the same in both readings, so the
// decoded one, which allocates, is left out.
func (v Variants) decodes(p string) bool {
	for i := strings.IndexByte(p, '%'); i >= 0 && i+2 < len(p); {
		switch c, d := p[i+1], p[i+2]|0x20; {
		case c == '2' && (d == 'f' || d == 'e'), c == '3' && d == 'b' && v.PathParams:
			return true
		}
		j := strings.IndexByte(p[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// stripHostPort is ServeMux's: the host without its port, or the Host
// header as sent when it does not parse.
func stripHostPort(h string) string {
	if strings.IndexByte(h, ':') < 0 {
		return h
	}
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		return h
	}
	return host
}

// prefer breaks a tie between two equally specific patterns that both
// match a path under the table's variants (a format suffix lets "/feed"
// match "/feed.xml" too): the one that matches the path as sent (cleaned,
// as ServeMux would) wins, then one that matches without a format suffix,
// then the one that sorts first, so that the answer never depends on the
// order of Add. Ties are rare; this runs only on them.
func (t *Table[T]) prefer(a, b *entry[T], sent string) bool {
	ra, rb := t.rank(a, sent), t.rank(b, sent)
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

// rank is how closely e matches the escaped path sent: 0 as ServeMux
// matches it, 1 without a format suffix, 2 otherwise.
func (t *Table[T]) rank(e *entry[T], sent string) int {
	if k := Exact.matchPath(e.segs, Exact.Normalize(sent), true, true); k == exactMatch || k == restMatch {
		return 0
	}
	v := t.v
	v.FormatSuffix = false
	if v.matchPath(e.segs, v.Normalize(sent), true, true) != noMatch {
		return 1
	}
	if d, err := url.PathUnescape(sent); err == nil && v.matchPath(e.segs, v.Normalize(d), false, true) != noMatch {
		return 1
	}
	return 2
}

// How a pattern matches a path.
type matchKind uint8

const (
	noMatch    matchKind = iota
	exactMatch           // ServeMux's exact match: no rest, or a rest that takes nothing
	restMatch            // a rest ("/static/", "{p...}") takes part of the path
	slashMatch           // the path ends where a rest or "{$}" follows: "/static" for "/static/"
)

// matchPath reports how the segments match the normalised path p under
// v. With escaped, p is in escaped form and each of its segments is
// compared unescaped, as ServeMux does: a segment "%2F" is then a slash
// to ServeMux's tree, so a wildcard does not take it and "{$}" does.
// loose is escaped || v != Exact: false, a literal matches only byte for
// byte, without a call (computed once per lookup, not per pattern).
func (v Variants) matchPath(segs []segment, p string, escaped, loose bool) matchKind {
	p = p[1:] // drop the leading slash
	for i, s := range segs {
		switch s.kind {
		case rest:
			if p == "" {
				return exactMatch
			}
			return restMatch
		case end:
			// "{$}": nothing after the trailing slash (or a last "%2F").
			if p == "" || escaped && isEscapedSlash(p) {
				return exactMatch
			}
			return noMatch
		}
		seg, tail, more := p, "", false
		if j := strings.IndexByte(p, '/'); j >= 0 { // not Cut: one call, not three
			seg, tail, more = p[:j], p[j+1:], true
		}
		switch s.kind {
		case literal:
			if seg != s.lit && (!loose || !v.literal(seg, s.lit, escaped, !more || tail == "")) {
				return noMatch
			}
		case wildcard:
			if seg == "" || escaped && isEscapedSlash(seg) {
				return noMatch
			}
		}
		if i == len(segs)-1 {
			// "/login/" is "/login" when trailing slashes are ignored.
			if !more || v.TrailingSlash && tail == "" {
				return exactMatch
			}
			return noMatch
		}
		if !more {
			// The path ended before the pattern did: "/static" is
			// "/static/" and "/items/9" is "/items/9/{$}" when trailing
			// slashes are ignored, and a ServeMux redirect otherwise.
			if next := segs[i+1].kind; next == rest || next == end {
				return slashMatch
			}
			return noMatch
		}
		p = tail
	}
	if p == "" {
		return exactMatch
	}
	return noMatch
}

// isEscapedSlash reports whether seg is an escaped slash alone, which
// ServeMux's tree takes for a trailing slash.
func isEscapedSlash(seg string) bool {
	return len(seg) == 3 && seg[0] == '%' && seg[1] == '2' && (seg[2] == 'F' || seg[2] == 'f')
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
		if seg[i] == '%' && (i+2 >= len(seg) || !hexdigit.Is(seg[i+1]) || !hexdigit.Is(seg[i+2])) {
			return seg == lit
		}
	}
	j := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' {
			c = hexdigit.Value(seg[i+1])<<4 | hexdigit.Value(seg[i+2])
			i += 2
		}
		if j >= len(lit) || lit[j] != c {
			return false
		}
		j++
	}
	return j == len(lit)
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
