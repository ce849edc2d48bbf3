package protocol

// Violation types reported by the detector.
const (
	// ProtocolViolation: the request breaks HTTP syntax or the configured
	// policy (versions, content types, extensions, headers, limits).
	ProtocolViolation = "protocol_violation"
	// ProtocolAttack: framing or parameters built to make two parsers
	// disagree (request smuggling, response splitting, multipart bypass,
	// parameter pollution).
	ProtocolAttack = "protocol_attack"
	// MethodNotAllowed: a method outside the allow-list, also through a
	// method-override header or parameter.
	MethodNotAllowed = "method_not_allowed"
	// SessionFixation: a session identifier or cookie planted through
	// parameters.
	SessionFixation = "session_fixation"
)

// check identifies one protocol check.
type check uint8

const (
	chkMethod check = iota
	chkMethodInvalid
	chkMethodOverride
	chkVersion
	chkTarget
	chkFragment
	chkContentLength
	chkCLAndTE
	chkTransferEncoding
	chkBodyOnGet
	chkNoLength
	chkHostMissing
	chkHostEmpty
	chkHostMultiple
	chkHostNumeric
	chkAcceptMissing
	chkAcceptEmpty
	chkAcceptCharset
	chkAcceptEncoding
	chkTypeMissing
	chkTypeInvalid
	chkTypeMultiple
	chkTypeNotAllowed
	chkTypeSmuggled
	chkCharset
	chkCharsetMultiple
	chkExtension
	chkBackupFile
	chkHeader
	chkRequestRange
	chkRange
	chkRangeMany
	chkConnection
	chkHopByHop
	chkCookieV1
	chkNUL
	chkControl
	chkPercent
	chkPercentU
	chkFullwidth
	chkOverlong
	chkUTF8
	chkHeaderInjection
	chkArgs
	chkArgName
	chkArgValue
	chkArgsTotal
	chkHeaders
	chkRepeat
	chkArrayName
	chkSmuggled
	chkSplitting
	chkCRLFName
	chkCRLFPath
	chkCRLFArg
	chkModProxy
	chkBoundary
	chkPartHeader
	chkPartEncoding
	chkPartEncoding7
	chkFilename
	chkFilenameSoft
	chkPartQuotes
	chkPartDuplicate
	chkPartUnclosed
	chkFieldType
	chkTypeMismatch
	chkSessionOffsite
	chkSessionNoReferer
	chkSessionSameSite
	chkSessionParamAPI
	chkCookieInValue
	numChecks
)

// checkInfo names each check and gives its violation type, default
// weight and message. Weights of 0.8 and more block on their own: the
// request is malformed or built to confuse a parser, and no ordinary
// client sends it. Below 0.8 are anomalies that real clients produce now
// and then (health checks by IP, HTTP libraries without Accept); they are
// logged above 0.5 and only corroborate below.
var checkInfo = [numChecks]struct {
	name      string
	violation string
	weight    float64
	msg       string
}{
	chkMethod:           {"method", MethodNotAllowed, 0.9, "method not allowed"},
	chkMethodInvalid:    {"method_syntax", ProtocolViolation, 0.9, "method is not an HTTP token"},
	chkMethodOverride:   {"method_override", MethodNotAllowed, 0.9, "method override to a method not allowed"},
	chkVersion:          {"http_version", ProtocolViolation, 0.9, "HTTP version not allowed"},
	chkTarget:           {"request_target", ProtocolViolation, 0.85, "request target is not in a form the method allows"},
	chkFragment:         {"uri_fragment", ProtocolViolation, 0.85, "raw fragment in the request target"},
	chkContentLength:    {"content_length", ProtocolViolation, 0.9, "invalid or conflicting Content-Length"},
	chkCLAndTE:          {"content_length_and_transfer_encoding", ProtocolAttack, 0.9, "Content-Length and Transfer-Encoding together"},
	chkTransferEncoding: {"transfer_encoding", ProtocolAttack, 0.9, "Transfer-Encoding other than chunked, or on HTTP/1.0"},
	chkBodyOnGet:        {"body_on_get", ProtocolViolation, 0.8, "GET or HEAD request with a body"},
	chkNoLength:         {"no_length", ProtocolViolation, 0.6, "request method that carries content without Content-Length or Transfer-Encoding"},
	chkHostMissing:      {"host_missing", ProtocolViolation, 0.6, "no Host header"},
	chkHostEmpty:        {"host_empty", ProtocolViolation, 0.8, "empty Host header"},
	chkHostMultiple:     {"host_multiple", ProtocolViolation, 0.9, "more than one Host header"},
	chkHostNumeric:      {"host_numeric", ProtocolViolation, 0.5, "Host is an IP address"},
	chkAcceptMissing:    {"accept_missing", ProtocolViolation, 0.3, "no Accept header"},
	chkAcceptEmpty:      {"accept_empty", ProtocolViolation, 0.6, "empty Accept header"},
	chkAcceptCharset:    {"accept_charset", ProtocolViolation, 0.8, "charset not allowed in Accept"},
	chkAcceptEncoding:   {"accept_encoding", ProtocolViolation, 0.8, "Accept-Encoding longer than any client sends"},
	chkTypeMissing:      {"content_type_missing", ProtocolViolation, 0.6, "body without Content-Type"},
	chkTypeInvalid:      {"content_type_syntax", ProtocolViolation, 0.85, "malformed Content-Type"},
	chkTypeMultiple:     {"content_type_multiple", ProtocolViolation, 0.85, "more than one Content-Type"},
	chkTypeNotAllowed:   {"content_type", ProtocolViolation, 0.85, "content type not allowed"},
	chkTypeSmuggled:     {"content_type_smuggled", ProtocolAttack, 0.85, "media type hidden in Content-Type parameters"},
	chkCharset:          {"charset", ProtocolViolation, 0.85, "charset not allowed"},
	chkCharsetMultiple:  {"charset_multiple", ProtocolViolation, 0.85, "more than one charset"},
	chkExtension:        {"restricted_extension", ProtocolViolation, 0.85, "file extension restricted by policy"},
	chkBackupFile:       {"backup_file", ProtocolViolation, 0.85, "backup or editor working file"},
	chkHeader:           {"restricted_header", ProtocolViolation, 0.85, "header restricted by policy"},
	chkRequestRange:     {"request_range", ProtocolViolation, 0.8, "obsolete Request-Range header"},
	chkRange:            {"range_syntax", ProtocolViolation, 0.85, "invalid Range"},
	chkRangeMany:        {"range_many", ProtocolViolation, 0.85, "too many or overlapping ranges"},
	chkConnection:       {"connection_conflict", ProtocolViolation, 0.8, "Connection asks for both keep-alive and close"},
	chkHopByHop:         {"connection_hop_by_hop", ProtocolAttack, 0.85, "Connection names an end-to-end header"},
	chkCookieV1:         {"cookie_v1", ProtocolAttack, 0.8, "obsolete RFC 2109 cookie attributes"},
	chkNUL:              {"null_byte", ProtocolViolation, 0.9, "NUL byte"},
	chkControl:          {"control_character", ProtocolViolation, 0.45, "control character"},
	chkPercent:          {"percent_encoding", ProtocolViolation, 0.5, "invalid percent-encoding"},
	chkPercentU:         {"percent_u", ProtocolViolation, 0.6, "non-standard %u encoding"},
	chkFullwidth:        {"fullwidth", ProtocolViolation, 0.85, "%u-encoded full/half-width character"},
	chkOverlong:         {"utf8_overlong", ProtocolViolation, 0.85, "overlong or surrogate UTF-8"},
	chkUTF8:             {"utf8_invalid", ProtocolViolation, 0.4, "invalid UTF-8"},
	chkHeaderInjection:  {"header_crlf", ProtocolAttack, 0.9, "CR, LF or NUL in a header"},
	chkArgs:             {"args_count", ProtocolViolation, 0.8, "too many arguments"},
	chkArgName:          {"arg_name_length", ProtocolViolation, 0.8, "argument name too long"},
	chkArgValue:         {"arg_value_length", ProtocolViolation, 0.8, "argument value too long"},
	chkArgsTotal:        {"args_total_length", ProtocolViolation, 0.8, "arguments too large in total"},
	chkHeaders:          {"headers_count", ProtocolViolation, 0.8, "too many headers"},
	chkRepeat:           {"param_repeat", ProtocolAttack, 0.8, "parameter repeated too often"},
	chkArrayName:        {"param_array_name", ProtocolAttack, 0.6, "characters after a parameter's array brackets"},
	chkSmuggled:         {"smuggled_request", ProtocolAttack, 0.9, "HTTP request line inside the request"},
	chkSplitting:        {"response_splitting", ProtocolAttack, 0.9, "CR/LF followed by a response header or status line"},
	chkCRLFName:         {"crlf_in_name", ProtocolAttack, 0.85, "CR/LF in a parameter name"},
	chkCRLFPath:         {"crlf_in_path", ProtocolAttack, 0.9, "CR/LF in the path"},
	chkCRLFArg:          {"crlf_in_value", ProtocolAttack, 0.5, "CR/LF in a query value"},
	chkModProxy:         {"mod_proxy", ProtocolAttack, 0.9, "unix socket target in the request URI"},
	chkBoundary:         {"multipart_boundary", ProtocolAttack, 0.85, "missing, malformed or ambiguous multipart boundary"},
	chkPartHeader:       {"multipart_header", ProtocolAttack, 0.85, "malformed multipart part header"},
	chkPartEncoding:     {"multipart_transfer_encoding", ProtocolAttack, 0.85, "encoded multipart part (Content-Transfer-Encoding)"},
	chkPartEncoding7:    {"multipart_transfer_encoding_identity", ProtocolViolation, 0.4, "multipart part with a deprecated Content-Transfer-Encoding"},
	chkFilename:         {"multipart_filename", ProtocolAttack, 0.85, "dangerous characters in a multipart name or file name"},
	chkFilenameSoft:     {"multipart_filename_path", ProtocolAttack, 0.6, "Windows path or two file names in a multipart part"},
	chkPartQuotes:       {"multipart_quotes", ProtocolAttack, 0.85, "unbalanced quotes in a multipart part header"},
	chkPartDuplicate:    {"multipart_duplicate_param", ProtocolAttack, 0.85, "repeated name or filename in a multipart part"},
	chkPartUnclosed:     {"multipart_unclosed", ProtocolAttack, 0.6, "multipart body without its closing delimiter"},
	chkFieldType:        {"multipart_field_type", ProtocolViolation, 0.3, "form field part that is not text"},
	chkTypeMismatch:     {"content_type_mismatch", ProtocolViolation, 0.6, "body of a binary media type is text"},
	chkSessionOffsite:   {"session_param_offsite", SessionFixation, 0.9, "session id in a parameter or the path, off-site Referer"},
	chkSessionNoReferer: {"session_param_no_referer", SessionFixation, 0.8, "session id in a parameter or the path, no Referer"},
	chkSessionSameSite:  {"session_param", SessionFixation, 0.5, "session id in a parameter"},
	chkSessionParamAPI:  {"session_param_api", SessionFixation, 0.3, "session id in a parameter of a non-browser request"},
	chkCookieInValue:    {"cookie_in_value", SessionFixation, 0.9, "cookie set from a parameter"},
}

// Checks returns the names of every check, the keys of Config.Weights.
func checkNames() []string {
	out := make([]string, numChecks)
	for i := range checkInfo {
		out[i] = checkInfo[i].name
	}
	return out
}

func checkByName(name string) (check, bool) {
	for i := range checkInfo {
		if checkInfo[i].name == name {
			return check(i), true
		}
	}
	return 0, false
}
