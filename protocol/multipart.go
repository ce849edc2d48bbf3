package protocol

import (
	"strings"

	"github.com/warden-dev/warden/internal/args"
)

// boundary returns the boundary of a multipart Content-Type, checked
// against RFC 2046 §5.1.1: 1 to 70 characters from a small set, not
// ending in a space, quoted when it is not a token.
func (s *scan) boundary(mt args.MediaType, ct string) (string, bool) {
	it := mt.Params()
	var b string
	found := false
	for {
		name, value, _, ok := it.Next()
		if !ok {
			break
		}
		if equalFold(name, "boundary") {
			if found {
				s.add(chkBoundary, ct) // two boundaries: which one a parser takes is a guess
				return "", false
			}
			b, found = value, true
		}
	}
	if !found {
		if it.Bad {
			s.add(chkPartQuotes, ct)
		} else {
			s.add(chkBoundary, ct)
		}
		return "", false
	}
	if b == "" || len(b) > 70 || b[len(b)-1] == ' ' {
		s.add(chkBoundary, ct)
		return "", false
	}
	for i := 0; i < len(b); i++ {
		if !bchar(b[i]) {
			s.add(chkBoundary, ct)
			return "", false
		}
	}
	return b, true
}

// bchar reports a boundary character (RFC 2046 §5.1.1).
func bchar(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
		strings.IndexByte("'()+_,-./:=? ", c) >= 0
}

// delimiter classifies a body line: 1 an opening delimiter of boundary,
// 2 the closing one, 0 neither. Transport padding (spaces, tabs) may
// follow.
func delimiter(line, boundary string) int {
	if len(line) < 2+len(boundary) || line[0] != '-' || line[1] != '-' || line[2:2+len(boundary)] != boundary {
		return 0
	}
	rest := line[2+len(boundary):]
	kind := 1
	if strings.HasPrefix(rest, "--") {
		rest, kind = rest[2:], 2
	}
	if trimOWS(rest) != "" {
		return 0
	}
	return kind
}

// nextLine returns the line starting at body[pos:] without its line end,
// and the position after it.
func nextLine(body string, pos int) (string, int) {
	i := strings.IndexByte(body[pos:], '\n')
	if i < 0 {
		return strings.TrimSuffix(body[pos:], "\r"), len(body)
	}
	return strings.TrimSuffix(body[pos:pos+i], "\r"), pos + i + 1
}

// part is what one part's headers said.
type part struct {
	name, filename string
	hasName        bool
	hasFile        bool
	dispositions   int
	contentType    string
}

// multipart walks a multipart body: delimiters, part headers, and the
// values of form fields, which are checked as arguments. File contents
// are not read.
func (s *scan) multipart(body string, mt args.MediaType, ct string) {
	b, ok := s.boundary(mt, ct)
	if !ok {
		return
	}
	form := equalFold(mt.Sub, "form-data")
	pos, parts := 0, 0
	opened, closed := false, false
	// Preamble: up to the first delimiter.
	for pos < len(body) {
		line, next := nextLine(body, pos)
		pos = next
		if k := delimiter(line, b); k != 0 {
			opened, closed = true, k == 2
			break
		}
	}
	for opened && !closed && pos < len(body) {
		if parts++; parts > s.d.cfg.MaxParts {
			return
		}
		var p part
		// Part headers, up to an empty line.
		for pos < len(body) {
			line, next := nextLine(body, pos)
			pos = next
			if line == "" {
				break
			}
			s.partHeader(line, &p, form)
		}
		if form && p.dispositions == 0 {
			s.add(chkPartHeader, "part without Content-Disposition")
		}
		if !p.hasFile && p.contentType != "" && !hasPrefixFold(p.contentType, "text/") {
			// RFC 7578 §4.4: a form field is text/plain unless it says
			// otherwise.
			s.add(chkFieldType, p.contentType)
		}
		// Content, up to the next delimiter.
		start, end := pos, len(body)
		found := false
		for pos < len(body) {
			lineStart := pos
			line, next := nextLine(body, pos)
			pos = next
			if k := delimiter(line, b); k != 0 {
				end, found, closed = lineStart, true, k == 2
				break
			}
		}
		if !found && s.r.BodyTruncated {
			return // the rest of the part was not buffered
		}
		content := body[start:end]
		content = strings.TrimSuffix(strings.TrimSuffix(content, "\n"), "\r") // the delimiter's CRLF
		switch {
		case p.hasFile:
			s.arg(p.name, p.filename, srcPart, true)
		case p.hasName:
			s.arg(p.name, content, srcPart, true)
		}
		if !found {
			break
		}
	}
	switch {
	case !opened && !s.r.BodyTruncated:
		s.add(chkBoundary, "boundary not found in the body")
	case opened && !closed && !s.r.BodyTruncated:
		s.add(chkPartUnclosed, "")
	}
}

// partHeader checks one part header line and notes what it says.
func (s *scan) partHeader(line string, p *part, form bool) {
	if line[0] == ' ' || line[0] == '\t' {
		s.add(chkPartHeader, line) // obsolete line folding
		return
	}
	i := strings.IndexByte(line, ':')
	if i <= 0 || !isToken(line[:i]) {
		s.add(chkPartHeader, line)
		return
	}
	name, value := line[:i], trimOWS(line[i+1:])
	if f := scanRaw(value); f&(encNUL|encCRLF|encCtl) != 0 {
		s.add(chkPartHeader, line)
		return
	}
	switch {
	case equalFold(name, "Content-Disposition"):
		p.dispositions++
		if p.dispositions > 1 {
			s.add(chkPartDuplicate, line)
		}
		s.disposition(value, p, form)
	case equalFold(name, "Content-Type"):
		p.contentType = value
		s.partType(value, p)
	case equalFold(name, "Content-Transfer-Encoding"):
		// RFC 7578 §4.7 deprecates it; base64 or quoted-printable parts
		// hide their content from any inspector that does not decode.
		switch v := trimOWS(value); {
		case equalFold(v, "7bit") || equalFold(v, "8bit") || equalFold(v, "binary"):
			s.add(chkPartEncoding7, v)
		default:
			s.add(chkPartEncoding, v)
		}
	}
}

// disposition checks a part's Content-Disposition (RFC 7578 §4.2).
func (s *scan) disposition(v string, p *part, form bool) {
	i := 0
	for i < len(v) && tchar[v[i]] {
		i++
	}
	if i == 0 {
		s.add(chkPartHeader, v)
		return
	}
	if form && !equalFold(v[:i], "form-data") {
		s.add(chkPartHeader, v)
	}
	it := args.ParamList(v[i:])
	names, files, extFiles := 0, 0, 0
	for {
		name, value, quoted, ok := it.Next()
		if !ok {
			break
		}
		switch {
		case equalFold(name, "name"):
			names++
			p.name, p.hasName = value, true
			s.partName(value)
		case equalFold(name, "filename"):
			files++
			p.filename, p.hasFile = value, true
			s.filename(value, quoted)
		case equalFold(name, "filename*"):
			extFiles++
			p.hasFile = true
		}
	}
	if it.Bad {
		if strings.IndexByte(it.Junk, '"') >= 0 {
			s.add(chkPartQuotes, v)
		} else {
			s.add(chkPartHeader, v)
		}
	}
	if names > 1 || files > 1 || extFiles > 1 {
		s.add(chkPartDuplicate, v)
	} else if files == 1 && extFiles == 1 {
		s.add(chkFilenameSoft, v) // which of the two wins differs between parsers
	}
}

// partName checks a part's field name for what would end a header
// parameter in a parser that does not honour quotes: HTML forms do not
// produce such names.
func (s *scan) partName(name string) {
	if strings.ContainsAny(name, "\";=\\") {
		s.add(chkFilename, name)
	} else if f := scanRaw(name); f&(encNUL|encCRLF|encCtl) != 0 {
		s.add(chkFilename, name)
	}
}

// filename checks an upload's file name. Browsers send the base name
// only and percent-encode quotes and line breaks, so quotes, separators
// of header parameters, control bytes and path components are someone
// building a name for a parser to misread.
func (s *scan) filename(name string, quoted bool) {
	if quoted && strings.IndexByte(name, '\\') >= 0 {
		// A quoted-pair ("\s") is unescaped by some parsers and kept by
		// others, so "1.j\s\p" is 1.jsp to one and not to the other. Only
		// a Windows path (old browsers sent "C:\dir\file") is ordinary.
		if len(name) > 2 && name[1] == ':' && name[2] == '\\' {
			s.add(chkFilenameSoft, name)
		} else {
			s.add(chkFilename, name)
			return
		}
	}
	if f := scanRaw(name); f&(encNUL|encCRLF|encCtl) != 0 {
		s.add(chkFilename, name)
		return
	}
	if strings.ContainsAny(name, "\";=") {
		s.add(chkFilename, name)
		return
	}
	if strings.Contains(name, "../") || strings.Contains(name, `..\`) || strings.HasPrefix(name, "/") {
		s.add(chkFilename, name)
	}
}

// partType checks a part's Content-Type and its charset.
func (s *scan) partType(v string, p *part) {
	mt, ok := args.ParseMediaType(v)
	if !ok {
		s.add(chkPartHeader, v)
		return
	}
	refused, malformed := s.charsetRefused(mt)
	if refused {
		s.add(chkCharset, v)
	}
	if malformed {
		s.add(chkPartHeader, v)
	}
}
