package eventlog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Overview is what the dashboard's overview shows for a time range:
// decisions per action over time, and what was stopped, by violation type,
// by detector (the attack class) and by client, user and route. Stores
// that implement Overviewer compute it where the events are (in SQL), so
// a day of a million events is never read into memory.
type Overview struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	StepSec int64     `json:"step_seconds"`
	// Buckets are the steps of [From, To) that hold decisions, oldest
	// first; a bucket with none is left out.
	Buckets []Bucket         `json:"buckets"`
	Actions map[string]int64 `json:"actions"` // decisions per action over the range
	// The lists below count stopped decisions (Stopped), most first, at
	// most TopN each.
	Violations []Count `json:"violations"` // per violation type ("" when a detector named none)
	Detectors  []Count `json:"detectors"`  // per detector
	Clients    []Count `json:"clients"`    // per client IP
	Users      []Count `json:"users"`      // per user id, signed-in clients only
	Routes     []Count `json:"routes"`     // per route pattern ("" when none matched)
}

// Bucket is one step of an Overview: decisions per action.
type Bucket struct {
	Start   time.Time        `json:"start"`
	Actions map[string]int64 `json:"actions"`
}

// Count is one line of an Overview's top lists.
type Count struct {
	Key string `json:"key"`
	N   int64  `json:"n"`
}

// Overview bounds.
const (
	TopN       = 10  // lines per top list
	MaxBuckets = 500 // steps per overview
)

// StoppedSQL is the SQL list of the actions that stopped a request, what
// the overview's breakdowns count (allow and log let it through); Stopped
// says the same in Go.
const StoppedSQL = "('reject','throttle','too_large','block','ban')"

// Stopped reports whether action stopped the request.
func Stopped(action string) bool {
	switch action {
	case "reject", "throttle", "too_large", "block", "ban":
		return true
	}
	return false
}

// Overviewer is a Store that computes overviews itself.
type Overviewer interface {
	// Overview aggregates the events with from <= time < to, in steps
	// of step (see CheckOverviewRange).
	Overview(ctx context.Context, from, to time.Time, step time.Duration) (Overview, error)
}

// ErrOverviewRange is matched by the error of CheckOverviewRange.
var ErrOverviewRange = errors.New("bad overview range")

// CheckOverviewRange validates an overview's range and step: from before
// to, step at least a second and at most MaxBuckets steps.
func CheckOverviewRange(from, to time.Time, step time.Duration) error {
	switch {
	case !from.Before(to):
		return fmt.Errorf("%w: from must be before to", ErrOverviewRange)
	case step < time.Second:
		return fmt.Errorf("%w: step must be at least 1s", ErrOverviewRange)
	case (to.Sub(from)+step-1)/step > MaxBuckets:
		return fmt.Errorf("%w: more than %d steps; use a longer step", ErrOverviewRange, MaxBuckets)
	}
	return nil
}

// OverviewBuilder sums events into an Overview. It is for stores that
// cannot aggregate in a query (MemoryStore) and for checking those that
// do: add each event of the range once, then call Build.
type OverviewBuilder struct {
	from, to time.Time
	step     time.Duration
	buckets  map[int64]map[string]int64
	actions  map[string]int64
	tops     [5]map[string]int64 // violations, detectors, clients, users, routes
}

// NewOverviewBuilder returns a builder for the range; the range must pass
// CheckOverviewRange.
func NewOverviewBuilder(from, to time.Time, step time.Duration) *OverviewBuilder {
	b := &OverviewBuilder{from: from, to: to, step: step, buckets: map[int64]map[string]int64{}, actions: map[string]int64{}}
	for i := range b.tops {
		b.tops[i] = map[string]int64{}
	}
	return b
}

// Add counts e when it is in the range.
func (b *OverviewBuilder) Add(e *Event) {
	if e.Time.Before(b.from) || !e.Time.Before(b.to) {
		return
	}
	i := int64(e.Time.Sub(b.from) / b.step)
	m := b.buckets[i]
	if m == nil {
		m = map[string]int64{}
		b.buckets[i] = m
	}
	m[e.Action]++
	b.actions[e.Action]++
	if !Stopped(e.Action) {
		return
	}
	if e.Abuse != nil {
		for _, d := range e.Abuse.Detectors {
			b.tops[0][d.Violation]++
			b.tops[1][d.Name]++
		}
	}
	b.tops[2][e.Client.IP]++
	if e.Client.User != "" {
		b.tops[3][e.Client.User]++
	}
	b.tops[4][e.Route]++
}

// AddBar adds n decisions of action to the bar of step i (from the start
// of the range), for a store that counts them itself.
func (b *OverviewBuilder) AddBar(i int64, action string, n int64) {
	if n == 0 {
		return
	}
	m := b.buckets[i]
	if m == nil {
		m = map[string]int64{}
		b.buckets[i] = m
	}
	m[action] += n
	b.actions[action] += n
}

// AddCount adds n to a line of the top lists, given as a rollup row's
// kind and keys (see KindDetector): a detector row counts for its
// violation type too. Kinds without a list (KindAction) are ignored.
func (b *OverviewBuilder) AddCount(kind, key, key2 string, n int64) {
	switch kind {
	case KindDetector:
		b.tops[0][key2] += n
		b.tops[1][key] += n
	case KindClient:
		b.tops[2][key] += n
	case KindUser:
		b.tops[3][key] += n
	case KindRoute:
		b.tops[4][key] += n
	}
}

// Build returns the Overview.
func (b *OverviewBuilder) Build() Overview {
	o := NewOverview(b.from, b.to, b.step)
	o.Actions = b.actions
	for i, m := range b.buckets {
		o.Buckets = append(o.Buckets, Bucket{Start: b.from.Add(time.Duration(i) * b.step).UTC(), Actions: m})
	}
	slices.SortFunc(o.Buckets, func(x, y Bucket) int { return x.Start.Compare(y.Start) })
	lists := []*[]Count{&o.Violations, &o.Detectors, &o.Clients, &o.Users, &o.Routes}
	for i, m := range b.tops {
		*lists[i] = TopOf(m)
	}
	return o
}

// NewOverview returns an empty Overview of the range, with every list
// non-nil (JSON [] and {}, not null).
func NewOverview(from, to time.Time, step time.Duration) Overview {
	return Overview{
		From: from.UTC(), To: to.UTC(), StepSec: int64(step / time.Second),
		Buckets: []Bucket{}, Actions: map[string]int64{},
		Violations: []Count{}, Detectors: []Count{}, Clients: []Count{}, Users: []Count{}, Routes: []Count{},
	}
}

// TopOf is TopCounts of a map of counts.
func TopOf(m map[string]int64) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Key: k, N: n})
	}
	return TopCounts(out)
}

// TopCounts sorts counts most first (ties by key) and keeps the first
// TopN; stores use it too, so every store orders ties alike.
func TopCounts(c []Count) []Count {
	slices.SortFunc(c, func(x, y Count) int {
		if x.N != y.N {
			return cmp.Compare(y.N, x.N)
		}
		return cmp.Compare(x.Key, y.Key)
	})
	if len(c) > TopN {
		c = c[:TopN]
	}
	return c
}

// Overview implements Overviewer by reading the ring.
func (m *MemoryStore) Overview(_ context.Context, from, to time.Time, step time.Duration) (Overview, error) {
	if err := CheckOverviewRange(from, to, step); err != nil {
		return Overview{}, err
	}
	b := NewOverviewBuilder(from, to, step)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.next
	if m.full {
		n = len(m.ring)
	}
	for i := range m.ring[:n] {
		b.Add(&m.ring[i])
	}
	return b.Build(), nil
}

var _ Overviewer = (*MemoryStore)(nil)
