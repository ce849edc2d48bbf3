// Package byteview views a byte slice as a string without copying it,
// for the hot paths that read a request or a stream piece by piece.
package byteview

import "unsafe"

// String returns b as a string sharing b's memory. The caller must not
// change b while the string is in use, nor keep the string beyond b's
// lifetime: it is for reading only (a map lookup, a search, a matcher).
func String(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
