package behavior

import "time"

// window counts events in a sliding window of fixed length using two fixed
// buckets weighted by overlap (the "sliding window counter" approximation):
// count = cur + prev·(1 − elapsed/length). It costs 16 bytes, never
// allocates, and its error is bounded by the unevenness of the previous
// bucket. The zero value is an empty window.
//
// Time going backwards by less than one length counts into the current
// bucket; a larger backward jump re-anchors the window (as if the client had
// been away), so an absurd timestamp cannot freeze or poison it.
type window struct {
	start int64 // unix nanoseconds at which cur began; 0 = unused
	cur   uint32
	prev  uint32
}

// roll advances the window to t.
func (w *window) roll(t int64, length time.Duration) {
	l := int64(length)
	if l <= 0 {
		l = 1
	}
	switch {
	case w.start == 0 || t < w.start-l:
		w.start, w.cur, w.prev = t, 0, 0
	case t < w.start:
		// small backwards step: stay in the current bucket
	case t-w.start < l:
	case t-w.start < 2*l:
		w.prev, w.cur = w.cur, 0
		w.start += l
	default:
		w.start, w.cur, w.prev = t, 0, 0
	}
}

// add counts n events at t.
func (w *window) add(t int64, length time.Duration, n uint32) {
	w.roll(t, length)
	if w.cur+n >= w.cur { // saturate instead of wrapping
		w.cur += n
	}
}

// count estimates the events in (t-length, t] without changing w.
func (w window) count(t int64, length time.Duration) float64 {
	c := w
	c.roll(t, length)
	l := float64(length)
	if l <= 0 {
		return float64(c.cur)
	}
	el := float64(t - c.start)
	if el < 0 {
		el = 0
	}
	frac := 1 - el/l
	if frac < 0 {
		frac = 0
	}
	return float64(c.cur) + float64(c.prev)*frac
}

// atMost is an upper bound of count at any time: rolling only moves or
// drops events, and the previous bucket is weighted by at most 1 (the
// float sum is monotone, so count never exceeds it after rounding).
func (w *window) atMost() uint64 { return uint64(w.cur) + uint64(w.prev) }
