package payload

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// urlMemo remembers request targets (path and query) whose inspection
// found nothing, with the number of values it counted, so that a target
// seen clean before costs two hashes and a comparison instead of a scan.
// Listing pages, product pages and API calls are requested again and
// again with the same target.
//
// The target is the first thing a request's inspection reads, so what it
// finds depends on the target's bytes and the Detector's configuration
// alone: a hit needs the exact same path and query (the hash only picks
// the slot) and stands for an inspection that raised no signal and
// counted the stored number of values, which a hit counts in turn. A
// target that raised any signal is never remembered.
//
// Many targets are seen once (an id in the path, a search): an entry is
// only made the second time a clean target is missed in its slot, so
// those cost no allocation. Like cleanMemo, the table is direct-mapped,
// fixed in size and lock-free.
type urlMemo struct {
	seed  maphash.Seed
	slots [urlSlots]atomic.Pointer[urlEntry]
	once  [urlSlots]atomic.Uint64 // hash of the clean target last missed in the slot
}

type urlEntry struct {
	path, query string
	values      int
}

const urlSlots = 4096

func newURLMemo() *urlMemo {
	return &urlMemo{seed: maphash.MakeSeed()}
}

// lookup returns the hash of the target, for add, and the number of
// values its inspection counted when it was found clean before.
func (m *urlMemo) lookup(path, query string) (h uint64, values int, ok bool) {
	h = maphash.String(m.seed, path) ^ maphash.String(m.seed, query)*0x9e3779b97f4a7c15
	e := m.slots[h%urlSlots].Load()
	if e != nil && e.path == path && e.query == query {
		return h, e.values, true
	}
	return h, 0, false
}

// add remembers a clean target of hash h whose inspection counted values,
// the second time in a row its slot sees it.
func (m *urlMemo) add(h uint64, path, query string, values int) {
	i := h % urlSlots
	if m.once[i].Swap(h) != h {
		return
	}
	m.slots[i].Store(&urlEntry{path: strings.Clone(path), query: strings.Clone(query), values: values})
}

// target inspects the request path and query, unless they were found
// clean before.
func (s *scan) target(path, query string) {
	m := s.d.urls
	n := len(path) + len(query)
	// The memo stands for an inspection that starts the request's.
	remember := m != nil && s.values == 0 && s.signals == 0 && n >= memoMinValue && n <= memoMaxValue
	var h uint64
	if remember {
		var values int
		var ok bool
		if h, values, ok = m.lookup(path, query); ok {
			s.values += values
			return
		}
	}
	s.loc, s.name = "path", nil
	p, cm := unescape(&s.tbuf, path, false)
	s.hiddenPath(p)
	s.valueMask(p, cm)
	s.pairs("query", query, '&')
	if remember && s.signals == 0 && s.values < s.d.cfg.MaxValues {
		m.add(h, path, query, s.values)
	}
}
