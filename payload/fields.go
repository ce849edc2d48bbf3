package payload

import (
	"errors"
	"fmt"
	"strings"
)

// A field path names where a value sits in a request: a JSON value by
// its keys, joined by '.', with "[]" for an array's elements
// ("comments[].text", "messages[].content[].text", "[].id" in a
// top-level array); a query parameter, form field or multipart part by
// its name ("q", "body"). A "*" segment stands for any one key or array
// element ("metadata.*"). A path names its field and, when the field
// holds an array, that array's elements ("tags" covers "tags[]"), but
// not the keys of a nested object: "messages" does not reach
// "messages[].content".
//
// Keys are matched exactly, so a key holding '.', '[' or ']' cannot be
// named (nor can a "*" key), and JSON keys are matched decoded, as the
// application reads them.

// fieldSeg is one segment of a parsed field path.
type fieldSeg struct {
	kind segKind
	name string // the key, for segKey
}

type segKind uint8

const (
	segKey  segKind = iota // an object key
	segElem                // "[]": an array element
	segAny                 // "*": any one key or element
)

// fieldPath is a parsed field path pattern.
type fieldPath []fieldSeg

// Bounds on field paths: a pattern may have at most maxFieldDepth
// segments and maxFieldBytes bytes, and the walker tracks JSON paths to
// the same depth and key bytes. A value deeper than that, or under a
// longer key, matches no field rule: it is inspected in full.
const (
	maxFieldDepth = 32
	maxFieldBytes = 256
)

// parseFieldPath parses a field path pattern (see fieldSeg).
func parseFieldPath(p string) (fieldPath, error) {
	if p == "" {
		return nil, errors.New("empty field path")
	}
	if len(p) > maxFieldBytes {
		return nil, fmt.Errorf("longer than %d bytes", maxFieldBytes)
	}
	var out fieldPath
	i := 0
	for part := 0; ; part++ {
		// A name (empty only for a path that starts with "[]"), then any
		// number of "[]".
		st := i
		for i < len(p) && p[i] != '.' && p[i] != '[' && p[i] != ']' {
			i++
		}
		name := p[st:i]
		switch {
		case name == "*":
			out = append(out, fieldSeg{kind: segAny})
		case strings.IndexByte(name, '*') >= 0:
			return nil, fmt.Errorf("'*' must be a whole segment, in %q", name)
		case name != "":
			out = append(out, fieldSeg{kind: segKey, name: name})
		case part > 0 || i >= len(p) || p[i] != '[':
			return nil, fmt.Errorf("empty segment at byte %d", st)
		}
		for i < len(p) && p[i] == '[' {
			if i+1 >= len(p) || p[i+1] != ']' {
				return nil, fmt.Errorf("'[' at byte %d must be followed by ']' (array elements are written \"[]\", without an index)", i)
			}
			out = append(out, fieldSeg{kind: segElem})
			i += 2
		}
		if len(out) > maxFieldDepth {
			return nil, fmt.Errorf("more than %d segments", maxFieldDepth)
		}
		if i >= len(p) {
			return out, nil
		}
		switch p[i] {
		case ']':
			return nil, fmt.Errorf("']' at byte %d without '['", i)
		case '.':
			i++
			if i >= len(p) {
				return nil, fmt.Errorf("empty segment at byte %d", i)
			}
		default: // a name right after "[]"
			return nil, fmt.Errorf("'.' expected at byte %d", i)
		}
	}
}

// String returns the path in the syntax parseFieldPath reads.
func (p fieldPath) String() string {
	var b strings.Builder
	for i, s := range p {
		switch s.kind {
		case segElem:
			b.WriteString("[]")
			continue
		case segAny:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteByte('*')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		}
	}
	return b.String()
}

// matchName reports whether p names the single-segment field name (a
// query parameter, form field or multipart part).
func (p fieldPath) matchName(name []byte) bool {
	if len(p) != 1 {
		return false
	}
	return p[0].kind == segAny || p[0].kind == segKey && string(name) == p[0].name
}

// pathSeg is one segment of the JSON walker's current path: a key, held
// in fieldStack.keys[off:end], or an array element.
type pathSeg struct {
	elem bool
	lost bool // the key was too long to keep: the segment matches nothing
	off  uint16
	end  uint16
}

// fieldStack is the JSON walker's current field path, kept only while
// the request has field rules (scan.track). Past maxFieldDepth
// containers, or maxFieldBytes of keys, the path is lost: values there
// match no rule and are inspected in full.
type fieldStack struct {
	segs [maxFieldDepth]pathSeg
	n    int
	over int // containers opened past maxFieldDepth and not yet closed
	keys []byte
}

func (f *fieldStack) reset() {
	f.n, f.over = 0, 0
	f.keys = f.keys[:0]
}

// push enters a container: an array (elem) or an object, whose key is
// set by key.
func (f *fieldStack) push(elem bool) {
	if f.over > 0 || f.n == maxFieldDepth {
		f.over++
		return
	}
	off := uint16(len(f.keys))
	f.segs[f.n] = pathSeg{elem: elem, off: off, end: off}
	f.n++
}

// pop leaves the innermost container.
func (f *fieldStack) pop() {
	if f.over > 0 {
		f.over--
		return
	}
	if f.n > 0 {
		f.n--
		f.keys = f.keys[:f.segs[f.n].off]
	}
}

// key sets the key of the innermost object.
func (f *fieldStack) key(k []byte) {
	if f.over > 0 || f.n == 0 {
		return
	}
	top := &f.segs[f.n-1]
	f.keys = f.keys[:top.off]
	if len(f.keys)+len(k) > maxFieldBytes {
		top.lost, top.end = true, top.off
		return
	}
	top.lost = false
	f.keys = append(f.keys, k...)
	top.end = uint16(len(f.keys))
}

// match reports whether the current path is p or an element (at any
// depth of arrays) of the field p names.
func (f *fieldStack) match(p fieldPath) bool {
	if f.over > 0 || len(p) > f.n {
		return false
	}
	for i := range f.n {
		s := &f.segs[i]
		if s.lost {
			return false
		}
		if i >= len(p) {
			if !s.elem {
				return false
			}
			continue
		}
		switch p[i].kind {
		case segElem:
			if !s.elem {
				return false
			}
		case segKey:
			if s.elem || string(f.keys[s.off:s.end]) != p[i].name {
				return false
			}
		}
	}
	return true
}

// String returns the current path in field path syntax, "" when lost.
func (f *fieldStack) String() string {
	if f.over > 0 {
		return ""
	}
	var b strings.Builder
	for i := range f.n {
		s := &f.segs[i]
		switch {
		case s.lost:
			return ""
		case s.elem:
			b.WriteString("[]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.Write(f.keys[s.off:s.end])
		}
	}
	return b.String()
}
