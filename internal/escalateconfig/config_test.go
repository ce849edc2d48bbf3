package escalateconfig

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	on := func(edit func(*Config)) Config {
		c := DefaultConfig()
		c.Cloudflare.ZoneID, c.Cloudflare.APIToken = "z1", "tok"
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for valid
	}{
		{"defaults are off and valid", DefaultConfig(), ""},
		{"cloudflare on", on(func(*Config) {}), ""},
		{"no token", on(func(c *Config) { c.Cloudflare.APIToken = "" }), "cloudflare.api_token"},
		{"mode misspelt", on(func(c *Config) { c.Cloudflare.Mode = "blok" }), `cloudflare.mode: must be managed_challenge or block, got "blok" (did you mean block?)`},
		{"min_bans zero", on(func(c *Config) { c.Cloudflare.MinBans = 0 }), "cloudflare.min_bans"},
		{"min_score negative", on(func(c *Config) { c.Cloudflare.MinScore = -1 }), "cloudflare.min_score"},
		{"min_score", on(func(c *Config) { c.Cloudflare.MinScore = 60 }), ""},
		{"window zero", on(func(c *Config) { c.Cloudflare.Window = 0 }), "cloudflare.window"},
		{"api_base not a URL", on(func(c *Config) { c.Cloudflare.APIBase = "api.cloudflare.com" }), "cloudflare.api_base"},
		{"list without account", on(func(c *Config) { c.Cloudflare.ListID = "l1" }), "cloudflare.account_id"},
		{"list with account", on(func(c *Config) { c.Cloudflare.ListID, c.Cloudflare.AccountID = "l1", "a1" }), ""},
		{"hook command", on(func(c *Config) { c.Hook.Command = []string{"/usr/local/bin/block", "--ip"} }), ""},
		{"hook command empty program", on(func(c *Config) { c.Hook.Command = []string{""} }), "hook.command[0]"},
		{"hook url", on(func(c *Config) { c.Hook.URL = "ftp://x" }), "hook.url"},
		{"hook timeout", on(func(c *Config) { c.Hook.URL, c.Hook.Timeout = "http://x", -time.Second }), "hook.timeout"},
		{"hook concurrency", on(func(c *Config) { c.Hook.URL, c.Hook.Concurrency = "http://x", 0 }), "hook.concurrency"},
		{"hook off ignores its limits", on(func(c *Config) { c.Hook.Concurrency = 0 }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
