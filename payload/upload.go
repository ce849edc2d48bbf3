package payload

// Uploads: a client-supplied file name with a server-side script
// extension, or one hidden before another extension (shell.php.jpg), or
// the name of a PHP session file (sess_<id>), which PHP's files handler
// reads back as a session where uploads and sessions share a directory.

// dangerousUpload reports whether a file name ends in a server-side script
// extension (trailing dots and spaces ignored, as Windows does).
func dangerousUpload(name []byte) bool {
	for len(name) > 0 && (name[len(name)-1] == '.' || name[len(name)-1] == ' ') {
		name = name[:len(name)-1]
	}
	dot := lastIndexByte(name, '.')
	if dot < 0 {
		return false
	}
	ext := name[dot+1:]
	for len(ext) > 0 && ext[0] == ' ' {
		ext = ext[1:]
	}
	for _, e := range [...]string{"php", "php3", "php4", "php5", "php7", "php8", "phtml", "phar", "pht", "phps", "jsp", "jspx", "asp", "aspx", "asa", "cer", "shtml", "cgi"} {
		if equalFoldStr(ext, e) {
			return true
		}
	}
	return false
}

// uploadName inspects a client-supplied upload file name: a script
// extension, or one hidden before another extension (shell.php.jpg,
// which some servers still execute).
func (s *scan) uploadName(name []byte) {
	if phpSessionFile(name) {
		s.signal(len(rules)+sigSessionFile, cCode, 0.85, name, 0)
		return
	}
	if dangerousUpload(name) {
		s.signal(len(rules)+sigUpload, cCode, 0.85, name, 0)
		return
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' && dangerousUpload(name[:i]) {
			// "shell.php.jpg" may be a screenshot named after its
			// file; "shell. php.jpg" hides the extension from filters
			// that a server trimming spaces still runs.
			w := 0.7
			if d := lastIndexByte(name[:i], '.'); d >= 0 && d+1 < i && name[d+1] == ' ' {
				w = 0.85
			}
			s.signal(len(rules)+sigUpload, cCode, w, name, 0)
			return
		}
	}
}

// phpSessionFile reports whether the base name of name is a PHP session
// file's: "sess_" and an id of at least 20 of the characters PHP uses
// in session ids.
func phpSessionFile(name []byte) bool {
	if k := lastIndexByte(name, '/'); k >= 0 {
		name = name[k+1:]
	}
	if len(name) < 25 || len(name) > 260 || !equalFoldStr(name[:5], "sess_") {
		return false
	}
	for _, c := range name[5:] {
		if !isWordChar(c) && c != '-' && c != ',' {
			return false
		}
	}
	return true
}
