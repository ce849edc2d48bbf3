package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEffective: --print shows every key with its effective value, from
// file, environment and defaults, and never a secret; without secrets it
// reads back as the same configuration.
func TestEffective(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.yaml")
	os.WriteFile(path, []byte("upstream: http://127.0.0.1:3000\nenforce:\n  ban_duration: 2d\nstore:\n  postgres: postgres://w:hunter2@db:5432/w\n  redis: redis://:s3cretpass@cache:6379/0\nalerts:\n  webhook:\n    url: https://hooks.example/abc123\n    secret: whsec-0123456789abcdef\n"), 0o600)
	b, err := Explain(path, env(map[string]string{"WARDEN_ADMIN_TOKEN": "tok-0123456789abcdef", "WARDEN_MODE": "monitor",
		"OPENAI_MODERATION_API_KEY": "sk-secret-key", "LOGIN_MAX": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, secret := range []string{"hunter2", "s3cretpass", "tok-0123456789abcdef", "sk-secret-key", "abc123", "whsec-0123456789abcdef"} {
		if strings.Contains(out, secret) {
			t.Errorf("--print shows %q", secret)
		}
	}
	for _, want := range []string{"upstream: http://127.0.0.1:3000 # file\n", "mode: monitor # env WARDEN_MODE\n", "ban_duration: 48h0m0s # file\n",
		"token: '[redacted]' # env WARDEN_ADMIN_TOKEN\n", "block_threshold: 0.8\n", "policies: # env\n    - name: login\n      violation: login_limit\n      algorithm: window\n      limit: 3\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print lacks %q", want)
		}
	}
	// The defaults printed read back as the defaults.
	os.WriteFile(path, nil, 0o600)
	b, err = Explain(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b, 0o600)
	again, err := Explain(path, nil)
	if err != nil {
		t.Fatalf("the defaults printed do not read back: %v", err)
	}
	if strings.ReplaceAll(string(again), " # file", "") != string(b) {
		t.Errorf("the defaults printed read back differently:\n%s", again)
	}
}
