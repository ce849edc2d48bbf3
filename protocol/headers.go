package protocol

import "math/bits"

// The header fields whose values the checks read. gatherHeaders captures
// them, with the presence of the other watched names, before any check
// runs: in one walk over a small header map (an API client sends a
// handful of fields, and the checks read over a dozen names), or with a
// lookup per name in a large one. No check looks these names up again.
const (
	fHost = iota
	fAccept
	fAcceptEncoding
	fContentType
	fContentLength
	fTransferEncoding
	fRange
	fConnection
	fCookie
	fCharset // X-Up-Devcap-Post-Charset
	numFields
)

// Presence bits of the watched names whose values are not captured: the
// checks for them are rare and look the names up themselves. Bits below
// numFields say the field of that index is present.
const (
	hdrRestricted     uint16 = 1 << (numFields + iota) // any of the configured restricted headers
	hdrMethodOverride                                  // any of methodOverride
	hdrRequestRange
)

// fieldNames names the captured fields, indexed by field.
var fieldNames = [numFields]string{
	fHost: "Host", fAccept: "Accept", fAcceptEncoding: "Accept-Encoding",
	fContentType: "Content-Type", fContentLength: "Content-Length",
	fTransferEncoding: "Transfer-Encoding", fRange: "Range", fConnection: "Connection",
	fCookie: "Cookie", fCharset: "X-Up-Devcap-Post-Charset",
}

// headers is what a request's header section holds of the watched names.
type headers struct {
	has  uint16              // bit f for each present field f, plus the hdr bits
	vals [numFields][]string // values of the present fields, by field
}

// reset drops the captured values, which belong to the request, so that
// the pooled scan does not keep them alive. Only present fields were set.
func (hs *headers) reset() {
	for has := hs.has & (1<<numFields - 1); has != 0; has &= has - 1 {
		hs.vals[bits.TrailingZeros16(has)] = nil
	}
	hs.has = 0
}

// present reports whether field f is in the header map (maybe with no
// values), as `_, ok := h[name]` would.
func (hs *headers) present(f int) bool { return hs.has&(1<<f) != 0 }

// watchTable finds a watched header name, exactly as a map keyed by the
// name would, in a probe or two: the names are fixed at New, and a Go map
// would hash every field name of every request with the full string hash.
// It is open-addressed and at most a quarter full.
type watchTable struct {
	slots []watchSlot
	mask  uint32
}

type watchSlot struct {
	name  string // "" for an empty slot
	bits  uint16 // hdr bits the name sets
	field int8   // the captured field it is, -1 for none
}

func newWatchTable(restricted []string) watchTable {
	names := len(fieldNames) + len(methodOverride) + 1 + len(restricted)
	size := 16
	for size < 4*names {
		size *= 2
	}
	t := watchTable{slots: make([]watchSlot, size), mask: uint32(size - 1)}
	for f, name := range fieldNames {
		t.add(name, 1<<f).field = int8(f)
	}
	for _, name := range methodOverride {
		t.add(name, hdrMethodOverride)
	}
	t.add("Request-Range", hdrRequestRange)
	for _, name := range restricted {
		t.add(name, hdrRestricted)
	}
	return t
}

// slot is where the probe for name starts: a mix of its length and three
// of its bytes. With the table a quarter full, a watched name mostly sits
// where its probe starts, and a common field that is not watched
// (User-Agent, Accept-Language) mostly meets an empty slot at once.
func (t *watchTable) slot(name string) uint32 {
	n := len(name)
	h := uint32(n)<<24 | uint32(name[0])<<16 | uint32(name[n/2])<<8 | uint32(name[n-1])
	return (h * 0x9e3779b1) >> 16 & t.mask
}

// add sets bits for name and returns its slot; a name listed twice (a
// restricted header that is also watched) gets both sets of bits.
func (t *watchTable) add(name string, bits uint16) *watchSlot {
	for i := t.slot(name); ; i = (i + 1) & t.mask {
		e := &t.slots[i]
		if e.name == "" {
			*e = watchSlot{name: name, field: -1}
		}
		if e.name == name {
			e.bits |= bits
			return e
		}
	}
}

// find returns the slot of name, nil for a name not watched. Names match
// exactly, as map keys do: net/http stores them canonical, and a request
// built offline is read as it was built.
func (t *watchTable) find(name string) *watchSlot {
	if name == "" {
		return nil
	}
	for i := t.slot(name); ; i = (i + 1) & t.mask {
		e := &t.slots[i]
		if e.name == name {
			return e
		}
		if e.name == "" {
			return nil
		}
	}
}

// maxHeaderWalk is the most header fields gatherHeaders walks. A map of
// up to eight fields is one group, cheap to walk and looked up by
// comparing every key; past that the walk costs about a hundred
// instructions a field, and a browser's seventeen fields cost more to
// walk than the watched names cost to look up (BenchmarkDetect).
const maxHeaderWalk = 8

// gatherHeaders fills s.hdr from the request's header map.
func (s *scan) gatherHeaders() {
	h, hs := s.r.Header, &s.hdr
	if len(h) > maxHeaderWalk {
		s.lookupHeaders()
		return
	}
	for name, vals := range h {
		e := s.d.watch.find(name)
		if e == nil {
			continue
		}
		hs.has |= e.bits
		if e.field >= 0 {
			hs.vals[e.field] = vals
		}
	}
}

// lookupHeaders fills s.hdr from a large header map, a lookup per name.
func (s *scan) lookupHeaders() {
	h, hs := s.r.Header, &s.hdr
	for f, name := range fieldNames {
		if vals, ok := h[name]; ok {
			hs.has |= 1 << f
			hs.vals[f] = vals
		}
	}
	if anyPresent(h, methodOverride[:]) {
		hs.has |= hdrMethodOverride
	}
	if _, ok := h["Request-Range"]; ok {
		hs.has |= hdrRequestRange
	}
	if anyPresent(h, s.d.headers) {
		hs.has |= hdrRestricted
	}
}

func anyPresent(h map[string][]string, names []string) bool {
	for _, name := range names {
		if _, ok := h[name]; ok {
			return true
		}
	}
	return false
}
