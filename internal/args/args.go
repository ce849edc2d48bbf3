package args

import "strings"

// Pair is one argument as sent: "name=value", still percent-encoded.
type Pair struct {
	KV string // the whole pair
	Eq int    // index of the first '=' in KV, or -1 when there is none
}

// Name returns the text before the first '=', or all of KV without one.
func (p Pair) Name() string {
	if p.Eq < 0 {
		return p.KV
	}
	return p.KV[:p.Eq]
}

// Value returns the text after the first '=', "" without one.
func (p Pair) Value() string {
	if p.Eq < 0 {
		return ""
	}
	return p.KV[p.Eq+1:]
}

// HasEq reports whether a '=' separated name and value: a lone token may
// be a value rather than a name.
func (p Pair) HasEq() bool { return p.Eq >= 0 }

// next splits the first pair off *raw. Pairs are separated by sep; empty
// ones are skipped. In a Cookie header (sep ';') the spaces after each
// ';' are dropped, as every cookie parser does.
func next(raw *string, sep byte) (Pair, bool) {
	for *raw != "" {
		var kv string
		if i := strings.IndexByte(*raw, sep); i >= 0 {
			kv, *raw = (*raw)[:i], (*raw)[i+1:]
		} else {
			kv, *raw = *raw, ""
		}
		if sep == ';' {
			kv = strings.TrimLeft(kv, " ")
		}
		if kv != "" {
			return Pair{KV: kv, Eq: strings.IndexByte(kv, '=')}, true
		}
	}
	return Pair{}, false
}

// Iter walks pairs that are not kept: a Cookie header's, and a source's
// past the MaxKept a Set keeps. The zero Iter has none.
type Iter struct {
	rest string // not split yet
	sep  byte
}

// Next returns the next pair, and false after the last one.
func (it *Iter) Next() (Pair, bool) { return next(&it.rest, it.sep) }

// Cookies walks the cookies of one Cookie header value. They are split as
// they are read and not kept: protocol reads them only when the header
// holds an escaped line break, so a kept list would serve one reader.
func Cookies(header string) Iter { return Iter{rest: header, sep: ';'} }

// Rest walks the pairs after the kept ones: rest is what Query or Form
// returned with them.
func Rest(rest string) Iter { return Iter{rest: rest, sep: '&'} }

// MaxKept bounds the pairs a Set keeps per source, so that a body of
// "a&a&a…" does not cost memory in proportion to its length: past them,
// each reader splits the rest itself (Rest), and still sees every pair.
const MaxKept = 1024

// list is one source's split: the text it was split from, its first
// pairs (at most MaxKept) and the text after them.
type list struct {
	done  bool
	raw   string
	pairs []Pair
	rest  string
}

func (l *list) split(raw string) ([]Pair, string) {
	// A string comparison of the same text is a length and a pointer
	// check; another text (a caller that rewrote it) is split afresh.
	if !l.done || l.raw != raw {
		l.fill(raw)
	}
	return l.pairs, l.rest
}

// fill splits raw's first MaxKept pairs. It is next for '&' written out,
// so that a pair costs no call but IndexByte's.
func (l *list) fill(raw string) {
	l.reset()
	l.done, l.raw = true, raw
	rest := raw
	for rest != "" && len(l.pairs) < MaxKept {
		var kv string
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			kv, rest = rest[:i], rest[i+1:]
		} else {
			kv, rest = rest, ""
		}
		if kv != "" {
			l.pairs = append(l.pairs, Pair{KV: kv, Eq: strings.IndexByte(kv, '=')})
		}
	}
	l.rest = rest
}

// reset forgets the split and keeps a small buffer.
func (l *list) reset() {
	if !l.done {
		return
	}
	// Drop the request's text: the KV field alone, which the compiler
	// does not turn into a runtime call as it does a loop zeroing pairs.
	for i := range l.pairs {
		l.pairs[i].KV = ""
	}
	l.pairs = l.pairs[:0]
	if cap(l.pairs) > maxReused {
		l.pairs = nil // do not keep a flood's buffer alive in a pool
	}
	l.done, l.raw, l.rest = false, "", ""
}

// maxReused is the most pairs whose buffer Reset keeps for the next
// request.
const maxReused = 64

// Set is one request's arguments: the first reader of a source splits it
// and keeps its first MaxKept pairs, and the next reader gets them
// without splitting again. A media type is parsed where it is read: that
// costs less than looking up a kept one. The zero Set is ready to use;
// Reset readies it for another request and keeps its buffers. A Set is
// not safe for concurrent use: the pipeline runs a request's detectors
// one after another.
type Set struct {
	query, form list
}

// Query returns the first MaxKept pairs of the query string raw (without
// '?') and the text after them, for Rest. The pairs are the Set's: read
// them, do not change them. A request has one query string: every call
// for a request passes the same raw.
func (s *Set) Query(raw string) (kept []Pair, rest string) { return s.query.split(raw) }

// Form is Query for an application/x-www-form-urlencoded body (or a body
// read as one), viewed as a string.
func (s *Set) Form(body string) (kept []Pair, rest string) { return s.form.split(body) }

// Reset forgets the request's arguments and keeps small buffers.
func (s *Set) Reset() {
	s.query.reset()
	s.form.reset()
}
