package payload

// The scan: the per-request state (pooled by the Detector), the walk of
// one value through the checks that its character classes and the
// automaton's matches call for (value, inspect, analyze), the table of
// values already inspected, and the byte-scanning helpers the checks
// share. Each attack family's checks live in their own file.

import (
	"bytes"
	"hash/maphash"
	"unsafe"

	li "github.com/corazawaf/libinjection-go"

	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/internal/byteview"
	"github.com/warden-dev/warden/internal/redact"
	"github.com/warden-dev/warden/payload/internal/decode"
)

// maxLibinjection bounds how much of a value libinjection reads.
const maxLibinjection = 8 << 10

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
	ubuf    []byte        // a bare host given its scheme (checkBareHost)
	others  []headerEntry // headers set aside by the OtherHeaders walk
	toks    []token
	sigW    []float32
	touched []int32
	best    [numClasses]evidence
	values  int
	loc     string               // location of the value being scanned ("query", "json", …)
	name    []byte               // its name, when it has one
	kind    valueKind            // what the value being scanned looks like
	inName  bool                 // the value being scanned is the name itself
	seen    [seenSlots]uint64    // hashes of short values already inspected in this request
	signals int                  // calls to signal that counted, to tell a clean value
	repeats int                  // values skipped as repeats, to tell an inspected value
	seenAt  [seenSlots / 2]uint8 // the slots in use, to clear only those
	nseen   int
	fields  fieldState // field paths and exclusions (exclusions.go)

	incomplete incompleteness // what the inspection could not reach (incomplete.go)
	names      nameMemo       // names read for nameFacts; a function of the name alone, kept across requests
	fetchMemo  fetchMemo      // names read for fetchNames (fetchName); a function of the name alone, kept across requests
	upload     bool           // the walk of a multipart body ended in a file's content
	args       *args.Set      // the request's arguments, split once for every detector
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
	s.signals = 0
	s.repeats = 0
	s.loc, s.name, s.args = "", nil, nil
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
	trimBuf(&s.ubuf)
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

// unsafeBytes views s as bytes without copying. The scanner only reads
// the values it is given, never writes them.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
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

// fieldFacts returns what the name of the value at the current location
// says of it, for a field of a query, form, multipart or JSON body (not
// a name being inspected; none for other values): whether it holds a
// secret that an application takes as a string (see inspectSecret) and
// whether it takes free text (textField). inspect asks once per value.
func (s *scan) fieldFacts() nameFact {
	if s.inName || !textLoc(s.loc) {
		return 0
	}
	return s.nameFacts(s.name)
}

// nameFact is what a name says of its values.
type nameFact uint8

const (
	factSecret nameFact = 1 << iota // s.d.secrets.MatchBytes(name)
	factText                        // textField(name)
)

// secretName is s.d.secrets.MatchBytes(name), remembered (nameFacts).
func (s *scan) secretName(name []byte) bool {
	return s.nameFacts(name)&factSecret != 0
}

// nameFacts returns factSecret and factText for name, remembered: the
// keys of a JSON array's objects and a form's fields come back with every
// element and every request, and matching a name costs more than the
// checks most of its values need. The memo is direct-mapped by the
// name's length and end bytes, so a lookup is one comparison; it is kept
// across requests (as fetchMemo is), the facts being a function of the
// name and the Detector alone.
func (s *scan) nameFacts(name []byte) nameFact {
	m := &s.names
	n := len(name)
	if n == 0 || n > len(m.name[0]) {
		return s.readName(name)
	}
	i := (uint(n)*31 + uint(name[0]) + uint(name[n-1])*7) % uint(len(m.n))
	if int(m.n[i]) == n && string(m.name[i][:n]) == string(name) {
		return m.facts[i]
	}
	f := s.readName(name)
	m.n[i] = uint8(n)
	copy(m.name[i][:], name)
	m.facts[i] = f
	return f
}

// readName is nameFacts without the memo.
func (s *scan) readName(name []byte) nameFact {
	var f nameFact
	if s.d.secrets.MatchBytes(name) {
		f |= factSecret
	}
	if textField(name) {
		f |= factText
	}
	return f
}

// nameMemo holds the names nameFacts read.
type nameMemo struct {
	n     [16]uint8 // lengths; 0 for an empty slot
	name  [16][24]byte
	facts [16]nameFact
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
func (s *scan) valueMask(v []byte, cm uint32) {
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
func (s *scan) inspect(v []byte, cm uint32) {
	s.values++
	if cm&(cmUnknown|cmSpace) == 0 {
		// Before the gates below: "127.1" is a number to them.
		s.bareHost(v)
	}
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
	facts := s.fieldFacts()
	if facts&factSecret != 0 {
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
		if cm&cmSpace == 0 {
			s.bareHost(v)
		}
	}
	// Rich text that runs no script (markup.go); '<' is a cmSpecial byte.
	inert := cm&cmAngle != 0 && inertMarkup(v)
	if cm&cmSpecial != 0 {
		tf := facts&factText != 0
		if s.inName {
			// A name inspected as a value is its own name.
			tf = textField(s.name)
		}
		k := classify(v, cm, s.loc, tf)
		if inert && k == kindStructured && cm&cmSpace != 0 && !s.inName && textLoc(s.loc) {
			// Inert rich text with words is text a person wrote, shown
			// as it is: "<p>run <code>rm -rf build/</code> first</p>" is
			// judged as markdown is.
			k = kindMarkdown
		}
		if k != kindStructured {
			s.inspectText(v, cm, k)
			return
		}
	}
	if cm&cmSpecial == 0 {
		if cm&cmUpper != 0 && !s.d.disabled[cXSS] {
			s.checkUTF7(v)
		}
		// Letters, digits and a few separators: only whole-word signals
		// (information_schema, xp_cmdshell, processbuilder) can be here.
		s.analyze(v, 1, allClasses)
		s.base64(v, cm)
		return
	}
	mask := allClasses
	if inert {
		// No XSS check applies to inert markup.
		mask &^= 1 << cXSS
	}
	trig := s.analyze(v, 1, mask)
	if cm&cmParen != 0 && !s.d.disabled[cCode] {
		s.checkBareCall(v)
	}
	if cm&cmParen != 0 && cm&cmQuote != 0 && !s.d.disabled[cXSS] {
		s.checkJSBreakout(v)
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
			nmask := allClasses
			if bytes.IndexByte(n, '<') >= 0 && inertMarkup(n) {
				nmask &^= 1 << cXSS
			}
			trig |= s.analyze(n, 0.9, nmask)
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
	if cm&cmSlash != 0 && !s.d.disabled[cCommand] && mayGlob(n, cm) {
		s.checkGlobPath(n)
	}
	if cm&cmUpper != 0 && !s.d.disabled[cXSS] {
		s.checkUTF7(n)
	}
	if cm&cmComment != 0 && hasComment(n) {
		s.cbuf = decode.StripSQLComments(s.cbuf[:0], n)
		s.analyze(s.cbuf, 0.9, (1<<cSQLi|1<<cXSS|1<<cCommand)&mask)
		if !s.d.disabled[cXSS] && mask&(1<<cXSS) != 0 {
			s.checkJSComment(n, s.cbuf)
		}
	}
	s.base64(v, cm)
	if cm&cmCtlSpace != 0 {
		s.checkCRLF(n)
	}
	if cm&cmCtlSpace != 0 && cm&cmColon != 0 {
		// Browsers drop tabs and newlines inside a URL scheme:
		// "ja\tvascript:".
		s.shbuf = dropCtlSpace(s.shbuf[:0], n)
		s.analyze(s.shbuf, 0.9, 1<<cXSS&mask)
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
func (s *scan) base64(v []byte, cm uint32) {
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
	sqlGate := trig&gateSQL != 0 || sqlHit || trig&eqParen != 0 && (trig&conj != 0 || conjStart(v) || closeStart(v))
	if sqlGate && mask&(1<<cSQLi) != 0 {
		lv := v
		if len(lv) > maxLibinjection {
			lv = lv[:maxLibinjection]
		}
		if ok, fp := li.IsSQLi(byteview.String(lv)); ok {
			s.signal(len(rules)+sigLibSQLi, cSQLi, sqliWeight(fp)*factor, v, 0)
		}
		s.sqlChecks(lv, factor)
		s.textSQL(lv, factor)
		if s.loc == "path" {
			s.pathSQL(lv, factor)
		}
	}
	if trig&trigXSS != 0 && mask&(1<<cXSS) != 0 {
		lv := v
		if len(lv) > maxLibinjection {
			lv = lv[:maxLibinjection]
		}
		if li.IsXSS(byteview.String(lv)) {
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
	s.pairInName(n)
}

// nameValueMask is nameValue for a name whose character classes cm are
// known. An operator needs a '$', which is in cmShell.
func (s *scan) nameValueMask(n []byte, cm uint32) {
	if len(n) == 0 {
		return
	}
	if cm&cmShell != 0 {
		s.checkOperator(n)
	}
	s.inName = true
	s.valueMask(n, cm)
	s.inName = false
	if cm&cmSpecial != 0 {
		// '=' is a cmSpecial byte.
		s.pairInName(n)
	}
}

// pairInName inspects, as a value, what follows an '=' inside a query,
// form or multipart name: "pay%3DAND+1%3D1" is the name "pay=AND 1=1",
// a pair encoded once more to hide its value from checks that read
// values, which an application that decodes twice splits again.
func (s *scan) pairInName(n []byte) {
	switch s.loc {
	case "query", "form", "multipart":
	default:
		return
	}
	if i := indexByte(n, '='); i >= 0 && i+1 < len(n) {
		s.value(n[i+1:])
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
