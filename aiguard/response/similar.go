package response

import (
	"hash/maphash"
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// shingleWords is the number of words of a shingle: four words in the
// prompt's order are rare outside it, and a paraphrase breaks them.
const shingleWords = 4

// simWindow is the number of the answer's latest shingles compared: a
// leak is a run of about that many words copied from the prompt.
const simWindow = 24

// maxWord bounds the bytes of one word read; longer runs are cut.
const maxWord = 64

// prompt is the system prompt as a set of hashed shingles; read-only.
type prompt struct {
	seed     maphash.Seed
	shingles map[uint64]struct{}
	window   int // simWindow, or fewer for a short prompt
	need     int // hits in the window that make a leak
}

func newPrompt(text string, share float64) *prompt {
	p := &prompt{seed: maphash.MakeSeed(), shingles: map[uint64]struct{}{}}
	var s similarity
	s.p = p
	s.feed([]byte(text), func(h uint64) bool { p.shingles[h] = struct{}{}; return false })
	s.feed([]byte{' '}, func(h uint64) bool { p.shingles[h] = struct{}{}; return false })
	if len(p.shingles) == 0 {
		return nil
	}
	p.window = min(simWindow, len(p.shingles))
	p.need = max(int(share*float64(p.window)+0.999), 1)
	return p
}

// similarity follows an answer's words against a prompt: the last words'
// hashes and which of the last window shingles the prompt holds. Its
// state is fixed in size.
type similarity struct {
	p     *prompt
	word  [maxWord]byte
	wn    int
	last  [shingleWords]uint64
	words int
	hits  uint64 // bit i: the i-th latest shingle is the prompt's
	seen  int
	found bool
}

// feed reads more text; each complete shingle is passed to on, which
// returns whether the window now makes a leak. It returns true once a
// leak is found.
func (s *similarity) feed(b []byte, on func(uint64) bool) bool {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			r = unicode.ToLower(r)
			if s.wn+utf8.RuneLen(r) <= maxWord {
				s.wn += utf8.EncodeRune(s.word[s.wn:], r)
			}
		} else if s.wn > 0 {
			copy(s.last[:], s.last[1:])
			s.last[shingleWords-1] = maphash.Bytes(s.p.seed, s.word[:s.wn])
			s.wn = 0
			if s.words++; s.words >= shingleWords {
				var h maphash.Hash
				h.SetSeed(s.p.seed)
				for _, w := range s.last {
					var x [8]byte
					for k := range x {
						x[k] = byte(w >> (8 * k))
					}
					h.Write(x[:])
				}
				if on(h.Sum64()) {
					s.found = true
				}
			}
		}
		i += n
	}
	return s.found
}

// answer reads more of the answer and reports whether it leaks the
// prompt.
func (s *similarity) answer(b []byte) bool {
	if s.found {
		return true
	}
	return s.feed(b, func(h uint64) bool {
		s.hits <<= 1
		if _, ok := s.p.shingles[h]; ok {
			s.hits |= 1
		}
		s.seen++
		w := s.p.window
		mask := uint64(1)<<w - 1
		return s.seen >= w && bits.OnesCount64(s.hits&mask) >= s.p.need
	})
}
