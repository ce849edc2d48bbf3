package promptmodel

import (
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/warden-dev/warden/aiguard/internal/fold"
)

// The features of a text are hashed into 1<<bits buckets: word unigrams and
// bigrams of the normalised text, character 3- to 5-grams of the same
// normalised stream (robust to typos, inflection and to scripts written
// without spaces), and a length bucket. Normalisation lower-cases, folds
// Latin diacritics, full-width forms, mathematical and circled letters,
// drops invisible characters, decodes Unicode tag characters (ASCII
// smuggling), and maps leetspeak digits and Cyrillic / Greek homoglyphs
// inside words that mix them with Latin letters.

// maxHalf bounds the text scored: longer texts are scored on their first
// and last maxHalf bytes, where an injection sits (a long paste with an
// instruction at either end), so the time per text is bounded.
const maxHalf = 8 << 10

// maxToken is the longest token kept whole; longer runs are split.
const maxToken = 32

// Hash seeds per feature kind, so a word and a 3-gram never share a key.
const (
	seedWord    = 0x9747b28c
	seedBigram  = 0x85ebca6b
	seedGram4   = 0x27d4eb2f
	seedLength  = 0x3c6ef372
	fnvPrime    = 0x01000193
	finalMixMul = 0x9e3779b1
)

// token classes
const (
	tkWord = iota
	tkCJK  // one Han / kana character: a word of its own
	tkPunct
)

// extractor turns a text into feature bucket indexes. It holds no state
// between texts; it lives on the stack of appendFeatures.
type extractor struct {
	shift uint32 // 32 - bits
	out   []uint32
	// With w set, features are not appended to out but their weights
	// summed into sum, counted in n: Score needs no buffer.
	w      []int8
	sum    int32
	nfeats int
	// Windows are pairs of half windows: cur sums the half being
	// filled, prev the one before it (see windowScore).
	cur, prev int32
	best      float64 // the highest window score so far

	tok     [maxToken]rune
	n       int // runes in tok
	class   int
	letters int // letters in tok
	digits  int // digits (and @ $) in tok
	latin   int // ASCII letters in tok
	other   int // Cyrillic / Greek letters in tok

	prevWord  uint32 // hash of the previous token, 0 at the start
	prevClass int
	gram      uint64 // last four runes of the character stream
	seen      int    // runes pushed to the ring

	// idx gathers a token's features (mixed hashes) before they are
	// added: at most maxToken+3; a power of two, so that asciiWord's
	// loop indexes it by a masked count with no bounds check.
	idx [64]uint32
}

// appendFeatures appends the bucket indexes of text's features to dst.
func appendFeatures(dst []uint32, text string, bits uint8) []uint32 {
	e := extractor{shift: 32 - uint32(bits), out: dst, prevClass: -1}
	e.run(text)
	return e.out
}

// window is the number of features (about 400 characters) in a window
// of a long text. A long text scores as its highest window, windows
// overlapping by half: as a whole, a short instruction in a long paste
// would be diluted (padding an attack with benign code would hide it).
const window = 512

var invSqrtWindow = 1 / math.Sqrt(window)

// windowScore returns the highest normalised weight sum (sum over
// sqrt(features)) of text's windows; a text of one window or less is
// scored whole. len(w) is 1<<bits.
//
// Windows start every half window: window j holds features
// [j*window/2, j*window/2+window). The full ones are scored as each half
// ends (emit); at the end two partial windows remain, one ending in the
// partial half alone and one in the last full half with it, each scored
// when it holds a quarter window or more.
func windowScore(w []int8, text string, bits uint8) float64 {
	e := extractor{shift: 32 - uint32(bits), w: w, prevClass: -1, best: math.Inf(-1)}
	e.run(text)
	n := e.nfeats
	if n <= window {
		return float64(e.sum) / math.Sqrt(float64(max(n, 1)))
	}
	r := n % (window / 2)
	if r >= window/4 {
		e.best = max(e.best, float64(e.cur)/math.Sqrt(float64(r)))
	}
	return max(e.best, float64(e.prev+e.cur)/math.Sqrt(float64(window/2+r)))
}

func (e *extractor) run(text string) {
	if len(text) > 2*maxHalf {
		head := text[:maxHalf]
		for len(head) > 0 && !utf8.RuneStart(text[len(head)]) {
			head = head[:len(head)-1]
		}
		tail := text[len(text)-maxHalf:]
		for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
			tail = tail[1:]
		}
		e.scan(head)
		e.flush()
		e.scan(tail)
	} else {
		e.scan(text)
	}
	e.flush()
	e.push(' ')
	e.emit(mix(seedLength ^ uint32(lengthBucket(e.seen))))
}

func lengthBucket(n int) int {
	b := 0
	for n > 16 && b < 12 {
		n >>= 1
		b++
	}
	return b
}

func mix(h uint32) uint32 { return h * finalMixMul }

// emit adds the feature hashed to h: its weight when scoring, its
// bucket otherwise.
func (e *extractor) emit(h uint32) {
	i := mix(h) >> e.shift
	if e.w == nil {
		e.out = append(e.out, i)
		return
	}
	e.score(i)
}

// score adds the weight of bucket i. It inlines into the loop over a
// word's characters, which emits one character gram each.
func (e *extractor) score(i uint32) {
	v := int32(e.w[i&uint32(len(e.w)-1)])
	e.sum += v
	e.cur += v
	e.nfeats++
	if e.nfeats&(window/2-1) == 0 {
		e.halfEnd()
	}
}

// halfEnd closes a half window, and with it the window of it and the
// half before.
func (e *extractor) halfEnd() {
	if e.nfeats >= window {
		e.best = max(e.best, float64(e.prev+e.cur)*invSqrtWindow)
	}
	e.prev, e.cur = e.cur, 0
}

func (e *extractor) scan(text string) {
	for i := 0; i < len(text); {
		c := text[i]
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			// A run of ASCII letters, most of any text: a whole word
			// read from the text in one pass, a longer run added in
			// bulk, as rune would add them one by one.
			if e.n > 0 && e.class != tkWord {
				e.flush()
			}
			if e.n == 0 {
				if j := e.asciiWord(text, i); j > i {
					i = j
					continue
				}
			}
			j := i + 1
			for j < len(text) && text[j]|0x20 >= 'a' && text[j]|0x20 <= 'z' {
				j++
			}
			e.letterRun(text[i:j])
			i = j
			continue
		}
		if c == ' ' {
			// what rune does for a space
			if e.n > 0 {
				e.flush()
			}
			i++
			continue
		}
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(text[i:])
			i += size
		}
		e.rune(r)
	}
}

// endsWord reports whether the byte c after a run of ASCII letters ends
// the word: an ASCII byte that rune would not add to it (digits, @, $
// and apostrophes join; non-ASCII runes may be letters or invisible).
func endsWord(c byte) bool {
	return c == ' ' || c < utf8.RuneSelf && (c|0x20 < 'a' || c|0x20 > 'z') && c != '\'' && c != '@' && c != '$' && (c < '0' || c > '9')
}

// asciiWord adds the word of ASCII letters at text[i:], with no token
// pending, in one pass over it: what letterRun and flush do for it. It
// returns where the word ends, or i, having added nothing, when the
// word is not all ASCII letters or is longer than maxToken.
func (e *extractor) asciiWord(text string, i int) int {
	// The word's character grams go after the at most three features
	// it starts with (wordHead); they follow the space pushed before it.
	const head = 3
	h := uint32(seedWord)
	gram := e.gram<<16 | ' '
	w := text[i:min(len(text), i+maxToken)]
	m := 0
	for ; m < len(w); m++ {
		c := w[m] | 0x20
		if c-'a' >= 26 {
			break
		}
		h = (h ^ uint32(c)) * fnvPrime
		gram = gram<<16 | uint64(c)
		e.idx[uint(head+m)%uint(len(e.idx))] = mix(gramHash(gram))
	}
	if j := i + m; j < len(text) && !endsWord(text[j]) {
		return i
	}
	e.class = tkWord
	n := e.wordHead(h)
	// The first three characters of a text have no gram of their own.
	skip := max(0, 3-e.seen)
	if n < head || skip > 0 {
		copy(e.idx[n:], e.idx[head+skip:head+max(m, skip)])
	}
	e.gram, e.seen = gram, e.seen+m
	e.prevClass = tkWord
	e.feats(e.idx[:n+max(m-skip, 0)])
	return i + m
}

// wordHead puts into e.idx the mixed hashes of the features a token of
// hash h starts with (the word, the bigram with the one before, the gram
// ending in the space before it unless both are CJK) and returns how
// many.
func (e *extractor) wordHead(h uint32) int {
	e.idx[0] = mix(h)
	k := 1
	if e.prevWord != 0 {
		e.idx[k] = mix((e.prevWord*31 ^ h ^ seedBigram) * fnvPrime)
		k++
	}
	e.prevWord = h
	if !(e.class == tkCJK && e.prevClass == tkCJK) {
		e.gram = e.gram<<16 | ' '
		e.seen++
		if e.seen >= 4 {
			e.idx[k] = mix(gramHash(e.gram))
			k++
		}
	}
	return k
}

// gramHash hashes the last four runes of the character stream.
func gramHash(gram uint64) uint32 {
	return uint32((gram*0x9e3779b97f4a7c15)>>32) ^ seedGram4
}

// feats adds the features of mixed hashes hs, in order, as emit would:
// appends their buckets, or adds their weights with the sums in
// registers (halfEnd reads them from e).
func (e *extractor) feats(hs []uint32) {
	shift := e.shift & 31
	if e.w == nil {
		for _, h := range hs {
			e.out = append(e.out, h>>shift)
		}
		return
	}
	w, mask := e.w, uint32(len(e.w)-1)
	sum, cur, n := e.sum, e.cur, e.nfeats
	if n%(window/2)+len(hs) < window/2 {
		// No half window ends here.
		var s int32
		for _, h := range hs {
			s += int32(w[h>>shift&mask])
		}
		e.sum, e.cur, e.nfeats = sum+s, cur+s, n+len(hs)
		return
	}
	for _, h := range hs {
		v := int32(w[h>>shift&mask])
		sum += v
		cur += v
		n++
		if n&(window/2-1) == 0 {
			e.sum, e.cur, e.nfeats = sum, cur, n
			e.halfEnd()
			cur = e.cur
		}
	}
	e.sum, e.cur, e.nfeats = sum, cur, n
}

// letterRun adds a run of ASCII letters: what add does for each, with
// the token split at maxToken as add splits it.
func (e *extractor) letterRun(run string) {
	for len(run) > 0 {
		if e.n > 0 && (e.class != tkWord || e.n == maxToken) {
			e.flush()
		}
		e.class = tkWord
		t := e.tok[e.n:min(maxToken, e.n+len(run))]
		k := len(t)
		for j, c := range []byte(run[:k]) {
			t[j] = rune(c | 0x20)
		}
		e.n += k
		e.letters += k
		e.latin += k
		run = run[k:]
	}
}

// rune adds one rune of the text.
func (e *extractor) rune(r rune) {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z':
			e.add(r, tkWord, 1, 0, 1, 0)
		case r >= 'A' && r <= 'Z':
			e.add(r+('a'-'A'), tkWord, 1, 0, 1, 0)
		case r >= '0' && r <= '9', r == '@', r == '$':
			e.add(r, tkWord, 0, 1, 0, 0)
		case r == '\'' && e.class == tkWord && e.n > 0:
			// apostrophes join: don't → dont
		case r <= ' ' || r == 0x7f:
			e.flush()
		default:
			e.add(r, tkPunct, 0, 0, 0, 0)
		}
		return
	}
	r = foldRune(r)
	switch {
	case r < 0:
		return // invisible
	case r < utf8.RuneSelf:
		e.rune(r)
	case r == '’':
		return
	case unicode.Is(unicode.Mn, r):
		return // combining marks: é written as e + ´
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
		e.flush()
		e.add(r, tkCJK, 1, 0, 0, 0)
		e.flush()
	case unicode.IsLetter(r):
		other := 0
		if r >= 0x370 && r <= 0x4FF {
			other = 1
		}
		e.add(unicode.ToLower(r), tkWord, 1, 0, 0, other)
	case unicode.IsDigit(r):
		e.add(r, tkWord, 0, 1, 0, 0)
	case unicode.IsSpace(r):
		e.flush()
	default:
		e.add(r, tkPunct, 0, 0, 0, 0)
	}
}

func (e *extractor) add(r rune, class, letter, digit, latin, other int) {
	if e.n > 0 && (e.class != class || e.n == maxToken) {
		e.flush()
	}
	e.class = class
	e.tok[e.n] = r
	e.n++
	e.letters += letter
	e.digits += digit
	e.latin += latin
	e.other += other
}

// flush ends the current token: normalises it and emits its word and
// character features.
func (e *extractor) flush() {
	if e.n == 0 {
		return
	}
	w := e.tok[:e.n]
	if e.class == tkWord {
		switch {
		case e.digits > 0 && e.letters > 0:
			for j, r := range w {
				if m := fold.Leet(r); m != 0 {
					w[j] = m
				}
			}
		case e.digits > 0:
			// a number: its shape, not its value
			k := 0
			for _, r := range w {
				if r != '@' && r != '$' {
					w[k] = '0'
					k++
				}
			}
			w = w[:k]
		}
		if e.latin > 0 && e.other > 0 {
			for j, r := range w {
				if m := fold.Homoglyph(r); m != 0 {
					w[j] = m
				}
			}
		}
	}
	if len(w) > 0 {
		h := uint32(seedWord)
		for _, r := range w {
			h = (h ^ uint32(r)) * fnvPrime
		}
		k := e.wordHead(h)
		gram, seen := e.gram, e.seen
		for _, r := range w {
			gram = gram<<16 | uint64(uint16(r^r>>16))
			seen++
			if seen >= 4 {
				e.idx[k] = mix(gramHash(gram))
				k++
			}
		}
		e.gram, e.seen = gram, seen
		e.prevClass = e.class
		e.feats(e.idx[:k])
	}
	e.n, e.letters, e.digits, e.latin, e.other = 0, 0, 0, 0, 0
}

// push adds r to the character stream and emits the 4-gram ending there.
// One n-gram size keeps the cost at about one feature per character;
// four characters still share most grams between a word and its typo
// ("everything" / "everthing": five of eight) and across inflections.
func (e *extractor) push(r rune) {
	// The last four runes packed 16 bits each (runes beyond the BMP
	// folded into 16 bits): the gram is one word, hashed by one multiply.
	e.gram = e.gram<<16 | uint64(uint16(r^r>>16))
	e.seen++
	if e.seen < 4 {
		return
	}
	e.emit(gramHash(e.gram))
}

// latinFold maps U+00C0..U+024F to the ASCII letter it decomposes to ('.'
// where none), generated from the Unicode NFKD decompositions.
const latinFold = "aaaaaa.ceeeeiiii.nooooo..uuuuy..aaaaaa.ceeeeiiii.nooooo..uuuuy.yaaaaaaccccccccdd..eeeeeeeeeegggggggghh..iiiiiiiii.iijjkk.llllllll..nnnnnnn..oooooo..rrrrrrsssssssstttt..uuuuuuuuuuuuwwyyyzzzzzzs................................oo.............uu...................dddlllnnnaaiioouuuuuuuuuu.aaaa....ggkkoooo..jdddgg..nnaa....aaaaeeeeiiiioooorrrruuuusstt..hh......aaeeooooooooyy............................"

// foldRune maps a non-ASCII rune to its folded form: -1 for invisible
// characters, an ASCII rune where it is a disguised ASCII character, else
// r.
func foldRune(r rune) rune {
	switch {
	case r >= 0xC0 && r <= 0x24F:
		if c := latinFold[r-0xC0]; c != '.' {
			return rune(c)
		}
		switch r {
		case 'ø', 'Ø', 'œ', 'Œ':
			return 'o'
		case 'æ', 'Æ':
			return 'a'
		case 'ß':
			return 's'
		case 'ł', 'Ł':
			return 'l'
		case 'đ', 'Đ':
			return 'd'
		}
		return r
	case r >= 0xE0000 && r <= 0xE007F: // tag characters: smuggled ASCII
		if r >= 0xE0020 && r <= 0xE007E {
			return r - 0xE0000
		}
		return -1
	case r >= 0xFF01 && r <= 0xFF5E: // full-width forms
		return r - 0xFEE0
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical letters, 52 per style
		return 'a' + (r-0x1D400)%52%26
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical digits
		return '0' + (r-0x1D7CE)%10
	case r >= 0x24B6 && r <= 0x24E9: // circled letters
		return 'a' + (r-0x24B6)%26
	}
	if fold.ZeroWidth(r) || fold.Bidi(r) {
		return -1
	}
	return r
}
