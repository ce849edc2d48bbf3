package ac

// Matcher finds every occurrence of a fixed set of patterns in one pass over
// a text. Matching folds ASCII case and treats every ASCII whitespace byte as
// a space; a run of whitespace in the text matches one space in a pattern.
//
// The automaton is a full DFA over byte classes (bytes that occur in no
// pattern share one class), with whitespace runs folded into its
// transitions, so Scan does one table lookup per byte, runs in
// time linear in the text plus the number of matches, and does not
// allocate. A Matcher is immutable after New and safe for concurrent use.
// The zero Matcher matches nothing.
type Matcher struct {
	class    [256]uint8
	nclass   int
	delta    []int32 // delta[state*nclass+class] = next state * nclass
	outOff   []int32 // outputs of state s: outIDs[outOff[s]:outOff[s+1]]
	outIDs   []int32
	plen     []int32
	start    int32 // row offset (state * nclass) of the root
	firstOut int32 // row offsets >= firstOut belong to states with outputs
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func fold(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	if isSpace(c) {
		return ' '
	}
	return c
}

// New compiles patterns. Pattern i is reported as i. Empty patterns are
// ignored. Patterns are folded the same way as the text.
func New(patterns []string) *Matcher {
	m := &Matcher{}
	// Byte classes: class 0 for bytes in no pattern.
	var used [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[fold(p[i])] = true
		}
	}
	n := 1
	var folded [256]uint8
	for c := 0; c < 256; c++ {
		if used[c] {
			folded[c] = uint8(n)
			n++
		}
	}
	for c := 0; c < 256; c++ {
		m.class[c] = folded[fold(byte(c))]
	}
	m.nclass = n

	// Trie.
	type node struct {
		next     map[uint8]int32
		out      []int32
		fail     int32
		viaSpace bool // the node's prefix ends in whitespace
	}
	nodes := []node{{next: map[uint8]int32{}}}
	m.plen = make([]int32, len(patterns))
	for id, p := range patterns {
		m.plen[id] = int32(len(p))
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := m.class[p[i]]
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}, viaSpace: c == m.class[' ']})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// BFS for failure links and dense transitions.
	m.delta = make([]int32, len(nodes)*n)
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < n; c++ {
		if nx, ok := nodes[0].next[uint8(c)]; ok {
			nodes[nx].fail = 0
			m.delta[c] = nx
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < n; c++ {
			if nx, ok := nodes[s].next[uint8(c)]; ok {
				nodes[nx].fail = m.delta[int(f)*n+c]
				m.delta[int(s)*n+c] = nx
				queue = append(queue, nx)
			} else {
				m.delta[int(s)*n+c] = m.delta[int(f)*n+c]
			}
		}
	}
	// A run of whitespace matches one space: a state entered on a space
	// stays put on the next one. (A space that leads to the root already
	// loops there, since no pattern then starts with a space.) A state
	// with outputs must not report them again, so it moves instead to a
	// silent twin, which has its transitions and no outputs.
	sp := int(m.class[' '])
	for i, nn := 0, len(nodes); i < nn; i++ {
		if !nodes[i].viaSpace {
			continue
		}
		if len(nodes[i].out) == 0 {
			m.delta[i*n+sp] = int32(i)
			continue
		}
		t := int32(len(nodes))
		nodes = append(nodes, node{viaSpace: true})
		m.delta = append(m.delta, m.delta[i*n:(i+1)*n]...)
		m.delta[int(t)*n+sp] = t
		m.delta[i*n+sp] = t
	}
	// Renumber states so that those with outputs come last: Scan then
	// needs one comparison per byte to know whether to report.
	order := make([]int32, 0, len(nodes))
	for i := range nodes {
		if len(nodes[i].out) == 0 {
			order = append(order, int32(i))
		}
	}
	m.firstOut = int32(len(order))
	for i := range nodes {
		if len(nodes[i].out) != 0 {
			order = append(order, int32(i))
		}
	}
	newID := make([]int32, len(nodes))
	for nid, old := range order {
		newID[old] = int32(nid)
	}
	// delta holds the next state pre-multiplied by nclass (its row
	// offset), which saves a multiplication per byte in Scan.
	delta := make([]int32, len(m.delta))
	for nid, old := range order {
		for c := 0; c < n; c++ {
			delta[nid*n+c] = newID[m.delta[int(old)*n+c]] * int32(n)
		}
	}
	m.delta = delta
	m.start = newID[0] * int32(n)
	m.firstOut *= int32(n)
	m.outOff = make([]int32, len(nodes)+1)
	for nid, old := range order {
		m.outOff[nid] = int32(len(m.outIDs))
		m.outIDs = append(m.outIDs, nodes[old].out...)
	}
	m.outOff[len(nodes)] = int32(len(m.outIDs))
	return m
}

// Scan calls fn for every match in text, in order of end position, with
// the pattern id and the index just past the match's last byte in text.
// Because whitespace runs collapse, the match may span more bytes than the
// pattern. Scan stops early when fn returns false.
func (m *Matcher) Scan(text []byte, fn func(id, end int) bool) {
	if m == nil || len(m.delta) == 0 {
		return
	}
	n := int32(m.nclass)
	delta, class, first := m.delta, &m.class, m.firstOut
	s := m.start // row offset of the current state
	for i, c := range text {
		s = delta[s+int32(class[c])]
		if s >= first {
			st := s / n
			for _, id := range m.outIDs[m.outOff[st]:m.outOff[st+1]] {
				if !fn(int(id), i+1) {
					return
				}
			}
		}
	}
}

// Len returns the length in bytes of pattern id.
func (m *Matcher) Len(id int) int { return int(m.plen[id]) }
