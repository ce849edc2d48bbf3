package config

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseEnvFile(t *testing.T) {
	in := "# LibreChat .env\n" +
		"BAN_DURATION=1000 * 60 * 60 * 2\n" +
		"BAN_INTERVAL=20 # a comment\n" +
		"export LOGIN_MAX=9\n" +
		"  SPACED = value with spaces  \n" +
		"EMPTY=\n" +
		"SINGLE='a # not a comment'\n" +
		"DOUBLE=\"line1\\nline2\"\n" +
		"MULTI=\"first\nsecond\"\n" +
		"CRLF=yes\r\n" +
		"\n"
	got, err := ParseEnvFile([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"BAN_DURATION": "1000 * 60 * 60 * 2", "BAN_INTERVAL": "20", "LOGIN_MAX": "9", "SPACED": "value with spaces",
		"EMPTY": "", "SINGLE": "a # not a comment", "DOUBLE": "line1\nline2", "MULTI": "first\nsecond", "CRLF": "yes",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for _, bad := range []string{"NOEQUALS\n", "1BAD=x\n", "Q=\"open\n"} {
		if _, err := ParseEnvFile([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestEnvFileApplies: env_file (relative to the config file) applies
// LibreChat's variables with their arithmetic; exported variables win.
func TestEnvFileApplies(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("BAN_DURATION=1000 * 60 * 60 * 2\nLOGIN_MAX=3\nWARDEN_MODE=monitor\n"), 0o600)
	cfgPath := filepath.Join(dir, "warden.yaml")
	os.WriteFile(cfgPath, []byte("env_file: .env\n"), 0o600)
	cfg, err := Load(cfgPath, env(map[string]string{"LOGIN_MAX": "5"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Enforce.Duration != 2*time.Hour || cfg.Mode != Monitor || cfg.RateLimit.Policies[0].Limit != 5 {
		t.Fatalf("duration %v, mode %s, login limit %d", cfg.Enforce.Duration, cfg.Mode, cfg.RateLimit.Policies[0].Limit)
	}
	os.WriteFile(cfgPath, []byte("upstream: http://a\nenv_file: missing.env\n"), 0o600)
	if _, err := Load(cfgPath, nil); err == nil || !strings.Contains(err.Error(), "warden.yaml:2: env_file: env file:") {
		t.Fatalf("missing env file: %v", err)
	}
}

func TestEnvReport(t *testing.T) {
	vars := map[string]string{"BAN_DURATION": "7200000", "LOGIN_MAX": "3", "WARDEN_MOD": "monitor",
		"TTSS_VIOLATION_SCORE": "2", "OPENAI_API_KEY": "sk-x", "PATH": "/bin"}
	applied, warnings := EnvReport(env(vars), slices.Collect(maps.Keys(vars)))
	if !slices.Equal(applied, []string{"BAN_DURATION", "LOGIN_MAX"}) {
		t.Errorf("applied %q", applied)
	}
	want := []string{
		"TTSS_VIOLATION_SCORE is set but Warden does not read it (did you mean TTS_VIOLATION_SCORE?)",
		"WARDEN_MOD is set but Warden does not read it (did you mean WARDEN_MODE?)",
	}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings %q", warnings)
	}
}

func TestModerationEnvNamesTheVariable(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"OPENAI_MODERATION": "true"}))
	if err == nil || !strings.HasPrefix(err.Error(), "OPENAI_MODERATION: true needs OPENAI_MODERATION_API_KEY") {
		t.Fatalf("got %v", err)
	}
	if _, err := FromEnv(env(map[string]string{"OPENAI_MODERATION": "true", "OPENAI_MODERATION_API_KEY": "k"})); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte("ai:\n  moderation:\n    api_key: k\n"), env(map[string]string{"OPENAI_MODERATION": "true"})); err != nil {
		t.Fatalf("key in the file: %v", err)
	}
}
