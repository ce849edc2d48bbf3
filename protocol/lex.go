package protocol

import "strings"

// tchar marks the bytes of an HTTP token (RFC 9110 §5.6.2).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// text is what the scanners read: header values and parameters as
// strings, bodies as bytes, without converting one into the other.
type text interface{ ~string | ~[]byte }

// hasPrefixFold reports whether s starts with prefix, ASCII case-insensitively;
// prefix must be lower case.
func hasPrefixFold[T text](s T, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// indexFold returns the first index of sub in s, ASCII case-insensitively,
// or -1; sub must be lower case and not empty. It jumps between
// occurrences of sub's first byte in either case with IndexByte, each
// case's search only moving forward, so the cost stays linear in s.
func indexFold(s, sub string) int {
	n := len(sub)
	if n > len(s) {
		return -1
	}
	lo, up := sub[0], sub[0]
	if 'a' <= lo && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	hay := s[:len(s)-n+1]
	nl, nu := -2, -2 // next occurrence of lo / up at or after i; -1 when none
	if up == lo {
		nu = -1
	}
	for i := 0; i < len(hay); {
		if nl != -1 && nl < i {
			nl = indexByteFrom(hay, lo, i)
		}
		if nu != -1 && nu < i {
			nu = indexByteFrom(hay, up, i)
		}
		j := nl
		if nu >= 0 && (j < 0 || nu < j) {
			j = nu
		}
		if j < 0 {
			return -1
		}
		if hasPrefixFold(s[j:], sub) {
			return j
		}
		i = j + 1
	}
	return -1
}

func indexByteFrom(s string, c byte, from int) int {
	if k := strings.IndexByte(s[from:], c); k >= 0 {
		return from + k
	}
	return -1
}

// equalFold is strings.EqualFold for ASCII, without Unicode folding.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// nextItem splits a comma-separated header list: the first item (trimmed)
// and the rest after the comma.
func nextItem(s string) (item, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return trimOWS(s[:i]), s[i+1:]
		}
	}
	return trimOWS(s), ""
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if equalFold(x, s) {
			return true
		}
	}
	return false
}
