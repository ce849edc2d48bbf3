package payload

// NoSQL injection: MongoDB query operators used as parameter or JSON
// key names ($ne, user[$gt], $where).

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
