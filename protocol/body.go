package protocol

import (
	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/internal/byteview"
	"github.com/warden-dev/warden/internal/sniff"
)

// body checks a buffered request body by its media type: form fields as
// arguments, multipart framing and fields, and, in any other body, a
// request line at the start of a line (a smuggled second request).
func (s *scan) body() {
	b := s.r.Body
	if len(b) == 0 {
		return
	}
	body := byteview.String(b)
	var ct string
	if cts := s.hdr.vals[fContentType]; len(cts) > 0 {
		ct = cts[0]
	} else {
		ct = s.r.ContentType
	}
	mt, ok := args.ParseMediaType(ct)
	switch {
	case ok && equalFold(mt.Type, "multipart"):
		s.multipart(body, mt, ct)
		return
	case ok && equalFold(mt.Type, "application") && equalFold(mt.Sub, "x-www-form-urlencoded"):
		kept, rest := s.r.Args().Form(body)
		s.args(kept, rest, srcForm)
	case ok:
		// A body declared as media, an archive or a serialisation that
		// is JSON, a form or markup was sent to be parsed as what it is
		// (the payload detector inspects it so); application/
		// octet-stream claims no particular format, so no text in it
		// contradicts it.
		if sniff.BinaryParts(mt.Type, mt.Sub) && !equalFold(mt.Sub, "octet-stream") && sniff.Text(b) {
			s.add(chkTypeMismatch, mt.Type+"/"+mt.Sub)
		}
	}
	if i, ok := bodyRequestLine(b); ok {
		s.add(chkSmuggled, body[i:])
	}
}
