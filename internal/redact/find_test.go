package redact

import (
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // kind:secret
	}{
		{"plain text, nothing here", nil},
		{"use sk-proj-abcdefghijklmnop1234 now", []string{"api_key:sk-proj-abcdefghijklmnop1234"}},
		{"sk-ant-api03-abcdefghijklmnopqrstuv", []string{"api_key:sk-ant-api03-abcdefghijklmnopqrstuv"}},
		{"AKIAIOSFODNN7EXAMPLE", []string{"api_key:AKIAIOSFODNN7EXAMPLE"}},
		{"t " + jwt, []string{"jwt:" + jwt}},
		{pem, []string{"private_key:" + pem}},
		{"Authorization: Bearer abcdefgh12345678", []string{"secret_field:Bearer abcdefgh12345678", "auth:Bearer abcdefgh12345678"}},
		{"card " + card, []string{"card:" + card}},
		{`{"password": "hunter2"}`, []string{"secret_field:hunter2"}},
		{"db_password=s3cr3t&x=1", []string{"secret_field:s3cr3t"}},
	} {
		var got []string
		for _, sp := range (Names{}).Find(nil, tc.in) {
			got = append(got, sp.Kind.String()+":"+tc.in[sp.Start:sp.End])
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Find(%.40q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestPending(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the tail held back
	}{
		{"a normal sentence", ""},
		{"the key is sk-proj-abc", "sk-proj-abc"},
		{"the key is sk-", "sk-"},
		{"export AWS=AKIAIOSF", "AKIAIOSF"},
		{"token ghp_abc", "ghp_abc"},
		{"slack xoxb-12", "xoxb-12"},
		{"jwt eyJhbGciOi", "eyJhbGciOi"},
		{"Authorization: Bearer abc", "Bearer abc"}, // the value of a secret-named key
		{"use Bearer abc", "Bearer abc"},
		{"key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIE", "-----BEGIN RSA PRIVATE KEY-----\nMIIE"},
		{"key:\n" + pem + "\nafter", ""},
		{`{"password": "hun`, "hun"},
		{"password=hun", "hun"},
		{"password=hunter2&next", ""},
		{"skills and tasks", ""},
		{"the ghost", ""},
	} {
		p := (Names{}).Pending(tc.in)
		if got := tc.in[p:]; got != tc.want {
			t.Errorf("Pending(%q) holds %q, want %q", tc.in, got, tc.want)
		}
	}
}
