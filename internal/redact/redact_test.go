package redact

import (
	"strings"
	"testing"
)

const (
	jwt  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	pem  = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----"
	card = "4111 1111 1111 1111"
)

func TestNamesMatch(t *testing.T) {
	n := NewNames([]string{"pin_code"})
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"user_password", true},
		{"newPassword", true},
		{"password2", true},
		{"userpassword", true}, // seven letters or more match inside a word
		{"passwordConfirm", true},
		{"pass", true},
		{"user-pass", true},
		{"pwd", true},
		{"X-Api-Key", true},
		{"apiKey", true},
		{"APIKey", true},
		{"api_key", true},
		{"client_secret", true},
		{"clientSecret", true},
		{"secret_key", true},
		{"access_token", true},
		{"X-Auth-Token", true},
		{"Authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"sessionid", true},
		{"user[password]", true},
		{"pinCode", true}, // configured
		{"PIN-CODE", true},
		{"passage", false},
		{"compass", false},
		{"bypass", false},
		{"passenger", false},
		{"secretary", false},
		{"tokenizer", false},
		{"max_tokens", false},
		{"cwd", false},
		{"username", false},
		{"email", false},
		{"comment", false},
		{"pin", false},
		{"", false},
	} {
		if got := n.Match(tc.name); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.name, got, tc.want)
		}
		if got := n.MatchBytes([]byte(tc.name)); got != tc.want {
			t.Errorf("MatchBytes(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if (Names{}).Match("pin_code") {
		t.Error("the zero Names matches a name that is no default")
	}
	if !(Names{}).Match("password") {
		t.Error("the zero Names does not match the defaults")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		fields []string
		want   string // "" for valid
	}{
		{nil, ""},
		{[]string{"pin_code", "X-Session-Key", "otp.value"}, ""},
		{[]string{"ok", ""}, "fields[1]: empty name"},
		{[]string{"pin code"}, "fields[0]"},
		{[]string{"a*b"}, "only letters"},
		{[]string{"__"}, "no letter or digit"},
		{[]string{"Password"}, "default already"},
		{[]string{strings.Repeat("a", 65)}, "longer than 64"},
	} {
		err := Config{Fields: tc.fields}.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.fields, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one containing %q", tc.fields, err, tc.want)
		}
	}
}

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"token " + jwt + " here", "token [redacted] here"},
		{"cut " + jwt[:60], "cut [redacted]"},
		{"key:\n" + pem + "\nafter", "key:\n[redacted]\nafter"},
		{"half " + pem[:80], "half [redacted]"},
		{"card " + card + " ok", "card [redacted] ok"},
		{"card 4111-1111-1111-1111", "card [redacted]"},
		{"card 4111111111111111", "card [redacted]"},
		{"not a card 4111111111111112", "not a card 4111111111111112"}, // fails Luhn
		{"ts 1700000000000", "ts 1700000000000"},                       // no card starts with 1
		{"id 41111111111111111111111", "id 41111111111111111111111"},   // 23 digits
		{"Authorization: Bearer abcdefgh12345678", "Authorization: [redacted]"},
		{"Basic dXNlcjpwYXNzd29yZA==", "[redacted]"},
		{"key sk-proj-abcdefghijklmnop1234", "key [redacted]"},
		{"sk_live_abcdefghijklmnop1234", "[redacted]"},
		{"aws AKIAIOSFODNN7EXAMPLE.", "aws [redacted]."},
		{"ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[redacted]"},
		{"xoxb-1234567890-abcdef", "[redacted]"},
		{"a task-abcdefghijklmnopqrstuvwx", "a task-abcdefghijklmnopqrstuvwx"},
		{"plain ' OR 1=1-- text", "plain ' OR 1=1-- text"},
		{"", ""},
	} {
		if got := Shapes(tc.in); got != tc.want {
			t.Errorf("Shapes(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestShapesNoAlloc(t *testing.T) {
	s := strings.Repeat("GET /api/users/1234?sort=name&q=hello world ", 10)
	if n := testing.AllocsPerRun(100, func() { _ = Shapes(s) }); n != 0 {
		t.Errorf("Shapes allocates %v times on text without secrets", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Names{}.Text(s) }); n != 0 {
		t.Errorf("Text allocates %v times on text without secrets", n)
	}
}

func TestText(t *testing.T) {
	n := NewNames([]string{"pin_code"})
	for _, tc := range []struct {
		in, want string
	}{
		{`sqli: libinjection sqli in json "password": "9/u%cA^Us/*d^M'l?H%U"`, `sqli: libinjection sqli in json "password": "[redacted]"`},
		{`{"user":"bob","password":"a\"b,c","x":1}`, `{"user":"bob","password":"[redacted]","x":1}`},
		{`{"pin_code": 1234, "ok": true}`, `{"pin_code": [redacted], "ok": true}`},
		{"user=bob&password=hunter2&next=/", "user=bob&password=[redacted]&next=/"},
		{"user[password]=x1&a=b", "user[password]=[redacted]&a=b"},
		{"Cookie: sid=abc; theme=dark\nAccept: */*", "Cookie: [redacted]\nAccept: */*"},
		{"X-Api-Key: 12345abcde", "X-Api-Key: [redacted]"},
		{"my password: hunter2 thanks", "my password: [redacted]"},
		{"--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2\r\n--b--", "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n[redacted]\r\n--b--"},
		{"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--b--", "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--b--"},
		{"passage: the road", "passage: the road"},
		{"std::string password;", "std::string password;"},
		{"note=" + card, "note=[redacted]"},
		{"plain text", "plain text"},
	} {
		if got := n.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"abc", "abc"},
		{"a\x00b\xffc", "a?b?c"},
		{strings.Repeat("x", 100), strings.Repeat("x", 61) + "..."},
		{"Bearer " + jwt, "[redacted]"},
		{"/login;password=hunter2", "/login;password=[redacted]"},
		{"Set-Cookie: sid=abc", "Set-Cookie: [redacted]"},
		{"t=" + jwt + " " + strings.Repeat("y", 5000), "t=[redacted] " + strings.Repeat("y", 48) + "..."},
	} {
		got := Excerpt(tc.in)
		if got != tc.want {
			t.Errorf("Excerpt(%.40q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(got) > MaxExcerpt {
			t.Errorf("Excerpt(%.40q) is %d bytes, more than MaxExcerpt", tc.in, len(got))
		}
	}
}

func TestWindow(t *testing.T) {
	long := strings.Repeat("A", 3000)
	body := "-----BEGIN PRIVATE KEY-----\n" + long + "\n-----END PRIVATE KEY-----"
	for _, tc := range []struct {
		name   string
		v      string
		pos, n int
		want   string
	}{
		{"plain", "hello ' or 1=1 --", 6, 64, "hello ' or 1=1 --"},
		{"control bytes", "a\x01b", 0, 64, "a.b"},
		{"jwt inside", "q=' or 1=1 -- " + jwt, 2, 64, "q=' or 1=1 -- [redacted]"},
		{"window in the middle of a jwt", "x" + jwt + "' or 1=1", 60, 20, "[redacted]"},
		{"window deep in a pem key", body + "' or 1=1", 2000, 40, "[redacted]"},
		{"card before", "card " + card + " ' union select", 30, 64, "[redacted] ' union select"},
	} {
		if got := Window([]byte(tc.v), tc.pos, tc.n); got != tc.want {
			t.Errorf("%s: Window = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func BenchmarkNamesMatch(b *testing.B) {
	names := [][]byte{[]byte("id"), []byte("email"), []byte("created_at"), []byte("description"), []byte("userPassword"), []byte("X-Request-Id")}
	n := Names{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, name := range names {
			n.MatchBytes(name)
		}
	}
}
