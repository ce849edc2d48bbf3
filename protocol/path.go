package protocol

import "strings"

// path checks the URL path: its encoding, line breaks and the file name
// it asks for.
func (s *scan) path() {
	p := s.r.Path
	f := scanEncoded(p, false)
	if f&encCRLF != 0 {
		s.add(chkCRLFPath, p)
	}
	s.encoding(f&^encCRLF, p)
	// The searches for '~', '(' and ';' are for bytes a plain path does
	// not have (see encRare).
	rare := f&encRare != 0
	// A backup file may also sit in the middle, with path info after it
	// ("/index.php~/x").
	for rest := p; rare; {
		i := strings.IndexByte(rest, '~')
		if i < 0 {
			break
		}
		if i+1 == len(rest) || rest[i+1] == '/' || rest[i+1] == ';' {
			if start := strings.LastIndexByte(rest[:i], '/') + 1; i > start {
				s.add(chkBackupFile, rest[start:i+1])
			}
		}
		rest = rest[i+1:]
	}
	// ASP.NET cookieless sessions carry the session id in the path,
	// "/(S(id))/page.aspx": a link with one plants the session.
	if rare {
		if i := strings.Index(p, "/(S("); i >= 0 {
			s.session(p[i+1:])
		}
	}
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if rare {
		if i := strings.IndexByte(seg, ';'); i >= 0 {
			seg = seg[:i] // path parameters (";jsessionid=…") are not the file name
		}
	}
	if f&encEscaped != 0 && len(seg) <= 256 {
		var buf [256]byte // zeroed only when needed
		seg = string(decode(buf[:0], seg, false))
	}
	s.fileName(seg)
}

// fileName checks the last path segment for backup files and restricted
// extensions. Trailing dots and spaces are dropped first, as Windows does
// when it opens the file ("web.config.").
func (s *scan) fileName(seg string) {
	for len(seg) > 0 && (seg[len(seg)-1] == '.' || seg[len(seg)-1] == ' ') {
		seg = seg[:len(seg)-1]
	}
	if seg == "" {
		return
	}
	if seg[len(seg)-1] == '~' || len(seg) > 2 && seg[0] == '#' && seg[len(seg)-1] == '#' {
		s.add(chkBackupFile, seg)
		return
	}
	i := strings.LastIndexByte(seg, '.')
	if i < 0 {
		return
	}
	ext := seg[i+1:]
	if ext == "" || len(ext) > 16 {
		return
	}
	var low [16]byte
	for j := 0; j < len(ext); j++ {
		low[j] = lowerASCII(ext[j])
	}
	if s.d.extensions[string(low[:len(ext)])] {
		s.add(chkExtension, seg)
	}
}
