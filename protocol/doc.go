// Package protocol provides HTTP protocol enforcement — the request framing
// and header checks a WAF does before payload inspection.
//
// A Detector reads an abuse.Request (and the *http.Request behind it, when
// there is one) and checks it against the HTTP semantics and message syntax
// of RFC 9110 and RFC 9112 and a configurable policy: allowed methods,
// HTTP versions and content types; request framing (Content-Length,
// Transfer-Encoding, bodies on GET and HEAD); Host, Accept, Range,
// Connection and Content-Type headers; restricted headers and file
// extensions; percent-encoding, control characters and UTF-8 in the URI
// and arguments; argument and header limits; request smuggling and
// response splitting markers in parameters and bodies; multipart framing
// (boundaries, part headers, file names, charsets, transfer encodings);
// and session identifiers planted in parameters (session fixation).
//
// Each check has a name (checkInfo), a violation type and a weight.
// Clear violations weigh 0.8 or more and block on their own; soft
// anomalies (a numeric Host, a missing Accept) weigh less and, however
// many there are, never add up to a block. Config.Weights re-weighs or
// turns off single checks.
//
// What net/http's server already refuses (malformed request lines,
// missing Host on HTTP/1.1, invalid header bytes, conflicting
// Content-Length, unknown transfer codings) never reaches a handler; the
// same checks still run on requests built offline (warden inspect, tests),
// where nothing parsed them first. Scanner user agents are package bot's
// job and LDAP or CR/LF injection inside values package payload's; this
// package does not repeat them.
//
// Any package may import protocol; it depends only on abuse.
package protocol
