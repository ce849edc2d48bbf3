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

// TestMayStartSecret checks the two-byte filter readers use before
// Pending: it lets every start of a key shape or a JWT through (it must
// never rule out what startsSecret accepts), and rules out words.
func TestMayStartSecret(t *testing.T) {
	for _, tc := range []struct {
		tok  string
		want bool
	}{
		{"sk-proj-Zq3", true}, {"sk_live_x", true}, {"rk-abc", true}, {"rk_abc", true},
		{"AKIAIOSF", true}, {"ASIAIOSF", true}, {"AIzaSyA", true}, {"github_pat_1", true},
		{"glpat-xyz", true}, {"eyJhbGci", true}, {"ghp_abc", true}, {"gho_abc", true}, {"xoxb-1", true},
		{"sk", false}, {"slicing", false}, {"step", false}, {"reverse", false}, {"returns", false},
		{"every", false}, {"global", true}, {"given", true}, {"Apple", false}, {"the", false}, {"xyz", false},
	} {
		if got := MayStartSecret(tc.tok); got != tc.want {
			t.Errorf("MayStartSecret(%q) = %v, want %v", tc.tok, got, tc.want)
		}
		if startsSecret(tc.tok) && !MayStartSecret(tc.tok) {
			t.Errorf("%q starts a secret, MayStartSecret rules it out", tc.tok)
		}
	}
	// No start startsSecret accepts is ruled out, whatever its first two
	// bytes.
	for _, p := range secretPrefixes {
		if tok := p + "0123456789abcdef"; !MayStartSecret(tok) {
			t.Errorf("%q ruled out", tok)
		}
	}
	for a := range 256 {
		for b := range 256 {
			tok := string([]byte{byte(a), byte(b)}) + "p_-AKIA0123456789"
			if startsSecret(tok) && !MayStartSecret(tok) {
				t.Fatalf("%q starts a secret, MayStartSecret rules it out", tok)
			}
		}
	}
}
