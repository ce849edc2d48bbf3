package eventlog_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

func TestPlanRollup(t *testing.T) {
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).UnixNano()
	m0 := eventlog.Minute(base)
	at := func(d time.Duration) int64 { return base + int64(d) }
	span := func(a, b time.Duration) eventlog.Span { return eventlog.Span{Lo: at(a), Hi: at(b)} }
	for _, tc := range []struct {
		name           string
		lo, hi         int64
		step           time.Duration
		lo0, hi0       int64 // minutes, from m0
		edges, split   []eventlog.Span
		hourLo, hourHi int64 // minutes, from m0
		hourEdges      []eventlog.Span
	}{
		{name: "whole hour in minutes", lo: at(0), hi: at(time.Hour), step: time.Minute,
			lo0: 0, hi0: 60, hourLo: 0, hourHi: 60},
		{name: "cut at both ends, steps cut minutes", lo: at(30 * time.Second), hi: at(time.Hour + 30*time.Second), step: 20 * time.Minute,
			lo0: 1, hi0: 60, edges: []eventlog.Span{span(30*time.Second, time.Minute), span(time.Hour, time.Hour+30*time.Second)},
			split:     []eventlog.Span{span(20*time.Minute, 21*time.Minute), span(40*time.Minute, 41*time.Minute)},
			hourEdges: []eventlog.Span{span(30*time.Second, time.Hour+30*time.Second)}},
		{name: "steps under a minute merge their minutes", lo: at(10 * time.Second), hi: at(3*time.Minute + 10*time.Second), step: 30 * time.Second,
			lo0: 1, hi0: 3, edges: []eventlog.Span{span(10*time.Second, time.Minute), span(3*time.Minute, 3*time.Minute+10*time.Second)},
			split:     []eventlog.Span{span(time.Minute, 3*time.Minute)},
			hourEdges: []eventlog.Span{span(10*time.Second, 3*time.Minute+10*time.Second)}},
		{name: "inside one minute", lo: at(5 * time.Second), hi: at(50 * time.Second), step: 5 * time.Second,
			edges: []eventlog.Span{span(5*time.Second, 50*time.Second)}, hourEdges: []eventlog.Span{span(5*time.Second, 50*time.Second)}},
		{name: "two hours cut", lo: at(-30 * time.Minute), hi: at(90 * time.Minute), step: 10 * time.Minute,
			lo0: -30, hi0: 90, hourLo: 0, hourHi: 60, hourEdges: []eventlog.Span{span(-30*time.Minute, 0), span(time.Hour, 90*time.Minute)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := eventlog.PlanRollup(tc.lo, tc.hi, tc.step)
			want := eventlog.RollupPlan{Edges: tc.edges, Split: tc.split, HourEdges: tc.hourEdges}
			if tc.hi0 > tc.lo0 {
				want.Lo, want.Hi = m0+tc.lo0, m0+tc.hi0
			}
			if tc.hourHi > tc.hourLo {
				want.HourLo, want.HourHi = m0+tc.hourLo, m0+tc.hourHi
			}
			if fmt.Sprint(p) != fmt.Sprint(want) {
				t.Errorf("plan\n got %+v\nwant %+v", p, want)
			}
		})
	}
	// Before 1970 the buckets still round down.
	if m := eventlog.Minute(-1); m != -1 {
		t.Errorf("Minute(-1) = %d, want -1", m)
	}
	if b := eventlog.RollupBucket(eventlog.KindClient, -1); b != -60 {
		t.Errorf("RollupBucket(client, -1) = %d, want -60", b)
	}
}
