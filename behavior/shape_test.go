package behavior

import (
	"strings"
	"testing"
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
