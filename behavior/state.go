package behavior

import (
	"encoding/binary"
	"net/netip"
)

// clientKey identifies a client: the user when known, else the IP. It is a
// comparable value, so lookups never allocate.
type clientKey struct {
	ip   netip.Addr
	user string
}

const (
	pathRing   = 16 // recent distinct path hashes (scanning)
	uaRing     = 8  // recent user-agent hashes (rotation)
	userRing   = 8  // usernames of recent failed logins from this client (uaRing and userRing fit a nibble each of ringPos)
	userIPRing = 8  // IPs of recent failures against one username
	idRing     = 24 // recent IDs per tracked route shape
	idTracks   = 2  // route shapes with IDs tracked per client
)

// idTrack is the head of the recent IDs a client asked for on one route
// shape; the entries are in client.rings. The head, with copies of the
// two newest IDs, is all that a request repeating its last ID reads.
type idTrack struct {
	shape  uint32
	used   uint32 // unix seconds of last use, for replacement
	n      uint8  // filled entries
	pos    uint8  // next slot
	fails  uint8  // answers >= 400 in a row on this shape (saturating), in the padding
	recent [2]uint32
}

// trackRef is a track's head and its entries.
type trackRef struct {
	*idTrack
	ring *[idRing]idEntry
}

// idEntry is one ID and when it was asked for; the two side by side, so
// that the newest entries share a cache line.
type idEntry struct {
	id  uint32
	sec uint32 // unix seconds (truncated)
}

// client is the fixed-size record kept per client. See TestClientMemory
// for its measured cost. The fields every request reads and writes come
// first, so that an ordinary request touches a few cache lines of the
// record, not all of them: state is cold when there are many clients.
// With the key ahead of it, what Findings reads of an ordinary request
// fills the record's first four cache lines (TestClientLayout).
type client struct {
	last    int64 // unix nanoseconds of the latest request
	n       uint32
	greyMin uint32 // unix minute of greyMask

	flood, elevated window
	total, errs     window
	notFound        window
	distinct        window
	uaNew           window
	payload         window

	burstStart int64
	burstShape uint32
	burstN     uint32
	greyMask   uint16 // GREY scenarios reported in greyMin
	pathPos    uint8
	ringPos    uint8 // the next slot of uas (low nibble) and of users (high nibble)
	scanBits   uint8 // scan.bits() as last observed: an upper bound of its bits now
	shownAny   bool  // shown is not empty: in the padding, so an ID request of a client never served a list reads no more lines
	// payloadSeen are the last two payload findings counted (see
	// Detector.countPayload), as 8-bit keyed hashes, 0 when empty: in
	// the padding before ids, so they cost nothing.
	payloadSeen [2]uint8
	ids         [idTracks]idTrack

	uas   [uaRing]uint32
	paths [pathRing]uint32

	// Read only for login attempts and sensitive paths.
	sensitive window
	loginFail window
	loginOK   window
	users     [userRing]uint32

	rings [idTracks][idRing]idEntry

	// Read only for clients that have asked for a missing path lately;
	// its 80 bytes round the table's node up to whole cache lines
	// (TestClientLayout).
	scan scanSketch

	// Read for ID requests of clients served a list, written from list
	// answers (see shownSketch): three more whole cache lines.
	shown shownSketch
}

// userRecord tracks failed logins against one username across IPs.
type userRecord struct {
	fails window
	ips   [userIPRing]uint32
	pos   uint8
}

func ringHas(r []uint32, h uint32) bool {
	for _, x := range r {
		if x == h {
			return true
		}
	}
	return false
}

func distinctNonZero(r []uint32) int {
	n := 0
	for i, x := range r {
		if x == 0 {
			continue
		}
		dup := false
		for _, y := range r[:i] {
			if y == x {
				dup = true
				break
			}
		}
		if !dup {
			n++
		}
	}
	return n
}

func ipHash(a netip.Addr) uint32 {
	// Two multiply-xorshift rounds over the address's two halves: as
	// well spread as FNV over 16 bytes at a fraction of the cost, which
	// matters because every request hashes its client.
	b := a.As16()
	x := binary.BigEndian.Uint64(b[:8])*0x9e3779b97f4a7c15 ^ binary.BigEndian.Uint64(b[8:])
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	h := uint32(x ^ x>>32)
	if h == 0 {
		h = 1
	}
	return h
}

// track returns the ID track for shape, if there is one.
func (c *client) track(shape uint32) (trackRef, bool) {
	for i := range c.ids {
		if c.ids[i].n > 0 && c.ids[i].shape == shape {
			return trackRef{&c.ids[i], &c.rings[i]}, true
		}
	}
	return trackRef{}, false
}

// trackForUpdate returns the ID track for shape, taking over the least
// recently used one when the shape is new.
func (c *client) trackForUpdate(shape uint32) trackRef {
	if t, ok := c.track(shape); ok {
		return t
	}
	old := 0
	for i := range c.ids {
		if c.ids[i].n == 0 {
			old = i
			break
		}
		if c.ids[i].used < c.ids[old].used {
			old = i
		}
	}
	// Entries past n are never read, so the ring need not be cleared.
	c.ids[old] = idTrack{shape: shape}
	return trackRef{&c.ids[old], &c.rings[old]}
}

func (t trackRef) add(id uint32, sec uint32) {
	t.ring[t.pos] = idEntry{id, sec}
	t.pos = (t.pos + 1) % idRing
	if t.n < idRing {
		t.n++
	}
	t.used = sec
	t.recent[1], t.recent[0] = t.recent[0], id
}

// newest returns the i-th newest entry (0 is the newest); i < t.n.
func (t trackRef) newest(i int) idEntry {
	j := int(t.pos) - 1 - i
	if j < 0 {
		j += idRing
	}
	return t.ring[j]
}

// last copies the last k (id, sec) pairs, oldest first, into ids/secs.
// It returns the count.
func (t trackRef) last(k int, ids, secs []uint32) int {
	n := min(int(t.n), k)
	j := int(t.pos) - n
	if j < 0 {
		j += idRing
	}
	for i := 0; i < n; i++ {
		e := t.ring[j]
		ids[i], secs[i] = e.id, e.sec
		if j++; j == idRing {
			j = 0
		}
	}
	return n
}
