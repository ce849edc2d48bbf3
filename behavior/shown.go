package behavior

import (
	"bytes"
	"compress/gzip"
	"math/bits"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/warden-dev/warden/abuse"
)

// Enumeration is walking object IDs the client was never shown (OWASP
// API1, broken object-level authorisation); a browser page that lists 50
// posts and then loads each one's comments and author walks IDs too, but
// IDs the list just served it. So the detector remembers, per client, the
// IDs its list pages answered with, and those are not steps of a walk:
//
//   - WrapResponse reads the first shownScanMax bytes of the upstream's
//     answer to a list route (a GET whose path has no ID, such as
//     /posts?page=2 or /search?q=x) when it is JSON (the values of keys
//     "id", "userId", "user_id", …) or HTML (numeric segments of href and
//     src paths), gzip included. It never holds the body: the IDs go into
//     a fixed array of the pooled wrapper.
//   - Observe adds them to the client's shownSketch, 128 bytes in the
//     client record.
//   - An ID request whose ID the client was shown, answered below 400, is
//     not added to the route's ID track, and the walk checks skip it. An
//     ID shown but answered 403 or 404 still counts: walking IDs that fail
//     is the enumerator's mark, shown or not.
//
// A scan of at most shownScanMax bytes per list answer is the bound on the
// work; only list routes are read, so an item's own answer (the comment IDs
// of /posts/3/comments) cannot push the page's IDs out of the sketch.

// shownScanMax is how much of a list answer is read for IDs: a page of 50
// items of a few hundred bytes each.
const shownScanMax = 64 << 10

// shownPerAnswer caps the distinct IDs taken from one answer: a page of
// 50 items, their authors and a margin.
const shownPerAnswer = 128

// shownGzipMax bounds the compressed bytes kept to decompress a gzip
// answer (compressed JSON is several times smaller than shownScanMax).
const shownGzipMax = 16 << 10

// shownM is the bits of a generation of shownSketch.
const shownM = 768

// shownRotate is the set bits at which a generation of shownSketch is
// full: with 3 bits per ID, 288 of 768 bits set is about 117 IDs and a
// 5 % false-positive rate per generation.
const shownRotate = 288

// shownSketch is the set of IDs a client was recently shown: two Bloom
// filters of shownM bits, three keyed bits per ID. IDs go into cur; when
// cur is full (shownRotate bits) it becomes prev and a new cur starts, so
// the sketch holds the last 117 to 234 distinct IDs (a page of 50 items
// and 50 authors, and the page before) and its false positives stay under
// 10 % whatever a client is served. A false positive only exempts one
// request from the walk checks. 192 bytes, which also keeps the client
// record off a power-of-two size (1,088 bytes: with 1,024, every
// record's hot fields fell in the same few cache sets and the detector
// ran 1.5 times slower); no allocation; the zero value is empty.
type shownSketch struct {
	cur, prev [shownM / 64]uint64
}

func shownBits(id uint32, key uint64) (a, b, c uint32) {
	x := (uint64(id) ^ key) * 0x9e3779b97f4a7c15
	x ^= x >> 29
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 32
	// three 21-bit parts of x, each scaled to [0, shownM)
	return uint32((x & 0x1fffff) * shownM >> 21), uint32((x >> 21 & 0x1fffff) * shownM >> 21), uint32((x >> 42 & 0x1fffff) * shownM >> 21)
}

func bloomHas(f *[shownM / 64]uint64, a, b, c uint32) bool {
	return f[a>>6]&(1<<(a&63)) != 0 && f[b>>6]&(1<<(b&63)) != 0 && f[c>>6]&(1<<(c&63)) != 0
}

// has reports whether id was (probably) shown.
func (s *shownSketch) has(id uint32, key uint64) bool {
	a, b, c := shownBits(id, key)
	return bloomHas(&s.cur, a, b, c) || bloomHas(&s.prev, a, b, c)
}

// add records id as shown.
func (s *shownSketch) add(id uint32, key uint64) {
	a, b, c := shownBits(id, key)
	if bloomHas(&s.cur, a, b, c) {
		return
	}
	s.cur[a>>6] |= 1 << (a & 63)
	s.cur[b>>6] |= 1 << (b & 63)
	s.cur[c>>6] |= 1 << (c & 63)
	n := 0
	for _, w := range s.cur {
		n += bits.OnesCount64(w)
	}
	if n >= shownRotate {
		s.prev, s.cur = s.cur, [shownM / 64]uint64{}
	}
}

// Content kinds of a list answer.
const (
	kindNone uint8 = iota
	kindJSON
	kindHTML
)

// shownTail is how much of one write is kept to find an ID that a write
// boundary cuts: a key of up to 48 bytes, its quotes, colon and number.
const shownTail = 80

// idScanner finds the IDs an answer shows, fed the body in pieces. Each
// piece is scanned on its own and joined to the end of the previous one,
// so an ID across two writes is found; one found twice is kept once.
type idScanner struct {
	kind    uint8
	full    bool // shownPerAnswer IDs or shownScanMax bytes: stop
	scanned int
	tailN   int
	tail    [shownTail]byte
	n       int
	ids     [shownPerAnswer]uint32
}

func (s *idScanner) reset(kind uint8) {
	s.kind, s.full, s.scanned, s.tailN, s.n = kind, false, 0, 0, 0
}

// feed scans p, the next bytes of the body.
func (s *idScanner) feed(p []byte) {
	if s.full || len(p) == 0 {
		return
	}
	if rest := shownScanMax - s.scanned; len(p) > rest {
		p = p[:rest]
	}
	s.scanned += len(p)
	if s.tailN > 0 {
		var j [2 * shownTail]byte
		k := copy(j[:], s.tail[:s.tailN])
		k += copy(j[k:], p[:min(len(p), shownTail)])
		s.scan(j[:k])
	}
	s.scan(p)
	if len(p) >= shownTail {
		s.tailN = copy(s.tail[:], p[len(p)-shownTail:])
	} else {
		keep := min(s.tailN, shownTail-len(p))
		copy(s.tail[:], s.tail[s.tailN-keep:s.tailN])
		s.tailN = keep + copy(s.tail[keep:], p)
	}
	if s.scanned >= shownScanMax {
		s.full = true
	}
}

func (s *idScanner) scan(b []byte) {
	if s.kind == kindJSON {
		s.scanJSON(b)
	} else {
		s.scanHTML(b)
	}
}

func (s *idScanner) put(id uint64) {
	v := uint32(id)
	for _, x := range s.ids[:s.n] {
		if x == v {
			return
		}
	}
	s.ids[s.n] = v
	s.n++
	if s.n == len(s.ids) {
		s.full = true
	}
}

// scanJSON finds "key": 12 and "key": "12" where key names an ID. Only
// structure counts: a value that quotes such text is escaped (\"id\":12),
// so a search that echoes its query cannot make an ID look shown.
func (s *idScanner) scanJSON(b []byte) {
	for i := 0; !s.full; i++ {
		j := bytes.IndexByte(b[i:], ':')
		if j < 0 {
			return
		}
		i += j
		if !idKeyBefore(b[:i]) {
			continue
		}
		if id, ok := numberAfter(b[i+1:]); ok {
			s.put(id)
		}
	}
}

// idKeyBefore reports whether b ends with a JSON key naming an ID,
// spaces allowed before the colon.
func idKeyBefore(b []byte) bool {
	e := len(b)
	for e > 0 && (b[e-1] == ' ' || b[e-1] == '\t' || b[e-1] == '\n' || b[e-1] == '\r') {
		e--
	}
	if e < 2 || b[e-1] != '"' || (e >= 2 && b[e-2] == '\\') {
		return false
	}
	st := e - 1
	for st > 0 && e-1-st <= 48 && b[st-1] != '"' {
		st--
	}
	if st == 0 || b[st-1] != '"' || (st >= 2 && b[st-2] == '\\') {
		return false
	}
	return idKey(b[st : e-1])
}

// idKey reports whether k names an ID: id, ID, userId, authorID,
// user_id, post-id; not words that end in "id" (paid, valid).
func idKey(k []byte) bool {
	n := len(k)
	switch {
	case n < 2:
		return false
	case n == 2:
		return (k[0] == 'i' || k[0] == 'I') && (k[1] == 'd' || k[1] == 'D')
	case k[n-2] == 'I' && (k[n-1] == 'd' || k[n-1] == 'D'):
		return true
	case k[n-2] == 'i' && k[n-1] == 'd':
		return k[n-3] == '_' || k[n-3] == '-'
	}
	return false
}

// numberAfter parses the number that b starts with, spaces and one quote
// allowed before it: a decimal ID of 1..18 digits, ended by neither a
// digit nor a dot.
func numberAfter(b []byte) (uint64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	quoted := i < len(b) && b[i] == '"'
	if quoted {
		i++
	}
	st := i
	var n uint64
	for i < len(b) && i-st <= 18 && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	if i == st || i-st > 18 || i == len(b) {
		return 0, false // no digits, too long, or cut short: the next write's join sees it whole
	}
	if c := b[i]; c == '.' || c == 'e' || c == 'E' || (quoted && c != '"') {
		return 0, false
	}
	return n, true
}

// scanHTML finds the numeric path segments of href="…" and src="…"
// values, up to the query: links to /posts/12 show post 12.
func (s *idScanner) scanHTML(b []byte) {
	for i := 0; !s.full; {
		j := bytes.Index(b[i:], []byte(`="/`))
		if j < 0 {
			return
		}
		i += j + 2
		if !(bytes.HasSuffix(b[:i-2], []byte("href")) || bytes.HasSuffix(b[:i-2], []byte("src"))) {
			continue
		}
		end := i
		for end < len(b) && end-i < 512 && b[end] != '"' && b[end] != '?' && b[end] != '#' {
			end++
		}
		if end == len(b) {
			return // cut short: the next write's join sees it whole
		}
		for seg := range bytes.SplitSeq(b[i:end], []byte("/")) {
			if id, ok := parseID(string(seg)); ok { // no allocation: the conversion does not escape
				s.put(id)
			}
		}
		i = end
	}
}

// respScan is the ResponseWriter WrapResponse returns for a list route:
// it passes everything through and feeds the body to an idScanner, or
// keeps up to shownGzipMax bytes of a gzip body for Observe to read.
type respScan struct {
	http.ResponseWriter
	d      *Detector
	wrote  bool
	gzip   bool
	on     bool
	gzBuf  []byte
	idScan idScanner
}

func (w *respScan) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.start(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respScan) Write(p []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		w.start(http.StatusOK)
	}
	if w.on {
		if w.gzip {
			if room := shownGzipMax - len(w.gzBuf); room > 0 {
				w.gzBuf = append(w.gzBuf, p[:min(len(p), room)]...)
			}
		} else {
			w.idScan.feed(p)
		}
	}
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher for streamed answers.
func (w *respScan) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *respScan) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// start decides from the status and headers whether the body is read.
func (w *respScan) start(code int) {
	if code != http.StatusOK {
		return
	}
	h := w.ResponseWriter.Header()
	kind := contentKind(h.Get("Content-Type"))
	if kind == kindNone {
		return
	}
	switch enc := h.Get("Content-Encoding"); {
	case enc == "" || strings.EqualFold(enc, "identity"):
	case strings.EqualFold(enc, "gzip"):
		w.gzip = true
	default:
		return // br, zstd, deflate: not read (the walk checks apply as without the sketch)
	}
	w.on = true
	w.idScan.reset(kind)
}

func contentKind(ct string) uint8 {
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
		return kindNone
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return kindJSON
	case mt == "text/html":
		return kindHTML
	}
	return kindNone
}

// ids returns the IDs the answer showed, decompressing a gzip body first.
func (w *respScan) ids() []uint32 {
	if !w.on {
		return nil
	}
	if w.gzip && len(w.gzBuf) > 0 {
		w.d.gunzip(w.gzBuf, &w.idScan)
	}
	return w.idScan.ids[:w.idScan.n]
}

// gunzip feeds the decompressed start of a gzip body, possibly cut short,
// to s.
func (d *Detector) gunzip(b []byte, s *idScanner) {
	zr, _ := d.gzPool.Get().(*gzip.Reader)
	src := bytes.NewReader(b)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(src)
	} else {
		err = zr.Reset(src)
	}
	if err != nil {
		return
	}
	defer d.gzPool.Put(zr)
	var buf [4096]byte
	for !s.full {
		n, err := zr.Read(buf[:])
		s.feed(buf[:n])
		if err != nil { // io.EOF, or a body cut at shownGzipMax: the part read counts
			return
		}
	}
}

// listRoute reports whether r may be a list route, cheaply: a GET whose
// last path segment is neither a file nor a number (the item pages most
// requests are). Other IDs (UUIDs, hashes) need the classification.
func listRoute(r *abuse.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	last := r.Path[strings.LastIndexByte(r.Path, '/')+1:]
	digits := last != ""
	for i := 0; i < len(last); i++ {
		switch c := last[i]; {
		case c == '.':
			return false
		case c < '0' || c > '9':
			digits = false
		}
	}
	return !digits
}

// WrapResponse returns a writer that reads the IDs of the answer to a
// list route (see shownSketch); other requests get w back unchanged.
// Observe, after the response ended, adds the IDs to the client's sketch.
func (d *Detector) WrapResponse(w http.ResponseWriter, r *abuse.Request) http.ResponseWriter {
	if !d.cfg.Enabled || d.w[sIDEnumeration] <= 0 || !listRoute(r) {
		return w
	}
	k := keyOf(r.Client)
	sh := &d.shard[k.shard()]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	p := sh.find(r, k)
	if p == nil || p.info.hasID || p.info.static || len(sh.resp) >= maxRespPending {
		return w
	}
	rs, _ := d.respPool.Get().(*respScan)
	if rs == nil {
		rs = &respScan{d: d}
	}
	rs.ResponseWriter = w
	if sh.resp == nil {
		sh.resp = make(map[*abuse.Request]*respScan)
	}
	sh.resp[r] = rs
	return rs
}

// maxRespPending bounds the list answers a shard reads at once: a client
// that opens many and never lets them end cannot grow the map.
const maxRespPending = 256

// takeRespLocked removes and returns r's wrapper; sh.mu is held.
func (sh *shard) takeRespLocked(r *abuse.Request) *respScan {
	if len(sh.resp) == 0 {
		return nil
	}
	rs, ok := sh.resp[r]
	if !ok {
		return nil
	}
	delete(sh.resp, r)
	return rs
}

// putResp returns rs to the pool.
func (d *Detector) putResp(rs *respScan) {
	*rs = respScan{d: d, gzBuf: rs.gzBuf[:0]}
	d.respPool.Put(rs)
}

// shownPools are the Detector's pools of wrappers and gzip readers.
type shownPools struct {
	respPool sync.Pool
	gzPool   sync.Pool
}

// addShown adds the IDs rs read to the sketch of the client k, unless the
// client was evicted meanwhile, and returns rs to the pool. The gzip body
// is decompressed before the lock is taken.
func (d *Detector) addShown(k clientKey, rs *respScan) {
	ids := rs.ids()
	if len(ids) > 0 {
		sh := &d.shard[k.shard()]
		sh.mu.Lock()
		if n := sh.m.peekNode(k); n != nil {
			for _, id := range ids {
				n.val.shown.add(id, d.shownKey)
			}
			n.val.shownAny = true
		}
		sh.mu.Unlock()
	}
	d.putResp(rs)
}

// observeID records the answer to an ID request in its route's track: an
// ID the client was shown and that was answered is no step of a walk, so
// it is left out; one refused or missing counts, shown or not.
func (d *Detector) observeID(c *client, ri *reqInfo, status int) {
	failed := status >= 400
	if !failed && c.shownAny && c.shown.has(uint32(ri.id), d.shownKey) {
		if tr, ok := c.track(ri.shape); ok {
			tr.fails = 0
		}
		return
	}
	tr := c.trackForUpdate(ri.shape)
	tr.add(uint32(ri.id), ri.sec)
	switch {
	case !failed:
		tr.fails = 0
	case tr.fails < 255:
		tr.fails++
	}
}
