package behavior

import (
	"testing"
	"unsafe"
)

func sizeofClient() uintptr { return unsafe.Sizeof(node[clientKey, client]{}) }

// TestClientLayout holds the client record to its cache-line layout: the
// table's node is whole cache lines (chunks of nodes are page aligned, so
// every node starts a line), and what Findings reads of an ordinary
// request, up to the ID tracks' heads, is in its first four lines. The
// node is no power of two in size, which would put every record's hot
// fields in the same few cache sets.
func TestClientLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the padding is for 64-bit platforms")
	}
	var n node[clientKey, client]
	if s := unsafe.Sizeof(n); s%64 != 0 {
		t.Errorf("node is %d bytes, not whole cache lines: adjust client's padding", s)
	}
	if s := unsafe.Sizeof(n); s&(s-1) == 0 {
		t.Errorf("node is %d bytes, a power of two: the records' hot fields would share a few cache sets", s)
	}
	hot := unsafe.Offsetof(n.val) + unsafe.Offsetof(n.val.ids) + unsafe.Sizeof(n.val.ids)
	if hot > 4*64 {
		t.Errorf("hot fields end at byte %d, past the fourth cache line", hot)
	}
}
