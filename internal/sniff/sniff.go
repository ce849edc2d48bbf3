// Package sniff tells a request body's real nature from its bytes, for
// bodies whose declared media type says they are binary. A client chooses
// the Content-Type it sends, and many applications parse a body as JSON
// whatever that header says (Go's json.NewDecoder on r.Body, Flask's
// get_json(force=True)): a declared type is a claim, and a security layer
// that believes "image/png" on a JSON body does not inspect the attack
// in it.
package sniff

import (
	"net/http"
	"strings"
)

// Peek is how many leading bytes Text reads, as
// net/http.DetectContentType does.
const Peek = 512

// Binary reports whether media type mt (lower case, without parameters)
// declares a binary body: media, fonts, archives, documents and binary
// serialisations, whose bytes hold no text a parser would read as fields.
func Binary(mt string) bool {
	typ, sub, _ := strings.Cut(mt, "/")
	return BinaryParts(typ, sub)
}

// BinaryParts is Binary for a media type given as its type and subtype,
// in any case.
func BinaryParts(typ, sub string) bool {
	switch {
	case strings.EqualFold(typ, "image"), strings.EqualFold(typ, "audio"),
		strings.EqualFold(typ, "video"), strings.EqualFold(typ, "font"):
		return true
	case !strings.EqualFold(typ, "application"):
		return false
	}
	for _, b := range binaryApplication {
		if strings.EqualFold(sub, b) {
			return true
		}
	}
	return hasPrefixFold(sub, "grpc+") || hasPrefixFold(sub, "grpc-web")
}

// binaryApplication are the binary subtypes of application/.
var binaryApplication = [...]string{"octet-stream", "zip", "gzip", "x-gzip", "pdf",
	"x-tar", "x-7z-compressed", "vnd.rar", "grpc", "protobuf", "x-protobuf",
	"vnd.google.protobuf", "msgpack", "x-msgpack", "cbor", "wasm"}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Text reports whether b (its first Peek bytes) is text: what the WHATWG
// MIME sniffing algorithm (net/http.DetectContentType) reads as text/*,
// which is JSON, forms, XML, HTML and plain text, and none of the binary
// signatures (images, audio, video, archives, PDF, fonts) nor bytes no
// text holds. A PDF or an SVG of only ASCII is still its own type: the
// algorithm knows their signatures.
func Text(b []byte) bool {
	if len(b) > Peek {
		b = b[:Peek]
	}
	return strings.HasPrefix(http.DetectContentType(b), "text/")
}

// Protobuf reports whether media type mt declares protocol buffers (gRPC
// included), a binary serialisation whose strings are still the fields an
// application reads.
func Protobuf(mt string) bool {
	switch mt {
	case "application/grpc", "application/protobuf", "application/x-protobuf", "application/vnd.google.protobuf":
		return true
	}
	return strings.HasPrefix(mt, "application/grpc+") || strings.HasPrefix(mt, "application/grpc-web")
}
