package behavior

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// shapeOfSplit is shapeOf's path part written with strings.Split, the
// reference its loop must agree with.
func shapeOfSplit(method, path string) (uint32, uint64, bool) {
	h := hashString(hashString(fnvOffset, method), " ")
	if len(path) > maxPathScan {
		path = path[:maxPathScan]
	}
	var id uint64
	hasID := false
	for _, seg := range strings.Split(path, "/") {
		h = hashString(h, "/")
		if n, ok := parseID(seg); ok {
			h = hashString(h, "{id}")
			id, hasID = n, true
			continue
		}
		h = hashLower(h, seg)
	}
	return h, id, hasID
}

func FuzzShapeOf(f *testing.F) {
	for _, p := range []string{"", "/", "//", "/users/7/orders", "/a/12/", "users/3", "/A/B", "/1/2/3", strings.Repeat("/9", 600)} {
		f.Add("GET", p)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		h, id, ok, _ := shapeOf(method, path, "")
		wh, wid, wok := shapeOfSplit(method, path)
		if h != wh || id != wid || ok != wok {
			t.Fatalf("shapeOf(%q, %q) = %x %d %v, want %x %d %v", method, path, h, id, ok, wh, wid, wok)
		}
	})
}

// FuzzMayWalk: whenever mayWalk rules a walk out, the full check finds none.
func FuzzMayWalk(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint8(30), uint8(24))
	f.Add(uint64(7), uint8(1), uint8(2), uint8(5))
	d := newDet(f, nil)
	f.Fuzz(func(t *testing.T, seed uint64, step, gap, fill uint8) {
		rng := rand.New(rand.NewPCG(seed, 3))
		var c client
		tr := c.trackForUpdate(1)
		id, sec := uint32(rng.IntN(1000)), uint32(1_800_000_000)
		next := func() {
			switch rng.IntN(4) {
			case 0: // repeat
			case 1:
				id += uint32(rng.IntN(int(step%8) + 1))
			case 2:
				id -= uint32(rng.IntN(int(step%8) + 1))
			default:
				id = uint32(rng.IntN(int(step)*4 + 1))
			}
			sec += uint32(rng.IntN(int(gap%64) + 1))
		}
		for range int(fill % (idRing + 4)) {
			next()
			tr.add(id, sec)
		}
		if tr.n < 2 {
			return
		}
		next()
		ri := &reqInfo{id: uint64(id), sec: sec, hasID: true}
		r := &abuse.Request{Method: "GET", Path: "/x/1"}
		if !d.mayWalk(tr, ri) {
			if fs := d.walks(tr, ri, r, nil); len(fs) > 0 {
				t.Fatalf("mayWalk ruled out %v; track %+v %v pending %d@%d", fs, *tr.idTrack, *tr.ring, id, sec)
			}
		}
	})
}
