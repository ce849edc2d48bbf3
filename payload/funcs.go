package payload

// Function names that injected code calls: PHP and JavaScript functions
// that run code or commands, read, write or probe files, decode hidden
// payloads, or disclose the environment. A value that is nothing but a
// call to one of them, or a dynamic call that names one, is code; the
// generic checks (checkBareCall, checkDynCall) only see the call's shape
// and so stay in the grey zone for names they do not know ("printf(x)",
// "ecosystem()").

// dangerousFuncs holds the names, lower-case.
var dangerousFuncs = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range [...]string{
		// Commands and code.
		"exec", "system", "passthru", "shell_exec", "popen", "proc_open", "pcntl_exec",
		"eval", "assert", "assert_options", "create_function", "call_user_func",
		"call_user_func_array", "preg_replace", "unserialize", "extract", "parse_str",
		"register_shutdown_function", "register_tick_function", "array_map", "usort",
		// Payload decoders.
		"base64_decode", "gzinflate", "gzuncompress", "gzdecode", "zlib_decode",
		"str_rot13", "strrev", "hex2bin", "convert_uudecode",
		// Files.
		"file_get_contents", "file_put_contents", "fopen", "readfile", "fpassthru",
		"highlight_file", "show_source", "php_strip_whitespace", "include", "require",
		"include_once", "require_once", "file_exists", "is_readable", "is_writable",
		"scandir", "opendir", "readdir", "glob", "symlink", "chmod", "chown", "chgrp",
		"unlink", "rmdir", "mkdir", "rename", "copy", "move_uploaded_file", "tempnam",
		"fsockopen", "pfsockopen", "stream_socket_client", "curl_exec", "dl",
		// Environment and configuration.
		"phpinfo", "get_defined_vars", "get_defined_functions", "get_defined_constants",
		"getenv", "putenv", "ini_set", "ini_get", "ini_get_all", "ini_restore",
		"ini_alter", "set_include_path", "get_current_user", "getmypid", "php_uname",
		"phpversion", "error_reporting",
		// JavaScript sinks.
		"alert", "prompt", "confirm", "atob", "settimeout", "setinterval",
		"fromcharcode", "execscript", "function",
	} {
		m[n] = struct{}{}
	}
	return m
}()

// dangerousPrefixes are PHP extension families whose every function
// reaches the operating system.
var dangerousPrefixes = [...]string{"posix_", "pcntl_", "proc_", "shell_", "stream_socket_", "get_defined_"}

// dangerousFunc reports whether name, in any case, is one of the
// functions above. A qualified name (document.write, Foo::bar) is judged
// by its last part.
func dangerousFunc(name []byte) bool {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' || name[i] == ':' {
			name = name[i+1:]
			break
		}
	}
	if len(name) < 3 || len(name) > 32 {
		return false
	}
	var buf [32]byte
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	low := buf[:len(name)]
	if _, ok := dangerousFuncs[string(low)]; ok {
		return true
	}
	for _, p := range dangerousPrefixes {
		if len(low) > len(p) && string(low[:len(p)]) == p {
			return true
		}
	}
	return false
}

// spacedCall reports whether the bytes between a function name and its
// '(' (v[from:to]) hold a comment or a line break: code written so that
// "name(" does not appear, which people typing text do not do.
func spacedCall(v []byte, from, to int) bool {
	for i := from; i < to; i++ {
		switch v[i] {
		case '\n', '\r', '\t', '#':
			return true
		case '/':
			if i+1 < to && (v[i+1] == '*' || v[i+1] == '/') {
				return true
			}
		}
	}
	return false
}
