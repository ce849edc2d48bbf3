package payload

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/warden-dev/warden/internal/args"
)

// countMemo remembers parts of requests — request targets (path and
// query), Cookie headers and single cookies — whose inspection found
// nothing, with the number of values it counted, so that a part seen
// clean before costs two hashes and a comparison instead of a scan.
// Listing pages, product pages and API calls are requested again and
// again with the same target, and a browser sends the same cookies with
// every request until one of them changes.
//
// A hit needs the exact same strings (the hash only picks the slot) and
// stands for an inspection that raised no signal, skipped nothing as a
// repeat and counted the stored number of values, which a hit counts in
// turn (up to MaxValues, where the inspection would have stopped). A part
// that raised any signal is never remembered, nor one whose inspection
// MaxValues cut short.
//
// Many parts are seen once (an id in the path, a search, a new visitor's
// cookies): an entry is only made the second time a clean part is missed
// in its slot, so those cost no allocation. Like cleanMemo, the table is
// direct-mapped, fixed in size and lock-free.
type countMemo struct {
	seed  maphash.Seed
	slots [countSlots]atomic.Pointer[countEntry]
	once  [countSlots]atomic.Uint64 // hash of the clean part last missed in the slot
}

type countEntry struct {
	a, b   string
	values int
}

const countSlots = 4096

func newCountMemo() *countMemo {
	return &countMemo{seed: maphash.MakeSeed()}
}

// lookup returns the hash of the part (a, b), for add, and the number of
// values its inspection counted when it was found clean before.
func (m *countMemo) lookup(a, b string) (h uint64, values int, ok bool) {
	h = maphash.String(m.seed, a) ^ maphash.String(m.seed, b)*0x9e3779b97f4a7c15
	e := m.slots[h%countSlots].Load()
	if e != nil && e.a == a && e.b == b {
		return h, e.values, true
	}
	return h, 0, false
}

// add remembers a clean part of hash h whose inspection counted values,
// the second time in a row its slot sees it.
func (m *countMemo) add(h uint64, a, b string, values int) {
	i := h % countSlots
	if m.once[i].Swap(h) != h {
		return
	}
	m.slots[i].Store(&countEntry{a: strings.Clone(a), b: strings.Clone(b), values: values})
}

// counted inspects the part (a, b) of the request with inspect, unless m
// found it clean before, and remembers it when this inspection finds it
// clean: no signal, nothing skipped as a repeat, not cut short by
// MaxValues, no exclusions applied (they may have hidden what other
// routes must see). A hit counts the values the inspection counted.
func (s *scan) counted(m *countMemo, a, b string, inspect func(s *scan, a, b string)) {
	h, values, ok := m.lookup(a, b)
	if ok {
		s.values = min(s.values+values, s.d.cfg.MaxValues)
		return
	}
	signals, repeats, before := s.signals, s.repeats, s.values
	inspect(s, a, b)
	if s.signals == signals && s.repeats == repeats && s.values < s.d.cfg.MaxValues && s.fields.rules == nil {
		m.add(h, a, b, s.values-before)
	}
}

// target inspects the request path and query, unless they were found
// clean before.
func (s *scan) target(path, query string) {
	n := len(path) + len(query)
	// The memo stands for an inspection that starts the request's.
	if m := s.d.urls; m != nil && s.values == 0 && s.signals == 0 && n >= memoMinValue && n <= memoMaxValue {
		s.counted(m, path, query, (*scan).inspectTarget)
		return
	}
	s.inspectTarget(path, query)
}

func (s *scan) inspectTarget(path, query string) {
	s.loc, s.name = "path", nil
	p, cm := unescape(&s.tbuf, path, false)
	s.hiddenPath(p)
	s.valueMask(p, cm)
	kept, rest := s.args.Query(query)
	s.pairs("query", kept, args.Rest(rest))
}

// cookie inspects a Cookie header's pairs, unless they were found clean
// before.
func (s *scan) cookie(c string) {
	m := s.d.cookies
	if m == nil || !memoizable(c) || len(c) > s.d.cfg.MaxValueBytes || s.values >= s.d.cfg.MaxValues {
		s.pairs("cookie", nil, args.Cookies(c))
		return
	}
	s.counted(m, "", c, func(s *scan, _, c string) { s.pairs("cookie", nil, args.Cookies(c)) })
}

// cookiePair inspects one cookie, unless it was found clean before: a consent record or a preference is
// the same for many visitors, and each visitor sends its own session and
// analytics ids with every request.
func (s *scan) cookiePair(kv string) {
	s.counted(s.d.cookiePairs, "", kv, func(s *scan, _, kv string) { s.pair(kv) })
}
