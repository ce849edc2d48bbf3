package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// Config is the `protocol` section of Warden's configuration. Lists are
// matched case-insensitively.
type Config struct {
	// Enabled turns the detector on. New still builds a disabled detector;
	// it finds nothing.
	Enabled bool `yaml:"enabled"`
	// Methods is the method allow-list. Method-override headers and the
	// _method parameter must name one of them too.
	Methods []string `yaml:"methods"`
	// HTTPVersions lists the protocol versions allowed, as in the request
	// line ("HTTP/1.1"); net/http reports HTTP/2 as "HTTP/2.0".
	HTTPVersions []string `yaml:"http_versions"`
	// ContentTypes is the allow-list of request media types: "type/sub",
	// "type/*", or "+suffix" for structured syntax suffixes ("+json").
	// Empty allows every syntactically valid type.
	ContentTypes []string `yaml:"content_types"`
	// Charsets lists the charsets a request body may declare (in
	// Content-Type, multipart parts, _charset_ fields and
	// x-up-devcap-post-charset). A body in a charset the inspecting side
	// does not decode, such as UTF-7, UTF-16 or EBCDIC, hides payloads.
	Charsets []string `yaml:"charsets"`
	// RestrictedExtensions are file extensions (without dot) that may not
	// be requested: backups, configuration, databases, keys, sources.
	RestrictedExtensions []string `yaml:"restricted_extensions"`
	// RestrictedHeaders are request headers refused outright.
	RestrictedHeaders []string `yaml:"restricted_headers"`
	// SessionParams are parameter names that carry a framework's session
	// id; a name ending in "*" matches as a prefix (aspsessionid*).
	SessionParams []string `yaml:"session_params"`

	// MaxArgs bounds the query and form arguments of a request; 0 means
	// no limit.
	MaxArgs int `yaml:"max_args"`
	// MaxArgNameBytes bounds one argument name; 0 means no limit.
	MaxArgNameBytes int `yaml:"max_arg_name_bytes"`
	// MaxArgValueBytes bounds one argument value; 0 means no limit.
	MaxArgValueBytes int `yaml:"max_arg_value_bytes"`
	// MaxArgsBytes bounds the names and values of all arguments together;
	// 0 means no limit.
	MaxArgsBytes int `yaml:"max_args_bytes"`
	// MaxHeaders bounds the distinct header field names of a request; 0
	// means no limit. (The server's max_header_bytes bounds their size.)
	MaxHeaders int `yaml:"max_headers"`
	// MaxRanges bounds the byte ranges of one Range header.
	MaxRanges int `yaml:"max_ranges"`
	// MaxRepeats bounds how often one parameter name may repeat.
	MaxRepeats int `yaml:"max_repeats"`
	// MaxParts bounds the multipart parts read.
	MaxParts int `yaml:"max_parts"`

	// Weights overrides the confidence of single checks, by name (a
	// config error lists the names); 0 turns a check off.
	Weights map[string]float64 `yaml:"weights"`
}

// DefaultConfig returns the defaults: every check on; the usual REST
// methods; the content types of web forms, JSON, XML, text, binary
// uploads and common RPC encodings.
func DefaultConfig() Config {
	return Config{
		Enabled:      true,
		Methods:      []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		HTTPVersions: []string{"HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3", "HTTP/3.0"},
		ContentTypes: []string{
			"application/x-www-form-urlencoded", "multipart/form-data", "multipart/related", "multipart/mixed",
			"application/json", "+json", "application/x-ndjson", "application/jsonl",
			"application/xml", "text/xml", "+xml",
			"text/plain", "text/csv", "text/markdown",
			"application/octet-stream", "application/pdf", "application/zip", "application/gzip",
			"application/x-protobuf", "application/protobuf", "application/grpc", "application/grpc-web",
			"application/cbor", "application/msgpack", "application/x-msgpack", "application/graphql",
			"application/sdp", "image/*", "audio/*", "video/*", "font/*",
		},
		Charsets: []string{"utf-8", "utf8", "us-ascii", "iso-8859-1", "iso-8859-15", "windows-1252"},
		RestrictedExtensions: []string{
			// backups and editor files
			"bak", "backup", "old", "orig", "swp", "swo", "tmp",
			// databases and dumps
			"sql", "sqlite", "sqlite3", "db", "mdb", "dbf", "dump",
			// configuration and secrets
			"ini", "conf", "config", "cfg", "env", "htpasswd", "htaccess", "pem", "key", "p12", "pfx", "jks", "keystore",
			"pass", "pwd", "passwd", "log",
			// server-side sources and project files
			"inc", "asa", "asax", "ascx", "cs", "vb", "csproj", "vbproj", "sln", "resx", "resources", "licx",
			// Windows internals that are never web content
			"dll", "bat", "cmd", "vbs", "lnk", "sys",
			// IIS internals
			"htr", "htw", "ida", "idc", "idq", "printer",
		},
		RestrictedHeaders: []string{
			"Proxy",            // httpoxy: becomes HTTP_PROXY in CGI
			"Lock-Token", "If", // WebDAV
			"Translate",                       // IIS source disclosure
			"Content-Range",                   // never valid in a request
			"Content-Encoding",                // a compressed body cannot be inspected
			"X-Original-URL", "X-Rewrite-URL", // path override past access rules
		},
		SessionParams: []string{
			"phpsessid", "jsessionid", "asp.net_sessionid", "aspsessionid*", "cfid", "cftoken",
			"zenid", "oscsid", "_session_id", "ci_session", "laravel_session", "cakephp", "play_session",
			"connect.sid", "koa.sess", "koa:sess", "express:sess", "rack.session", "sails.sid",
			"beaker.session.id", "jsessionidsso", "next-auth.session-token",
			"__secure-next-auth.session-token", "__host-next-auth.session-token",
		},
		MaxArgs:          1000,
		MaxArgNameBytes:  4096,
		MaxArgValueBytes: 64 << 10,
		MaxArgsBytes:     1 << 20,
		MaxHeaders:       100,
		MaxRanges:        5,
		MaxRepeats:       64,
		MaxParts:         256,
	}
}

// Validate reports every invalid field, each error starting with its path
// in the section (for example "methods[2]: …").
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Methods) == 0 {
		add("methods: must list at least one method")
	}
	for i, m := range c.Methods {
		if !isToken(m) {
			add("methods[%d]: %q is not an HTTP method token", i, m)
		}
	}
	for i, v := range c.HTTPVersions {
		if !strings.HasPrefix(v, "HTTP/") || len(v) < 6 || len(v) > 16 {
			add("http_versions[%d]: %q is not an HTTP version such as HTTP/1.1", i, v)
		}
	}
	for i, t := range c.ContentTypes {
		if !validTypePattern(t) {
			add("content_types[%d]: %q is not type/subtype, type/* or +suffix", i, t)
		}
	}
	for i, cs := range c.Charsets {
		if !isToken(cs) {
			add("charsets[%d]: %q is not a charset name", i, cs)
		}
	}
	for i, e := range c.RestrictedExtensions {
		if e == "" || strings.ContainsAny(e, "./ \t") {
			add("restricted_extensions[%d]: %q must be an extension without dot", i, e)
		}
	}
	for i, h := range c.RestrictedHeaders {
		if !isToken(h) {
			add("restricted_headers[%d]: %q is not a header name", i, h)
		}
	}
	for i, p := range c.SessionParams {
		if strings.TrimSuffix(p, "*") == "" || strings.ContainsAny(p, "&= \t") {
			add("session_params[%d]: %q is not a parameter name", i, p)
		}
	}
	limits := []struct {
		name string
		v    int
	}{
		{"max_args", c.MaxArgs}, {"max_arg_name_bytes", c.MaxArgNameBytes},
		{"max_arg_value_bytes", c.MaxArgValueBytes}, {"max_args_bytes", c.MaxArgsBytes},
		{"max_headers", c.MaxHeaders},
	}
	for _, l := range limits {
		if l.v < 0 {
			add("%s: must be >= 0 (0 means no limit), got %d", l.name, l.v)
		}
	}
	if c.MaxRanges < 1 || c.MaxRanges > 1000 {
		add("max_ranges: must be between 1 and 1000, got %d", c.MaxRanges)
	}
	if c.MaxRepeats < 1 {
		add("max_repeats: must be > 0, got %d", c.MaxRepeats)
	}
	if c.MaxParts < 1 {
		add("max_parts: must be > 0, got %d", c.MaxParts)
	}
	for name, w := range c.Weights {
		if _, ok := checkByName(name); !ok {
			add("weights.%s: unknown check (known: %s)", name, strings.Join(checkNames(), ", "))
		} else if w < 0 || w > 1 {
			add("weights.%s: must be in [0, 1], got %v", name, w)
		}
	}
	return errors.Join(errs...)
}

// validTypePattern reports whether s is an allow-list entry: a media
// type, "type/*" or "+suffix".
func validTypePattern(s string) bool {
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		return isToken(rest)
	}
	typ, sub, ok := strings.Cut(s, "/")
	return ok && isToken(typ) && (sub == "*" || isToken(sub))
}
