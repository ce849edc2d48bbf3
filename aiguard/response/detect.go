package response

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"strings"

	"github.com/warden-dev/warden/internal/byteview"
	"github.com/warden-dev/warden/internal/redact"
)

// kind is a type of finding.
type kind uint8

const (
	kSecret kind = iota
	kEmail
	kPhone
	kCard
	kIBAN
	kCanary
	kSystemPrompt
	kHTML
	nKinds
)

var kindNames = [nKinds]string{"secret", "email", "phone", "card", "iban", "canary", "system_prompt", "html"}

// violation is the violation type a finding of k is reported under.
func (k kind) violation() string {
	switch k {
	case kSecret:
		return "response_secret"
	case kEmail, kPhone, kCard, kIBAN:
		return "response_pii"
	case kCanary, kSystemPrompt:
		return "system_prompt_leak"
	}
	return "unsafe_output"
}

// match is one finding in a text: text[start:end], of kind k; sub names
// the secret's kind (api_key, jwt, …) for a secret.
type match struct {
	start, end int
	k          kind
	sub        redact.Kind
}

// detectors holds what finding in a text needs; it is read-only.
type detectors struct {
	act [nKinds]Action
	// holds says a finding of the kind changes the answer (redact or
	// cut): text that may grow into one is held back. A bool, not a
	// comparison of the actions, which are strings.
	holds [nKinds]bool
	// onlyKeys says no personal data nor HTML is held: plain text is
	// held back only for a key's prefix or the canary (writer.shaped).
	onlyKeys bool
	names    redact.Names
	canary   []byte
}

// setHolds fills holds from act; it is called once act is final.
func (d *detectors) setHolds() {
	for k, a := range d.act {
		d.holds[k] = rank(a) >= rank(Redact)
	}
	d.onlyKeys = !d.holds[kEmail] && !d.holds[kPhone] && !d.holds[kCard] && !d.holds[kIBAN] && !d.holds[kHTML]
}

// find appends to dst the findings in text of every type not Off.
// fenceOpen says a markdown code block opened before text.
// quiet is plain(text). text[fresh:] is new since the last call: a
// canary that ended before it was found then.
func (d *detectors) find(dst []match, text []byte, fenceOpen, quiet bool, fresh int) []match {
	// The spans are used before text changes: a string view saves a copy
	// of every event's text.
	s := byteview.String(text)
	if !quiet && (d.act[kSecret] != Off || d.act[kCard] != Off) {
		var buf [8]redact.Span
		for _, sp := range d.names.Find(buf[:0], s) {
			switch {
			case sp.Kind == redact.KindCard:
				if d.act[kCard] != Off {
					dst = append(dst, match{sp.Start, sp.End, kCard, 0})
				}
			case d.act[kSecret] == Off:
			case sp.Kind == redact.KindField:
				if st, en, ok := secretValue(s, sp.Start, sp.End); ok {
					dst = append(dst, match{st, en, kSecret, sp.Kind})
				}
			case sp.Kind == redact.KindAuth:
				if authOK(s[sp.Start:sp.End]) {
					dst = append(dst, match{sp.Start, sp.End, kSecret, sp.Kind})
				}
			default:
				dst = append(dst, match{sp.Start, sp.End, kSecret, sp.Kind})
			}
		}
	}
	if !quiet && d.act[kEmail] != Off {
		dst = findEmails(dst, text)
	}
	if !quiet && d.act[kPhone] != Off {
		n := len(dst)
		dst = findRE(dst, text, phoneRE, kPhone, 7, phoneOK)
		// A run of more digit groups than a phone number has is a card,
		// an IBAN or an ID, not a phone number.
		k := n
		for _, m := range dst[n:] {
			before := m.start >= 2 && (text[m.start-1] == ' ' || text[m.start-1] == '-') && isDigit(text[m.start-2])
			after := m.end+1 < len(text) && (text[m.end] == ' ' || text[m.end] == '-') && isDigit(text[m.end+1])
			if !before && !after {
				dst[k] = m
				k++
			}
		}
		dst = dst[:k]
	}
	if !quiet && d.act[kIBAN] != Off {
		dst = findRE(dst, text, ibanRE, kIBAN, 4, ibanOK)
	}
	if len(d.canary) > 0 && d.act[kCanary] != Off {
		for i := max(fresh-len(d.canary)+1, 0); ; {
			j := bytes.Index(text[i:], d.canary)
			if j < 0 {
				break
			}
			dst = append(dst, match{i + j, i + j + len(d.canary), kCanary, 0})
			i += j + len(d.canary)
		}
	}
	if !quiet && d.act[kHTML] != Off {
		for _, m := range htmlRE.FindAllIndex(text, -1) {
			if !inCode(text, m[0], fenceOpen) {
				dst = append(dst, match{m[0], m[1], kHTML, 0})
			}
		}
	}
	return dst
}

// plainScan classifies an answer's text as it comes, for plain: where
// the last byte was that may belong to a finding other than the canary
// (a digit, one of @ < : =, the second of "--", the space after "Bearer"
// or "Basic", the 12th byte of a run of token bytes). Text after it is
// plain: a secret, an address, a number and HTML each need one of these,
// and most of an answer is plain, so most events are read once, by this.
type plainScan struct {
	done    int64 // text offset classified up to
	lastHit int64 // text offset of the last such byte, -1 for none
	run     int   // token bytes before done
	// last holds the bytes before done, the latest in the low byte: the
	// byte before a dash, the five before a space ("earer", "Basic").
	last uint64
}

func newPlainScan() plainScan { return plainScan{lastHit: -1} }

// The five bytes before the space after "Bearer" or "Basic", as last
// holds them.
const (
	lastEarer = uint64('e')<<32 | uint64('a')<<24 | uint64('r')<<16 | uint64('e')<<8 | uint64('r')
	lastBasic = uint64('B')<<32 | uint64('a')<<24 | uint64('s')<<16 | uint64('i')<<8 | uint64('c')
	lastFive  = 1<<40 - 1
)

// feed classifies text, which starts at text offset base, up to its end.
func (p *plainScan) feed(text []byte, base int64) {
	for i := max(int(p.done-base), 0); i < len(text); i++ {
		c := text[i]
		hit := false
		switch byteClass[c] {
		case cTrigger:
			hit = true
		case cWord, cJoin, cSym:
			p.run++
			hit = p.run >= 12
		case cDash:
			p.run++
			hit = byte(p.last) == '-' || p.run >= 12
		case cSpace:
			l := p.last & lastFive
			hit = l == lastEarer || l == lastBasic
			p.run = 0
		default:
			p.run = 0
		}
		if hit {
			p.lastHit = base + int64(i)
		}
		p.last = p.last<<8 | uint64(c)
	}
	p.done = base + int64(len(text))
}

// str classifies b, the bytes of a JSON string after those fed, up to
// its first byte of class cStop (its closing quote, or a backslash or a
// line end, which the caller leaves to the general reader), as feed
// would, and returns that byte's index, or len(b). It stops at the
// first hit, with ok false; p is then as it was. Once the caller has
// added b[:end] to the text it sets done. word is where in b the
// trailing word starts (letters, digits, '_', '-', '.': a key's prefix
// is one), or -1 when it may have started before b; joined says a '_',
// '-' or '.' is in the word's part in b (a key may start after one).
func (p *plainScan) str(b []byte) (end, word int, joined, ok bool) {
	run := p.run
	word = -1
	// Tested by frequency: letters, spaces, the quote. last is read only
	// at a dash and a space, from b when they are far enough in.
	for i := 0; i < len(b); i++ {
		switch cl := byteClass[b[i]]; {
		case cl == cWord:
			j := i + 1
			for j < len(b) && byteClass[b[j]] == cWord {
				j++
			}
			if run += j - i; run >= 12 {
				return i, 0, false, false
			}
			i = j - 1
		case cl == cSpace:
			prev := byte(p.last)
			if i > 0 {
				prev = b[i-1]
			}
			// Only after an r or a c may the five bytes be "earer" or "Basic".
			if prev == 'r' || prev == 'c' {
				var l uint64
				if i >= 5 {
					l = uint64(b[i-5])<<32 | uint64(b[i-4])<<24 | uint64(b[i-3])<<16 | uint64(b[i-2])<<8 | uint64(prev)
				} else {
					l = shiftIn(p.last, b, i) & lastFive
				}
				if l == lastEarer || l == lastBasic {
					return i, 0, false, false
				}
			}
			run, word, joined = 0, i+1, false
		case cl == cStop:
			p.run, p.last = run, shiftIn(p.last, b, i)
			return i, word, joined, true
		case cl == cDash:
			prev := byte(p.last)
			if i > 0 {
				prev = b[i-1]
			}
			if run++; run >= 12 || prev == '-' {
				return i, 0, false, false
			}
			joined = true
		case cl == cJoin:
			if run++; run >= 12 {
				return i, 0, false, false
			}
			joined = true
		case cl == cSym:
			if run++; run >= 12 {
				return i, 0, false, false
			}
			word, joined = i+1, false
		case cl == cTrigger:
			return i, 0, false, false
		default:
			run, word, joined = 0, i+1, false
		}
	}
	p.run, p.last = run, shiftIn(p.last, b, len(b))
	return len(b), word, joined, true
}

// shiftIn returns last (plainScan.last) with the bytes of b[:n] shifted
// in, read as one word when b is long enough.
func shiftIn(last uint64, b []byte, n int) uint64 {
	switch {
	case n >= 8:
		return binary.BigEndian.Uint64(b[n-8 : n])
	case len(b) >= 8:
		// Shifts of 64 give 0: n 0 keeps last.
		return last<<(8*n) | binary.BigEndian.Uint64(b[:8])>>(64-8*n)
	}
	for _, c := range b[:n] {
		last = last<<8 | uint64(c)
	}
	return last
}

// plainFrom reports whether the text from offset off on is plain.
func (p *plainScan) plainFrom(off int64) bool { return p.lastHit < off }

// Byte classes for plain.
const (
	cOther = iota
	cTrigger
	cWord // letters: token bytes a key's prefix is made of
	cJoin // '_' and '.', also in a key's prefix, and a key may start after them
	cSym  // the other token bytes
	cDash
	cSpace
	cStop // ends a JSON string's plain bytes: " \ and line ends (cOther to feed)
)

// byteClass is the class of every byte; it is never written.
var byteClass = func() (t [256]uint8) {
	for c := range t {
		b := byte(c)
		switch {
		case b >= '0' && b <= '9' || b == '@' || b == '<' || b == ':' || b == '=':
			t[c] = cTrigger
		case b == '-':
			t[c] = cDash
		case b == ' ':
			t[c] = cSpace
		case b == '"' || b == '\\' || b == '\n' || b == '\r':
			t[c] = cStop
		case isAlnum(b):
			t[c] = cWord
		case b == '_' || b == '.':
			t[c] = cJoin
		case b == '+' || b == '/' || b == '~' || b == '%':
			t[c] = cSym
		}
	}
	return t
}()

// secretValue trims the value of a secret-named key, as found in free
// text, to its first word, and rejects what is no secret but prose or
// code: a placeholder (<your-key>, ${TOKEN}, ****), an expression
// (os.environ["X"], getenv(…)) or a word too short to be a credential.
// A model explaining configuration says "password: the one you chose"
// and "token = os.getenv(...)"; only a literal is a leak.
func secretValue(s string, start, end int) (int, int, bool) {
	if !secretKey(s, start) {
		return 0, 0, false
	}
	for start < end && (s[start] == ' ' || s[start] == '\t') {
		start++
	}
	for i := start; i < end; i++ {
		if s[i] == ' ' || s[i] == '\t' {
			end = i
			break
		}
	}
	for end > start && strings.IndexByte(",;.'\"", s[end-1]) >= 0 {
		end-- // punctuation after the value: password: String,
	}
	v := s[start:end]
	if len(v) < 6 {
		return 0, 0, false
	}
	same, letters, dotted := true, true, true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '(', ')', '[', ']', '{', '}', '<', '>', '$', '%', '`', '*', '/', '\\':
			return 0, 0, false
		}
		same = same && c == v[0]
		isLetter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		letters = letters && isLetter
		dotted = dotted && (isLetter || c == '.' || c >= '0' && c <= '9' && i > 0)
	}
	// A word (String, hashedpass) or a dotted name (document.cookie,
	// req.session.id) is code or prose: a literal secret has digits or
	// symbols in it.
	if same || letters || dotted && strings.IndexByte(v, '.') > 0 {
		return 0, 0, false
	}
	lv := strings.ToLower(v)
	for _, p := range [...]string{"your", "my_", "my-", "example", "placeholder", "changeme", "redacted", "xxxx", "http", "env.", "environ", "process.", "config.", "settings.", "secrets.", "self.", "this.", "args.", "params."} {
		if strings.Contains(lv, p) {
			return 0, 0, false
		}
	}
	return start, end, true
}

// secretKey reports whether the key before the value at s[v] names a
// credential (password, secret, token, API key, private key) rather than
// something about one (password_change, token_created, cookieName,
// session_store): in an answer such names are code and log lines more
// often than secrets.
func secretKey(s string, v int) bool {
	k := v
	for k > 0 && strings.IndexByte(" \t\"':=", s[k-1]) >= 0 {
		k--
	}
	e := k
	for k > 0 && (isAlnum(s[k-1]) || s[k-1] == '_' || s[k-1] == '-' || s[k-1] == '.') {
		k--
	}
	key := strings.ToLower(s[k:e])
	strong := false
	for _, w := range [...]string{"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key", "accesskey", "access_key", "privatekey", "private_key", "credential"} {
		strong = strong || strings.Contains(key, w)
	}
	if !strong {
		return false
	}
	for _, w := range [...]string{"name", "type", "field", "header", "length", "url", "path", "created", "change", "delete", "expire", "logout", "exceed", "policy", "count", "hash", "store", "file", "csrf", "xsrf"} {
		if strings.HasSuffix(key, w) || strings.Contains(key, w+"_") {
			return false
		}
	}
	return true
}

// authOK keeps a bearer or basic credential that looks like one: a basic
// credential is base64 of user:password, a bearer token has digits or is
// long (not "Bearer invalid_token", not "Basic Configuration").
func authOK(m string) bool {
	f := strings.Fields(m)
	if len(f) != 2 {
		return false
	}
	tok := f[1]
	if strings.EqualFold(f[0], "basic") {
		b, err := base64.StdEncoding.DecodeString(tok)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(tok)
		}
		return err == nil && bytes.IndexByte(b, ':') > 0
	}
	digits := strings.ContainsAny(tok, "0123456789")
	return len(tok) >= 12 && digits || len(tok) >= 24
}

// inCode reports whether text[i] is inside a markdown code span or
// fenced block that started in text: there HTML is shown, not rendered.
func inCode(text []byte, i int, fenceOpen bool) bool {
	fences := bytes.Count(text[:i], []byte("```"))
	if (fences%2 == 1) != fenceOpen {
		return true
	}
	line := bytes.LastIndexByte(text[:i], '\n') + 1
	return bytes.Count(text[line:i], []byte("`"))%2 == 1
}

var (
	htmlRE  = regexp.MustCompile(`(?i)<script\b|<iframe\b|<object\b|<embed\b|\bjavascript\s*:|<[a-z][a-z0-9]*\b[^>]*\son[a-z]{3,}\s*=`)
	phoneRE = regexp.MustCompile(`(?:\+[1-9][0-9]{0,2}[ .-]?)?(?:\([0-9]{2,4}\)|[0-9]{2,4})[ .-][0-9]{3,4}[ .-][0-9]{3,5}\b`)
	ibanRE  = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`)
)

// findRE appends the matches of re in text that ok accepts, when text
// has at least minDigits digits (a cheap pass that spares the regular
// expression on most texts).
func findRE(dst []match, text []byte, re *regexp.Regexp, k kind, minDigits int, ok func([]byte) bool) []match {
	n := 0
	for _, c := range text {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	if n < minDigits {
		return dst
	}
	for _, m := range re.FindAllIndex(text, -1) {
		if ok(text[m[0]:m[1]]) {
			dst = append(dst, match{m[0], m[1], k, 0})
		}
	}
	return dst
}

// phoneOK accepts 9 to 15 digits (E.164), with a leading + or
// parentheses or a number that does not look like a date or a version.
func phoneOK(b []byte) bool {
	n := 0
	for _, c := range b {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n >= 9 && n <= 15
}

// ibanOK checks an IBAN's mod-97 digits: letters as 10…35, the first
// four characters moved to the end, the number mod 97 is 1.
func ibanOK(b []byte) bool {
	var s [34]byte
	n := 0
	for _, c := range b {
		if c == ' ' {
			continue
		}
		if n == len(s) {
			return false
		}
		s[n] = c
		n++
	}
	if n < 15 {
		return false
	}
	r := 0
	for i := 0; i < n; i++ {
		c := s[(i+4)%n]
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return r == 1
}

// findEmails appends the e-mail addresses in text, except those of the
// domains reserved for examples (RFC 2606), which answers about code are
// full of.
func findEmails(dst []match, text []byte) []match {
	for i := 0; i < len(text); i++ {
		if text[i] != '@' {
			continue
		}
		s := i
		for s > 0 && isLocal(text[s-1]) {
			s--
		}
		e := i + 1
		dot := -1
		for e < len(text) && (isAlnum(text[e]) || text[e] == '-' || text[e] == '.') {
			if text[e] == '.' {
				dot = e
			}
			e++
		}
		for e > i+1 && text[e-1] == '.' { // a full stop ending the sentence
			e--
			dot = bytes.LastIndexByte(text[i+1:e], '.')
			if dot >= 0 {
				dot += i + 1
			}
		}
		if s == i || dot < 0 || e-dot-1 < 2 || !isLetters(text[dot+1:e]) {
			continue
		}
		if reservedDomain(text[i+1 : e]) {
			continue
		}
		dst = append(dst, match{s, e, kEmail, 0})
		i = e - 1
	}
	return dst
}

func reservedDomain(d []byte) bool {
	d = bytes.ToLower(d)
	for _, r := range [...]string{"example.com", "example.org", "example.net"} {
		if string(d) == r || bytes.HasSuffix(d, []byte("."+r)) {
			return true
		}
	}
	for _, t := range [...]string{".example", ".test", ".invalid", ".localhost", ".local"} {
		if bytes.HasSuffix(d, []byte(t)) {
			return true
		}
	}
	return false
}

func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isLetters(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// canaryHold is the shortest start of the canary held back.
const canaryHold = 4

// pending returns where the tail of text that may still grow into a
// finding that is redacted or cut begins, or len(text): text from there
// is held back until more comes.
// quiet is plain(text).
func (d *detectors) pending(text []byte, quiet bool) int {
	p := len(text)
	s := byteview.String(text)
	if d.holds[kSecret] {
		if quiet {
			// Only a key's prefix at the end may be pending (sk-pro…).
			t := len(text)
			for t > 0 && (isAlnum(text[t-1]) || text[t-1] == '_' || text[t-1] == '-' || text[t-1] == '.') {
				t--
			}
			// Only the token is read: "Bearer " before it, a key's
			// separator or "-----BEGIN" would have made text not plain.
			if t < len(text) {
				p = t + d.names.Pending(s[t:])
			}
		} else {
			p = d.names.Pending(s)
		}
	}
	if len(d.canary) > 0 && d.holds[kCanary] {
		// The longest tail of text that starts the canary: compared only
		// where its first byte is. A tail shorter than canaryHold goes
		// on: a few letters of the canary tell nothing, and holding them
		// would delay every event that ends in its first letter.
		for i := len(text) - min(len(d.canary)-1, len(text)); i <= len(text)-canaryHold; i++ {
			j := bytes.IndexByte(text[i:], d.canary[0])
			if j < 0 || i+j > len(text)-canaryHold {
				break
			}
			if i += j; bytes.HasPrefix(d.canary, text[i:]) {
				p = min(p, i)
				break
			}
		}
	}
	if d.holds[kEmail] || d.holds[kPhone] || d.holds[kCard] || d.holds[kIBAN] {
		// The trailing word, and the groups of digits before it: an
		// address, a number or an IBAN still coming.
		t := len(text)
		for t > 0 && (isLocal(text[t-1]) || text[t-1] == '@') {
			t--
		}
		for t > 1 && (text[t-1] == ' ' || text[t-1] == '(' || text[t-1] == ')') && text[t-2] >= '0' && text[t-2] <= '9' && len(text)-t < 48 {
			t--
			for t > 0 && (isAlnum(text[t-1]) || text[t-1] == '-' || text[t-1] == '.' || text[t-1] == '+') {
				t--
			}
		}
		p = min(p, t)
	}
	if d.holds[kHTML] {
		if lt := bytes.LastIndexByte(text, '<'); lt >= 0 && len(text)-lt < 256 && bytes.IndexByte(text[lt:], '>') < 0 {
			p = min(p, lt)
		}
	}
	return p
}
