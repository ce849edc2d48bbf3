package payload

// Path traversal to system files: a value that is nothing but a path into
// a system directory. The request path's own probes (hiddenPath) are in
// request.go.

// systemDirs are the directories whose files a web parameter has no
// business naming: Unix configuration, process and device trees, logs
// and the administrator's home. (Windows system files have their own
// rules: a path into C:\Windows alone is common in help requests.)
var systemDirs = [...]string{
	"/etc/", "/proc/", "/sys/", "/dev/", "/boot/", "/root/", "/var/log/", "/var/run/",
	"/var/lib/", "/usr/local/etc/",
}

// checkSysPath flags a value that is nothing but a path into a system
// directory ("/proc/interrupts", "file:///etc/x", "../../etc/x"): a
// file parameter pointed at the server's own files. On its own it stays
// in the grey zone in a parameter (a file manager shows such paths);
// with a sensitive file name, traversal or a command word it blocks, and
// so it does as a whole header or cookie value.
func (s *scan) checkSysPath(v []byte) {
	i := skipSpaceFwd(v, 0)
	if len(v)-i > 7 && equalFoldStr(v[i:i+7], "file://") {
		i += 7
	}
	// Leading traversal: ../../etc/x.
	for i+2 < len(v) && v[i] == '.' && v[i+1] == '.' && (v[i+2] == '/' || v[i+2] == '\\') {
		i += 3
	}
	if i > 0 && i < len(v) && (v[i-1] == '/' || v[i-1] == '\\') {
		i--
	}
	rest := v[i:]
	if !sysDirAt(rest) {
		return
	}
	for _, c := range rest {
		if isSpace(c) {
			// A sentence that mentions a path.
			return
		}
	}
	w := 0.6
	if s.loc == "header" || s.loc == "cookie" {
		// No browser, client library or file manager sends a path
		// into /etc or /proc as a whole header or cookie value: a
		// server that logs, includes or opens it is the target.
		w = 0.85
	}
	s.signal(len(rules)+sigSysPath, cTraversal, w, v, i)
}

// sysDirAt reports whether p starts with a path into one of the
// systemDirs, a file or directory name following.
func sysDirAt(p []byte) bool {
	if len(p) < 6 || p[0] != '/' {
		return false
	}
	switch p[1] | 0x20 {
	case 'e', 'p', 's', 'd', 'b', 'r', 'v', 'u':
	default:
		// "/api/…", "/images/…": no system directory starts so.
		return false
	}
	for _, d := range systemDirs {
		if len(p) > len(d) && equalFoldStr(p[:len(d)], d) && isWordChar(p[len(d)]) {
			return true
		}
	}
	return false
}
