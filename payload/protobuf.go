package payload

import "encoding/binary"

// protobuf inspects the strings of a protocol-buffers body: a gRPC or
// gRPC-Web stream of length-prefixed messages, or one bare message. The
// wire format names no fields, but its strings are the values the
// application reads, as a JSON body's are. A length-delimited field that
// is text is a value; one that is not is walked as a nested message; what
// is neither (packed numbers, bytes) is left alone. Compressed gRPC
// messages are not inflated.
func (s *scan) protobuf(b []byte) {
	s.loc, s.name = "protobuf", nil
	if grpcFramed(b) {
		for len(b) >= 5 && s.values < s.d.cfg.MaxValues {
			flags, n := b[0], int(binary.BigEndian.Uint32(b[1:5]))
			b = b[5:]
			n = min(n, len(b))
			if flags == 0 {
				s.protoMessage(b[:n], 0)
			}
			b = b[n:]
		}
		return
	}
	s.protoMessage(b, 0)
}

// grpcFramed reports whether b starts with a gRPC message prefix: a flag
// byte (0 plain, 1 compressed, 0x80 a gRPC-Web trailer) and a big-endian
// length no longer than what follows.
func grpcFramed(b []byte) bool {
	if len(b) < 5 || b[0] != 0 && b[0] != 1 && b[0] != 0x80 {
		return false
	}
	return int64(binary.BigEndian.Uint32(b[1:5])) <= int64(len(b)-5)
}

// protoMessage walks the fields of one message at nesting depth; it
// reports false when b is not a well-formed message.
func (s *scan) protoMessage(b []byte, depth int) bool {
	if depth >= s.d.cfg.MaxDepth {
		s.incomplete |= incDepth
		return true
	}
	for len(b) > 0 && s.values < s.d.cfg.MaxValues {
		tag, n := binary.Uvarint(b)
		if n <= 0 || tag>>3 == 0 {
			return false
		}
		b = b[n:]
		switch tag & 7 {
		case 0: // varint
			if _, n = binary.Uvarint(b); n <= 0 {
				return false
			}
			b = b[n:]
		case 1: // fixed64
			if len(b) < 8 {
				return false
			}
			b = b[8:]
		case 5: // fixed32
			if len(b) < 4 {
				return false
			}
			b = b[4:]
		case 2: // length-delimited: a string, bytes or a message
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return false
			}
			v := b[n : n+int(l)]
			b = b[n+int(l):]
			if len(v) > 0 && looksText(v) {
				// Text: a message's first bytes are tags, control bytes
				// for its first fields, so one is rarely mistaken for text.
				s.value(v)
			} else {
				s.protoMessage(v, depth+1)
			}
		default: // groups (deprecated) and invalid wire types
			return false
		}
	}
	return true
}
