package protocol

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// TestMessagesKeepSecrets: a finding about a cookie or a secret header
// names it and never quotes its value.
func TestMessagesKeepSecrets(t *testing.T) {
	d := newDetector(t)
	for _, tc := range []struct {
		name   string
		r      func(t *testing.T) *abuse.Request
		secret string
	}{
		{"RFC 2109 cookie", func(t *testing.T) *abuse.Request {
			return live(t, get("/", "Cookie: $Version=1; session=S3ssionV4lue; $Path=/"))
		}, "S3ssionV4lue"},
		{"header injection in Authorization", func(*testing.T) *abuse.Request {
			return offline("GET", "/", http.Header{"Host": {"app.example.com"}, "Authorization": {"Bearer T0kenV4lue\r\nX-Admin: 1"}}, "")
		}, "T0kenV4lue"},
		{"cookie set from a parameter", func(t *testing.T) *abuse.Request {
			return live(t, get("/?lang=en%0d%0aSet-Cookie:%20sid%3DF1xedS3ssion"))
		}, "F1xedS3ssion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(context.Background(), tc.r(t))
			if len(v.Messages) == 0 {
				t.Fatal("no finding: the case must trigger one")
			}
			if all := strings.Join(v.Messages, "\n"); strings.Contains(all, tc.secret) {
				t.Errorf("messages quote the secret %q:\n%s", tc.secret, all)
			}
		})
	}
}
