package payload

import (
	"context"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// FuzzProtobuf feeds arbitrary bytes to the protocol-buffers walk, as
// gRPC and as a bare message: no panic, and a verdict stays bounded.
func FuzzProtobuf(f *testing.F) {
	f.Add(append(protoString(1, "42"), protoString(2, "1' OR '1'='1")...))
	f.Add(grpcFrame(protoString(3, string(append([]byte{0x08, 0x01}, protoString(1, "<script>alert(1)</script>")...)))))
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0, 0, 0, 0, 3, 0x08, 0x96, 0x01})
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ct := range []string{"application/grpc", "application/x-protobuf"} {
			v := d.Detect(context.Background(), &abuse.Request{Method: "POST", Path: "/svc.Users/Get", ContentType: ct, Body: b})
			if v.Confidence < 0 || v.Confidence > 1 || len(v.Messages) > 32 {
				t.Fatalf("unbounded verdict %+v", v)
			}
		}
	})
}
