package protocol

import (
	"context"
	"strings"
	"testing"
)

// TestSubrequest: a forward-auth subrequest's framing, and its Host when
// the original was not forwarded, are the front proxy's and draw no
// finding; a Host the client sent still counts, as does a direct request.
func TestSubrequest(t *testing.T) {
	const post = "POST /api/items HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"
	tests := []struct {
		name          string
		sub, hostFwd  bool
		want, notWant string
	}{
		{name: "direct POST without length", want: "without Content-Length"},
		{name: "direct request to an IP host", want: "Host is an IP address"},
		{name: "subrequest without forwarded Host", sub: true, notWant: "protocol"},
		{name: "subrequest with the client's Host", sub: true, hostFwd: true, notWant: "without Content-Length"},
	}
	d := newDetector(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := live(t, post)
			if tt.sub {
				r.HTTP = r.HTTP.WithContext(Subrequest(context.Background(), tt.hostFwd))
			}
			v := d.Detect(context.Background(), r)
			got := strings.Join(v.Messages, "; ")
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("messages %q, want %q", got, tt.want)
			}
			if tt.notWant == "protocol" && v.Found() {
				t.Errorf("finding %q, want none", got)
			} else if tt.notWant != "" && tt.notWant != "protocol" && strings.Contains(got, tt.notWant) {
				t.Errorf("messages %q, want no %q", got, tt.notWant)
			}
		})
	}
}
