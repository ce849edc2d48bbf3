package protocol

// rangeSet is what parseRange learnt about a Range header value.
type rangeSet struct {
	n       int  // range-specs seen (counting stops at the limit + 1)
	invalid bool // a syntax error or a range whose last position precedes its first
	other   bool // a unit other than bytes: the header is ignored, nothing to judge
	overlap int  // pairs of int-ranges that overlap, among the first maxPairRanges
}

// maxPairRanges bounds the ranges compared pairwise for overlaps.
const maxPairRanges = 16

// parseRange parses a Range value (RFC 9110 §14.1.2 and §14.2) without
// allocating, reading at most limit+1 range-specs.
func parseRange(v string, limit int) rangeSet {
	var rs rangeSet
	v = trimOWS(v)
	unit := 0
	for unit < len(v) && tchar[v[unit]] {
		unit++
	}
	if unit == 0 || unit >= len(v) || v[unit] != '=' {
		rs.invalid = true
		return rs
	}
	if !equalFold(v[:unit], "bytes") {
		rs.other = true
		return rs
	}
	var firsts, lasts [maxPairRanges]int64
	pairs := 0
	for rest := v[unit+1:]; rest != "" && rs.n <= limit; {
		var spec string
		spec, rest = nextItem(rest)
		if spec == "" {
			continue // empty list elements are allowed (RFC 9110 §5.6.1.2)
		}
		rs.n++
		first, last, ok := rangeSpec(spec)
		if !ok {
			rs.invalid = true
			continue
		}
		if first < 0 { // suffix range: the last bytes, position unknown here
			continue
		}
		if last >= 0 && last < first {
			rs.invalid = true
			continue
		}
		if pairs < maxPairRanges {
			end := last
			if end < 0 {
				end = 1<<62 - 1
			}
			for i := 0; i < pairs; i++ {
				if first <= lasts[i] && firsts[i] <= end {
					rs.overlap++
				}
			}
			firsts[pairs], lasts[pairs] = first, end
			pairs++
		}
	}
	if rs.n == 0 {
		rs.invalid = true
	}
	return rs
}

// rangeSpec parses "first-last", "first-" (last = -1) or "-suffix"
// (first = -1).
func rangeSpec(spec string) (first, last int64, ok bool) {
	i := 0
	for i < len(spec) && spec[i] != '-' {
		i++
	}
	if i == len(spec) {
		return 0, 0, false
	}
	a, b := spec[:i], spec[i+1:]
	if a == "" {
		n, ok := parsePos(b)
		return -1, n, ok
	}
	first, ok = parsePos(a)
	if !ok {
		return 0, 0, false
	}
	if b == "" {
		return first, -1, true
	}
	last, ok = parsePos(b)
	return first, last, ok
}

// parsePos parses 1*DIGIT of at most 18 digits (no overflow).
func parsePos(s string) (int64, bool) {
	if !digits(s) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// rangeHeader checks the Range header(s).
func (s *scan) rangeHeader(vals []string) {
	if len(vals) > 1 {
		s.add(chkRange, vals[1])
	}
	rs := parseRange(vals[0], s.d.cfg.MaxRanges)
	switch {
	case rs.other:
	case rs.invalid:
		s.add(chkRange, vals[0])
	case rs.n > s.d.cfg.MaxRanges:
		s.add(chkRangeMany, vals[0])
	case rs.overlap >= 2:
		// RFC 9110 §14.2: more than two overlapping ranges mark a broken
		// client or a denial-of-service attempt.
		s.add(chkRangeMany, vals[0])
	}
}
