package admin

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	t.Run("configured wins", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, TokenFile), []byte("from-the-file-0123456789\n"), 0o600)
		tok, path, err := LoadOrCreateToken(dir, testToken)
		if err != nil || tok != testToken || path != "" {
			t.Fatalf("= %q, %q, %v", tok, path, err)
		}
	})
	t.Run("short configured token", func(t *testing.T) {
		if _, _, err := LoadOrCreateToken(t.TempDir(), "secret"); err == nil {
			t.Fatal("accepted a 6-character token")
		}
	})
	t.Run("generated then reused", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "warden-data") // created on demand
		tok, path, err := LoadOrCreateToken(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(tok) {
			t.Errorf("token %q is not 32 random bytes in hex", tok)
		}
		if path != filepath.Join(dir, TokenFile) {
			t.Errorf("path %q", path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode %#o, want 0600", fi.Mode().Perm())
		}
		if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
			t.Errorf("data dir mode %#o, want 0700", di.Mode().Perm())
		}
		again, _, err := LoadOrCreateToken(dir, "")
		if err != nil || again != tok {
			t.Errorf("second start got %q, %v; want the same token", again, err)
		}
	})
	t.Run("concurrent starts agree", func(t *testing.T) {
		dir := t.TempDir()
		toks := make([]string, 8)
		var wg sync.WaitGroup
		for i := range toks {
			wg.Go(func() {
				tok, _, err := LoadOrCreateToken(dir, "")
				if err != nil {
					t.Error(err)
				}
				toks[i] = tok
			})
		}
		wg.Wait()
		for _, tok := range toks[1:] {
			if tok != toks[0] {
				t.Fatalf("tokens differ: %q vs %q", tok, toks[0])
			}
		}
	})
	bad := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"readable by others", "0123456789abcdef0123", 0o644, "chmod 600"},
		{"empty", "\n", 0o600, "empty"},
		{"too short", "abc", 0o600, "at least"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, TokenFile)
			if err := os.WriteFile(p, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, tt.mode) // umask may have narrowed it
			_, _, err := LoadOrCreateToken(dir, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	t.Run("no data dir", func(t *testing.T) {
		if _, _, err := LoadOrCreateToken("", ""); err == nil {
			t.Fatal("no error without token or data dir")
		}
	})
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		env    map[string]string
		prefix string // of the error; "" for none
	}{
		{"default", DefaultConfig(), nil, ""},
		{"off", Config{}, nil, ""},
		{"bad listen", Config{Listen: "9090"}, nil, "listen:"},
		{"short token", Config{Listen: "127.0.0.1:9090", Token: "short"}, nil, "token:"},
		{"token with space", Config{Token: "0123456789 abcdef0123"}, nil, "token:"},
		{"token not ASCII", Config{Token: "0123456789abcdef0123456789abcdеf"}, nil, "token:"}, // Cyrillic е
		{"env token", DefaultConfig(), map[string]string{EnvToken: testToken}, ""},
		{"bad env token", DefaultConfig(), map[string]string{EnvToken: "short"}, EnvToken + ":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			err := c.ApplyEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err == nil {
				err = c.Validate()
			}
			if tt.prefix == "" {
				if err != nil {
					t.Fatal(err)
				}
				if v := tt.env[EnvToken]; v != "" && c.Token != v {
					t.Errorf("token %q not taken from the env", c.Token)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Errorf("err = %v, want prefix %q", err, tt.prefix)
			}
		})
	}
}
