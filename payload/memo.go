package payload

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// cleanMemo remembers header values that were inspected and found clean.
// Browsers send the same User-Agent, Accept and Referer values on every
// request, and scanning a 120-byte User-Agent is a quarter of the cost of a
// benign GET, so a value seen clean before is not scanned again.
//
// Only a value whose inspection raised no signal at all is remembered, and
// a hit needs the exact same header name and value (the hash only picks the
// slot), so remembering cannot hide an attack: a different byte is a miss
// and is scanned. The table is direct-mapped and fixed in size; a new value
// replaces whatever shared its slot. Slots are atomic pointers to immutable
// entries, so concurrent requests need no lock.
type cleanMemo struct {
	seed  maphash.Seed
	slots [memoSlots]atomic.Pointer[memoEntry]
}

type memoEntry struct {
	name, value string
}

const (
	memoSlots    = 4096
	memoMinValue = 4   // shorter values cost less to scan than to look up
	memoMaxValue = 512 // longer ones are rarely repeated byte for byte
)

func newCleanMemo() *cleanMemo {
	return &cleanMemo{seed: maphash.MakeSeed()}
}

// has reports whether name: value was found clean before.
func (m *cleanMemo) has(name, value string) bool {
	e := m.slots[m.index(name, value)].Load()
	return e != nil && e.value == value && e.name == name
}

func (m *cleanMemo) add(name, value string) {
	m.slots[m.index(name, value)].Store(&memoEntry{name: strings.Clone(name), value: strings.Clone(value)})
}

// index picks the slot of name: value. Only the value is hashed with the
// seed: header names are few and come from a small set, and mixing in
// their length and two of their bytes keeps the same value under two
// names apart as well as hashing them would. (A hit still needs both
// strings equal.)
func (m *cleanMemo) index(name, value string) uint64 {
	h := maphash.String(m.seed, value)
	if name != "" {
		h ^= (uint64(len(name))<<16 | uint64(name[0])<<8 | uint64(name[len(name)-1])) * 0x9e3779b97f4a7c15
	}
	return h % memoSlots
}

// memoizable reports whether a value of this length is worth remembering.
func memoizable(v string) bool {
	return len(v) >= memoMinValue && len(v) <= memoMaxValue
}

// headerName inspects a header's name as OtherHeaders does, unless it
// was found clean before. Names are remembered under the empty header
// name, which no value has.
func (s *scan) headerName(h string) { s.remembered("", h, (*scan).nameValue, false) }

// headerValue inspects one header value unless it was found clean before.
func (s *scan) headerValue(name, v string) {
	s.remembered(name, v, (*scan).value, kindOf(name) == hdrPerClient)
}

// remembered runs inspect on v unless name: v was found clean before, and
// remembers it when this inspection finds it clean. A value is only known
// clean when it was really inspected: not cut to MaxValueBytes, not past
// MaxValues (the count did not move), and not skipped as a repeat of an
// earlier value of this request (the repeat count moved). Values of
// per-client headers (perClientHeaders) are neither remembered nor, so,
// looked up. Nor is a value inspected under exclusions (Config.Exclusions),
// which may have hidden what other routes must see.
func (s *scan) remembered(name, v string, inspect func(*scan, []byte), perClient bool) {
	m := s.d.memo
	if m == nil || perClient || !memoizable(v) || len(v) > s.d.cfg.MaxValueBytes {
		inspect(s, unsafeBytes(v))
		return
	}
	if m.has(name, v) {
		s.values++ // counts towards MaxValues as an inspected value would
		return
	}
	signals, repeats, values := s.signals, s.repeats, s.values
	inspect(s, unsafeBytes(v))
	if s.signals == signals && s.repeats == repeats && s.values > values && s.fields.rules == nil {
		m.add(name, v)
	}
}
