package payload

// XXE: XML entity declarations that load an external resource.

// checkEntity flags XML entity declarations that load external resources.
func (s *scan) checkEntity(v []byte, factor float64) {
	i := indexFold(v, "<!entity")
	if i < 0 {
		return
	}
	rest := v[i:]
	if len(rest) > 1024 {
		rest = rest[:1024]
	}
	if indexFold(rest, "system") >= 0 || indexFold(rest, "public") >= 0 {
		s.signal(len(rules)+sigXXEExternal, cXXE, 0.9*factor, v, i)
	}
}
