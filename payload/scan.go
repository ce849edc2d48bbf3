package payload

import (
	"bytes"
	"hash/maphash"
	"strconv"
	"unsafe"

	li "github.com/corazawaf/libinjection-go"

	"github.com/warden-dev/warden/internal/redact"
	"github.com/warden-dev/warden/payload/internal/decode"
)

// maxLibinjection bounds how much of a value libinjection reads.
const maxLibinjection = 8 << 10

// maxExcerpt bounds the payload bytes quoted in a message.
const maxExcerpt = 48

// scan is the per-request working state. It is pooled by the Detector and
// reset between requests; nothing in it outlives Detect.
type scan struct {
	d       *Detector
	dec     decode.Decoder
	tbuf    []byte        // transport-decoded value
	cbuf    []byte        // SQL comments stripped
	bbuf    []byte        // base64 decoded
	b64in   []byte        // base64 candidate with '+' restored
	shbuf   []byte        // shell quoting removed
	xbuf    []byte        // text with its code blanked (maskCode)
	nbuf    []byte        // decoded name
	others  []headerEntry // headers set aside by the OtherHeaders walk
	toks    []token
	sigW    []float32
	touched []int32
	best    [numClasses]evidence
	values  int
	loc     string               // location of the value being scanned ("query", "json", …)
	name    []byte               // its name, when it has one
	kind    Kind                 // what the value being scanned looks like
	inName  bool                 // the value being scanned is the name itself
	seen    [seenSlots]uint64    // hashes of short values already inspected in this request
	signals int                  // calls to signal that counted, to tell a clean value
	repeats int                  // values skipped as repeats, to tell an inspected value
	seenAt  [seenSlots / 2]uint8 // the slots in use, to clear only those
	nseen   int
	fields  fieldState // field paths and exclusions (exclusions.go)

	incomplete incompleteness // what the inspection could not reach (incomplete.go)
	names      nameMemo       // secret-bearing names matched last (secretName)
	upload     bool           // the walk of a multipart body ended in a file's content
}

// seenSlots is the size of the table of short values already inspected
// in a request: JSON keys, enum values and tags repeat in every element
// of an array, and a signal counts once per request, so inspecting a
// repeat finds nothing new.
const (
	seenSlots    = 256
	maxSeenValue = 256 // longer values are hashed no more
	repeatAfter  = 8   // values inspected before repeats are looked for
)

// repeat reports whether v was already inspected at the same kind of
// location in this request, and remembers it otherwise. The hash is
// seeded per Detector, so a client cannot aim for a collision.
func (s *scan) repeat(v []byte) bool {
	if s.values <= repeatAfter || len(v) > maxSeenValue || s.nseen >= seenSlots/2 {
		// Small requests repeat little: hashing would cost more than it
		// saves.
		return false
	}
	// Locations are constant strings: their address tells them apart.
	h := maphash.Bytes(s.d.seed, v) ^ uint64(uintptr(unsafe.Pointer(unsafe.StringData(s.loc))))*0x9e3779b97f4a7c15
	// A value with classes excluded stands in only for its repeats with
	// the same classes excluded.
	h ^= uint64(s.fields.skip) << 32
	h |= 1 // 0 marks an empty slot
	for i, n := int(h%seenSlots), 0; n < 8; i, n = (i+1)%seenSlots, n+1 {
		switch s.seen[i] {
		case h:
			s.repeats++
			return true
		case 0:
			s.seen[i] = h
			s.seenAt[s.nseen] = uint8(i)
			s.nseen++
			return false
		}
	}
	return false
}

// evidence is the strongest signal seen for one class.
type evidence struct {
	w       float32
	sig     int32
	loc     string
	name    string
	kind    Kind
	excerpt string
}

func (s *scan) reset() {
	if len(s.touched) > 0 {
		// best only changes with a signal, which touches one.
		for _, id := range s.touched {
			s.sigW[id] = 0
		}
		s.touched = s.touched[:0]
		s.best = [numClasses]evidence{}
	}
	s.values = 0
	s.incomplete, s.upload = 0, false
	s.names.n = [len(s.names.n)]uint8{}
	s.signals = 0
	s.repeats = 0
	s.loc, s.name = "", nil
	for _, i := range s.seenAt[:s.nseen] {
		s.seen[i] = 0
	}
	s.nseen = 0
	s.fields.reset()
	// Do not keep a huge buffer from one large request in the pool, nor
	// the header values the walk set aside.
	trimBuf(&s.tbuf)
	trimBuf(&s.cbuf)
	trimBuf(&s.bbuf)
	trimBuf(&s.b64in)
	trimBuf(&s.shbuf)
	trimBuf(&s.xbuf)
	trimBuf(&s.nbuf)
	if cap(s.others) > maxPooledHeaders {
		s.others = nil
	} else {
		clear(s.others) // the walk set s.others to what it used
		s.others = s.others[:0]
	}
	s.dec.Trim(maxPooledBuf)
}

func trimBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		*b = nil
	}
}

// maxPooledHeaders is the most entries of scan.others kept between
// requests.
const maxPooledHeaders = 64

// maxPooledBuf is the largest scratch buffer kept between requests.
const maxPooledBuf = 64 << 10

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// unsafeBytes views s as bytes without copying. The scanner only reads
// the values it is given, never writes them.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// signal records signal id for class c with weight w found in v at pos.
func (s *scan) signal(id int, c class, w float64, v []byte, pos int) {
	if w <= 0 || s.d.disabled[c] || s.fields.skip&(1<<c) != 0 {
		return
	}
	s.signals++
	if c == cTraversal && s.loc == "path" {
		// A request path that names a secret file is a probe.
		w *= 1.35
	}
	if w > 0.99 {
		w = 0.99
	}
	fw := float32(w)
	if s.sigW[id] == 0 {
		s.touched = append(s.touched, int32(id))
	}
	if fw <= s.sigW[id] {
		return
	}
	s.sigW[id] = fw
	if fw > s.best[c].w {
		e := evidence{w: fw, sig: int32(id), loc: s.loc, kind: s.kind, name: redact.Window(s.name, 0, 32), excerpt: redact.Mark}
		if !s.secretValue() {
			e.excerpt = redact.Window(v, pos, maxExcerpt)
		}
		s.best[c] = e
	}
}

// secretText reports whether the value at the current location is a
// secret that an application takes as a string: a field of a query, form,
// multipart or JSON body named for one (see inspectSecret).
func (s *scan) secretText() bool {
	if s.inName {
		return false
	}
	switch s.loc {
	case "query", "form", "multipart", "json":
		return s.secretName(s.name)
	}
	return false
}

// secretName is s.d.secrets.MatchBytes(name), remembered for the names
// of the request: the keys of a JSON array's objects and a form's fields
// come back with every element, and matching a name costs more than the
// checks most of its values need. The memo is direct-mapped by the name's
// length and end bytes, so a lookup is one comparison.
func (s *scan) secretName(name []byte) bool {
	m := &s.names
	n := len(name)
	if n == 0 || n > len(m.name[0]) {
		return s.d.secrets.MatchBytes(name)
	}
	i := (uint(n)*31 + uint(name[0]) + uint(name[n-1])*7) % uint(len(m.n))
	if int(m.n[i]) == n && string(m.name[i][:n]) == string(name) {
		return m.secret&(1<<i) != 0
	}
	secret := s.d.secrets.MatchBytes(name)
	m.n[i] = uint8(n)
	copy(m.name[i][:], name)
	if secret {
		m.secret |= 1 << i
	} else {
		m.secret &^= 1 << i
	}
	return secret
}

// nameMemo holds the names secretName matched.
type nameMemo struct {
	n      [16]uint8 // lengths; 0 for an empty slot
	name   [16][24]byte
	secret uint16 // bit i: name i is a secret's
}

// secretValue reports whether the value at the current location (not a
// name being inspected) is a secret by its name: a field named for one (password, token, api_key,
// Authorization, …) or any cookie, which holds a session when it holds
// anything.
func (s *scan) secretValue() bool {
	return !s.inName && (s.loc == "cookie" || s.secretName(s.name))
}

// value inspects one value (or name) at the current location. v is the
// value after the transport's own decoding (form / query unescaping, JSON
// string unescaping), so a literal "%27" in it is a second encoding layer.
func (s *scan) value(v []byte) {
	if len(v) == 0 || s.values >= s.d.cfg.MaxValues {
		return
	}
	if len(v) > s.d.cfg.MaxValueBytes {
		s.windows(v)
		return
	}
	s.inspect(v, charMask(v))
}

// valueMask is value for a caller that already knows v's character
// classes (cm == charMask(v)): the JSON walker gathers them in the pass
// that finds the string's end, so the value is not read twice.
func (s *scan) valueMask(v []byte, cm uint16) {
	if len(v) == 0 || s.values >= s.d.cfg.MaxValues {
		return
	}
	if s.fields.pending && chatKey(s.name) && s.chatBegins() {
		return // the JSON walk starts again, tracking paths (chat.go)
	}
	if len(v) > s.d.cfg.MaxValueBytes {
		s.windows(v)
		return
	}
	s.inspect(v, cm)
}

// minPlain is the length from which a value of letters, digits and - , :
// @ + (no cmSpecial byte) is inspected: a shorter one holds no
// whole-word signal and no base64.
const minPlain = 8

// inspect runs the checks on one value of at most MaxValueBytes, not
// empty, whose character classes are cm (or cmUnknown). Every check is
// behind a gate that only lets through values that could make it signal:
// the classes (no '(' means no call, no '$' no variable, no lower-case
// letter no base64), the length, and the table of values already
// inspected.
func (s *scan) inspect(v []byte, cm uint16) {
	s.values++
	if cm&cmSpecial == 0 && len(v) < minPlain {
		// Too short for a whole-word signal or base64: nothing to do.
		return
	}
	if cm&^(cmSpecial|cmNotBase64|cmSpace) == 0 && numericClean(v) {
		// Addresses, numbers and lists of them (X-Forwarded-For, a
		// price): no check but the automaton's reads them, and it
		// matches nothing in them.
		return
	}
	if s.secretText() {
		// Before the table of repeats: a value judged as a secret is not
		// inspected in full, so the same value elsewhere must be.
		s.inspectSecret(v)
		return
	}
	if s.repeat(v) {
		return
	}
	if cm&cmUnknown != 0 {
		cm = charMask(v)
	}
	if cm&cmSpecial != 0 {
		if k := classify(v, cm, s.loc, s.name); k != KindStructured {
			s.inspectText(v, cm, k)
			return
		}
	}
	if cm&cmSpecial == 0 {
		// Letters, digits and a few separators: only whole-word signals
		// (information_schema, xp_cmdshell, processbuilder) can be here.
		s.analyze(v, 1, allClasses)
		s.base64(v, cm)
		return
	}
	trig := s.analyze(v, 1, allClasses)
	if cm&cmParen != 0 && !s.d.disabled[cCode] {
		s.checkBareCall(v)
	}
	if cm&cmShell != 0 && !s.d.disabled[cCommand] {
		s.checkShellCmd(v)
	}

	n := v
	if cm&cmDecode != 0 {
		var flags decode.Flags
		n, flags = s.dec.Normalize(v)
		if flags != 0 {
			if flags&decode.NUL != 0 {
				s.signal(len(rules)+sigNUL, cTraversal, 0.3, v, 0)
			}
			// Signals that appear only after further decoding weigh a
			// little less: decoding must not turn a product code into an
			// attack.
			trig |= s.analyze(n, 0.9, allClasses)
			cm = charMask(n)
		}
	}
	if !s.d.disabled[cCommand] {
		s.shellEvasions(n, cm, trig)
	}
	if cm&cmSlash != 0 && s.loc != "path" && !s.d.disabled[cTraversal] {
		// The request path has its own checks (hiddenPath, and the
		// traversal weight for paths).
		s.checkSysPath(n)
	}
	if cm&cmComment != 0 && hasComment(n) {
		s.cbuf = decode.StripSQLComments(s.cbuf[:0], n)
		s.analyze(s.cbuf, 0.9, 1<<cSQLi|1<<cXSS|1<<cCommand)
	}
	s.base64(v, cm)
	if cm&cmCtlSpace != 0 {
		s.checkCRLF(n)
	}
	if cm&cmCtlSpace != 0 && cm&cmColon != 0 {
		// Browsers drop tabs and newlines inside a URL scheme:
		// "ja\tvascript:".
		s.shbuf = dropCtlSpace(s.shbuf[:0], n)
		s.analyze(s.shbuf, 0.9, 1<<cXSS)
	}
	if cm&cmShell != 0 && (cm&cmQuote != 0 || indexByte(n, '$') >= 0) {
		s.shbuf = shellUnquote(s.shbuf[:0], n)
		if len(s.shbuf) != len(n) {
			// Unquoting that removed nothing would only repeat the
			// analysis of n at a lower weight.
			s.analyze(s.shbuf, 0.9, 1<<cCommand|1<<cTraversal)
		}
	}
}

// numericByte holds the bytes of numericClean's values: digits, dots,
// commas and spaces.
var numericByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789., ") {
		t[c] = true
	}
	return t
}()

// numericPats are the automaton patterns that a value of numericByte bytes
// can hold ("169.254.169.254"); numericFast is false when one of them has
// whitespace, which the automaton matches against a run of whitespace
// rather than as a byte.
var numericPats, numericFast = func() ([][]byte, bool) {
	var pats [][]byte
	for _, r := range rules {
		within, space := true, false
		for i := 0; i < len(r.pat); i++ {
			c := r.pat[i]
			within = within && (numericByte[c] || isSpace(c))
			space = space || isSpace(c)
		}
		if within {
			if space {
				return nil, false
			}
			pats = append(pats, []byte(r.pat))
		}
	}
	return pats, true
}()

// numericClean reports whether v is made of numericByte bytes and holds
// none of the automaton's patterns: analyze finds nothing in it, and no
// other check of inspect reads a value of those bytes.
func numericClean(v []byte) bool {
	if !numericFast {
		return false
	}
	for _, c := range v {
		if !numericByte[c] {
			return false
		}
	}
	for _, p := range numericPats {
		if bytes.Contains(v, p) {
			return false
		}
	}
	return true
}

// base64 inspects the decoded form of v when v looks like base64 text.
func (s *scan) base64(v []byte, cm uint16) {
	if !s.d.cfg.Base64 || len(v) < decode.MinBase64Fragment || cm&cmNotBase64 != 0 ||
		cm&(cmUpper|cmLower) != cmUpper|cmLower {
		// Both decoders want upper- and lower-case letters.
		return
	}
	if cm&cmSpace != 0 && len(v) < decode.MinBase64 {
		// With spaces (a form's '+') only a whole value of MinBase64
		// bytes can decode; a fragment has none.
		return
	}
	src := v
	if cm&cmSpace != 0 {
		// Form decoding turned the '+' of standard base64 into spaces.
		s.b64in = append(s.b64in[:0], v...)
		for i, c := range s.b64in {
			if c == ' ' {
				s.b64in[i] = '+'
			}
		}
		src = s.b64in
	}
	var ok bool
	if s.bbuf, ok = decode.Base64(s.bbuf[:0], src); ok {
		s.analyze(s.bbuf, 1, allClasses)
		return
	}
	// A piece of a longer stream (a serialized Java object, an encoded
	// archive) may hold a class name at any byte offset: read it at the
	// three alignments, for code-injection signals only.
	if cm&cmSpace != 0 || cm&(cmUpper|cmLower) != cmUpper|cmLower || !decode.IsBase64Fragment(src) {
		// Text with spaces ("Product 12") is not a piece of a stream.
		return
	}
	for shift := 0; shift < 3; shift++ {
		if s.bbuf, ok = decode.Base64Fragment(s.bbuf[:0], src, shift); ok {
			s.analyze(s.bbuf, 1, 1<<cCode)
		}
	}
}

// Character classes present in a value, from one pass over it.
const (
	cmSpecial   = 1 << iota // anything but letters, digits and - , : @ +
	cmDecode                // % & \ NUL or an overlong UTF-8 lead byte
	cmComment               // '/' and '*'
	cmShell                 // ; | & ` $ newline
	cmQuote                 // ' " \ ^
	cmSpace                 // ' '
	cmNotBase64             // a byte outside the base64 alphabets (space aside)
	cmSlash
	cmStar
	cmCtlSpace // tab, newline or carriage return
	cmColon
	cmUpper // an ASCII upper-case letter
	cmLower // an ASCII lower-case letter
	cmParen // '('
	cmEnd   // '"' or '\\': where the JSON walker stops (no check reads it)

	// cmUnknown stands for the classes of a value of at least minPlain
	// bytes that the JSON walker did not read: inspect reads them only
	// when the value is not a repeat.
	cmUnknown = 1 << 15
)

var charClass = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if !(isWordChar(b) || b == '-' || b == ',' || b == ':' || b == '@' || b == '+') {
			t[c] |= cmSpecial
		}
		if !(isWordChar(b) && b != '_' || b == '+' || b == '/' || b == '-' || b == '_' || b == '=' || b == ' ') {
			t[c] |= cmNotBase64
		}
	}
	for _, b := range []byte{'%', '&', '\\', 0, 0xC0, 0xC1, 0xE0, 0xF0, 0xEF} {
		t[b] |= cmDecode
	}
	for _, b := range []byte{';', '|', '&', '`', '$', '\n'} {
		t[b] |= cmShell
	}
	for _, b := range []byte{'\'', '"', '\\', '^'} {
		t[b] |= cmQuote
	}
	t[' '] |= cmSpace
	t['/'] |= cmSlash
	t['\t'] |= cmCtlSpace
	t['\n'] |= cmCtlSpace
	t['\r'] |= cmCtlSpace
	t[':'] |= cmColon
	t['*'] |= cmStar
	t['('] |= cmParen
	t['"'] |= cmEnd
	t['\\'] |= cmEnd
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cmUpper
		t[c+'a'-'A'] |= cmLower
	}
	return t
}()

// charMask returns the character classes present in v.
func charMask(v []byte) uint16 {
	return finishMask(classes(v))
}

// classes returns the union of the charClass entries of v's bytes.
func classes(v []byte) uint16 { return unionOf(v, &charClass) }

// unionOf returns the union of t's entries for v's bytes. Four
// accumulators let the lookups of eight bytes run side by side. Bytes
// left over, and short values, are read as overlapping groups (the last
// eight, or the first and last four): a byte read twice adds nothing.
func unionOf[T string | []byte](v T, t *[256]uint16) uint16 {
	n := len(v)
	switch {
	case n >= 8:
	case n >= 4:
		return t[v[0]] | t[v[1]] | t[v[2]] | t[v[3]] |
			t[v[n-4]] | t[v[n-3]] | t[v[n-2]] | t[v[n-1]]
	case n > 0:
		return t[v[0]] | t[v[n/2]] | t[v[n-1]]
	default:
		return 0
	}
	var a, b, c, d uint16
	for w := v; len(w) >= 8; w = w[8:] {
		a |= t[w[0]] | t[w[4]]
		b |= t[w[1]] | t[w[5]]
		c |= t[w[2]] | t[w[6]]
		d |= t[w[3]] | t[w[7]]
	}
	if n%8 != 0 {
		w := v[n-8:]
		a |= t[w[0]] | t[w[4]]
		b |= t[w[1]] | t[w[5]]
		c |= t[w[2]] | t[w[6]]
		d |= t[w[3]] | t[w[7]]
	}
	return a | b | c | d
}

// finishMask adds the classes that depend on two others to m, the union
// of the charClass entries of a value's bytes.
func finishMask(m uint16) uint16 {
	if m&(cmSlash|cmStar) == cmSlash|cmStar {
		m |= cmComment
	}
	return m
}

func hasComment(v []byte) bool {
	for i := 0; i+1 < len(v); i++ {
		if v[i] == '/' && v[i+1] == '*' {
			return true
		}
	}
	return false
}

// dropCtlSpace appends v to dst without tabs, newlines and carriage
// returns.
func dropCtlSpace(dst, v []byte) []byte {
	for _, c := range v {
		if c != '\t' && c != '\n' && c != '\r' {
			dst = append(dst, c)
		}
	}
	return dst
}

// shellUnquote appends v to dst without the quoting shells ignore inside
// words (c'a't, c\at, c^at, $@) and one-letter variables before a space
// or '/' ("$u wget"), which are unset and expand to nothing.
func shellUnquote(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\'', '"', '\\', '^':
			continue
		case '$':
			if i+1 < len(v) && (v[i+1] == '@' || v[i+1] == '*') {
				i++
				continue
			}
			if i+2 < len(v) && v[i+1] >= 'a' && v[i+1] <= 'z' && (v[i+2] == ' ' || v[i+2] == '/') {
				// "$u wget", "/et$c/": a one-letter variable, unset, so empty.
				i++
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

type classMask uint16

const allClasses classMask = 1<<numClasses - 1

// matchStart returns where the match of pat ending at end starts in v,
// undoing the automaton's whitespace collapsing.
func matchStart(v []byte, end int, pat string) int {
	i := end - 1
	for j := len(pat) - 1; j >= 0 && i >= 0; j-- {
		if pat[j] == ' ' && isSpace(v[i]) {
			for i > 0 && isSpace(v[i-1]) {
				i--
			}
		}
		i--
	}
	return i + 1
}

// skipCodeSpace skips whitespace and /* */, // and # comments, which
// PHP and SQL accept between a function name and its '('.
func skipCodeSpace(v []byte, i int) int {
	for n := 0; i < len(v) && n < 16; n++ {
		i = skipSpaceFwd(v, i)
		switch {
		case i+1 < len(v) && v[i] == '/' && v[i+1] == '*':
			e := indexClose(v, i+2)
			if e < 0 {
				return len(v)
			}
			i = e + 2
		case i < len(v) && (v[i] == '#' || i+1 < len(v) && v[i] == '/' && v[i+1] == '/'):
			e := indexByte(v[i:], '\n')
			if e < 0 {
				return len(v)
			}
			i += e + 1
		default:
			return i
		}
	}
	return i
}

func indexClose(s []byte, from int) int {
	for i := from; i+1 < len(s); i++ {
		if s[i] == '*' && s[i+1] == '/' {
			return i
		}
	}
	return -1
}

func skipSpaceFwd(v []byte, i int) int {
	for i < len(v) && isSpace(v[i]) {
		i++
	}
	return i
}

// shellContext reports how strongly the word at v[start:end] looks like a
// command: 0 when no shell metacharacter (or bin/ path) precedes it; 0.5
// when prose follows ("; cat lovers"); 2 (strongShell) when the metacharacter is glued
// to what precedes it or starts the value ("127.0.0.1|id", "x`uname`",
// ";ls -la"), the shape of an injected command; 1 otherwise.
func shellContext(v []byte, start, end int) float64 {
	if end < len(v) {
		switch v[end] {
		case ' ', '\t', '\n', '\r', ';', '|', '&', '`', ')', '>', '<', '\'', '"', '$', '{', '\\', '}':
		default:
			// ";id=5", "|cat[]", ";id::x", "; ps-AF": not a command.
			return 0
		}
	}
	i := start - 1
	for i >= 0 && (v[i] == ' ' || v[i] == '\t') {
		i--
	}
	if i < 0 {
		// The value starts with the command: only arguments that look
		// like a shell's count ("cat /etc/passwd", "ls -la").
		j := skipSpaceFwd(v, end)
		if j >= len(v) {
			if j > end && v[len(v)-1] == '\n' {
				// "cmd\n": a command line on its own.
				return 0.9
			}
			return 0
		}
		switch v[j] {
		case '/':
			if globPath(v, j) || sysDirAt(v[j:]) {
				// "cat /etc/pa[s]swd": a file named by a glob;
				// "cat /etc/x": a command line reading system files.
				return strongShell
			}
			return 0.9
		case ';', '|':
			if j == end && (j+1 == len(v) || v[j+1] != v[j] && !isLetter(v[j+1])) {
				// "whoami;…", "id|$x": a command glued to the
				// separator that chains the next one ("id;name" is a
				// list of fields).
				return strongShell
			}
			return 0.9
		case '-', '$', '~', '\'', '"', '&', '<', '>', '`':
			return 0.9
		}
		return 0
	}
	m := v[i]
	switch m {
	case ';', '|', '&', '`', '\n', '\r', '(', '{', '/', '>':
	default:
		if commandPrefix(v, i) {
			return strongShell
		}
		return 0
	}
	if m == '/' && !(i >= 3 && string(v[i-3:i+1]) == "bin/") {
		return 0
	}
	if m == '(' && !(i > 0 && (v[i-1] == '$' || v[i-1] == '<' || v[i-1] == '>')) {
		// $(cmd), and process substitution <(cmd), >(cmd).
		return 0
	}
	j := skipSpaceFwd(v, end)
	if j < len(v) && j > end {
		// "; cat lovers" reads like prose; "; cat /etc/x", "; curl
		// http://x" and "; ls -la" do not.
		k := j
		for k < len(v) && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z') {
			k++
		}
		if k > j && (k == len(v) || isSpace(v[k]) || v[k] == ',' || v[k] == '.' && (k+1 == len(v) || isSpace(v[k+1]))) {
			// ... unless an option follows the word: "; apt-get
			// install -y x".
			if o := skipSpaceFwd(v, k); !(o > k && o+1 < len(v) && v[o] == '-' && (isLetter(v[o+1]) || v[o+1] == '-')) {
				return 0.5
			}
		}
	}
	// A backtick after a space that closes right after the word is a
	// Markdown code span ("use `ls` to list"), not a substitution
	// glued to the text it extends ("x`id`").
	codeSpan := m == '`' && i > 0 && isSpace(v[i-1]) && end < len(v) && v[end] == '`'
	glued := i == 0 || !isSpace(v[i-1]) || m == '`' && !codeSpan || m == '(' || m == '\n'
	if glued && m != '/' && m != '{' && m != '>' {
		if (m == ';' || m == '&') && end-start <= 3 && (j >= len(v) || v[j] == ',') && i > 0 {
			if p := v[i-1]; p >= 'a' && p <= 'z' || p >= 'A' && p <= 'Z' {
				// "name;id", "r&d;env": a short word closing a list of
				// words is data ("127.0.0.1;id" is not).
				return 0.5
			}
		}
		return strongShell
	}
	if (m == ';' || m == '|' || m == '&') && separatorBreakout(v, i) {
		return strongShell
	}
	if j >= len(v) {
		// "Tom & Jerry & more": a spaced-out separator then a last word.
		return 0.5
	}
	return 1
}

// separatorBreakout reports whether the shell separator ending at v[i]
// (";", "|", "||", "&", "&&"), spaced from what precedes it, ends the
// argument the application put the value in: it follows a quote left
// open in a value's first token ("' & whoami", "x\" | id": the quote
// closes the application's string), or a first token that is a host
// name or address ("127.0.0.1 | whoami": the argument of a ping or
// lookup form). "Tom & Jerry", "'a' | b" (balanced quotes) and "the
// kids' & more" (more than one token) are not.
func separatorBreakout(v []byte, i int) bool {
	k := i
	for k > 0 && k > i-2 && v[k-1] == v[i] {
		k--
	}
	k = skipSpaceBack(v, k-1)
	if k < 0 {
		return false
	}
	// The whole text before the separator is one token: a string the
	// quote closes, or a host.
	for _, c := range v[:k+1] {
		if isSpace(c) {
			return false
		}
	}
	if q := v[k]; q == '\'' || q == '"' {
		return bytes.Count(v[:k+1], v[k:k+1])%2 == 1
	}
	dot, digit := false, false
	for _, c := range v[:k+1] {
		switch {
		case c == '.':
			dot = true
		case c >= '0' && c <= '9':
			digit = true
		case isLetter(c) || c == '-' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return dot && digit
}

// strongShell multiplies a command word's weight in the shape of an
// injected command (a metacharacter glued to what precedes it, or a
// command prefix such as sudo or sh -c).
const strongShell = 2.0

// commandPrefixes run the command that follows them.
var commandPrefixes = [...]string{"time", "nohup", "strace", "ltrace", "sudo", "xargs", "exec", "nice", "timeout", "watch", "busybox", "command", "builtin", "-c", "doas", "chroot"}

// commandPrefix reports whether the word ending at v[i] is a command
// prefix (sudo, nohup, sh -c …) that starts the value or follows a
// metacharacter.
func commandPrefix(v []byte, i int) bool {
	e := i + 1
	st := i
	for st >= 0 && (isWordChar(v[st]) || v[st] == '-') {
		st--
	}
	w := v[st+1 : e]
	ok := false
	for _, p := range commandPrefixes {
		if equalFoldStr(w, p) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	if string(w) == "-c" {
		return true
	}
	k := st
	for k >= 0 && isSpace(v[k]) {
		k--
	}
	return k < 0 || v[k] == ';' || v[k] == '|' || v[k] == '&' || v[k] == '`' || v[k] == '(' || v[k] == '\n'
}

func (s *scan) ruleHolds(v []byte, r *rule, start, end int) float64 {
	f := r.flags
	if f&wordL != 0 && start > 0 && isWordChar(v[start-1]) {
		return 0
	}
	if f&wordR != 0 && end < len(v) && isWordChar(v[end]) {
		return 0
	}
	m := 1.0
	if f&call != 0 {
		j := skipCodeSpace(v, end)
		if j >= len(v) || v[j] != '(' {
			return 0
		}
		if j > end+1 && spacedCall(v, end, j) {
			// "gzuncompress/*x*/(", "exec\n(": hidden from "name(".
			m = 1.6
		}
		if f&numArg != 0 {
			if k := skipCodeSpace(v, j+1); k < len(v) && v[k] >= '0' && v[k] <= '9' {
				// sleep(5), benchmark(5000000,…): a timing probe.
				m = 1.25
			}
		}
	}
	if f&assign != 0 {
		j := skipSpaceFwd(v, end)
		if j >= len(v) || v[j] != '=' {
			return 0
		}
	}
	if f&atStart != 0 && skipSpaceFwd(v, 0) != start {
		return 0
	}
	if f&handler != 0 {
		j := end
		for j < len(v) && j-end < 40 && (v[j] >= 'a' && v[j] <= 'z' || v[j] >= 'A' && v[j] <= 'Z') {
			j++
		}
		if j-end < 4 {
			return 0
		}
		j = skipSpaceFwd(v, j)
		if j >= len(v) || v[j] != '=' || start == 0 {
			return 0
		}
		// Only inside markup-like text: after whitespace, a quote or '/'.
		switch v[start-1] {
		case ' ', '\t', '\n':
		case '"', '\'', '/':
			// "\"onzoom=", "<svg/onload=": a handler glued to the quote
			// that closed an attribute or to a tag name.
			if start >= 2 && isWordChar(v[start-2]) && v[start-1] == '/' {
				// "and/onwards=": a path or a word list, not a tag.
				return 0
			}
			return 0.8 / r.w
		default:
			return 0
		}
	}
	if f&jsSub != 0 {
		if !jsSubscript(v, end) {
			return 1
		}
		return 0.9 / r.w
	}
	if f&cmdStart != 0 {
		j := start - 1
		for j >= 0 && isSpace(v[j]) {
			j--
		}
		if j >= 0 && v[j] != '&' && v[j] != '|' && v[j] != ';' && v[j] != '(' {
			return 0
		}
	}
	if f&jsURI != 0 {
		j := skipSpaceFwd(v, end)
		if j == len(v) || v[j] == ';' || v[j] == '"' || v[j] == '\'' || indexFold(v[j:], "void") == 0 {
			// "javascript:;" and "javascript:void(0)" are inert links.
			return 0.15
		}
		if j == end && (start == 0 || v[start-1] == '=' || v[start-1] == '"' || v[start-1] == '\'' || v[start-1] == '(') {
			// A URL that starts the value or an attribute and runs
			// code right after the colon; "JavaScript: the good
			// parts" is a title.
			return 0.85 / r.w
		}
	}
	if f&call != 0 && r.class == cXSS && start > 1 {
		// A sink called right after a quote and ';' that close the
		// application's string: x";setTimeout(…), ';alert(1).
		if i := skipSpaceBack(v, start-1); i >= 1 && v[i] == ';' {
			if q := skipSpaceBack(v, i-1); q >= 0 && (v[q] == '"' || v[q] == '\'') {
				m = 0.85 / r.w
			}
		}
	}
	if f&binCmd != 0 {
		return binCommand(v, start, end)
	}
	if f&numBefore != 0 && (start == 0 || v[start-1] < '0' || v[start-1] > '9') {
		return 0
	}
	if f&iniKey != 0 {
		// session.save_path=…, mbstring.func_overload=…: the value
		// starts with the directive and assigns it.
		if skipSpaceFwd(v, 0) != start {
			return 0
		}
		j := end
		for j < len(v) && j-end < 40 && (isWordChar(v[j]) || v[j] == '.') {
			j++
		}
		if j == end || skipSpaceFwd(v, j) >= len(v) || v[skipSpaceFwd(v, j)] != '=' {
			return 0
		}
	}
	if f&shell != 0 {
		return shellContext(v, start, end)
	}
	return m
}

// binCommand weighs a program path that starts the value
// ("/usr/bin/perl -e …", "/bin/unxz -c /var/log/x"): 1 for the path
// alone, 1.5 when arguments follow (a command line), 0 when the path is
// not at the start or names no program.
func binCommand(v []byte, start, end int) float64 {
	i := 0
	for i < start && (isSpace(v[i]) || v[i] == '\'' || v[i] == '"') {
		i++
	}
	if i != start {
		return 0
	}
	j := end
	for j < len(v) && j-end < 32 && (isWordChar(v[j]) || v[j] == '-' || v[j] == '.') {
		j++
	}
	if j-end < 2 {
		return 0
	}
	if j == len(v) || v[j] == '\n' {
		return 1
	}
	if k := skipSpaceFwd(v, j); k > j && k < len(v) {
		switch v[k] {
		case '-', '/', '$', '\'', '"', '~', '.':
			return 1.5
		}
	}
	return 0
}

// analyze matches one view of a value. factor scales the weights of what
// it finds; only classes in mask are recorded.
func (s *scan) analyze(v []byte, factor float64, mask classMask) flag {
	var trig flag
	sqlHit := false
	matcher.Scan(v, func(id, end int) bool {
		r := &rules[id]
		if r.class == cNone {
			trig |= r.flags
			return true
		}
		// A pattern's triggers count only where the pattern itself
		// holds: "on" inside "description" must not run libinjection.
		start := matchStart(v, end, r.pat)
		if m := s.ruleHolds(v, r, start, end); m > 0 {
			trig |= r.flags
			if mask&(1<<r.class) != 0 {
				s.signal(id, r.class, r.w*m*factor, v, start)
				sqlHit = sqlHit || r.class == cSQLi
			}
		}
		return true
	})
	// libinjection and the grammar checks are the costly part; they run
	// when a quote or comment, an SQL keyword, or a conjunction next to
	// '=' or ')' is present.
	sqlGate := trig&gateSQL != 0 || sqlHit || trig&conj != 0 && trig&eqParen != 0
	if sqlGate && mask&(1<<cSQLi) != 0 {
		lv := v
		if len(lv) > maxLibinjection {
			lv = lv[:maxLibinjection]
		}
		if ok, fp := li.IsSQLi(unsafeString(lv)); ok {
			s.signal(len(rules)+sigLibSQLi, cSQLi, sqliWeight(fp)*factor, v, 0)
		}
		s.sqlChecks(lv, factor)
	}
	if trig&trigXSS != 0 && mask&(1<<cXSS) != 0 {
		lv := v
		if len(lv) > maxLibinjection {
			lv = lv[:maxLibinjection]
		}
		if li.IsXSS(unsafeString(lv)) {
			w := 0.7
			if indexByte(lv, '<') >= 0 && indexFold(lv, "<?xml") < 0 {
				// A tag, not just an attribute-context fragment.
				w = 0.8
			}
			s.signal(len(rules)+sigLibXSS, cXSS, w*factor, v, 0)
		}
	}
	if trig&trigURL != 0 && mask&(1<<cSSRF|1<<cRFI) != 0 {
		s.checkURLs(v, factor)
	}
	if trig&trigJNDI != 0 && mask&(1<<cLog4Shell) != 0 {
		s.checkJNDI(v, factor)
	}
	if trig&trigTmpl != 0 && mask&(1<<cTemplate) != 0 {
		s.checkTemplate(v, factor)
	}
	if trig&trigEnt != 0 && mask&(1<<cXXE) != 0 {
		s.checkEntity(v, factor)
	}
	if trig&trigLDAP != 0 && mask&(1<<cLDAP) != 0 {
		s.checkLDAP(v, factor)
	}
	if trig&trigVarCall != 0 && mask&(1<<cCode) != 0 {
		s.checkVarCall(v, factor)
	}
	if trig&trigPerl != 0 && mask&(1<<cTemplate) != 0 {
		s.checkPerl(v, factor)
	}
	if trig&trigPHPTag != 0 && mask&(1<<cCode) != 0 {
		s.checkPHPTag(v, factor)
	}
	if trig&trigDynCall != 0 && mask&(1<<cCode) != 0 {
		s.checkDynCall(v, factor)
	}
	if trig&trigJSF != 0 && mask&(1<<cXSS) != 0 {
		s.checkJSFuck(v, factor)
	}
	if trig&trigTagged != 0 && mask&(1<<cXSS) != 0 {
		s.checkTagged(v, factor)
	}
	if trig&trigBatch != 0 && mask&(1<<cCommand) != 0 {
		s.checkBatch(v, factor)
	}
	if mask&(1<<cCode) != 0 && phpSerialized(v) {
		s.signal(len(rules)+sigPHPSerial, cCode, 0.8*factor, v, 0)
	}
	return trig
}

// sqliWeight maps a libinjection fingerprint to a signal weight.
func sqliWeight(fp string) float64 {
	w := 0.7
	for i := 0; i < len(fp); i++ {
		switch fp[i] {
		case 'U', 'E', 'k', 'T': // union, SQL statement, keyword, table/func
			w = 0.8
		}
	}
	return w
}

// phpSerialized reports whether v starts like a PHP serialized object or
// array: O:8:"…" or a:2:{.
func phpSerialized(v []byte) bool {
	if len(v) < 5 || v[1] != ':' {
		return false
	}
	switch v[0] {
	case 'O', 'C', 'a':
	default:
		return false
	}
	i := 2
	for i < len(v) && i < 12 && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 2 || i >= len(v) || v[i] != ':' || i+1 >= len(v) {
		return false
	}
	return v[i+1] == '"' || (v[0] == 'a' && v[i+1] == '{')
}

// indexFold returns the index of lower-case needle in v, folding ASCII
// case, or -1.
func indexFold(v []byte, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(v); i++ {
		j := 0
		for ; j < n; j++ {
			c := v[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return i
		}
	}
	return -1
}

// checkJNDI looks through ${…} lookups, ignoring nested lookups and
// separators, for a jndi lookup.
func (s *scan) checkJNDI(v []byte, factor float64) {
	start := indexFold(v, "${")
	if start < 0 {
		return
	}
	end := start + 512
	if end > len(v) {
		end = len(v)
	}
	var letters [96]byte
	n := 0
	for _, c := range v[start:end] {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' && n < len(letters) {
			letters[n] = c
			n++
		}
	}
	l := letters[:n]
	i := indexFold(l, "jndi")
	if i < 0 {
		return
	}
	w := 0.7
	rest := l[i+4:]
	for _, p := range [...]string{"ldap", "rmi", "dns", "iiop", "corba", "nds", "http", "nis"} {
		if j := indexFold(rest, p); j >= 0 && j < 16 {
			w = 0.9
			break
		}
	}
	s.signal(len(rules)+sigJNDIObf, cLog4Shell, w*factor, v, start)
}

// checkTemplate inspects {{…}}, ${…} and #{…} expressions for arithmetic
// probes (7*7) and object traversal.
func (s *scan) checkTemplate(v []byte, factor float64) {
	for i, budget := 0, 8; i+1 < len(v) && budget > 0; i++ {
		if v[i+1] != '{' || (v[i] != '{' && v[i] != '$' && v[i] != '#') || v[i] == '$' && s.kind == KindCode {
			continue
		}
		budget--
		open := i + 2
		closeAt := -1
		for j := open; j < len(v) && j < open+256; j++ {
			if v[j] == '}' {
				closeAt = j
				break
			}
		}
		if closeAt < 0 {
			continue
		}
		body := v[open:closeAt]
		w := 0.0
		switch {
		case arithmetic(body):
			w = 0.6
			if v[i] == '{' {
				w = 0.65
			}
		case dangerousExpr(body), sandboxEscape(v, body):
			w = 0.85
		case v[i] == '{' && (indexFold(body, "config") >= 0 || indexFold(body, "self") >= 0 || indexFold(body, "request.") >= 0 || indexFold(body, "|attr") >= 0 || indexFold(body, "popen") >= 0):
			w = 0.55
		case v[i] == '{' || v[i] == '#':
			w = 0.1
		}
		if w < 0.8 && s.kind != KindStructured {
			// Text: {{ name }} and ${x} are what people write about
			// templates; only an expression reaching for code counts.
			w = 0
		}
		if w > 0 {
			id := sigTmplExpr
			if w >= 0.8 {
				id = sigTmplDunder
			}
			s.signal(len(rules)+id, cTemplate, w*factor, v, i)
		}
		i = closeAt
	}
}

// dangerousExpr reports whether a template expression reaches for code
// execution or object internals.
func dangerousExpr(b []byte) bool {
	for _, k := range [...]string{"__", "getclass", "runtime", ".exec(", "spawn(", "process.", "require(", "popen", "system(", "forname", "import", "eval(", "subprocess", "child_process", "t(java"} {
		if indexFold(b, k) >= 0 {
			return true
		}
	}
	return false
}

// sandboxEscape reports whether the template expression body of the
// one-line value v reaches JavaScript's Function constructor from an
// object (constructor(…), constructor.prototype): how an expression
// escapes the AngularJS sandbox, {{[].pop.constructor('code')()}}. A
// value of several lines is a document or a code sample that shows the
// expression; a one-line value of a few hundred bytes is where an
// injected expression sits.
func sandboxEscape(v, body []byte) bool {
	if len(v) > 512 || indexByte(v, '\n') >= 0 {
		return false
	}
	return indexFold(body, "constructor(") >= 0 || indexFold(body, "constructor.prototype") >= 0
}

// arithmetic reports whether b is a small arithmetic probe like 7*7,
// 7*'7' or 1337+1.
func arithmetic(b []byte) bool {
	i := 0
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\'' || b[i] == '"') {
			i++
		}
	}
	num := func() bool {
		st := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > st
	}
	skip()
	if !num() {
		return false
	}
	skip()
	if i >= len(b) || (b[i] != '*' && b[i] != '+' && b[i] != '-' && b[i] != '/') {
		return false
	}
	i++
	skip()
	if !num() {
		return false
	}
	skip()
	return i == len(b)
}

// checkEntity flags XML entity declarations that load external resources.
func (s *scan) checkEntity(v []byte, factor float64) {
	i := indexFold(v, "<!entity")
	if i < 0 {
		return
	}
	rest := v[i:]
	if len(rest) > 1024 {
		rest = rest[:1024]
	}
	if indexFold(rest, "system") >= 0 || indexFold(rest, "public") >= 0 {
		s.signal(len(rules)+sigXXEExternal, cXXE, 0.9*factor, v, i)
	}
}

// name inspects a parameter, JSON key or cookie name. Besides the usual
// value checks it looks for MongoDB query operators used as keys
// ($ne, user[$gt]).
func (s *scan) nameValue(n []byte) {
	if len(n) == 0 {
		return
	}
	s.checkOperator(n)
	s.inName = true
	s.value(n)
	s.inName = false
}

// nameValueMask is nameValue for a name whose character classes cm are
// known. An operator needs a '$', which is in cmShell.
func (s *scan) nameValueMask(n []byte, cm uint16) {
	if len(n) == 0 {
		return
	}
	if cm&cmShell != 0 {
		s.checkOperator(n)
	}
	s.inName = true
	s.valueMask(n, cm)
	s.inName = false
}

var mongoOps = [...]struct {
	op     string
	strong bool
}{
	{"where", true}, {"function", true}, {"accumulator", true}, {"expr", false},
	{"ne", false}, {"eq", false}, {"gt", false}, {"gte", false}, {"lt", false},
	{"lte", false}, {"in", false}, {"nin", false}, {"regex", false}, {"exists", false},
	{"or", false}, {"and", false}, {"not", false}, {"nor", false}, {"elemmatch", false},
	{"lookup", false}, {"jsonschema", false},
}

func (s *scan) checkOperator(n []byte) {
	for i := 0; i < len(n) && i < 256; i++ {
		if n[i] != '$' || (i > 0 && n[i-1] != '[') {
			continue
		}
		j := i + 1
		for j < len(n) && (n[j] >= 'a' && n[j] <= 'z' || n[j] >= 'A' && n[j] <= 'Z') {
			j++
		}
		op := n[i+1 : j]
		for _, m := range mongoOps {
			if len(op) == len(m.op) && indexFold(op, m.op) == 0 {
				if m.strong {
					s.signal(len(rules)+sigNoSQLStrong, cNoSQL, 0.95, n, i)
				} else {
					s.signal(len(rules)+sigNoSQLOp, cNoSQL, 0.8, n, i)
				}
				return
			}
		}
	}
}

// format renders the message for one class.
func (e *evidence) format(c class, conf float64, signals int) string {
	b := make([]byte, 0, 160)
	b = append(b, classNames[c]...)
	b = append(b, ": "...)
	b = append(b, signalName(int(e.sig))...)
	b = append(b, " in "...)
	b = append(b, e.loc...)
	if e.name != "" {
		b = append(b, ' ')
		b = strconv.AppendQuote(b, e.name)
	}
	if e.kind != KindStructured {
		b = append(b, " ("...)
		b = append(b, e.kind.String()...)
		b = append(b, ')')
	}
	if e.excerpt != "" {
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, e.excerpt)
	}
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(signals), 10)
	b = append(b, " signal"...)
	if signals != 1 {
		b = append(b, 's')
	}
	b = append(b, ", confidence "...)
	b = strconv.AppendFloat(b, conf, 'f', 2, 64)
	b = append(b, ')')
	return string(b)
}

// checkBatch recognises Windows batch FOR … IN (…) DO and IF EXIST /
// DEFINED / ERRORLEVEL / comparisons at the start of a value or after a
// command separator.
func (s *scan) checkBatch(v []byte, factor float64) {
	for i, tries := 0, 0; i < len(v) && tries < 8; i++ {
		if i > 0 && v[i-1] != ' ' && v[i-1] != '&' && v[i-1] != '|' && v[i-1] != ';' && v[i-1] != '(' {
			continue
		}
		// The command must start the value or follow a separator.
		j := i - 1
		for j >= 0 && v[j] == ' ' {
			j--
		}
		if j >= 0 && v[j] != '&' && v[j] != '|' && v[j] != ';' && v[j] != '(' {
			continue
		}
		rest := v[i:]
		if len(rest) > 512 {
			rest = rest[:512]
		}
		isIf := len(rest) > 3 && (indexFold(rest[:3], "if ") == 0 || indexFold(rest[:3], "if/") == 0)
		isFor := len(rest) > 4 && indexFold(rest[:4], "for ") == 0
		if isIf || isFor {
			tries++
		}
		switch {
		case isFor:
			in := indexFold(rest, " in ")
			if in > 0 {
				if k := skipSpaceFwd(rest, in+4); k >= len(rest) || rest[k] != '(' {
					in = -1
				}
			}
			if in > 0 && (indexFold(rest[in:], ") do") > 0 || indexFold(rest[in:], ")do") > 0) {
				s.signal(len(rules)+sigBatch, cCommand, 0.85*factor, v, i)
				return
			}
		case isIf:
			n := 0
			for _, k := range [...]string{" exist ", " defined ", " errorlevel ", "==", " equ ", " neq ", " lss ", " leq ", " gtr ", " geq ", "/i ", " not ", " cmdextversion "} {
				if indexFold(rest, k) > 0 {
					n++
				}
			}
			// The condition's command: a variable, a batch keyword, or
			// a parenthesised block ("IF EXIST x (CMD)").
			block := false
			if p := indexByte(rest, '('); p > 0 && rest[p-1] == ' ' {
				block = true
			}
			if n > 0 && (block || indexByte(rest, '%') >= 0 || indexFold(rest, "echo") > 0 || indexFold(rest, "set ") > 0 || indexFold(rest, "exit") > 0 || indexFold(rest, "goto") > 0 || indexFold(rest, "call ") > 0 || n > 1) {
				s.signal(len(rules)+sigBatch, cCommand, 0.8*factor, v, i)
				return
			}
		}
	}
}

// dangerousUpload reports whether a file name ends in a server-side script
// extension (trailing dots and spaces ignored, as Windows does).
func dangerousUpload(name []byte) bool {
	for len(name) > 0 && (name[len(name)-1] == '.' || name[len(name)-1] == ' ') {
		name = name[:len(name)-1]
	}
	dot := lastIndexByte(name, '.')
	if dot < 0 {
		return false
	}
	ext := name[dot+1:]
	for len(ext) > 0 && ext[0] == ' ' {
		ext = ext[1:]
	}
	for _, e := range [...]string{"php", "php3", "php4", "php5", "php7", "php8", "phtml", "phar", "pht", "phps", "jsp", "jspx", "asp", "aspx", "asa", "cer", "shtml", "cgi"} {
		if equalFoldStr(ext, e) {
			return true
		}
	}
	return false
}

// uploadName inspects a client-supplied upload file name: a script
// extension, or one hidden before another extension (shell.php.jpg,
// which some servers still execute).
func (s *scan) uploadName(name []byte) {
	if dangerousUpload(name) {
		s.signal(len(rules)+sigUpload, cCode, 0.85, name, 0)
		return
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' && dangerousUpload(name[:i]) {
			s.signal(len(rules)+sigUpload, cCode, 0.7, name, 0)
			return
		}
	}
}

// checkVarCall finds PHP variable function calls: $f(…), ${'f'}(…),
// $ {@$b}(…), $$f(…), $a['f'](…), $_[1]{0}(…), possibly with comments
// before the '(' or between the subscripts. A call through a variable
// variable or an array element is how obfuscated PHP shells dispatch
// (the function name is assembled at run time), so it blocks alone; a
// plain $f(…) needs a second signal.
func (s *scan) checkVarCall(v []byte, factor float64) {
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '$' {
			continue
		}
		n++
		j := skipSpaceFwd(v, i+1)
		w := 0.0
		switch {
		case j < len(v) && v[j] == '{':
			e := indexByte(v[j:], '}')
			if e < 0 || e > 64 {
				continue
			}
			j += e + 1
			w = 0.85
		case j < len(v) && v[j] == '$':
			// $$f(…), $$$f(…): a variable variable.
			k := j
			for k < len(v) && k-j < 8 && v[k] == '$' {
				k++
			}
			if k == len(v) || !isIdentStart(v[k]) {
				continue
			}
			j = k
			for j < len(v) && isWordChar(v[j]) {
				j++
			}
			w = 0.8
		case j < len(v) && isIdentStart(v[j]):
			for j < len(v) && isWordChar(v[j]) {
				j++
			}
			w = 0.6
		default:
			continue
		}
		// Subscripts: $a['f'], $a[0]{1}, $__[$_[1]].
		for sub := 0; sub < 4; sub++ {
			k := skipCodeSpace(v, j)
			if k >= len(v) || (v[k] != '[' && v[k] != '{') {
				break
			}
			closer := byte(']')
			if v[k] == '{' {
				closer = '}'
			}
			e := matchFwd(v, k, v[k], closer)
			if e < 0 {
				break
			}
			j = e + 1
			if w < 0.8 {
				w = 0.8
			}
		}
		if k := skipCodeSpace(v, j); k < len(v) && v[k] == '(' {
			if w < 0.8 && (k == j && !(v[i+1] >= 'A' && v[i+1] <= 'Z') && !prose(v[k+1:min(len(v), k+65)]) || spacedCall(v, j, k) || i >= 2 && v[i-1] == ':' && v[i-2] == ':') {
				// "$f(101)", "$a //x\n()", "Foo::$m()": a call, not
				// "$USD (approx)".
				w = 0.8
			}
			s.signal(len(rules)+sigPHPVarCall, cCode, w*factor, v, i)
			return
		}
	}
}

// checkDynCall finds calls whose callee is an expression rather than a
// name: a parenthesised expression "(sy.(st).em)(…)", a string literal
// "system"(…), or a subscript "[system][0](…)", "{0}(…)". PHP and
// JavaScript evaluate these by name at run time, which is how payloads
// hide the function they call from word lists. The call must close and
// end the value or be followed by ';' to block alone.
func (s *scan) checkDynCall(v []byte, factor float64) {
	for p, n := 0, 0; p < len(v) && n < 16; p++ {
		if v[p] != '(' {
			continue
		}
		n++
		q := skipCodeSpaceBack(v, p-1)
		if q < 0 {
			continue
		}
		open := -1
		c0 := v[q]
		switch c := c0; c {
		case '"', '\'':
			open = lastIndexByteWithin(v, q, c, 64)
			if open < 0 || !calleeName(v[open+1:q]) {
				continue
			}
		case ')':
			open = matchBack(v, q, '(', ')')
			if open < 0 || !calleeExpr(v[open+1:q]) {
				continue
			}
		case ']':
			open = matchBack(v, q, '[', ']')
		case '}':
			open = matchBack(v, q, '{', '}')
		}
		if open < 0 {
			continue
		}
		// The arguments must close.
		depth, e := 0, -1
		for k := p; k < len(v) && k-p < 256; k++ {
			if v[k] == '(' {
				depth++
			} else if v[k] == ')' {
				depth--
				if depth == 0 {
					e = k
					break
				}
			}
		}
		if e < 0 {
			continue
		}
		if prose(v[p+1 : e]) {
			// "a \"dog\" (not a cat)": words in parentheses.
			continue
		}
		// Only a statement end makes it code: "(a)(b)" and "[text](url)"
		// at the end of a value are math and Markdown; they corroborate.
		// A callee that names a dangerous function is code anywhere:
		// ("system")(…), return"exec"(…).
		w := 0.0
		if (c0 == ')' || c0 == '"' || c0 == '\'') && (q == p-1 || spacedCall(v, q+1, p)) && calleeDangerous(v[open+1:q]) {
			w = 0.85
		} else if k := skipCodeSpace(v, e+1); k < len(v) && v[k] == ';' {
			w = 0.8
		} else if k >= len(v) && q == p-1 && c0 != ']' && c0 != '}' {
			w = 0.5
		}
		if w == 0 {
			continue
		}
		s.signal(len(rules)+sigDynCall, cCode, w*factor, v, open)
		return
	}
}

// skipSpaceBack returns the index of the last byte at or before i that
// is not a space, or -1.
func skipSpaceBack(v []byte, i int) int {
	for i >= 0 && isSpace(v[i]) {
		i--
	}
	return i
}

// matchFwd returns the index of the close bracket matching the open one
// at i, looking ahead at most 64 bytes, or -1.
func matchFwd(v []byte, i int, open, close byte) int {
	depth := 0
	for k := i; k < len(v) && k-i < 64; k++ {
		switch v[k] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

// skipCodeSpaceBack returns the index of the last byte at or before i
// that is neither a space nor inside a /* */ comment, or -1.
func skipCodeSpaceBack(v []byte, i int) int {
	for n := 0; i >= 0 && n < 16; n++ {
		for i >= 0 && isSpace(v[i]) {
			i--
		}
		if i >= 1 && v[i] == '/' && v[i-1] == '*' {
			k := i - 2
			for k >= 1 && !(v[k-1] == '/' && v[k] == '*') {
				k--
			}
			if k < 1 {
				return -1
			}
			i = k - 2
			continue
		}
		return i
	}
	return i
}

// matchBack returns the index of the open bracket matching the close one
// at i, looking back at most 64 bytes, or -1.
func matchBack(v []byte, i int, open, close byte) int {
	depth := 0
	for k := i; k >= 0 && i-k < 64; k-- {
		switch v[k] {
		case close:
			depth++
		case open:
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

func lastIndexByteWithin(v []byte, i int, c byte, max int) int {
	for k := i - 1; k >= 0 && i-k <= max; k-- {
		if v[k] == c {
			return k
		}
	}
	return -1
}

// calleeDangerous reports whether a callee expression is a dangerous
// function's name, bare or quoted: system, "system", ('exec').
func calleeDangerous(b []byte) bool {
	b = trimCode(b)
	for len(b) >= 2 && (b[0] == '"' || b[0] == '\'' || b[0] == '(' || b[0] == '[') {
		last := b[len(b)-1]
		if !(last == b[0] || b[0] == '(' && last == ')' || b[0] == '[' && last == ']') {
			break
		}
		b = trimCode(b[1 : len(b)-1])
	}
	for _, c := range b {
		if !isWordChar(c) {
			return false
		}
	}
	return dangerousFunc(b)
}

// trimCode trims spaces around b.
func trimCode(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// calleeName reports whether a string literal's content reads as a
// function name: letters, digits, '_' and escapes (\x73), with a letter.
func calleeName(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '_' || c == '\\':
		default:
			return false
		}
	}
	return letter
}

// calleeExpr reports whether a parenthesised expression can evaluate to
// a function name: it has a letter and no '=' (an LDAP filter term
// "(uid=x)(" or a comparison), ',' or '&', '|' (filters, lists).
func calleeExpr(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c == '=' || c == ',' || c == '&' || c == '|' || c == '<' || c == '>':
			return false
		}
	}
	return letter
}

// checkBareCall flags a value that is nothing but a function call:
// "strip_tags()", "posix_getpwuid('foo', 25)", "eval($x);", or a call
// left open at the end, "hex(" (a fragment spliced into code or SQL that
// the application closes). Names, search terms and free text do not end
// in an open parenthesis or consist of one call with code arguments.
func (s *scan) checkBareCall(v []byte) {
	i := skipSpaceFwd(v, 0)
	if i >= len(v) || !isIdentStart(v[i]) {
		return
	}
	if len(v)-i > 7 && equalFoldStr(v[i:i+7], "select ") {
		// "SELECT GROUP_CONCAT(": a select list cut at a call.
		i = skipSpaceFwd(v, i+7)
		if i >= len(v) || !isIdentStart(v[i]) {
			return
		}
	}
	st := i
	under := false
	for i < len(v) && (isWordChar(v[i]) || v[i] == '.' || v[i] == ':' && i+1 < len(v) && v[i+1] == ':') {
		under = under || v[i] == '_'
		i++
	}
	if i-st < 2 {
		return
	}
	p := skipCodeSpace(v, i)
	if p >= len(v) || v[p] != '(' {
		return
	}
	a := skipCodeSpace(v, p+1)
	if a >= len(v) {
		// "hex(", "Rand (": an open call ends the value.
		s.signal(len(rules)+sigBareCall, cCode, 0.8, v, st)
		return
	}
	// The arguments: variables, quoted strings, numbers and names,
	// separated by commas, up to the closing parenthesis.
	code := false
	depth, e := 1, -1
	for k := a; k < len(v) && k-a < 256; k++ {
		switch c := v[k]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				e = k
			}
		case c == '$' || c == '\'' || c == '"':
			code = true
		case c == ' ' && k > a && k+1 < len(v) && isLetter(v[k-1]) && isLetter(v[k+1]):
			// Words separated by a space: prose.
			return
		}
		if e >= 0 {
			break
		}
	}
	if e < 0 {
		return
	}
	// After the call: nothing, ';', or a subscript / member access.
	k := skipCodeSpace(v, e+1)
	if k < len(v) && v[k] != ';' && v[k] != '[' && v[k] != '.' {
		return
	}
	// A function that runs code, reads files or discloses the
	// environment, called without a space ("copy(2)", not the file
	// name "Copy (2)") or on code arguments, or any name cut from its
	// '(' by a comment or a line break, makes the call code; so does a
	// loop whose condition is always true (a denial of service).
	strong := spacedCall(v, i, p) || dangerousFunc(v[st:i]) && (p == i || under || code) ||
		equalFoldStr(v[st:i], "while") && truthyJS(v[p+1:e])
	w := 0.5
	switch {
	case strong:
		w = 0.85
	case code && under:
		// "posix_getpwuid('root')", "call_user_func($f)": a library
		// name called on code arguments.
		w = 0.8
	case code || under:
		w = 0.6
	}
	s.signal(len(rules)+sigBareCall, cCode, w, v, st)
}

// checkPerl flags a closed Perl expression interpolation "@{[ … ]}":
// inside a double-quoted Perl string (or a template that passes through
// one) it runs the code between the brackets.
func (s *scan) checkPerl(v []byte, factor float64) {
	for i, n := 0, 0; i+1 < len(v) && n < 8; i++ {
		if v[i] != '@' || v[i+1] != '{' {
			continue
		}
		n++
		j := skipSpaceFwd(v, i+2)
		if j >= len(v) || v[j] != '[' {
			continue
		}
		rest := v[j+1:]
		if len(rest) > 256 {
			rest = rest[:256]
		}
		for k := 0; k < len(rest); k++ {
			if rest[k] == ']' {
				if e := skipSpaceFwd(rest, k+1); e < len(rest) && rest[e] == '}' {
					s.signal(len(rules)+sigTmplExpr, cTemplate, 0.85*factor, v, i)
					return
				}
			}
		}
	}
}

// checkPHPTag flags a processing-instruction opener "<?" that is not an
// XML one (a target name followed by name="value" attributes, as in
// <?xml version="1.0"?> or <?mso-application progid="…"?>) and is
// followed by a PHP statement end: "<? echo 'x'; ?>", "<?xml :echo 1;".
func (s *scan) checkPHPTag(v []byte, factor float64) {
	i := indexByte(v, '<')
	for n := 0; i >= 0 && n < 8; n++ {
		if i+1 < len(v) && v[i+1] == '?' {
			j := i + 2
			for j < len(v) && (isWordChar(v[j]) || v[j] == '-' || v[j] == '.') {
				j++
			}
			k := skipSpaceFwd(v, j)
			attr := k > j && k < len(v) && isIdentStart(v[k])
			if attr {
				e := k
				for e < len(v) && (isWordChar(v[e]) || v[e] == '-' || v[e] == ':') {
					e++
				}
				attr = e < len(v) && v[e] == '='
			}
			if !attr && j == i+2 && k > j && k < len(v) && phpStatement(v[k:]) {
				// "<?  echo x", "<? $a=…": a short open tag and a
				// statement; an XML processing instruction names its
				// target right after "<?".
				s.signal(len(rules)+sigPHPTag, cCode, 0.85*factor, v, i)
				return
			}
			if !attr {
				rest := v[j:]
				if len(rest) > 512 {
					rest = rest[:512]
				}
				if indexByte(rest, ';') >= 0 || bytes.Contains(rest, []byte("?>")) {
					s.signal(len(rules)+sigPHPTag, cCode, 0.85*factor, v, i)
					return
				}
			}
		}
		k := indexByte(v[i+1:], '<')
		if k < 0 {
			return
		}
		i += 1 + k
	}
}

// phpStatement reports whether b starts with a PHP statement that
// outputs or runs something: a variable, '@', echo, print, or a
// dangerous function.
func phpStatement(b []byte) bool {
	if b[0] == '$' || b[0] == '@' {
		return true
	}
	e := 0
	for e < len(b) && e < 32 && isWordChar(b[e]) {
		e++
	}
	w := b[:e]
	return equalFoldStr(w, "echo") || equalFoldStr(w, "print") || dangerousFunc(w)
}

// checkShellCmd flags a command line after a shell separator (";",
// "|", "&&", "$(", "`"): a lowercase command word followed by an option
// ("; perf --version", "|nc -e sh") or a path ("; cat /etc/x"). Prose
// puts words, not options or paths, after a semicolon; cookies and
// header parameters put "name=".
func (s *scan) checkShellCmd(v []byte) {
	best := 0.0
	at := 0
	for p, n := 0, 0; p < len(v) && n < 16; p++ {
		if charClass[v[p]]&cmShell == 0 {
			continue
		}
		c := v[p]
		j := p + 1
		switch {
		case c == ';' || c == '|' || c == '`':
			if j < len(v) && v[j] == '|' {
				j++
			}
		case c == '&' && j < len(v) && v[j] == '&':
			j++
		case c == '$' && j < len(v) && v[j] == '(':
			j++
		default:
			continue
		}
		n++
		j = skipSpaceFwd(v, j)
		st := j
		for j < len(v) && j-st <= 32 && (v[j] >= 'a' && v[j] <= 'z' || j > st && (v[j] >= '0' && v[j] <= '9' || v[j] == '-' || v[j] == '_' || v[j] == '.')) {
			j++
		}
		if j-st < 2 || j-st > 32 || j == len(v) {
			continue
		}
		w := 0.0
		switch {
		case v[j] == ' ' || v[j] == '\t':
			k := skipSpaceFwd(v, j)
			switch {
			case k+2 < len(v) && v[k] == '-' && (isLetter(v[k+1]) || v[k+1] == '-' && isLetter(v[k+2])):
				w = 0.8
			case k < len(v) && v[k] == '$':
				w = 0.7
			case k < len(v) && (v[k] == '/' || v[k] == '~' || v[k] == '.'):
				// A path with at least two segments: "/etc/passwd",
				// "~/.ssh/id_rsa", "./x/y"; not "see /about".
				e := k
				for e < len(v) && v[e] != ' ' && v[e] != '\n' && e-k < 128 {
					e++
				}
				if bytes.Count(v[k:e], []byte("/")) >= 2 {
					w = 0.7
				}
			}
		}
		if w > best {
			best, at = w, st
		}
	}
	if best > 0 {
		s.signal(len(rules)+sigShellCmd, cCommand, best, v, at)
	}
}

// prose reports whether b holds two words separated by a single space
// with no quotes or code punctuation: parenthesised text, not arguments.
func prose(b []byte) bool {
	for i := 1; i+1 < len(b); i++ {
		if b[i] == ' ' && isLetter(b[i-1]) && isLetter(b[i+1]) {
			for _, c := range b {
				if c == '\'' || c == '"' || c == '$' || c == ';' {
					return false
				}
			}
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// checkCRLF flags a CR or LF followed by something that reads as an HTTP
// header line ("Set-Cookie:", "Content-Length:") or a status / request
// line, in the parts of a request that end up in response headers or
// upstream requests: path, query, headers and cookies. Bodies are free
// text where "Note:" after a newline is ordinary.
func (s *scan) checkCRLF(v []byte) {
	switch s.loc {
	case "path", "query", "header", "cookie":
	default:
		s.checkMailCmd(v)
		return
	}
	s.checkMailCmd(v)
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '\r' && v[i] != '\n' {
			continue
		}
		n++
		j := i
		for j < len(v) && (v[j] == '\r' || v[j] == '\n') {
			j++
		}
		k := j
		for k < len(v) && k-j < 40 && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z' || v[k] == '-' || v[k] == '_') {
			k++
		}
		// Servers accept stray CRs and spaces before the colon.
		e := k
		for e < len(v) && e-k < 8 && (v[e] == ' ' || v[e] == '\r' || v[e] == '\t') {
			e++
		}
		header := k-j >= 2 && e < len(v) && v[e] == ':' && headerValue(v[e+1:])
		line := k-j >= 3 && (indexFold(v[j:], "http/1.") == 0 || k < len(v) && v[k] == ' ' && isMethod(v[j:k]))
		if header || line {
			s.signal(len(rules)+sigCRLF, cHeader, 0.85, v, i)
			return
		}
		i = j - 1
	}
}

// checkMailCmd flags an SMTP envelope command on a line of its own
// ("\r\nMAIL FROM:<x@y>", "\nRCPT TO:<…>"): a value that ends up in a
// mail conversation can add recipients or messages that way, and text
// does not put an address in angle brackets right after those words.
func (s *scan) checkMailCmd(v []byte) {
	for i, n := 0, 0; i < len(v) && n < 8; i++ {
		if v[i] != '\r' && v[i] != '\n' {
			continue
		}
		n++
		j := i
		for j < len(v) && (v[j] == '\r' || v[j] == '\n' || v[j] == ' ') {
			j++
		}
		for _, c := range [...]string{"mail from:", "rcpt to:"} {
			if j+len(c) < len(v) && equalFoldStr(v[j:j+len(c)], c) {
				if k := skipSpaceFwd(v, j+len(c)); k < len(v) && v[k] == '<' {
					s.signal(len(rules)+sigMailCmd, cCommand, 0.85, v, i)
					return
				}
			}
		}
		i = j - 1
	}
}

// headerValue reports whether a header line's value is not empty.
func headerValue(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t':
			continue
		case '\r', '\n':
			return false
		}
		return true
	}
	return false
}

// unbalancedClose reports whether b closes more parentheses than it
// opens.
func unbalancedClose(b []byte) bool {
	depth := 0
	for _, c := range b {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return true
			}
		}
	}
	return false
}

func isMethod(b []byte) bool {
	for _, m := range [...]string{"GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"} {
		if string(b) == m {
			return true
		}
	}
	return false
}

// checkLDAP flags an LDAP filter term injected after a closing
// parenthesis: ")(uid=*", ")(|(password=*", ")(&(objectClass=*",
// ")(sn~=x".
func (s *scan) checkLDAP(v []byte, factor float64) {
	for i, n := 0, 0; i+1 < len(v) && n < 8; i++ {
		if v[i] != ')' || v[i+1] != '(' {
			continue
		}
		n++
		j := i + 2
		for j < len(v) && j-i < 6 && (v[j] == '&' || v[j] == '|' || v[j] == '!' || v[j] == '(' || v[j] == ' ') {
			j++
		}
		k := j
		for k < len(v) && k-j < 40 && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z' || v[k] >= '0' && v[k] <= '9' || v[k] == '-' || v[k] == '.') {
			k++
		}
		if k == j || k >= len(v) {
			continue
		}
		if v[k] == '~' || v[k] == '>' || v[k] == '<' {
			k++
		}
		if k < len(v) && v[k] == '=' && (unbalancedClose(v[:i+1]) || k+1 < len(v) && v[k+1] == '*') {
			// The value closes the application's filter, or matches
			// anything: injection, not a filter the user may write.
			s.signal(len(rules)+sigLDAP, cLDAP, 0.8*factor, v, i)
			return
		}
	}
}
