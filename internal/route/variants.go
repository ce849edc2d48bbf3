package route

import (
	"fmt"
	"path"
	"strings"
)

// Variants are spellings of a path that upstream frameworks route to the
// handler of the path itself, and that a Table built with them matches as
// that path. Cleaning (repeated slashes, "." and ".." segments) is not a
// variant: every table matches paths cleaned, as ServeMux does (it
// redirects the unclean ones to the clean path).
type Variants struct {
	// CaseInsensitive compares literal segments with Unicode case
	// folding: "/API/Auth/Login" is "/api/auth/login" (Express, ASP.NET
	// Core).
	CaseInsensitive bool
	// TrailingSlash ignores a trailing slash: "/api/auth/login/" is
	// "/api/auth/login", "/static" is "/static/" and "/items/9" is
	// "/items/{id}/{$}" (Express, ASP.NET Core, Rails, Spring 5).
	TrailingSlash bool
	// PathParams ends every segment at its first ';': the path
	// parameters of RFC 3986 (matrix parameters, Tomcat's ";jsessionid=")
	// are not part of it, so "/login;jsessionid=x" is "/login" and
	// "/static/..;/login" is "/login", as Tomcat and Jetty read them.
	PathParams bool
	// FormatSuffix lets the last segment carry an extension: a literal
	// "login" also matches "login.json" (Rails' "(.:format)", Spring's
	// suffix pattern matching before 5.3).
	FormatSuffix bool
}

// Exact is no variant: tables match as ServeMux does.
var Exact = Variants{}

// All is every variant.
var All = Variants{CaseInsensitive: true, TrailingSlash: true, PathParams: true, FormatSuffix: true}

// Normalize returns the path p as a table with variants v compares it:
// with PathParams, the ";…" of every segment removed first (as Tomcat
// does, so that "/a/..;/b" is "/b"); then cleaned as ServeMux cleans it:
// repeated slashes and "." and ".." segments resolved, a trailing slash
// kept. Case, a trailing slash and a format suffix are left for the
// segment comparison. It returns p itself, without allocating, when there
// is nothing to change, and Normalize(Normalize(p)) == Normalize(p).
func (v Variants) Normalize(p string) string {
	if isNormal(p, v.PathParams) {
		return p // nearly every request
	}
	if v.PathParams && strings.IndexByte(p, ';') >= 0 {
		p = stripParams(p)
	}
	if !isClean(p) {
		trailing := strings.HasSuffix(p, "/")
		p = path.Clean("/" + p)
		if trailing && p != "/" {
			p += "/"
		}
	}
	return p
}

// stripParams removes from each segment of p everything from its first
// ';' on.
func stripParams(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for {
		i := strings.IndexByte(p, ';')
		if i < 0 {
			b.WriteString(p)
			return b.String()
		}
		b.WriteString(p[:i])
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			return b.String()
		}
		p = p[i+j:]
	}
}

// VariantConflict is the error of Table.Add for a pattern that is the same
// route as one added before once the variants Under are applied: both
// would match exactly the same requests, so neither can be preferred.
type VariantConflict struct {
	Pattern, Other string
	// Under holds the variants (of the table's) that make the two
	// patterns one route.
	Under Variants
}

func (e *VariantConflict) Error() string {
	return fmt.Sprintf("%q is the same route as %q when %s", e.Pattern, e.Other, e.Under.ignored())
}

// ignored describes the variants that make two patterns one route.
func (v Variants) ignored() string {
	switch {
	case v.CaseInsensitive && v.TrailingSlash:
		return "case and a trailing slash are ignored"
	case v.CaseInsensitive:
		return "case is ignored"
	case v.TrailingSlash:
		return "a trailing slash is ignored"
	}
	return "matched as ServeMux matches"
}

// sameRoute reports whether patterns a and b match the same requests
// under v, and the fewest of v's variants that make them so. Only case
// and trailing slashes can make two distinct patterns one: path
// parameters never appear in patterns, and a format suffix widens a
// pattern ("/feed" also matches "/feed.xml") without making it equal to
// another ("/feed.xml" is still more specific there: it matches as sent).
func sameRoute[T any](a, b *entry[T], v Variants) (Variants, bool) {
	for _, u := range []Variants{
		{},
		{CaseInsensitive: v.CaseInsensitive},
		{TrailingSlash: v.TrailingSlash},
		{CaseInsensitive: v.CaseInsensitive, TrailingSlash: v.TrailingSlash},
	} {
		if sameSegs(a, b, u) {
			return u, u != Variants{}
		}
	}
	return Variants{}, false
}

func sameSegs[T any](a, b *entry[T], u Variants) bool {
	if a.method != b.method || !strings.EqualFold(a.host, b.host) {
		return false
	}
	sa, sb := a.segs, b.segs
	if u.TrailingSlash {
		// "/a/{$}" is "/a" when the trailing slash does not count.
		sa, sb = dropEnd(sa), dropEnd(sb)
	}
	if len(sa) != len(sb) {
		return false
	}
	for i := range sa {
		if sa[i].kind != sb[i].kind {
			return false
		}
		if sa[i].kind == literal && sa[i].lit != sb[i].lit && !(u.CaseInsensitive && strings.EqualFold(sa[i].lit, sb[i].lit)) {
			return false
		}
	}
	return true
}

func dropEnd(s []segment) []segment {
	if n := len(s); n > 1 && s[n-1].kind == end {
		return s[:n-1]
	}
	return s
}
