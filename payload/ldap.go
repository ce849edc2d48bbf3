package payload

// LDAP injection: a filter term injected after a closing parenthesis.

// unbalancedClose reports whether b closes more parentheses than it
// opens.
func unbalancedClose(b []byte) bool {
	depth := 0
	for _, c := range b {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return true
			}
		}
	}
	return false
}

// checkLDAP flags an LDAP filter term injected after a closing
// parenthesis: ")(uid=*", ")(|(password=*", ")(&(objectClass=*",
// ")(sn~=x", ")&(cn=admin", and a value that closes the application's
// filter and opens an operator it leaves to the application's own
// closing ("admin)(|") or adds an absolute filter ("admin)(&)").
func (s *scan) checkLDAP(v []byte, factor float64) {
	for i, n := 0, 0; i+1 < len(v) && n < 8; i++ {
		if v[i] != ')' {
			continue
		}
		o := i + 1
		if ldapOp(v[o]) && o+1 < len(v) && v[o+1] == '(' {
			o++ // ")&(cn=x": the operator between the terms
		}
		if v[o] != '(' {
			continue
		}
		n++
		j := o + 1
		for j < len(v) && j-i < 6 && (ldapOp(v[j]) || v[j] == '(' || v[j] == ' ') {
			j++
		}
		if o+2 < len(v) && (v[o+1] == '&' || v[o+1] == '|') && v[o+2] == ')' && unbalancedClose(v[:i+1]) {
			// "admin)(&)": the absolute true (or false) filter after
			// the application's filter is closed.
			s.signal(len(rules)+sigLDAP, cLDAP, 0.8*factor, v, i)
			return
		}
		if j == len(v) && j > o+1 && ldapOp(v[o+1]) && unbalancedClose(v[:i+1]) {
			s.signal(len(rules)+sigLDAP, cLDAP, 0.8*factor, v, i)
			return
		}
		k := j
		for k < len(v) && k-j < 40 && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z' || v[k] >= '0' && v[k] <= '9' || v[k] == '-' || v[k] == '.') {
			k++
		}
		if k == j || k >= len(v) {
			continue
		}
		if v[k] == '~' || v[k] == '>' || v[k] == '<' {
			k++
		}
		if k < len(v) && v[k] == '=' && (unbalancedClose(v[:i+1]) || k+1 < len(v) && v[k+1] == '*') {
			// The value closes the application's filter, or matches
			// anything: injection, not a filter the user may write.
			s.signal(len(rules)+sigLDAP, cLDAP, 0.8*factor, v, i)
			return
		}
	}
}

// ldapOp reports whether c is an LDAP filter operator: and, or, not.
func ldapOp(c byte) bool {
	return c == '&' || c == '|' || c == '!'
}
