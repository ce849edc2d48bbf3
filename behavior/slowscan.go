package behavior

import (
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// scanM is the number of bits in a slow-scan bitmap.
const scanM = 256

// scanSketch is a client's slow-scan evidence over the long window
// (Config.SlowScan.Window): the distinct path shapes (see scanShape) the
// upstream answered 404, 405 or 410, and the non-static requests it
// answered at all, counted from the client's first missing path in the
// window on (see Detector.observeScan). Like window it keeps two buckets
// one window long and weights the previous one by overlap; each bucket's
// distinct count is a linear-counting bitmap (Whang, Vander-Zanden and
// Taylor, 1990): a shape sets the bit its keyed hash picks, n distinct
// shapes leave about m·e^(−n/m) of the m bits clear, so
// n ≈ m·ln(m/clear). At 50 shapes the standard error is about 2.3
// shapes (TestScanSketch).
// 80 bytes whatever the traffic; the zero value is empty.
type scanSketch struct {
	start           int64     // unix nanoseconds at which cur began; 0 = unused
	cur, prev       [4]uint64 // bits of the missing shapes, per bucket
	ansCur, ansPrev uint32    // upstream answers to non-static requests, per bucket
}

// roll advances the sketch to t, as window.roll does.
func (s *scanSketch) roll(t int64, length time.Duration) {
	l := max(int64(length), 1)
	switch {
	case s.start == 0 || t < s.start-l:
		*s = scanSketch{start: t}
	case t < s.start: // small backwards step: stay in the current bucket
	case t-s.start < l:
	case t-s.start < 2*l:
		s.prev, s.ansPrev = s.cur, s.ansCur
		s.cur, s.ansCur = [4]uint64{}, 0
		s.start += l
	default:
		*s = scanSketch{start: t}
	}
}

// add counts an answer at t and, when missing, the shape's bit.
func (s *scanSketch) add(t int64, length time.Duration, missing bool, bit uint8) {
	s.roll(t, length)
	if s.ansCur < math.MaxUint32 {
		s.ansCur++
	}
	if missing {
		s.cur[bit>>6] |= 1 << (bit & 63)
	}
}

// bits returns how many bits are set in either bucket, at most 255: an
// upper bound of the union's bits at any later time, as rolling only
// clears bits.
func (s *scanSketch) bits() uint8 {
	n := 0
	for i := range s.cur {
		n += bits.OnesCount64(s.cur[i] | s.prev[i])
	}
	return uint8(min(n, 255))
}

// linearCount estimates the distinct shapes behind a bitmap with set bits
// set: m·ln(m/clear), and m·ln(m) (about 1420) when no bit is clear.
func linearCount(set int) float64 {
	clear := max(scanM-set, 1)
	return scanM * math.Log(float64(scanM)/float64(clear))
}

func popcount(b *[4]uint64) int {
	return bits.OnesCount64(b[0]) + bits.OnesCount64(b[1]) + bits.OnesCount64(b[2]) + bits.OnesCount64(b[3])
}

// estimate returns the distinct missing shapes and the answers in
// (t-length, t], without changing s. The shapes of the current bucket
// count whole; those only in the previous one are weighted by its
// overlap with the window, as window.count weights its previous bucket.
func (s scanSketch) estimate(t int64, length time.Duration) (distinct, answered float64) {
	s.roll(t, length)
	frac := 1 - float64(max(t-s.start, 0))/float64(max(int64(length), 1))
	frac = min(max(frac, 0), 1)
	var union [4]uint64
	for i := range union {
		union[i] = s.cur[i] | s.prev[i]
	}
	cur, all := linearCount(popcount(&s.cur)), linearCount(popcount(&union))
	distinct = min(cur+frac*(all-cur), all)
	return distinct, float64(s.ansCur) + frac*float64(s.ansPrev)
}

// scanGateBits is the fewest set bits whose linear count reaches n: a
// client with fewer bits in its sketch cannot reach n distinct shapes.
func scanGateBits(n int) uint8 {
	for k := range scanM {
		if linearCount(k) >= float64(n) {
			return uint8(k)
		}
	}
	return 255
}

// isMissing reports the statuses that say a path does not exist here.
func isMissing(status int) bool {
	return status == 404 || status == 405 || status == 410
}

// scanShape hashes the path as the slow-scan check sees it: segments
// case-folded, empty ones (a trailing or doubled slash) dropped, and
// segments that look like identifiers — all digits, or 8 bytes or more
// with a digit (UUIDs, hashes, dated slugs) — folded to one. An
// application whose pages ask for records that are gone, avatars that
// were never uploaded, keeps asking for one shape however many IDs it
// misses; a word list tries a new shape with every word.
func scanShape(path string) uint32 {
	if len(path) > maxPathScan {
		path = path[:maxPathScan]
	}
	h := uint32(fnvOffset)
	for len(path) > 0 {
		var seg string
		if i := strings.IndexByte(path, '/'); i >= 0 {
			seg, path = path[:i], path[i+1:]
		} else {
			seg, path = path, ""
		}
		if seg == "" {
			continue
		}
		h = (h ^ '/') * fnvPrime
		if idLike(seg) {
			h = hashString(h, "{id}")
		} else {
			h = hashLower(h, seg)
		}
	}
	return h
}

func idLike(seg string) bool {
	digits := 0
	for i := 0; i < len(seg); i++ {
		if c := seg[i]; '0' <= c && c <= '9' {
			digits++
		}
	}
	return digits == len(seg) || (digits > 0 && len(seg) >= 8)
}

// scanBit picks the sketch bit of a shape with the detector's secret key,
// so that nobody can choose paths that pile onto a few bits.
func (d *Detector) scanBit(shape uint32) uint8 {
	x := (uint64(shape) ^ d.scanKey) * 0x9e3779b97f4a7c15
	x ^= x >> 29
	x *= 0xbf58476d1ce4e5b9
	return uint8(x >> 56)
}

// observeScan records an upstream answer to a non-static request in the
// client's sketch. Answers are counted from the client's first missing
// path in the window on, so that a client that never misses a path never
// touches the sketch, which lies outside the lines an ordinary request
// reads; the share of missing paths is then taken over the answers
// since, which for a scanner and for a busy shared address alike is
// nearly all of them.
func (d *Detector) observeScan(c *client, r *abuse.Request, t int64, status int) {
	missing := isMissing(status)
	if !missing && c.scanBits == 0 {
		return
	}
	var bit uint8
	if missing {
		bit = d.scanBit(scanShape(r.Path))
	}
	c.scan.add(t, d.cfg.SlowScan.Window, missing, bit)
	c.scanBits = c.scan.bits()
}

// slowScan is the slow-scan check: GREY at DistinctPaths distinct missing
// shapes in the window, BLACK at BlockPaths, either only when they are at
// least MinShare of the answers counted.
func (d *Detector) slowScan(c *client, t int64, grace bool, dst []Finding) []Finding {
	cfg := &d.cfg.SlowScan
	n, answered := c.scan.estimate(t, cfg.Window)
	if n < float64(cfg.DistinctPaths) || n < cfg.MinShare*answered {
		return dst
	}
	share := 100.0
	if answered > n {
		share = 100 * n / answered
	}
	const msg = "%.0f distinct missing paths in %s (%.0f%% of answers)"
	if n >= float64(cfg.BlockPaths) {
		return d.add(dst, sSlowScan, d.black, msg, n, cfg.Window, share)
	}
	if grace {
		return dst
	}
	return d.add(dst, sSlowScan, d.w[sSlowScan], msg, n, cfg.Window, share)
}
