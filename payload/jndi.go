package payload

// Log4Shell: a JNDI lookup hidden in ${…} lookups, whatever nested
// lookups and separators spell it.

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
