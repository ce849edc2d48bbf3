package protocol

import (
	"strings"

	"github.com/warden-dev/warden/internal/hexdigit"
)

// enc is a set of findings about how a value is encoded.
type enc uint16

const (
	encNUL       enc = 1 << iota // a NUL byte, raw or %00
	encCRLF                      // CR or LF, raw or escaped
	encCtl                       // another control byte (not HT)
	encBadPct                    // '%' not followed by two hex digits (nor %uXXXX)
	encPctU                      // %uXXXX
	encFullwidth                 // %uFFxx: full/half-width forms, folded to ASCII by some decoders
	encOverlong                  // overlong UTF-8 or an encoded surrogate
	encUTF8                      // other invalid UTF-8
	encEscaped                   // holds a %XX escape or '+': decode before matching text
	// encRare: holds a byte outside plainByte. A check that searches a
	// value for one of the rarer bytes (| ~ ; ( ], or a '%' or '+' that
	// decodes to one) may skip a value without it; it is no finding.
	encRare
)

// utf8State validates a UTF-8 byte stream one byte at a time.
type utf8State struct {
	need   uint8 // continuation bytes still expected
	lo, hi byte  // bounds of the next continuation byte
	tight  bool  // lo/hi are tighter than 80..BF: leaving them is overlong or a surrogate
}

// feed takes the next byte and returns the findings it completes.
func (u *utf8State) feed(b byte) enc {
	if u.need > 0 {
		if b >= u.lo && b <= u.hi {
			u.need--
			u.lo, u.hi, u.tight = 0x80, 0xBF, false
			return 0
		}
		if u.tight && b >= 0x80 && b <= 0xBF {
			// overlong or surrogate: consume the rest of its sequence
			u.need--
			u.lo, u.hi, u.tight = 0x80, 0xBF, false
			return encOverlong
		}
		u.need, u.tight = 0, false
		if b >= 0x80 && b <= 0xBF {
			return encUTF8 // consumed with the bad sequence
		}
		return encUTF8 | u.feed(b)
	}
	u.lo, u.hi = 0x80, 0xBF
	switch {
	case b < 0x80:
		return 0
	case b == 0xC0 || b == 0xC1:
		u.need = 1 // consume its continuation: one finding per sequence
		return encOverlong
	case b >= 0xC2 && b <= 0xDF:
		u.need = 1
	case b == 0xE0:
		u.need, u.lo, u.tight = 2, 0xA0, true
	case b == 0xED:
		u.need, u.hi, u.tight = 2, 0x9F, true
	case b >= 0xE1 && b <= 0xEF:
		u.need = 2
	case b == 0xF0:
		u.need, u.lo, u.tight = 3, 0x90, true
	case b >= 0xF1 && b <= 0xF3:
		u.need = 3
	case b == 0xF4:
		u.need, u.hi = 3, 0x8F
	default: // stray continuation byte, or F5..FF
		return encUTF8
	}
	return 0
}

// byteFlags classifies one decoded byte.
func byteFlags(b byte) enc {
	switch {
	case b == 0:
		return encNUL
	case b == '\r' || b == '\n':
		return encCRLF
	case b < 0x20 && b != '\t' || b == 0x7f:
		return encCtl
	}
	return 0
}

// plainByte marks the bytes that scanEncoded and scanRaw have nothing to
// say about, which most paths, names and values are made of: printable
// ASCII but '%' and '+', which decode, and | ~ ; ( ], which some checks
// search for (see encRare). It is 1 or 0 so that tests can be combined.
var plainByte = func() (t [256]uint8) {
	for c := byte(0x20); c < 0x7f; c++ {
		if !strings.ContainsRune("%+|~;(]", rune(c)) {
			t[c] = 1
		}
	}
	return t
}()

// plainPrefix returns the length of the run of plain bytes that s starts
// with, eight bytes to a step while it can.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		if plainByte[w[0]]&plainByte[w[1]]&plainByte[w[2]]&plainByte[w[3]]&
			plainByte[w[4]]&plainByte[w[5]]&plainByte[w[6]]&plainByte[w[7]] == 0 {
			break
		}
	}
	for i < len(s) && plainByte[s[i]] != 0 {
		i++
	}
	return i
}

// scanEncoded reports the findings about s, a percent-encoded URI
// component or form field (plus: '+' is a space). It decodes on the fly
// and allocates nothing. A UTF-8 sequence cut by the end of s is not
// reported: values may be bounded prefixes.
func scanEncoded(s string, plus bool) enc {
	// Skip the plain prefix, most often the whole value: the loop starts
	// where it would have stood after it, with no findings and no UTF-8
	// sequence open.
	i := plainPrefix(s)
	if i == len(s) {
		return 0
	}
	f := encRare
	var u utf8State
	for ; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '%':
			if i+2 < len(s) && hexdigit.Is(s[i+1]) && hexdigit.Is(s[i+2]) {
				b = hexdigit.Value(s[i+1])<<4 | hexdigit.Value(s[i+2])
				i += 2
				f |= encEscaped
			} else if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') &&
				hexdigit.Is(s[i+2]) && hexdigit.Is(s[i+3]) && hexdigit.Is(s[i+4]) && hexdigit.Is(s[i+5]) {
				f |= encPctU | encEscaped
				if lowerASCII(s[i+2]) == 'f' && lowerASCII(s[i+3]) == 'f' {
					f |= encFullwidth
				}
				if s[i+2] == '0' && s[i+3] == '0' {
					f |= byteFlags(hexdigit.Value(s[i+4])<<4 | hexdigit.Value(s[i+5]))
				}
				i += 5
				continue
			} else {
				f |= encBadPct // the '%' stays as it is
			}
		case b == '+' && plus:
			f |= encEscaped
			b = ' '
		}
		f |= byteFlags(b)
		if b >= 0x80 || u.need > 0 {
			f |= u.feed(b)
		}
	}
	return f
}

// scanRaw reports the findings about raw bytes (header values, multipart
// field values): control bytes and UTF-8 validity, no decoding.
func scanRaw(s string) enc {
	i := plainPrefix(s) // as in scanEncoded
	if i == len(s) {
		return 0
	}
	f := encRare
	var u utf8State
	for ; i < len(s); i++ {
		b := s[i]
		f |= byteFlags(b)
		if b >= 0x80 || u.need > 0 {
			f |= u.feed(b)
		}
	}
	return f
}

// decode appends the decoded form of the percent-encoded s to dst
// (%XX, and '+' as space when plus); invalid escapes stay as they are.
func decode(dst []byte, s string, plus bool) []byte {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '%' && i+2 < len(s) && hexdigit.Is(s[i+1]) && hexdigit.Is(s[i+2]):
			b = hexdigit.Value(s[i+1])<<4 | hexdigit.Value(s[i+2])
			i += 2
		case b == '+' && plus:
			b = ' '
		}
		dst = append(dst, b)
	}
	return dst
}
