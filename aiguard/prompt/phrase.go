package prompt

import (
	"fmt"
	"strconv"
	"strings"
)

// A phrase pattern is a sequence of word slots over the normalised text:
//
//	"ignore|disregard ~2 previous|prior ~3 instruction*"
//
// Alternatives are separated by '|'; a trailing '*' matches a word prefix;
// "~N" lets up to N arbitrary words stand before the next slot; '_' inside
// an alternative stands for a space, so "sure_here" matches two words.
// A last slot written "!a|b" matches no word: the phrase matches only
// when the next word is none of its alternatives (or the text ends), as
// in "the password !of|for" (a password asked for, not the Wi-Fi's).

type slot struct {
	gap    int                   // words that may be skipped before this slot
	not    bool                  // a negative last slot: the next word must not match
	single map[string]struct{}   // one-word alternatives
	multi  map[string][][]string // multi-word alternatives by first word: the other words
	prefix []string              // prefix alternatives
	all    []string              // every exact alternative, for indexing

	// letters has bit c-'a' set when an alternative starts with the
	// letter c; other when one starts with anything else. A word whose
	// first byte is not among them skips the map lookups.
	letters uint32
	other   bool
}

// first notes an alternative's first byte in letters / other.
func (sl *slot) first(alt string) {
	if alt != "" && alt[0] >= 'a' && alt[0] <= 'z' {
		sl.letters |= 1 << (alt[0] - 'a')
		return
	}
	sl.other = true
}

type phrase struct {
	slots []slot
	rule  int
}

// wordFilter is a one-hash Bloom filter over words, keyed on their
// length and first, middle and last bytes (wordKey).
type wordFilter [1 << 16 / 64]uint64

func (f *wordFilter) add(w []byte) {
	k := wordKey(w)
	f[k/64] |= 1 << (k % 64)
}

// has reports whether w may have been added; w is not empty.
func (f *wordFilter) has(w []byte) bool {
	k := wordKey(w)
	return f[k/64]&(1<<(k%64)) != 0
}

// union adds every word of g.
func (f *wordFilter) union(g *wordFilter) {
	for i := range f {
		f[i] |= g[i]
	}
}

type phraseSet struct {
	// maybeFirst holds the first words: most words of ordinary text
	// ("the", "please") skip the map lookup.
	maybeFirst wordFilter
	byFirst    map[string][]int // first word of a first-slot alternative → phrases
	prefixed   []int            // phrases whose first slot has prefix alternatives
	phrases    []phrase
}

func compilePhrase(src string) ([]slot, error) {
	var slots []slot
	gap := 0
	for _, tok := range strings.Fields(src) {
		if strings.HasPrefix(tok, "~") {
			n, err := strconv.Atoi(tok[1:])
			if err != nil || n < 0 || n > 12 {
				return nil, fmt.Errorf("bad gap %q", tok)
			}
			gap = n
			continue
		}
		var sl slot
		sl.gap = gap
		gap = 0
		if rest, ok := strings.CutPrefix(tok, "!"); ok {
			if sl.gap != 0 || len(slots) == 0 {
				return nil, fmt.Errorf("negative slot %q after a gap or first", tok)
			}
			sl.not, tok = true, rest
		}
		for _, alt := range strings.Split(tok, "|") {
			alt = strings.ReplaceAll(alt, "_", " ")
			sl.first(alt)
			if strings.HasSuffix(alt, "*") {
				sl.prefix = append(sl.prefix, strings.TrimSuffix(alt, "*"))
			} else {
				sl.all = append(sl.all, alt)
				if ws := strings.Fields(alt); len(ws) > 1 {
					if sl.multi == nil {
						sl.multi = map[string][][]string{}
					}
					sl.multi[ws[0]] = append(sl.multi[ws[0]], ws[1:])
				} else {
					if sl.single == nil {
						sl.single = map[string]struct{}{}
					}
					sl.single[alt] = struct{}{}
				}
			}
		}
		slots = append(slots, sl)
	}
	if len(slots) == 0 {
		return nil, fmt.Errorf("empty phrase")
	}
	for _, sl := range slots[:len(slots)-1] {
		if sl.not {
			return nil, fmt.Errorf("negative slot before the last")
		}
	}
	if slots[0].gap != 0 {
		return nil, fmt.Errorf("phrase starts with a gap")
	}
	return slots, nil
}

func (ps *phraseSet) add(src string, rule int) error {
	slots, err := compilePhrase(src)
	if err != nil {
		return fmt.Errorf("phrase %q: %w", src, err)
	}
	if ps.byFirst == nil {
		ps.byFirst = make(map[string][]int)
	}
	id := len(ps.phrases)
	ps.phrases = append(ps.phrases, phrase{slots: slots, rule: rule})
	seen := map[string]bool{}
	for _, w := range slots[0].all {
		first, _, _ := strings.Cut(w, " ")
		if !seen[first] {
			seen[first] = true
			ps.maybeFirst.add([]byte(first))
			ps.byFirst[first] = append(ps.byFirst[first], id)
		}
	}
	if len(slots[0].prefix) > 0 {
		ps.prefixed = append(ps.prefixed, id)
	}
	return nil
}

// wordKey hashes a non-empty word into 16 bits for phraseSet.maybeFirst.
func wordKey(w []byte) uint32 {
	n := len(w)
	h := uint32(n)*0x9E3779B1 ^ uint32(w[0])<<24 ^ uint32(w[n-1])<<16 ^ uint32(w[n/2])<<8
	if n > 1 {
		h ^= uint32(w[1]) ^ uint32(w[n-2])<<4
	}
	h *= 0x85EBCA6B
	return h >> 16
}

// matchSlot reports how many words slot sl covers at words[i], 0 if none.
func matchSlot(norm []byte, words []span, i int, sl *slot) int {
	if i >= len(words) {
		return 0
	}
	sp := words[i]
	w := norm[sp.start:sp.end]
	if c := w[0] - 'a'; c < 26 && sl.letters&(1<<c) == 0 || c >= 26 && !sl.other {
		return 0
	}
	if _, ok := sl.single[string(w)]; ok {
		return 1
	}
	if rests, ok := sl.multi[string(w)]; ok {
	alts:
		for _, rest := range rests {
			if i+len(rest) >= len(words) {
				continue
			}
			for k, rw := range rest {
				x := words[i+1+k]
				if string(norm[x.start:x.end]) != rw {
					continue alts
				}
			}
			return 1 + len(rest)
		}
	}
	for _, p := range sl.prefix {
		if len(w) >= len(p) && string(w[:len(p)]) == p {
			return 1
		}
	}
	return 0
}

// matchFrom tries to match slots[k:] with slot k starting no earlier than
// word i; it returns the index after the last matched word, or -1.
func matchFrom(norm []byte, words []span, slots []slot, k, i int) int {
	if k == len(slots) {
		return i
	}
	sl := &slots[k]
	if sl.not {
		if matchSlot(norm, words, i, sl) > 0 {
			return -1
		}
		return i
	}
	for j := i; j <= i+sl.gap && j < len(words); j++ {
		if n := matchSlot(norm, words, j, sl); n > 0 {
			if end := matchFrom(norm, words, slots, k+1, j+n); end >= 0 {
				return end
			}
		}
	}
	return -1
}

// match calls hit for every phrase matching at some word, at most once per
// phrase, with the word range [from, to). cands, when all is false, are
// the indexes of the only words a phrase may start at (in order): the
// words scanText let through a filter holding maybeFirst.
func (ps *phraseSet) match(norm []byte, words []span, cands []int32, all bool, hit func(rule, from, to int)) {
	var done []bool
	try := func(id, i int) {
		if done != nil && done[id] {
			return
		}
		p := &ps.phrases[id]
		if end := matchFrom(norm, words, p.slots, 0, i); end >= 0 {
			if done == nil {
				done = make([]bool, len(ps.phrases))
			}
			done[id] = true
			hit(p.rule, i, end)
		}
	}
	if !all && len(ps.prefixed) == 0 {
		for _, i := range cands {
			sp := words[i]
			w := norm[sp.start:sp.end]
			if !ps.maybeFirst.has(w) {
				continue
			}
			for _, id := range ps.byFirst[string(w)] {
				try(id, int(i))
			}
		}
		return
	}
	for i, sp := range words {
		if !ps.maybeFirst.has(norm[sp.start:sp.end]) {
			if len(ps.prefixed) == 0 {
				continue
			}
		} else if ids, ok := ps.byFirst[string(norm[sp.start:sp.end])]; ok {
			for _, id := range ids {
				try(id, i)
			}
		}
		for _, id := range ps.prefixed {
			try(id, i)
		}
	}
}
