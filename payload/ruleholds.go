package payload

// Where a pattern's match counts: the context each rule flag asks for
// (word boundaries, a call's '(', an event handler's '=', a command at
// the start or after a separator, …) and how it scales the rule's
// weight.

// matchStart returns where the match of pat ending at end starts in v,
// undoing the automaton's whitespace collapsing.
func matchStart(v []byte, end int, pat string) int {
	i := end - 1
	for j := len(pat) - 1; j >= 0 && i >= 0; j-- {
		if pat[j] == ' ' && isSpace(v[i]) {
			for i > 0 && isSpace(v[i-1]) {
				i--
			}
		}
		i--
	}
	return i + 1
}

func (s *scan) ruleHolds(v []byte, r *rule, start, end int) float64 {
	f := r.flags
	if f&wordL != 0 && start > 0 && isWordChar(v[start-1]) {
		return 0
	}
	if f&wordR != 0 && end < len(v) && isWordChar(v[end]) {
		return 0
	}
	m := 1.0
	if f&call != 0 {
		j := skipCodeSpace(v, end)
		if j >= len(v) || v[j] != '(' {
			return 0
		}
		if j > end+1 && spacedCall(v, end, j) {
			// "gzuncompress/*x*/(", "exec\n(": hidden from "name(".
			m = 1.6
		}
		if f&numArg != 0 {
			if k := skipCodeSpace(v, j+1); k < len(v) && v[k] >= '0' && v[k] <= '9' {
				// sleep(5), benchmark(5000000,…): a timing probe.
				m = 1.25
			}
		}
	}
	if f&assign != 0 {
		j := skipSpaceFwd(v, end)
		if j >= len(v) || v[j] != '=' {
			return 0
		}
	}
	if f&atStart != 0 && skipSpaceFwd(v, 0) != start {
		return 0
	}
	if f&handler != 0 {
		j := end
		for j < len(v) && j-end < 40 && (v[j] >= 'a' && v[j] <= 'z' || v[j] >= 'A' && v[j] <= 'Z') {
			j++
		}
		if j-end < 4 {
			return 0
		}
		j = skipSpaceFwd(v, j)
		if j >= len(v) || v[j] != '=' || start == 0 {
			return 0
		}
		// Only inside markup-like text: after whitespace, a quote or '/'.
		switch v[start-1] {
		case ' ', '\t', '\n':
		case '"', '\'', '/':
			// "\"onzoom=", "<svg/onload=": a handler glued to the quote
			// that closed an attribute or to a tag name.
			if start >= 2 && isWordChar(v[start-2]) && v[start-1] == '/' {
				// "and/onwards=": a path or a word list, not a tag.
				return 0
			}
			return 0.8 / r.w
		default:
			return 0
		}
	}
	if f&jsSub != 0 {
		if !jsSubscript(v, end) {
			return 1
		}
		return 0.9 / r.w
	}
	if f&cmdStart != 0 {
		j := start - 1
		for j >= 0 && isSpace(v[j]) {
			j--
		}
		if j >= 0 && v[j] != '&' && v[j] != '|' && v[j] != ';' && v[j] != '(' {
			return 0
		}
	}
	if f&jsURI != 0 {
		j := skipSpaceFwd(v, end)
		if j == len(v) || v[j] == ';' || v[j] == '"' || v[j] == '\'' || indexFold(v[j:], "void") == 0 {
			// "javascript:;" and "javascript:void(0)" are inert links.
			return 0.15
		}
		if j == end && (start == 0 || v[start-1] == '=' || v[start-1] == '"' || v[start-1] == '\'' || v[start-1] == '(') {
			// A URL that starts the value or an attribute and runs
			// code right after the colon; "JavaScript: the good
			// parts" is a title.
			return 0.85 / r.w
		}
	}
	if f&call != 0 && r.class == cXSS && start > 1 {
		// A sink called right after a quote and ';' that close the
		// application's string: x";setTimeout(…), ';alert(1).
		if i := skipSpaceBack(v, start-1); i >= 1 && v[i] == ';' {
			if q := skipSpaceBack(v, i-1); q >= 0 && (v[q] == '"' || v[q] == '\'') {
				m = 0.85 / r.w
			}
		}
	}
	if f&binCmd != 0 {
		return binCommand(v, start, end)
	}
	if f&numBefore != 0 && (start == 0 || v[start-1] < '0' || v[start-1] > '9') {
		return 0
	}
	if f&iniKey != 0 {
		// session.save_path=…, mbstring.func_overload=…: the value
		// starts with the directive and assigns it.
		if skipSpaceFwd(v, 0) != start {
			return 0
		}
		j := end
		for j < len(v) && j-end < 40 && (isWordChar(v[j]) || v[j] == '.') {
			j++
		}
		if j == end || skipSpaceFwd(v, j) >= len(v) || v[skipSpaceFwd(v, j)] != '=' {
			return 0
		}
	}
	if f&shell != 0 {
		return shellContext(v, start, end)
	}
	return m
}
