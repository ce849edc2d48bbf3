package prompt

import (
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/warden-dev/warden/aiguard/internal/fold"
)

// span is a word of the normalised text, norm[start:end] (or a stretch
// of the original text, for blobs and spaced runs: see textScan).
type span struct {
	start, end int32
	leet       bool // the word was rewritten from leetspeak or homoglyphs
}

// textScan is what one pass over a text yields: the normalised words for
// the phrase rules, the words that may start a phrase, invisible-character
// counts, smuggled tag text, spaced-out letter runs and the stretches that
// may be base64 or hex blobs. It is reused through a sync.Pool, so its
// slices keep their capacity.
type textScan struct {
	// norm holds the normalised words (lower-cased, folded, leet
	// mapped), words their spans. Its first len(text) bytes are the text
	// with ASCII letters lower-cased, where the words of ASCII letters
	// stay in place; the other words are appended after it.
	norm  []byte
	words []span
	runes []rune // scratch for the current word

	// filter holds the first words of the phrase rules; cands are the
	// indexes of the words it lets through, the only places a phrase
	// can start.
	filter *wordFilter
	cands  []int32

	tagText    []byte // ASCII smuggled in Unicode tag characters
	tags       int
	zeroWidth  int    // zero-width characters between two ASCII letters
	bidi       int    // bidi override / isolate controls
	spacedRuns []span // runs of four or more one-letter words (word indexes)
	single     int    // one-letter words just seen
	nonASCII   bool   // the text holds non-ASCII runes

	// blobs are the runs of the base64 / hex alphabet, at least minBlob
	// bytes long (offsets in the text), that may decode to text.
	blobs []span

	// low is the text lower-cased without the invisible characters, for
	// the substring rules; only text with non-ASCII runes needs it (see
	// containsLower), and from its first such rune scanText builds it on
	// the way (lowOn).
	low     []byte
	lowOn   bool
	lowDone bool   // low is complete
	joined  []byte // scratch for phrase

	generalOnly bool // tests: no fast path, every byte takes the general one
}

// minBlob is the shortest base64 / hex run worth decoding.
const minBlob = 24

func (s *textScan) reset(filter *wordFilter) {
	s.norm = s.norm[:0]
	s.words = s.words[:0]
	s.runes = s.runes[:0]
	s.filter = filter
	s.cands = s.cands[:0]
	s.tagText = s.tagText[:0]
	s.tags, s.zeroWidth, s.bidi = 0, 0, 0
	s.spacedRuns = s.spacedRuns[:0]
	s.single = 0
	s.nonASCII = false
	s.blobs = s.blobs[:0]
	s.low, s.lowOn, s.lowDone = s.low[:0], false, false
}

func isASCIILetter(r rune) bool { return (r|0x20) >= 'a' && (r|0x20) <= 'z' }

// scanText fills s from text in one pass. filter (may be nil: every word
// is a candidate) selects the words that can start a phrase.
func (s *textScan) scanText(text string, filter *wordFilter) {
	s.reset(filter)
	s.norm = lowerLetters(s.norm, text)
	var prev rune
	pendingZW := 0
	run := -1 // start of the current base64 / hex alphabet run, -1 outside one
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf && len(s.runes) == 0 && pendingZW == 0 && scanBits[c]&bLetter != 0 && !s.generalOnly {
			var done bool
			if i, run, prev, done = s.letterWords(text, i, run, prev); done {
				continue
			}
		}
		if c := text[i]; c < utf8.RuneSelf { // ASCII
			if t := scanBits[c]; t&bB64 != 0 {
				if run < 0 {
					run = i
				}
			} else if c != '=' || run < 0 {
				run = s.endBlob(run, i)
			}
			i++
			if pendingZW > 0 {
				if isASCIILetter(rune(c)) {
					s.zeroWidth += pendingZW
				}
				pendingZW = 0
			}
			prev = rune(c)
			c = asciiLower[c]
			if s.lowOn {
				s.low = append(s.low, c)
			}
			switch asciiClass[c] {
			case classWord:
				s.runes = append(s.runes, rune(c))
			case classJoin:
			default:
				s.endWord()
			}
			continue
		}
		run = s.endBlob(run, i)
		if !s.lowOn {
			s.low = appendLowerASCII(s.low[:0], text[:i])
			s.lowOn = true
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		s.nonASCII = true
		switch {
		case r >= 0xE0000 && r <= 0xE007F:
			s.tags++
			if r >= 0xE0020 && r <= 0xE007E && len(s.tagText) < 4096 {
				s.tagText = append(s.tagText, byte(r-0xE0000))
			}
			continue
		case fold.ZeroWidth(r):
			if isASCIILetter(prev) {
				pendingZW++
			}
			continue
		case fold.Bidi(r):
			s.bidi++
			continue
		}
		if pendingZW > 0 {
			if isASCIILetter(r) {
				s.zeroWidth += pendingZW
			}
			pendingZW = 0
		}
		prev = r
		lr := unicode.ToLower(r)
		s.low = utf8.AppendRune(s.low, lr)
		switch {
		case unicode.IsLetter(r):
			s.runes = append(s.runes, lr)
		case unicode.Is(unicode.Mn, r):
			// combining marks: drop (folds é written as e + ´)
		case r >= '0' && r <= '9', r == '@', r == '$':
			s.runes = append(s.runes, r)
		case r == '\'' || r == '’' || r == '`':
			// apostrophes join: don't → dont
		default:
			s.endWord()
		}
	}
	s.endWord()
	s.endBlob(run, len(text))
	s.endSingles()
	s.lowDone = s.lowOn
}

// appendLowerASCII appends the ASCII text lower-cased.
func appendLowerASCII(b []byte, text string) []byte {
	for i := 0; i < len(text); i++ {
		b = append(b, asciiLower[text[i]])
	}
	return b
}

// letterWords is the fast path of scanText: whole ASCII words of letters
// and the ASCII separators after them, from text[i] (a letter). Their
// normalised form is already in norm, in place: a word is its span. It
// returns done=false, having consumed nothing, when the word at the
// returned index goes on with anything else (a digit, an apostrophe, a
// non-ASCII rune): the general path takes that word.
//
// It writes words by index into room made for the whole rest of the text
// (a word per two bytes at most), which keeps its state in registers.
func (s *textScan) letterWords(text string, i, run int, prev rune) (_, _ int, _ rune, done bool) {
	if rest := len(text) - i; cap(s.words)-len(s.words) < rest/2+2 {
		s.words = append(make([]span, 0, 2*cap(s.words)+rest/2+2), s.words...)
	}
	i0 := i
	norm := s.norm[:len(text)]
	words, nw := s.words[:cap(s.words)], len(s.words)
	single := s.single
	const ones = 0x0101010101010101
	for {
		// The end of the word: the first byte that is not an ASCII
		// letter, eight bytes at a time. Per byte, for ASCII (no carry
		// crosses a byte below the first non-ASCII one), bit 7 of ge is
		// set from 'a' on, of gt above 'z'.
		j := i
		for j+8 <= len(text) {
			x := load8(text, j)
			y := x | 0x20*ones
			ge := y + (0x80-'a')*ones
			gt := y + (0x80-'z'-1)*ones
			if bad := (^ge | gt | x) & (0x80 * ones); bad != 0 {
				j += bits.TrailingZeros64(bad) >> 3
				goto end
			}
			j += 8
		}
		for j < len(text) && scanBits[text[j]]&bLetter != 0 {
			j++
		}
	end:
		if j < len(text) && scanBits[text[j]]&bSep == 0 {
			break
		}
		done = true
		if run < 0 {
			run = i
		}
		n := min(j-i, 64) // no trigger word is longer
		words[nw] = span{start: int32(i), end: int32(i + n)}
		if f := s.filter; f != nil {
			if k := wordKey(norm[i : i+n]); f[k/64]&(1<<(k%64)) != 0 {
				s.cands = append(s.cands, int32(nw))
			}
		}
		nw++
		if n == 1 {
			single++
		} else if single > 0 {
			if single >= 4 {
				s.spacedRuns = append(s.spacedRuns, span{start: int32(nw - 1 - single), end: int32(nw - 1)})
			}
			single = 0
		}
		// The separators after the word: most often one space, then a
		// letter.
		if j+1 < len(text) && text[j] == ' ' && scanBits[text[j+1]]&bLetter != 0 {
			if j-run >= minBlob {
				s.blobs = append(s.blobs, span{start: int32(run), end: int32(j)})
			}
			run = -1
			i = j + 1
			continue
		}
		for i = j; i < len(text); i++ {
			c := text[i]
			t := scanBits[c]
			if t&bSep == 0 {
				break
			}
			if t&bB64 != 0 {
				if run < 0 {
					run = i
				}
			} else if run >= 0 && c != '=' {
				if i-run >= minBlob {
					s.blobs = append(s.blobs, span{start: int32(run), end: int32(i)})
				}
				run = -1
			}
		}
		if i == len(text) || scanBits[text[i]]&bLetter == 0 {
			break
		}
	}
	if done {
		prev = rune(text[i-1])
		if s.lowOn {
			s.low = appendLowerASCII(s.low, text[i0:i])
		}
	}
	s.words, s.single = words[:nw], single
	return i, run, prev, done
}

// lowerLetters returns buf holding text with its ASCII letters
// lower-cased (other bytes OR 0x20 too: no word span covers them), eight
// bytes at a time, with room after it for the words the general path
// appends.
func lowerLetters(buf []byte, text string) []byte {
	if cap(buf) < 2*len(text)+16 {
		buf = make([]byte, 0, 2*len(text)+16)
	}
	buf = buf[:len(text)]
	i := 0
	for ; i+8 <= len(text); i += 8 {
		binary.LittleEndian.PutUint64(buf[i:], load8(text, i)|0x2020202020202020)
	}
	for ; i < len(text); i++ {
		buf[i] = text[i] | 0x20
	}
	return buf
}

// load8 reads text[i:i+8] as a little-endian word (one load).
func load8(text string, i int) uint64 {
	w := text[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// phrase returns words [from, to) joined by single spaces, in a buffer
// the next call reuses.
func (s *textScan) phrase(from, to int) []byte {
	b := s.joined[:0]
	for k := from; k < to; k++ {
		if k > from {
			b = append(b, ' ')
		}
		w := s.words[k]
		b = append(b, s.norm[w.start:w.end]...)
	}
	s.joined = b
	return b
}

// endBlob closes the base64 / hex run starting at run (when >= 0) at
// end, and returns -1.
func (s *textScan) endBlob(run, end int) int {
	if run >= 0 && end-run >= minBlob {
		s.blobs = append(s.blobs, span{start: int32(run), end: int32(end)})
	}
	return -1
}

// addWord records norm[start:] as the next word.
func (s *textScan) addWord(start int, leet bool) {
	n := int32(len(s.words))
	s.words = append(s.words, span{start: int32(start), end: int32(len(s.norm)), leet: leet})
	if s.filter != nil && s.filter.has(s.norm[start:]) {
		s.cands = append(s.cands, n)
	}
	if len(s.norm)-start == 1 {
		s.single++
		return
	}
	s.endSingles()
}

// endSingles records the one-letter words just seen as a spaced-out run
// ("i g n o r e", the spacing obfuscation) when there are four or more.
func (s *textScan) endSingles() {
	if s.single >= 4 {
		n := int32(len(s.words))
		if len(s.words) > 0 && s.words[n-1].end-s.words[n-1].start != 1 {
			n-- // ended by the word just added
		}
		s.spacedRuns = append(s.spacedRuns, span{start: n - int32(s.single), end: n})
	}
	s.single = 0
}

// lower returns the text lower-cased with the invisible characters
// scanText drops removed, for the substring rules: as scanText built it
// for text with non-ASCII runes, else built now (tests; the detector
// compares ASCII text in place, see containsLower).
func (s *textScan) lower(text string) []byte {
	if s.lowDone {
		return s.low
	}
	s.lowDone = true
	s.low = s.low[:0]
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			s.low = append(s.low, asciiLower[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r >= 0xE0000 && r <= 0xE007F || fold.ZeroWidth(r) || fold.Bidi(r) {
			continue
		}
		s.low = utf8.AppendRune(s.low, unicode.ToLower(r))
	}
	return s.low
}

// endWord normalises the runes of the current word and appends it to norm.
func (s *textScan) endWord() {
	w := s.runes
	if len(w) == 0 {
		return
	}
	s.runes = s.runes[:0]
	if ascii := asciiLetters(w); ascii {
		start := len(s.norm)
		for _, r := range w[:min(len(w), 64)] {
			s.norm = append(s.norm, byte(r))
		}
		s.addWord(start, false)
		return
	}
	if len(w) > 64 { // no trigger word is that long; keep a bounded prefix
		w = w[:64]
	}
	letters, digits, latin, cyr := 0, 0, 0, 0
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9' || r == '@' || r == '$':
			digits++
		case r < 0x250:
			letters++
			latin++
		case r >= 0x400 && r <= 0x4FF, r >= 0x370 && r <= 0x3FF: // Cyrillic, Greek
			letters++
			cyr++
		default:
			letters++
		}
	}
	leet := false
	if digits > 0 && letters > 0 {
		for j, r := range w {
			if m := fold.Leet(r); m != 0 {
				w[j] = m
				leet = true
			}
		}
	} else if digits > 0 && letters == 0 {
		// plain number or symbols: keep "@" / "$" out of words
		clean := w[:0]
		for _, r := range w {
			if r >= '0' && r <= '9' {
				clean = append(clean, r)
			}
		}
		w = clean
		if len(w) == 0 {
			return
		}
	}
	if latin > 0 && cyr > 0 { // homoglyph mix such as Cyrillic і or Greek ο in "іgnοre"
		for j, r := range w {
			if m := fold.Homoglyph(r); m != 0 {
				w[j] = m
				leet = true
			}
		}
	}
	start := len(s.norm)
	for _, r := range w {
		s.norm = appendFolded(s.norm, r)
	}
	s.addWord(start, leet)
}

func asciiLetters(w []rune) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// appendFolded appends r with Latin diacritics removed (é → e, ß → ss).
func appendFolded(b []byte, r rune) []byte {
	if r < 0x80 {
		return append(b, byte(r))
	}
	if r < 0x250 {
		switch r {
		case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
			return append(b, 'a')
		case 'ç', 'ć', 'č', 'ĉ', 'ċ':
			return append(b, 'c')
		case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
			return append(b, 'e')
		case 'ì', 'í', 'î', 'ï', 'ī', 'į', 'ı':
			return append(b, 'i')
		case 'ñ', 'ń', 'ň':
			return append(b, 'n')
		case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
			return append(b, 'o')
		case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű', 'ų':
			return append(b, 'u')
		case 'ý', 'ÿ':
			return append(b, 'y')
		case 'ß':
			return append(b, 's', 's')
		case 'œ':
			return append(b, 'o', 'e')
		case 'æ':
			return append(b, 'a', 'e')
		case 'ł':
			return append(b, 'l')
		case 'ś', 'š', 'ş':
			return append(b, 's')
		case 'ź', 'ż', 'ž':
			return append(b, 'z')
		case 'ğ':
			return append(b, 'g')
		case 'ř':
			return append(b, 'r')
		case 'ť', 'ţ':
			return append(b, 't')
		case 'ď':
			return append(b, 'd')
		}
	}
	switch {
	case r >= 0xFF41 && r <= 0xFF5A: // fullwidth ａ–ｚ (capitals are lowered before)
		return append(b, byte('a'+r-0xFF41))
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical bold, italic, script … letters
		k := (r - 0x1D400) % 52
		if k >= 26 {
			k -= 26
		}
		return append(b, byte('a'+k))
	}
	return utf8.AppendRune(b, r)
}

const (
	classSep  = iota // ends a word
	classWord        // letter, digit, '@', '$': part of a word
	classJoin        // apostrophe, backtick: dropped, joins ("don't" → "dont")
)

// Bits of scanBits, the byte classes of scanText's fast path.
const (
	bLetter = 1 << iota // ASCII letter
	bUpper              // upper-case ASCII letter
	bSep                // ASCII separator: ends a word (classSep)
	bB64                // base64 / hex alphabet (standard and URL)
)

// scanBits is an immutable lookup table: the bits above for each byte
// (none for bytes of non-ASCII runes).
var scanBits = func() (t [256]uint8) {
	for c := range 128 {
		b := byte(c)
		switch {
		case b >= 'a' && b <= 'z':
			t[c] = bLetter
		case b >= 'A' && b <= 'Z':
			t[c] = bLetter | bUpper
		}
		if asciiClass[asciiLower[c]] == classSep {
			t[c] |= bSep
		}
		if b64Table[c] {
			t[c] |= bB64
		}
	}
	return t
}()

// asciiLower and asciiClass are immutable lookup tables for the ASCII
// fast path of scanText.
var asciiLower, asciiClass = func() (low, class [128]byte) {
	for c := range 128 {
		b := byte(c)
		low[c] = b
		if b >= 'A' && b <= 'Z' {
			low[c] = b + 'a' - 'A'
		}
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '@', b == '$':
			class[c] = classWord
		case b == '\'' || b == '`':
			class[c] = classJoin
		}
	}
	return low, class
}()

// fuzzyWords are the trigger words that spelling slips and split words
// still read as: a word one typo away from one of them ("everthing",
// "instrucions", "ingore") or two words that join into one ("ig nore",
// "pass word") is read as the trigger word. Inflections one edit away
// ("instruction", "passwords") mean the same, so correcting them is
// harmless; short words are corrected only for swapped letters, as a
// deleted or changed letter there makes other words ("forgot").
var fuzzyWords = [...]string{
	"ignore", "forget", "reveal", "secret", "prompt", "system",
	"instructions", "instruction", "everything", "previous", "previously", "disregard",
	"password", "passphrase", "guidelines", "directives", "override", "restrictions",
	"confidential", "credentials", "administrator", "developer", "anything",
}

// fuzzyMaxLen bounds the length of fuzzyWords (and of the words looked at).
const fuzzyMaxLen = 16

// fuzzyIndex indexes fuzzyWords by first letter and length: bit k of
// byFirstLen[c][n] is set when fuzzyWords[k] starts with 'a'+c and has n
// bytes; near[c][n] holds the words a word of n bytes may be one slip
// from (n-1, n, n+1 bytes). known holds the words of the rules (every
// language): a word the rules spell is not a slip ("passwort",
// "previos", "administrador").
//
// second and last (by a word's second and last letter) and joinLast (by
// the last letter of a joined word) narrow the candidates down before a
// comparison: one slip leaves the second or the last letter in place.
type fuzzyIndex struct {
	byFirstLen [26][fuzzyMaxLen + 2]uint32
	near       [26][fuzzyMaxLen + 2]uint32
	second     [26]uint32
	last       [26]uint32
	at         [fuzzyMaxLen][26]uint32 // at[i][c]: the words with letter 'a'+c at index i
	known      map[string]struct{}
}

func newFuzzyIndex(known map[string]struct{}) *fuzzyIndex {
	x := &fuzzyIndex{known: known}
	for k, w := range fuzzyWords {
		c, n := w[0]-'a', len(w)
		x.byFirstLen[c][n] |= 1 << k
		x.second[w[1]-'a'] |= 1 << k
		x.last[w[n-1]-'a'] |= 1 << k
		for i := range n {
			x.at[i][w[i]-'a'] |= 1 << k
		}
		for m := max(n-1, 5); m <= n+1; m++ {
			if len(w) >= 7 || m == n {
				x.near[c][m] |= 1 << k
			}
		}
	}
	return x
}

// nearWord returns the fuzzy word w (of at least 5 bytes, starting with
// a lower-case letter) is one slip away from, "" if none (or w is one).
func (x *fuzzyIndex) nearWord(w []byte) string {
	n := len(w)
	if n > fuzzyMaxLen+1 {
		return ""
	}
	if n <= fuzzyMaxLen {
		for b := x.byFirstLen[w[0]-'a'][n]; b != 0; b &= b - 1 {
			if string(w) == fuzzyWords[bits.TrailingZeros32(b)] {
				return ""
			}
		}
	}
	for b := x.near[w[0]-'a'][n]; b != 0; b &= b - 1 {
		f := fuzzyWords[bits.TrailingZeros32(b)]
		// One slip leaves the first two or the last two letters.
		if w[1] != f[1] && (w[n-1] != f[len(f)-1] || w[n-2] != f[len(f)-2]) {
			continue
		}
		if len(f) >= 7 && oneEdit(w, f) || len(f) == n && swapped(w, f) {
			if _, ok := x.known[string(w)]; ok {
				return ""
			}
			return f
		}
	}
	return ""
}

// oneEdit reports whether a and b differ by one substitution, insertion
// or deletion (not zero).
func oneEdit(a []byte, b string) bool {
	if len(a) > len(b)+1 || len(b) > len(a)+1 {
		return false
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case len(a) == len(b):
		return i < len(a) && string(a[i+1:]) == b[i+1:]
	case len(a) > len(b):
		return string(a[i+1:]) == b[i:]
	default:
		return string(a[i:]) == b[i+1:]
	}
}

// swapped reports whether a is b with two adjacent letters swapped.
func swapped(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && string(a[i+2:]) == b[i+2:]
}

// fixWords reads slips of the trigger words as the words (see
// fuzzyWords): a corrected or joined word is appended to norm, its span
// marked as obfuscated, and the phrase candidates are recomputed. Most
// words cost two table lookups.
func (s *textScan) fixWords(x *fuzzyIndex) {
	// The scan: a tight loop over local copies that only finds the first
	// word to fix (fixing is rare); fixFrom does the rest.
	words, norm := s.words, s.norm
	for k, sp := range words {
		n := int(sp.end - sp.start)
		c := norm[sp.start] - 'a'
		if c >= 26 || n > fuzzyMaxLen+1 {
			continue
		}
		if k+1 < len(words) {
			nx := words[k+1]
			m := n + int(nx.end-nx.start)
			if e, b0 := norm[nx.end-1]-'a', norm[nx.start]-'a'; m <= fuzzyMaxLen && e < 26 && b0 < 26 && x.byFirstLen[c][m]&x.last[e]&x.at[n][b0] != 0 && x.joined(norm[sp.start:sp.end], norm[nx.start:nx.end]) != "" {
				s.fixFrom(x, k)
				return
			}
		}
		if n < 5 {
			continue
		}
		if b := x.near[c][n]; b != 0 && x.maybeNear(b, norm[sp.start:sp.end]) && x.nearWord(norm[sp.start:sp.end]) != "" {
			s.fixFrom(x, k)
			return
		}
	}
}

// maybeNear is the cheap test before nearWord: one slip leaves the
// second or the last letter of a word of the candidates b in place.
func (x *fuzzyIndex) maybeNear(b uint32, w []byte) bool {
	c2, e := w[1]-'a', w[len(w)-1]-'a'
	return c2 < 26 && b&x.second[c2] != 0 || e < 26 && b&x.last[e] != 0
}

// fixFrom corrects and joins the words from words[k] on (see fixWords)
// and recomputes the phrase candidates.
func (s *textScan) fixFrom(x *fuzzyIndex, k int) {
	set := func(k int, f string) {
		start := len(s.norm)
		s.norm = append(s.norm, f...)
		s.words[k] = span{start: int32(start), end: int32(len(s.norm)), leet: true}
	}
	for ; k < len(s.words); k++ {
		sp := s.words[k]
		w := s.norm[sp.start:sp.end]
		if k+1 < len(s.words) {
			nx := s.words[k+1]
			if f := x.joined(w, s.norm[nx.start:nx.end]); f != "" {
				set(k, f)
				s.words = append(s.words[:k+1], s.words[k+2:]...)
				continue
			}
		}
		if len(w) >= 5 && w[0]-'a' < 26 && len(w) <= fuzzyMaxLen+1 {
			if f := x.nearWord(w); f != "" {
				set(k, f)
			}
		}
	}
	if s.filter == nil {
		return
	}
	s.cands = s.cands[:0]
	for k, sp := range s.words {
		if s.filter.has(s.norm[sp.start:sp.end]) {
			s.cands = append(s.cands, int32(k))
		}
	}
}

// joined returns the fuzzy word that a and b written together make
// ("ig" "nore"), "" if none.
func (x *fuzzyIndex) joined(a, b []byte) string {
	n := len(a) + len(b)
	if len(a) < 2 || len(b) < 2 || n < 6 || n > fuzzyMaxLen || a[0]-'a' >= 26 {
		return ""
	}
	for m := x.byFirstLen[a[0]-'a'][n]; m != 0; m &= m - 1 {
		f := fuzzyWords[bits.TrailingZeros32(m)]
		if f[:len(a)] == string(a) && f[len(a):] == string(b) {
			return f
		}
	}
	return ""
}
