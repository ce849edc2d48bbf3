package eventlog

import (
	"cmp"
	"slices"
	"time"
)

// The stores keep a rollup beside the events, written in the same
// transaction: counts per bucket of time, so that an overview reads a
// few rows per bucket instead of every event. A rollup row is a kind,
// the bucket's first minute (Minute), one or two keys and a count.
//
// Actions, detectors and routes are counted per minute (RollupStep),
// which keeps the hour range's one-minute bars whole; their keys are
// few. Clients and users are counted per hour (RollupHour): an attacker
// shows up in many minutes of an hour, and an hour's row stands for
// them all, so a day of blocks from a hundred addresses is 2,400 rows,
// not 50,000. Counts are exact either way; only the edges of a range
// that cut a bucket are read from the events.
const (
	RollupStep = time.Minute
	RollupHour = time.Hour
)

// rollupNS is RollupStep in nanoseconds.
const rollupNS = int64(RollupStep)

// Rollup kinds: what a rollup row counts. Actions count every event;
// the others count the events that stopped a request (Stopped), as the
// Overview's lists do.
const (
	KindAction   = "a" // key: action; per minute
	KindDetector = "d" // key: detector name, key2: its violation type; per minute
	KindClient   = "c" // key: client IP; per hour
	KindUser     = "u" // key: user id, signed-in clients only; per hour
	KindRoute    = "r" // key: route pattern; per minute
)

// RollupBucket returns the first minute (see Minute) of the rollup bucket of
// kind that holds the time ns.
func RollupBucket(kind string, ns int64) int64 {
	m := Minute(ns)
	if kind == KindClient || kind == KindUser {
		m -= (m%60 + 60) % 60
	}
	return m
}

// Minute returns the rollup bucket of a time in Unix nanoseconds: the
// minutes since the epoch, rounded down (also before 1970).
func Minute(ns int64) int64 { return floorDiv(ns, rollupNS) }

// Span is a half-open range of Unix nanoseconds [Lo, Hi).
type Span struct{ Lo, Hi int64 }

// RollupPlan says which parts of an overview's range a store reads from
// its rollup and which from the raw events: the rollup for the whole
// minutes in the range, the events for the partial minutes at its edges.
// The bars need one more cut: a minute that holds a step boundary (a
// range or step that is not in whole minutes) belongs to two bars, so
// the bars read it from the events too.
type RollupPlan struct {
	// Minutes [Lo, Hi) are whole in the range (Lo >= Hi: none).
	Lo, Hi int64
	// Edges are the parts of the range outside those minutes.
	Edges []Span
	// Split are the minutes in [Lo, Hi) that a step boundary cuts, as
	// spans, merged when adjacent; the bars read Edges and Split from
	// the events and the rest of [Lo, Hi) from the rollup.
	Split []Span
	// HourLo, HourHi and HourEdges are Lo, Hi and Edges for the kinds
	// counted per hour: the minutes [HourLo, HourHi) make whole hours.
	HourLo, HourHi int64
	HourEdges      []Span
}

// PlanRollup returns the plan of an overview of [lo, hi) in Unix
// nanoseconds in steps of step; the range must pass CheckOverviewRange.
func PlanRollup(lo, hi int64, step time.Duration) RollupPlan {
	var p RollupPlan
	p.Lo, p.Hi, p.Edges = whole(lo, hi, rollupNS)
	p.HourLo, p.HourHi, p.HourEdges = whole(lo, hi, int64(RollupHour))
	if p.Lo >= p.Hi {
		return p
	}
	st := int64(step)
	for b := lo + st; b < hi && b > lo; b += st {
		m := Minute(b)
		if m*rollupNS == b || m < p.Lo || m >= p.Hi {
			continue
		}
		s := Span{m * rollupNS, (m + 1) * rollupNS}
		if k := len(p.Split); k > 0 && p.Split[k-1].Hi >= s.Lo {
			p.Split[k-1].Hi = s.Hi
			continue
		}
		p.Split = append(p.Split, s)
	}
	return p
}

// whole returns the buckets of size nanoseconds wholly inside [lo, hi), as the
// minutes [first, end), and the parts of the range outside them.
func whole(lo, hi, size int64) (first, end int64, edges []Span) {
	per := size / rollupNS
	first, end = floorDiv(lo, size), floorDiv(hi, size)
	if first*size < lo {
		first++
	}
	if first >= end {
		return 0, 0, []Span{{lo, hi}}
	}
	if lo < first*size {
		edges = append(edges, Span{lo, first * size})
	}
	if end*size < hi {
		edges = append(edges, Span{end * size, hi})
	}
	return first * per, end * per, edges
}

// floorDiv is n / d rounded down.
func floorDiv(n, d int64) int64 {
	q := n / d
	if n%d < 0 {
		q--
	}
	return q
}

// Bars returns the spans the bars read from the events: Edges and Split,
// in time order.
func (p RollupPlan) Bars() []Span {
	out := append(slices.Clone(p.Split), p.Edges...)
	slices.SortFunc(out, func(x, y Span) int { return cmp.Compare(x.Lo, y.Lo) })
	return out
}

// WholeInStep is the SQL condition, over a column minute holding a
// rollup bucket, that the minute lies in one step of an overview whose
// range starts at the parameter lo with steps of the parameter step
// (nanoseconds): the bars read such minutes from the rollup. The two
// placeholders are given as SQL text (say "?1" and "?3", or "$1" and
// "$2") so each store writes its own.
func WholeInStep(minute, lo, step string) string {
	return `(` + minute + ` * 60000000000 - ` + lo + `) / ` + step + ` = (` + minute + ` * 60000000000 + 59999999999 - ` + lo + `) / ` + step
}
