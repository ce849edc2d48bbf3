package config

import (
	"strings"
	"testing"
)

// TestEffective: --print shows every key with its effective value, from
// file, environment and defaults, and never a secret; without secrets it
// reads back as the same configuration.
func TestEffective(t *testing.T) {
	cfg, err := Parse([]byte("upstream: http://127.0.0.1:3000\nenforce:\n  ban_duration: 2d\nstore:\n  postgres: postgres://w:hunter2@db:5432/w\n  redis: redis://:s3cretpass@cache:6379/0\nalerts:\n  webhook:\n    url: https://hooks.example/abc123\n    secret: whsec-0123456789abcdef\n"),
		env(map[string]string{"WARDEN_ADMIN_TOKEN": "tok-0123456789abcdef", "WARDEN_MODE": "monitor", "OPENAI_MODERATION_API_KEY": "sk-secret-key"}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.Effective()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, secret := range []string{"hunter2", "s3cretpass", "tok-0123456789abcdef", "sk-secret-key", "abc123", "whsec-0123456789abcdef"} {
		if strings.Contains(out, secret) {
			t.Errorf("--print shows %q", secret)
		}
	}
	for _, want := range []string{"upstream: http://127.0.0.1:3000\n", "mode: monitor\n", "ban_duration: 48h0m0s\n", "token: '[redacted]'\n", "block_threshold: 0.8\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print lacks %q", want)
		}
	}
	d := Default()
	b, err = d.Effective()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b, nil)
	if err != nil {
		t.Fatalf("the defaults printed do not read back: %v", err)
	}
	again, _ := back.Effective()
	if string(again) != string(b) {
		t.Error("the defaults printed read back differently")
	}
}
