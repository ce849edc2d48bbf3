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
package route

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
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
}

// NewTable returns an empty table.
func NewTable[T any]() *Table[T] { return &Table[T]{mux: http.NewServeMux()} }

// Len returns the number of patterns.
func (t *Table[T]) Len() int { return len(t.entries) }

// Add registers pattern with value v. It returns an error for an invalid
// pattern or one that conflicts with a pattern already added.
func (t *Table[T]) Add(pattern string, v T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	t.mux.Handle(pattern, http.NotFoundHandler())
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
	t.entries = append(t.entries, e)
	return nil
}

// Match returns the value and pattern of the most specific pattern that
// matches the request, given its method, host and URL path. Paths are
// matched in cleaned form ("/a//b/../c" as "/a/c").
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
	if !isClean(urlPath) {
		trailing := strings.HasSuffix(urlPath, "/")
		urlPath = path.Clean("/" + urlPath)
		if trailing && urlPath != "/" {
			urlPath += "/"
		}
	}
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
		if !matchPath(e.segs, urlPath, escaped) {
			continue
		}
		if best < 0 || e.score > t.entries[best].score {
			best = i
		}
	}
	if best < 0 {
		return v, "", false
	}
	return t.entries[best].value, t.entries[best].pattern, true
}

// matchPath reports whether the segments match path p; with escaped, p is
// in escaped form and each of its segments is compared unescaped.
func matchPath(segs []segment, p string, escaped bool) bool {
	p = p[1:] // drop the leading slash
	for i, s := range segs {
		switch s.kind {
		case rest:
			return true
		case end:
			return p == "" // "{$}": nothing after the trailing slash
		}
		seg, tail, more := strings.Cut(p, "/")
		switch s.kind {
		case literal:
			if seg != s.lit && !(escaped && equalUnescaped(seg, s.lit)) {
				return false
			}
		case wildcard:
			if seg == "" {
				return false
			}
		}
		if i == len(segs)-1 {
			return !more
		}
		if !more {
			return false // the path ended before the pattern did
		}
		p = tail
	}
	return p == ""
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
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' && p[i-1] == '/' {
			return false
		}
		if p[i] == '.' && p[i-1] == '/' {
			if i+1 == len(p) || p[i+1] == '/' {
				return false
			}
			if p[i+1] == '.' && (i+2 == len(p) || p[i+2] == '/') {
				return false
			}
		}
	}
	return true
}
