package payload

// NoSQL injection: MongoDB query operators used as parameter or JSON
// key names ($ne, user[$gt], $where).
//
// An operator object is an injection where the application expects a
// scalar: {"password": {"$ne": null}} matches every password. Under a
// key that holds a query document by design ("where", "filter",
// "filters[title][$eq]" as Parse, Strapi and the MongoDB Data API take
// them) the same operators are the API's query language: they are
// logged, not blocked. Operators that run code ($where, $function,
// $accumulator) block wherever they are.

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

// queryKeys are the keys under which APIs take a query document.
var queryKeys = [...]string{
	"where", "filter", "filters", "query", "selector", "criteria",
	"conditions", "condition", "match", "pipeline", "aggregate",
}

// queryKey reports whether k, in any case, is one of queryKeys.
func queryKey(k []byte) bool { return inList(k, queryKeys[:]) }

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
			if len(op) != len(m.op) || indexFold(op, m.op) != 0 {
				continue
			}
			if m.strong {
				s.signal(len(rules)+sigNoSQLStrong, cNoSQL, 0.95, n, i)
				return
			}
			w := 0.8
			switch {
			case s.loc == "json" && s.fields.body != nil && !s.fields.track:
				// Whether the key sits in a query document needs the
				// path: walk the body again with it (rare, as operator
				// keys are).
				s.fields.restart = true
				return
			case s.loc == "json" && s.fields.track && s.fields.fs.underQueryKey():
				w = 0.6
			case s.loc != "json" && i > 0 && bracketQueryKey(n[:i]):
				w = 0.6
			}
			s.signal(len(rules)+sigNoSQLOp, cNoSQL, w, n, i)
			return
		}
	}
}

// underQueryKey reports whether an enclosing key of the current JSON
// path's last key is one of queryKeys.
func (f *fieldStack) underQueryKey() bool {
	if f.over > 0 {
		return false
	}
	for i := 0; i+1 < f.n; i++ {
		sg := &f.segs[i]
		if !sg.elem && !sg.lost && queryKey(f.keys[sg.off:sg.end]) {
			return true
		}
	}
	return false
}

// bracketQueryKey reports whether a segment of the bracketed name n
// ("filters[title]", "where[a][b]") is one of queryKeys.
func bracketQueryKey(n []byte) bool {
	for len(n) > 0 {
		k := 0
		for k < len(n) && n[k] != '[' && n[k] != ']' {
			k++
		}
		if queryKey(n[:k]) {
			return true
		}
		for k < len(n) && (n[k] == '[' || n[k] == ']') {
			k++
		}
		n = n[k:]
	}
	return false
}
