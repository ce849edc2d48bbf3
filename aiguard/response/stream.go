package response

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/byteview"
	"github.com/warden-dev/warden/internal/redact"
)

// ErrCut is what a write returns once the guard has cut an answer and
// discarded maxAfterCut more bytes of it: the upstream may stop.
var ErrCut = errors.New("response guard: answer cut")

const (
	// lookBehind is the text kept after it was passed on, so that a
	// finding whose start went out in an earlier event is still seen
	// whole: a secret-named key before its value, a key's prefix.
	lookBehind = 256
	// maxHold bounds the text held back waiting for a secret to end; past
	// it the text is released (what was found redacted) so that an
	// endless token cannot stall the stream, and each event's scan reads
	// at most this much. A private key longer than that is redacted to
	// its END line all the same (writer.pemOpen).
	maxHold = 4 << 10
	// maxAfterCut is how much of a cut answer is read and dropped before
	// writes fail with ErrCut.
	maxAfterCut = 1 << 20
	// maxMessages bounds the findings reported per answer.
	maxMessages = 8
)

// Framings of an answer.
const (
	modeNew   = iota // no header yet
	modeSSE          // text/event-stream
	modeLines        // newline-delimited JSON
	modeJSON         // one JSON document, read whole
	modePass         // passed unchanged
	modeCut          // ended by the guard
)

// writer scans one answer. It is used by one handler goroutine.
type writer struct {
	w       http.ResponseWriter
	g       *Guard
	det     *detectors // the Guard's, or its monitor mode's
	monitor bool
	req     *abuse.Request
	mode    int

	status int    // held for a JSON answer
	in     []byte // the event or line being received, or the JSON document
	seen   int    // in[:seen] holds no event end

	held      []event // events passed on only once their text is safe
	text      []byte  // look-behind and held text
	base      int64   // offset in the answer's text of text[0]
	out       int64   // offset of the first text byte not yet passed on
	edits     []edit
	ms        []match
	segs      []seg
	spans     []strSpan
	buf       []byte        // what is passed on, written at the end of each Write
	heldBytes int           // bytes of the held events
	wrote     bool          // some of the answer was written
	own       []byte        // w.in's buffer when it is not the caller's
	joined    []byte        // the data of an event of several data lines
	ph        []placeholder // the user's values the request carried as placeholders
	phLen     int           // the longest name in ph
	shape     shape         // the last event's JSON around its text
	// cur is the payload of the event being queued: its place in the
	// event (ds), or the data joined from its lines (ds -1); unchecked
	// as in event.
	cur struct {
		d         []byte
		ds        int
		unchecked bool
	}

	reported [nKinds]int64 // start of the last finding reported per kind
	counts   [nKinds]int
	subs     [8]bool // redact.Kind of the secrets found
	acted    [nKinds]Action
	sim      similarity
	dropped  int
	finished bool
	pemOpen  bool // a private key is being redacted whose BEGIN left the look-behind
	fences   int  // markdown fences (```) in the text dropped from text
	ps       plainScan
}

// scanContext is how much text before what is held each scan reads
// besides the token running into it: a secret-named key and its
// separators ("client_secret": "), "Bearer ".
const scanContext = 80

// isScanChar reports whether c may be inside a secret, an address or a
// number that runs on into the held text.
func isScanChar(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '/' || c == '=' || c == '~' || c == '%' || c == '@'
}

// event is a held event: its bytes and where its text strings lie.
type event struct {
	raw  []byte
	segs []seg
	end  int64 // the answer's text offset where this event's text ends
	// The payload (the JSON) is raw[ds:de], or joined when the event
	// has several data lines (ds is -1). unchecked says its texts were
	// found by quickTexts: it was not read whole, and is before it is
	// rewritten.
	ds, de    int
	joined    []byte
	unchecked bool
}

// payload returns the event's JSON.
func (ev *event) payload() []byte {
	if ev.ds < 0 {
		return ev.joined
	}
	return ev.raw[ev.ds:ev.de]
}

// seg is one text string of an event: payload()[rs:re] are its contents
// in the event, [a, b) its place in the answer's text.
type seg struct {
	rs, re int
	a, b   int64
}

// edit is a finding to redact, by the answer's text offsets, or a
// placeholder to restore: rep, when set, replaces it instead of mark.
type edit struct {
	s, e   int64
	rep    []byte
	marked bool
}

// shape is the last event's JSON around its one text: a stream's events
// are mostly the same document with another text in it (a chunk's id,
// model and index repeat), so an event with the same bytes before and
// after its text string holds its text there and nowhere else.
type shape struct {
	before, after []byte
	// pre and post are the SSE event around the text, "data: " before
	// and after and the blank line: writer.shaped reads an event of one
	// data line by them. Empty when before or after holds a line end.
	pre, post []byte
}

// maxShape bounds the bytes a shape keeps.
const maxShape = 512

// texts returns the one text span of d when d has the shape; ok is false
// when it has not. For a d json.Valid accepts it finds what quickTexts
// finds: a valid document with the same bytes around a string as one
// whose only text is that string has that string as its only text.
func (sh *shape) texts(dst []strSpan, d []byte) ([]strSpan, bool) {
	n := len(sh.before)
	if n == 0 || len(d) < n+len(sh.after) || !bytes.Equal(d[:n], sh.before) {
		return dst, false
	}
	e := n
	for {
		x := bytes.IndexByte(d[e:], '"')
		if x < 0 {
			return dst, false
		}
		e += x
		if !escaped(d, e) {
			break
		}
		e++
	}
	if !bytes.Equal(d[e:], sh.after) {
		return dst, false
	}
	return append(dst, strSpan{start: n, end: e, esc: bytes.IndexByte(d[n:e], '\\') >= 0}), true
}

// learn keeps d's shape when d has one text, read by quickTexts or texts.
func (sh *shape) learn(d []byte, spans []strSpan, ok bool) {
	if !ok || len(spans) != 1 || len(d) > maxShape {
		return
	}
	s := spans[0]
	sh.before = append(sh.before[:0], d[:s.start]...)
	sh.after = append(sh.after[:0], d[s.end:]...)
	sh.pre, sh.post = sh.pre[:0], sh.post[:0]
	if !bytes.ContainsAny(d, "\r\n") {
		sh.pre = append(append(sh.pre, "data: "...), sh.before...)
		sh.post = append(append(sh.post, sh.after...), "\n\n"...)
	}
}

// Header returns the header map of the underlying writer.
func (w *writer) Header() http.Header { return w.w.Header() }

// Unwrap lets http.ResponseController reach the real writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.w }

// WriteHeader picks how to read the answer from its status and headers.
func (w *writer) WriteHeader(code int) {
	if w.mode != modeNew || code < 200 {
		if w.mode == modeNew && code >= 100 {
			w.w.WriteHeader(code) // 1xx: informational, the answer follows
			return
		}
		if w.mode != modeJSON {
			w.w.WriteHeader(code)
		}
		return
	}
	h := w.w.Header()
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	enc := h.Get("Content-Encoding")
	switch {
	case code < 200 || code > 299:
		w.mode = modePass
	case enc != "" && enc != "identity":
		w.mode = modePass
		w.g.unparsed.Add(1)
	case mt == "text/event-stream":
		w.mode = modeSSE
	case mt == "application/x-ndjson" || mt == "application/jsonl" || mt == "application/json-seq":
		w.mode = modeLines
	case mt == "application/json" || len(mt) > 5 && mt[len(mt)-5:] == "+json":
		w.mode = modeJSON
		w.status = code
		return
	default:
		w.mode = modePass
	}
	if w.mode == modeSSE || w.mode == modeLines {
		h.Del("Content-Length") // redaction changes the length
	}
	w.w.WriteHeader(code)
}

// Flush passes a flush on, except while a JSON answer is read whole.
func (w *writer) Flush() {
	if w.mode == modeNew {
		w.WriteHeader(http.StatusOK) // a flush sends the header: pick the framing first
	}
	if w.mode == modeJSON {
		return
	}
	_ = http.NewResponseController(w.w).Flush()
}

// Write reads b and writes on what is safe to pass.
func (w *writer) Write(b []byte) (int, error) {
	if w.mode == modeNew {
		w.WriteHeader(http.StatusOK)
	}
	switch w.mode {
	case modePass:
		return w.w.Write(b)
	case modeCut:
		if w.dropped += len(b); w.dropped > maxAfterCut {
			return 0, ErrCut
		}
		return len(b), nil
	case modeJSON:
		if len(w.in)+len(b) > w.g.cfg.MaxJSONBytes {
			w.g.unparsed.Add(1)
			w.mode = modePass
			w.w.WriteHeader(w.status)
			if _, err := w.w.Write(w.in); err != nil {
				return 0, err
			}
			w.in = nil
			return w.w.Write(b)
		}
		w.in = append(w.in, b...)
		return len(b), nil
	}
	// Most writes end on an event's end: read them in place and keep
	// only a partial event's bytes.
	borrowed := len(w.in) == 0
	if borrowed {
		w.in = b
	} else {
		w.in = append(w.in, b...)
	}
	err := w.events(borrowed)
	if ferr := w.flushOut(); err == nil {
		err = ferr
	}
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// events handles every complete event or line in w.in; borrowed says
// w.in is the caller's slice, which must be neither kept nor written.
func (w *writer) events(borrowed bool) error {
	start, skip := 0, 0
	if r := bytes.IndexByte(w.in[w.seen:], '\r'); r >= 0 {
		for i := w.seen + r; i+1 < len(w.in); i++ {
			if w.in[i] == '\r' && w.in[i+1] != '\n' {
				return w.giveUp(start) // bare CR line ends: not read
			}
		}
	}
	for i := w.seen; i < len(w.in); i++ {
		if i == start && skip > 0 {
			skip--
		} else if i == start && w.fastOK() {
			n, held, err := w.fast(start)
			if err != nil {
				return err
			}
			if held {
				// The text's end is held back from event to event (an
				// address being redacted): event reads the next ones.
				skip = 8
			}
			if start, i = n, n; i == len(w.in) {
				break
			}
		}
		if j := bytes.IndexByte(w.in[i:], '\n'); j < 0 {
			break
		} else {
			i += j
		}
		end := -1
		switch w.mode {
		case modeLines:
			end = i + 1
		case modeSSE:
			// An event ends with an empty line.
			if i > start && (w.in[i-1] == '\n' || w.in[i-1] == '\r' && i-1 > start && w.in[i-2] == '\n') {
				end = i + 1
			}
		}
		if end < 0 {
			continue
		}
		if end-start > w.g.cfg.MaxEventBytes {
			return w.giveUp(start)
		}
		if err := w.event(w.in[start:end]); err != nil {
			return err
		}
		if !w.wrote && len(w.buf) > 0 || len(w.buf) >= flushAt {
			// The answer's first bytes go out at once, not after the rest
			// of a large read is scanned; then in pieces of flushAt.
			first := !w.wrote
			w.wrote = true
			if err := w.flushOut(); err != nil {
				return err
			}
			if first {
				_ = http.NewResponseController(w.w).Flush()
			}
		}
		if w.mode != modeSSE && w.mode != modeLines {
			w.in = nil
			return nil // cut
		}
		start = end
	}
	if borrowed {
		w.own = append(w.own[:0], w.in[start:]...)
		w.in = w.own
	} else {
		n := copy(w.in, w.in[start:])
		w.in = w.in[:n]
	}
	n := len(w.in)
	w.seen = n
	if n > w.g.cfg.MaxEventBytes {
		return w.giveUp(0)
	}
	return nil
}

// fastOK reports whether the events that follow may be read by fast:
// the answer's start went out, nothing is held or open, and no finding
// was near the end of the text.
func (w *writer) fastOK() bool {
	return w.mode == modeSSE && w.wrote && !w.g.eventByEvent && len(w.held) == 0 && len(w.ph) == 0 && !w.pemOpen &&
		w.sim.p == nil && w.out == w.base+int64(len(w.text)) &&
		w.ps.lastHit < w.base+int64(w.window())
}

// fast passes on, as they came and in one piece, the events from
// w.in[start:] on that event would pass unchanged and at once, and
// returns where the first one it leaves to event starts; held says it
// stopped at an event whose text would be held back. It reads an event
// of the usual forms (an optional "event:" line, then "data: " and one
// JSON line) as event does when its text is plain: the text is added to
// the look-behind, and fast goes on only while the text is plain (so
// that nothing but the canary can be found), holds no canary and nothing
// at its end would be held back; else the event's text is taken back and
// event reads the event. An event whose text is escaped is left to
// event. In a read of many events (an upstream faster than its client,
// a proxy's buffer) the events are neither copied nor written one by one.
func (w *writer) fast(start int) (next int, held bool, err error) {
	pass := start
	for i := start; i < len(w.in); {
		sn, r := w.shaped(i)
		if i, pass = sn, sn; r == shapedHeld {
			held = true
			break
		}
		if r == shapedStop || i == len(w.in) {
			break
		}
		raw := w.in[i:]
		ds := 0
		if len(raw) > 6 && string(raw[:6]) == "event:" {
			j := bytes.IndexByte(raw, '\n')
			if j < 0 || raw[j-1] == '\r' {
				break
			}
			ds = j + 1
		}
		if len(raw) < ds+9 || string(raw[ds:ds+6]) != "data: " {
			break
		}
		ds += 6
		j := bytes.IndexByte(raw[ds:], '\n')
		if j < 0 || ds+j+1 >= len(raw) || raw[ds+j+1] != '\n' || j > 0 && raw[ds+j-1] == '\r' {
			break
		}
		n := ds + j + 2
		d := raw[ds : ds+j]
		if n > w.g.cfg.MaxEventBytes || len(d) == 0 || d[0] != '{' {
			break
		}
		spans, ok := w.shape.texts(w.spans[:0], d)
		if !ok {
			// As event reads it: the byte search, and the shape learnt.
			if spans, ok = quickTexts(spans[:0], d); !ok {
				w.spans = spans
				break
			}
			w.shape.learn(d, spans, ok)
		}
		w.spans = spans
		if len(spans) > 1 || len(spans) == 1 && spans[0].esc {
			break
		}
		from := len(w.text)
		if len(spans) == 1 {
			w.text = append(w.text, d[spans[0].start:spans[0].end]...)
		}
		ps := w.ps
		end := w.base + int64(len(w.text))
		var hold int64
		if len(spans) == 0 {
			hold = w.holdFrom()
		} else {
			ws := w.window()
			if !w.plain(ws) || w.canaryFrom(from, ws) {
				w.text, w.ps = w.text[:from], ps
				break
			}
			// holdFrom, on plain text, with no placeholders.
			hold = w.base + int64(ws+w.det.pending(w.text[ws:], true))
			if end-w.out > maxHold {
				hold = end
			}
		}
		if hold < end {
			w.text, w.ps = w.text[:from], ps
			held = true
			break
		}
		w.out = end
		w.trim()
		i += n
		pass = i
	}
	if pass == start {
		return start, held, nil
	}
	if err := w.flushOut(); err != nil {
		return start, held, err
	}
	_, err = w.w.Write(w.in[start:pass])
	return pass, held, err
}

// Results of writer.shaped.
const (
	shapedOther = iota // not the last event's shape: fast reads it the general way
	shapedPass         // passed on at once, to the end of the read
	shapedHeld         // its text's end would be held back
	shapedStop         // left to event: the canary is in it
)

// shaped reads, from w.in[i:] on, the events that are an optional
// "event:" line, "data: " and the last event's JSON with another plain
// text in it, and the blank line — most events of a stream — as fast
// reads them, each in one pass over its text: the text ends at its
// quote, is classified (plainScan.str) and added to the look-behind, and
// only its trailing word is checked for a start to hold back (wordHold);
// the bytes around the text are compared as one piece each. It returns
// where it stopped and why: shapedOther at an event it does not read so
// (an escape, a byte that makes the text not plain, another shape),
// which fast's general code reads; shapedHeld or shapedStop at an event
// fast stops at; shapedPass at the end of w.in. Nothing of the event it
// stops at is kept.
func (w *writer) shaped(i int) (next int, r int) {
	pre, post := w.shape.pre, w.shape.post
	if len(pre) == 0 {
		return i, shapedOther
	}
	if end := w.base + int64(len(w.text)); w.ps.done != end {
		// As plain would before reading the text; str reads only new
		// text, so the window must still be plain after.
		if w.ps.feed(w.text, w.base); !w.plain(w.window()) {
			return i, shapedOther
		}
	}
	in, maxEvent := w.in, w.g.cfg.MaxEventBytes
	// Unless the canary's first byte is near the text's end, or personal
	// data or HTML are held, only the trailing word is read for a start
	// to hold back (wordHold): in plain text nothing else can start a
	// finding that is held.
	c := w.det.canary
	canaryOn := len(c) > 0 && w.det.act[kCanary] != Off
	exact, keys := !w.det.onlyKeys, w.det.holds[kSecret]
	for i < len(in) {
		// Offsets in in: the event from i, its data line from ds, its
		// text from ts to its quote at e, its end at n.
		ds := i
		if in[i] == 'e' && len(in)-i > 6 && string(in[i:i+6]) == "event:" {
			j := bytes.IndexByte(in[i:], '\n')
			if j < 0 || in[i+j-1] == '\r' {
				return i, shapedOther
			}
			ds = i + j + 1
		}
		ts := ds + len(pre)
		if ts+len(post) > len(in) || string(in[ds:ts]) != string(pre) {
			return i, shapedOther
		}
		run, last := w.ps.run, w.ps.last
		e, word, joined, ok := w.ps.str(in[ts:])
		e += ts
		n := e + len(post)
		if !ok || n > len(in) || in[e] != '"' || string(in[e:n]) != string(post) || n-i > maxEvent {
			w.ps.run, w.ps.last = run, last
			return i, shapedOther
		}
		from := len(w.text)
		w.text = append(w.text, in[ts:e]...)
		end := w.base + int64(len(w.text))
		if word >= 0 {
			word += from
		}
		hold := end
		if exact || canaryOn && bytes.IndexByte(w.text[max(from-len(c)+1, 0):], c[0]) >= 0 {
			// Near the canary's first byte, or personal data or HTML held:
			// what fast's general code does.
			ws := w.window()
			if w.canaryFrom(from, ws) {
				w.text, w.ps.run, w.ps.last = w.text[:from], run, last
				return i, shapedStop
			}
			hold = w.base + int64(ws+w.det.pending(w.text[ws:], true))
		} else if keys && (word < 0 || joined || len(w.text)-word >= 3 && redact.MayStartSecret(byteview.String(w.text[word:]))) {
			// A key's shape may start at the word's start, or after a '_',
			// '-' or '.' in it, or the word runs on from the last text.
			hold = w.base + int64(w.wordHold(word))
		}
		if hold < end && end-w.out <= maxHold {
			w.text, w.ps.run, w.ps.last = w.text[:from], run, last
			return i, shapedHeld
		}
		w.ps.done, w.out = end, end
		if end-lookBehind-w.base >= trimAt {
			w.trim()
		}
		i = n
	}
	return i, shapedPass
}

// wordHold returns where a text plain in the window is held from for
// a key's prefix at its end (pending, on plain text): only its trailing
// word is read, which starts at text[word:] (-1: to be found), and lies
// in the window (a run of 12 token bytes is not plain).
func (w *writer) wordHold(word int) int {
	t := w.text
	k := word
	if k < 0 {
		for k = len(t); k > 0 && (isAlnum(t[k-1]) || t[k-1] == '_' || t[k-1] == '-' || t[k-1] == '.'); k-- {
		}
	}
	// Pending's test of the word, where a key's shape may start: at its
	// start and after each '_', '-' or '.'.
	s := byteview.String(t[k:])
	for i := 0; i+2 < len(s); i++ {
		if redact.MayStartSecret(s[i:]) {
			return k + w.det.names.Pending(s)
		}
		for i+3 < len(s) && isAlnum(s[i]) {
			i++
		}
	}
	return len(t)
}

// canaryFrom reports whether the canary is looked for and in the text
// from text[from:] on, or running into it, in the window from ws: what
// find would find.
func (w *writer) canaryFrom(from, ws int) bool {
	c := w.det.canary
	if len(c) == 0 || w.det.act[kCanary] == Off {
		return false
	}
	t := w.text[max(from-len(c)+1, ws):]
	// Most texts lack even its first byte; bytes.Index costs more to set up.
	return bytes.IndexByte(t, c[0]) >= 0 && bytes.Contains(t, c)
}

// giveUp passes the rest of the answer unchanged: what is held first,
// then w.in[start:].
func (w *writer) giveUp(start int) error {
	w.g.unparsed.Add(1)
	if err := w.release(true); err != nil || w.mode == modeCut {
		return err
	}
	w.mode = modePass
	_ = w.write(w.in[start:])
	w.in, w.seen = nil, 0
	return w.flushOut()
}

// data returns the payload of an event: the line (NDJSON), or the
// values of its data fields joined by "\n" as the SSE specification
// reads them. off is where the payload lies in raw, or -1 when it was
// joined from several lines into w.joined. ok is false when there is no
// data field.
func (w *writer) data(raw []byte) (d []byte, off int, ok bool) {
	if w.mode == modeLines {
		d = bytes.TrimRight(raw, "\r\n")
		return d, 0, len(d) > 0
	}
	// Most events are one "data: " line and the blank line.
	if n := len(raw); n > 8 && string(raw[:6]) == "data: " && raw[n-1] == '\n' && raw[n-2] == '\n' &&
		bytes.IndexByte(raw[6:n-2], '\n') < 0 && raw[n-3] != '\r' {
		return raw[6 : n-2], 6, true
	}
	lines := 0
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			j = len(raw) - i
		}
		line := raw[i : i+j]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if v, vo, isData := dataField(line); isData {
			switch lines++; lines {
			case 1:
				d, off = v, i+vo
			case 2:
				w.joined = append(append(append(w.joined[:0], d...), '\n'), v...)
				off = -1
			default:
				w.joined = append(append(w.joined, '\n'), v...)
			}
		}
		i += j + 1
	}
	if lines > 1 {
		d = w.joined
	}
	return d, off, lines > 0
}

// dataField returns the value of an SSE data line ("data: v", "data:v"
// or "data" alone) and where it starts; ok is false for another line.
func dataField(line []byte) (v []byte, off int, ok bool) {
	if len(line) < 4 || string(line[:4]) != "data" {
		return nil, 0, false
	}
	switch {
	case len(line) == 4:
		return line[4:], 4, true
	case line[4] != ':':
		return nil, 0, false // another field, "dataset: …"
	case len(line) > 5 && line[5] == ' ':
		return line[6:], 6, true
	}
	return line[5:], 5, true
}

// event handles one complete event (or line) raw, a slice of w.in.
func (w *writer) event(raw []byte) error {
	d, off, ok := w.data(raw)
	if !ok || len(d) == 0 || d[0] != '{' {
		// No text: [DONE], a comment, an event with no data. It keeps
		// its place after the held events; [DONE] ends the text.
		if ok && bytes.Equal(d, []byte("[DONE]")) {
			if err := w.release(true); err != nil {
				return err
			}
		}
		return w.queue(raw, nil)
	}
	w.segs = w.segs[:0]
	spans, quick := w.shape.texts(w.spans[:0], d)
	ok = quick
	if !quick {
		spans, quick = quickTexts(spans[:0], d)
		ok = quick
		if !quick {
			spans, ok = texts(spans[:0], d)
		}
		w.shape.learn(d, spans, ok)
	}
	w.spans = spans
	if !ok {
		w.g.unparsed.Add(1)
		if err := w.release(true); err != nil {
			return err
		}
		return w.queue(raw, nil)
	}
	for _, s := range spans {
		a := w.base + int64(len(w.text))
		if s.esc {
			w.text = unquote(w.text, d[s.start:s.end])
		} else {
			w.text = append(w.text, d[s.start:s.end]...)
		}
		w.segs = append(w.segs, seg{rs: s.start, re: s.end, a: a, b: w.base + int64(len(w.text))})
	}
	if len(w.segs) > 0 {
		if err := w.scan(int(w.segs[0].a-w.base), false); err != nil {
			return err
		}
		if w.mode == modeCut {
			return nil
		}
	}
	w.cur.d, w.cur.ds, w.cur.unchecked = d, off, quick
	return w.queue(raw, w.segs)
}

// queue adds an event after the held ones and passes on what is safe.
func (w *writer) queue(raw []byte, segs []seg) error {
	if w.mode == modeCut {
		return nil
	}
	end := w.base + int64(len(w.text))
	hold := w.holdFrom()
	if len(w.held) == 0 && end <= hold && !w.touched(segs) {
		// Nothing held and nothing to change: the event goes as it came.
		w.out = end
		w.trim()
		return w.write(raw)
	}
	ev := event{raw: append([]byte(nil), raw...), end: end}
	if len(segs) > 0 {
		ev.segs = append([]seg(nil), segs...)
		ev.unchecked, ev.ds, ev.de = w.cur.unchecked, w.cur.ds, w.cur.ds+len(w.cur.d)
		if ev.ds < 0 {
			ev.joined = append([]byte(nil), w.cur.d...)
		}
	}
	w.held = append(w.held, ev)
	w.heldBytes += len(ev.raw)
	// Events without text (pings) queue behind held text; an upstream
	// sending them on and on must not grow the queue without end.
	return w.release(len(w.held) > maxHeldEvents || w.heldBytes > w.g.cfg.MaxEventBytes)
}

// flushAt is the most bytes passed on that wait for the end of an
// upstream write.
const flushAt = 8 << 10

// maxHeldEvents bounds the events held back at once.
const maxHeldEvents = 1024

// window returns where in text what may hold a finding not yet passed
// on starts: the held text, and before it the token it may continue and
// a little context (a secret-named key, "Bearer ").
func (w *writer) window() int {
	ws := max(int(w.out-w.base)-scanContext, 0)
	for ws > 0 && isScanChar(w.text[ws-1]) {
		ws--
	}
	return ws
}

// plain reports whether text[ws:] is plain.
func (w *writer) plain(ws int) bool {
	w.ps.feed(w.text, w.base)
	return w.ps.plainFrom(w.base + int64(ws))
}

// holdFrom returns the answer's text offset from which text is held.
func (w *writer) holdFrom() int64 {
	ws := w.window()
	p := w.base + int64(ws+w.det.pending(w.text[ws:], w.plain(ws)))
	if len(w.ph) > 0 {
		p = min(p, w.base+int64(w.placeholderTail()))
	}
	end := w.base + int64(len(w.text))
	if end-w.out > maxHold {
		p = end
	}
	return p
}

// touched reports whether an edit falls in one of segs.
func (w *writer) touched(segs []seg) bool {
	for _, s := range segs {
		for _, e := range w.edits {
			if e.s < s.b && e.e > s.a {
				return true
			}
		}
	}
	return false
}

// release passes on the held events whose text is safe; all of them
// when all is set (the text ended).
func (w *writer) release(all bool) error {
	hold := w.base + int64(len(w.text))
	if !all {
		hold = w.holdFrom()
	} else if len(w.held) > 0 {
		// What was held waiting for more is judged as it is.
		if err := w.scan(len(w.text), true); err != nil || w.mode == modeCut {
			return err
		}
	}
	n := 0
	for ; n < len(w.held); n++ {
		ev := &w.held[n]
		if ev.end > hold {
			break
		}
		if err := w.write(w.rewrite(ev)); err != nil {
			return err
		}
		w.out = ev.end
	}
	if n > 0 {
		for i := range w.held[:n] {
			w.heldBytes -= len(w.held[i].raw)
		}
		clear(w.held[:n])
		w.held = append(w.held[:0], w.held[n:]...)
		w.trim()
	}
	if all {
		w.out = w.base + int64(len(w.text))
		w.trim()
	}
	return nil
}

// trimAt is how much text passed on and out of the look-behind
// collects before trim drops it.
const trimAt = 2 << 10

// trim drops the text passed on but the look-behind, and the edits that
// lie wholly in what is dropped.
func (w *writer) trim() {
	keep := w.out - lookBehind
	if keep-w.base < trimAt {
		return // dropped in pieces, not a few bytes each event
	}
	n := int(keep - w.base)
	// A fence that starts in what is dropped counts there, even when its
	// last backticks are kept.
	w.fences += bytes.Count(w.text[:min(n+2, len(w.text))], []byte("```"))
	copy(w.text, w.text[n:])
	w.text = w.text[:len(w.text)-n]
	w.base = keep
	k := 0
	for _, e := range w.edits {
		if e.e > keep {
			w.edits[k] = e
			k++
		}
	}
	w.edits = w.edits[:k]
}

// rewrite returns ev's bytes with the edits in its text applied.
func (w *writer) rewrite(ev *event) []byte {
	if !w.touched(ev.segs) {
		return ev.raw
	}
	pl := ev.payload()
	if ev.unchecked {
		var buf [4]strSpan
		if _, ok := texts(buf[:0], pl); !ok {
			// Not JSON after all: it passes as it came, as an event
			// that cannot be read does.
			w.g.unparsed.Add(1)
			return ev.raw
		}
	}
	var out []byte
	if ev.ds >= 0 {
		out = append(out, ev.raw[:ev.ds]...)
	}
	last := 0
	var buf []byte
	redacted := false
	for _, s := range ev.segs {
		out = append(out, pl[last:s.rs]...)
		buf = buf[:0]
		i := s.a
		for k := range w.edits {
			e := &w.edits[k]
			if e.e <= s.a || e.s >= s.b || e.e <= i {
				continue
			}
			if e.s > i {
				buf = append(buf, w.text[i-w.base:e.s-w.base]...)
			}
			if !e.marked {
				if e.rep != nil {
					buf = append(buf, e.rep...)
				} else {
					buf = append(buf, mark...)
					redacted = true
				}
				e.marked = true
			}
			i = max(i, min(e.e, s.b))
		}
		if i < s.b {
			buf = append(buf, w.text[i-w.base:s.b-w.base]...)
		}
		out = quote(out, buf)
		last = s.re
	}
	out = append(out, pl[last:]...)
	if redacted {
		w.g.redacted.Add(1)
	}
	if ev.ds >= 0 {
		return append(out, ev.raw[ev.de:]...)
	}
	return splitData(ev.raw, out)
}

// splitData returns the SSE event raw with its data lines' values
// replaced by the lines of d, in order. A rewrite keeps every line break
// of a JSON payload (they lie between tokens; a string's are escaped),
// so d has as many lines as raw has data lines.
func splitData(raw, d []byte) []byte {
	out := make([]byte, 0, len(raw)+len(d))
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			j = len(raw) - i
		}
		line := raw[i : i+j]
		end := raw[i+j : min(i+j+1, len(raw))]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line, end = line[:len(line)-1], raw[i+j-1:min(i+j+1, len(raw))]
		}
		if _, off, ok := dataField(line); ok {
			out = append(out, line[:off]...)
			k := bytes.IndexByte(d, '\n')
			if k < 0 {
				k = len(d)
			}
			out = append(out, d[:k]...)
			d = d[min(k+1, len(d)):]
		} else {
			out = append(out, line...)
		}
		out = append(out, end...)
		i += j + 1
	}
	return out
}

// write queues b for the client; flushOut writes what is queued in one
// piece, so that the events of one upstream read reach the client in one
// write (one chunk), as they would without the guard.
func (w *writer) write(b []byte) error {
	w.buf = append(w.buf, b...)
	return nil
}

func (w *writer) flushOut() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// scan looks for findings in the text, new text from text[from:].
// final says the text has ended: nothing found can grow.
func (w *writer) scan(from int, final bool) error {
	ws := w.window()
	quiet := w.plain(ws)
	fenceOpen := false
	if !quiet && w.det.act[kHTML] != Off {
		// Counted only when HTML is looked for: most events are plain.
		fenceOpen = w.fences%2 == 1 != (bytes.Count(w.text[:ws], []byte("```"))%2 == 1)
	}
	w.ms = w.det.find(w.ms[:0], w.text[ws:], fenceOpen, quiet, max(from-ws, 0))
	for i := range w.ms {
		w.ms[i].start += ws
		w.ms[i].end += ws
	}
	cut := int64(-1)
	var cutKind kind
	hold := int64(-1)
	for _, m := range w.ms {
		s, e := w.base+int64(m.start), w.base+int64(m.end)
		if e <= w.out {
			continue // passed on before; reported then
		}
		if !final && m.end == len(w.text) {
			// It may grow ("password=docu…" becoming an expression):
			// while it is held, judge it when it is complete.
			if hold < 0 {
				hold = w.holdFrom()
			}
			if s >= hold {
				continue
			}
		}
		w.report(m, s)
		switch w.det.act[m.k] {
		case Redact:
			w.addEdit(s, e, nil)
		case Cut:
			if cut < 0 || s < cut {
				cut, cutKind = s, m.k
			}
		}
	}
	w.continuePEM(from)
	if len(w.ph) > 0 {
		w.restore(from)
	}
	if w.sim.p != nil && w.sim.answer(w.text[from:]) && w.reported[kSystemPrompt] < 0 {
		w.report(match{k: kSystemPrompt}, w.base+int64(from))
		if w.det.act[kSystemPrompt] == Cut && cut < 0 {
			cut, cutKind = w.out, kSystemPrompt
		}
	}
	if cut >= 0 {
		return w.cutAt(cut, cutKind)
	}
	return nil
}

// continuePEM redacts the new text text[from:] while a private key
// whose start was released (past maxHold) runs on: its BEGIN line may
// have left the look-behind, so Find no longer sees it.
func (w *writer) continuePEM(from int) {
	open := false
	for _, m := range w.ms {
		if m.k == kSecret && m.sub == redact.KindPrivateKey && m.end == len(w.text) {
			open = true
		}
	}
	if w.pemOpen && !open && w.det.act[kSecret] == Redact {
		e := len(w.text)
		open = true
		if i := bytes.Index(w.text[from:], []byte("-----END")); i >= 0 {
			if j := bytes.Index(w.text[from+i+8:], []byte("-----")); j >= 0 {
				e, open = from+i+8+j+5, false
			}
		}
		w.addEdit(w.base+int64(from), w.base+int64(e), nil)
	}
	w.pemOpen = open
}

func (w *writer) report(m match, s int64) {
	if s <= w.reported[m.k] {
		return
	}
	w.reported[m.k] = s
	w.counts[m.k]++
	if int(m.sub) < len(w.subs) {
		w.subs[m.sub] = true
	}
	w.acted[m.k] = w.det.act[m.k]
	w.g.findings.Add(1)
}

// addEdit records [s, e) for redaction (rep nil) or replacement by rep,
// merged with an edit of the same finding seen before (it grew with
// more text); a redaction wins over a restored placeholder it overlaps.
func (w *writer) addEdit(s, e int64, rep []byte) {
	for k := range w.edits {
		x := &w.edits[k]
		if s < x.e && e > x.s {
			x.s, x.e = min(x.s, s), max(x.e, e)
			if rep == nil {
				x.rep = nil
			}
			return
		}
	}
	// Kept in order: rewrite walks them from the start of the text.
	i := len(w.edits)
	for i > 0 && w.edits[i-1].s > s {
		i--
	}
	w.edits = slices.Insert(w.edits, i, edit{s: s, e: e, rep: rep})
}

// cutAt passes on the held events whose text ends before at, then ends
// the answer with an error.
func (w *writer) cutAt(at int64, k kind) error {
	n := 0
	for ; n < len(w.held) && w.held[n].end <= at; n++ {
		if err := w.write(w.rewrite(&w.held[n])); err != nil {
			return err
		}
	}
	w.held, w.heldBytes = nil, 0
	prev := w.mode
	w.mode = modeCut
	w.g.cut.Add(1)
	body := fmt.Sprintf(`{"type":"error","error":{"type":"response_blocked","code":%q,"message":%q},"request_id":%q}`,
		k.violation(), cutMessage(k), w.req.ID)
	var err error
	switch {
	case prev == modeJSON:
		h := w.w.Header()
		h.Del("Content-Length")
		h.Set("Content-Type", "application/json")
		w.w.WriteHeader(http.StatusBadGateway)
		err = w.write([]byte(body + "\n"))
	case prev == modeSSE:
		err = w.write([]byte("event: error\ndata: " + body + "\n\n"))
	default:
		err = w.write([]byte(body + "\n"))
	}
	if ferr := w.flushOut(); err == nil {
		err = ferr
	}
	_ = http.NewResponseController(w.w).Flush()
	return err
}

func cutMessage(k kind) string {
	switch k {
	case kCanary, kSystemPrompt:
		return "the answer was stopped: it disclosed the system prompt"
	case kSecret:
		return "the answer was stopped: it disclosed a secret"
	case kHTML:
		return "the answer was stopped: it carried active HTML"
	}
	return "the answer was stopped: it disclosed personal data"
}

// FinishResponse writes what is held — all of a JSON answer, after
// reading it — and returns the answer's findings, one verdict per type.
func (w *writer) FinishResponse() []abuse.Verdict {
	if w.finished {
		return nil
	}
	w.finished = true
	switch w.mode {
	case modeSSE, modeLines:
		if len(w.in) > 0 {
			// A last event without its end: read as it is.
			_ = w.event(w.in)
			w.in = w.in[:0]
		}
		if w.mode != modeCut {
			_ = w.release(true)
		}
		_ = w.flushOut()
	case modeJSON:
		w.finishJSON()
	}
	return w.verdicts()
}

// finishJSON reads a JSON answer whole and writes it, redacted or
// replaced by a 502 when cut.
func (w *writer) finishJSON() {
	doc := w.in
	spans, ok := texts(w.spans[:0], doc)
	h := w.w.Header()
	if !ok {
		if len(bytes.TrimSpace(doc)) > 0 {
			w.g.unparsed.Add(1)
		}
		w.w.WriteHeader(w.status)
		_, _ = w.w.Write(doc)
		return
	}
	var out []byte
	last := 0
	changed := false
	for _, s := range spans {
		// Each string is a text of its own (choices, content blocks).
		w.text, w.base, w.out, w.edits, w.ps = w.text[:0], 0, 0, w.edits[:0], newPlainScan()
		if s.esc {
			w.text = unquote(w.text, doc[s.start:s.end])
		} else {
			w.text = append(w.text, doc[s.start:s.end]...)
		}
		if err := w.scan(0, true); err != nil || w.mode == modeCut {
			return
		}
		if len(w.edits) == 0 {
			continue
		}
		ev := event{raw: doc, ds: 0, de: len(doc), segs: []seg{{rs: s.start, re: s.end, a: 0, b: int64(len(w.text))}}}
		r := w.rewrite(&ev)
		// rewrite copied all of doc; keep only this string's part.
		out = append(out, doc[last:s.start]...)
		out = append(out, r[s.start:len(r)-(len(doc)-s.end)]...)
		last = s.end
		changed = true
	}
	if changed {
		out = append(out, doc[last:]...)
		doc = out
		h.Set("Content-Length", strconv.Itoa(len(doc)))
	}
	w.w.WriteHeader(w.status)
	_, _ = w.w.Write(doc)
}

// verdicts are the findings of the answer, one per type found.
func (w *writer) verdicts() []abuse.Verdict {
	var vs []abuse.Verdict
	for k := kind(0); k < nKinds; k++ {
		if w.counts[k] == 0 || len(vs) == maxMessages {
			continue
		}
		what := kindNames[k]
		if k == kSecret {
			what = ""
			for sub, ok := range w.subs {
				if ok && sub > 0 {
					if what != "" {
						what += ","
					}
					what += redactKindName(sub)
				}
			}
			what = "secret (" + what + ")"
		}
		done := string(w.acted[k])
		switch w.acted[k] {
		case Redact:
			done = "redacted"
		case Cut:
			done = "answer cut"
		case Log:
			done = "logged"
		}
		if w.monitor {
			done += " (monitor: would act as configured)"
		}
		conf := 0.8
		if k == kCanary || k == kSecret {
			conf = 1
		}
		vs = append(vs, abuse.Verdict{
			Detector:   "response",
			Confidence: conf,
			Violation:  k.violation(),
			Action:     abuse.Log,
			Messages:   []string{fmt.Sprintf("response: %s in the answer, %d found, %s", what, w.counts[k], done)},
		})
	}
	return vs
}

func redactKindName(k int) string { return redact.Kind(k).String() }
