package payload

// Uploads: a client-supplied file name with a server-side script
// extension, or one hidden before another extension (shell.php.jpg).

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
	if dangerousUpload(name) {
		s.signal(len(rules)+sigUpload, cCode, 0.85, name, 0)
		return
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' && dangerousUpload(name[:i]) {
			s.signal(len(rules)+sigUpload, cCode, 0.7, name, 0)
			return
		}
	}
}
