package payload

import "bytes"

// Shell globs that name a system path: "/bi[n]/bash", "/usr/[a-z]in/id",
// "/etc/pas[s]wd", "/usr/bin/[u]name". The shell expands the pattern to
// the file; a form field, a search or prose has no use for a bracket
// class or a wildcard inside /bin or /etc. A glob at the end of a
// directory ("/var/log/*.log", "/usr/bin/*") lists files and is left to
// the other checks.

// globTop are the top-level directories a glob is checked against (the
// program directories first), globUsr the program directories under
// /usr and globEtc the files of /etc that attacks read.
var (
	globTop = [...]string{"bin", "sbin", "usr", "etc"}
	globUsr = [...]string{"bin", "sbin", "local"}
	globEtc = [...]string{"passwd", "shadow", "group", "hosts", "sudoers", "crontab", "issue"}
)

const maxGlobPaths = 8

// checkGlobPath flags an absolute path written with a shell glob that
// resolves into a system directory. It starts from the glob characters,
// which most values lack, and reads back to the start of their word: a
// URL's '?' leads back to a scheme or host, not to /bin or /etc.
func (s *scan) checkGlobPath(v []byte) {
	n := 0
	for _, c := range [...]byte{'[', '*', '?'} {
		for g := 0; g < len(v) && n < maxGlobPaths; g++ {
			k := bytes.IndexByte(v[g:], c)
			if k < 0 {
				break
			}
			g += k
			if c == '?' && urlQuery(v[g+1:]) {
				continue
			}
			n++
			st := g
			for st > 0 && g-st < 128 && !pathStop(v[st-1]) {
				st--
			}
			if v[st] != '/' || st+1 >= len(v) {
				continue
			}
			switch lower(v[st+1]) {
			case 'b', 's', 'u', 'e', '[', '?', '*':
			default:
				continue
			}
			e := g
			for e < len(v) && e-st < 128 && !pathStop(v[e]) {
				e++
			}
			if globSysPath(v[st:e]) {
				s.signal(len(rules)+sigGlobPath, cCommand, 0.85, v, st)
				return
			}
			g = e
		}
	}
}

// mayGlob reports whether v, of character classes cm, holds a glob
// character other than the '?' that starts a URL's query: the cheap
// gate in front of checkGlobPath for the URLs most values with a slash
// are.
func mayGlob(v []byte, cm uint32) bool {
	if cm&cmStar != 0 || bytes.IndexByte(v, '[') >= 0 {
		return true
	}
	q := bytes.IndexByte(v, '?')
	return q >= 0 && (!urlQuery(v[q+1:]) || bytes.IndexByte(v[q+1:], '?') >= 0)
}

// urlQuery reports whether q, what follows a '?', starts a URL query
// ("ref=list&x"): a name and '=' before any '/'.
func urlQuery(q []byte) bool {
	for i := 0; i < len(q) && i < 64; i++ {
		switch q[i] {
		case '=', '&':
			return true
		case '/':
			return false
		}
	}
	return false
}

// pathStop reports whether c ends a file path written in a value: a
// space, quote, shell separator, or the ':' and '=' of URLs and
// assignments.
func pathStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', ';', '|', '&', ':', '=', '(', ')', '<', '>', '`', ',':
		return true
	}
	return false
}

// globSysPath reports whether the absolute path p has a glob in one of
// its first three segments and, read as a pattern, names a system
// directory, a program in a bin directory or a file of /etc.
func globSysPath(p []byte) bool {
	var segs [3][]byte
	n := 0
	for k := 1; k <= len(p) && n < len(segs); {
		e := k
		for e < len(p) && p[e] != '/' {
			if p[e] == '[' {
				// A bracket class may hold '/': "/[e///]tc" is no
				// pattern a shell matches across directories.
				if c := indexByte(p[e:], ']'); c > 0 {
					e += c
				}
			}
			e++
		}
		segs[n] = p[k:e]
		n++
		k = e + 1
	}
	globbed := false
	for _, sg := range segs[:n] {
		if hasGlob(sg) {
			if !hasLiteral(sg) {
				// "/usr/bin/*": a listing, not a name.
				return false
			}
			globbed = true
		}
	}
	if !globbed || n < 2 {
		return false
	}
	switch {
	case globAny(segs[0], globTop[:2]):
		// /bin, /sbin: whatever program follows.
		return true
	case globMatch(segs[0], "etc"):
		return globAny(segs[1], globEtc[:])
	case globMatch(segs[0], "usr"):
		if !globAny(segs[1], globUsr[:]) {
			return false
		}
		if hasGlob(segs[0]) || hasGlob(segs[1]) {
			return true
		}
		var buf [32]byte
		return n == 3 && isCommandWord(unglobWord(buf[:0], segs[2]))
	}
	return false
}

// hasGlob reports whether seg holds a wildcard or a bracket class.
func hasGlob(seg []byte) bool {
	for k, c := range seg {
		switch c {
		case '*', '?':
			return true
		case '[':
			if indexByte(seg[k:], ']') > 1 {
				return true
			}
		}
	}
	return false
}

// hasLiteral reports whether seg has a letter outside bracket classes.
func hasLiteral(seg []byte) bool {
	in := false
	for _, c := range seg {
		switch {
		case c == '[':
			in = true
		case c == ']':
			in = false
		case !in && isLetter(c):
			return true
		}
	}
	return false
}

func globAny(pat []byte, names []string) bool {
	for _, nm := range names {
		if globMatch(pat, nm) {
			return true
		}
	}
	return false
}

// globMatch reports whether the shell pattern pat matches name, in any
// case for the literals: '*', '?' and bracket classes with ranges and
// '!' or '^' negation. Patterns longer than names it matches against
// fail fast; '*' backtracks at most over len(name) positions.
func globMatch(pat []byte, name string) bool {
	if len(pat) > 64 {
		return false
	}
	px, nx := 0, 0
	starP, starN := -1, -1
	for nx < len(name) || px < len(pat) {
		if px < len(pat) {
			c := pat[px]
			switch c {
			case '*':
				starP, starN = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					px++
					nx++
					continue
				}
			case '[':
				if nx < len(name) {
					if end, ok := matchClass(pat[px:], name[nx]); end > 0 {
						if ok {
							px += end
							nx++
							continue
						}
					} else if lower(c) == name[nx] {
						px++
						nx++
						continue
					}
				}
			default:
				if nx < len(name) && lower(c) == name[nx] {
					px++
					nx++
					continue
				}
			}
		}
		if starP >= 0 && starN < len(name) {
			starN++
			px, nx = starP+1, starN
			continue
		}
		return false
	}
	return true
}

// matchClass reads the bracket class at the start of p ("[a-z]",
// "[!x]") and reports its length and whether it holds c; end is 0 when
// p is no class.
func matchClass(p []byte, c byte) (end int, ok bool) {
	k := 1
	neg := k < len(p) && (p[k] == '!' || p[k] == '^')
	if neg {
		k++
	}
	first := k
	for ; k < len(p); k++ {
		if p[k] == ']' && k > first {
			return k + 1, ok != neg
		}
		lo := lower(p[k])
		if k+2 < len(p) && p[k+1] == '-' && p[k+2] != ']' {
			if hi := lower(p[k+2]); c >= lo && c <= hi {
				ok = true
			}
			k += 2
			continue
		}
		if c == lo {
			ok = true
		}
	}
	return 0, false
}

// unglobWord appends seg to dst with each one-character bracket class
// ("[u]") replaced by its character: the word the shell finds.
func unglobWord(dst, seg []byte) []byte {
	for k := 0; k < len(seg); k++ {
		if seg[k] == '[' && k+2 < len(seg) && seg[k+2] == ']' {
			dst = append(dst, seg[k+1])
			k += 2
			continue
		}
		dst = append(dst, seg[k])
	}
	return dst
}
