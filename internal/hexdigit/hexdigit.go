// Package hexdigit reads the hexadecimal digits of percent-encoding, for
// the packages that decode request paths and values (route matching,
// protocol checks, payload inspection) without allocating.
package hexdigit

// Is reports whether c is a hexadecimal digit.
func Is(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Value returns the value of hexadecimal digit c; c must satisfy Is.
func Value(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
