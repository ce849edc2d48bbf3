package crowdsecconfig

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	on := func(edit func(*Config)) Config {
		c := DefaultConfig()
		c.LAPIURL, c.BouncerKey = "http://127.0.0.1:8080", "key"
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for valid
	}{
		{"defaults are off and valid", DefaultConfig(), ""},
		{"off ignores the rest", Config{CaptchaAction: "nonsense"}, ""},
		{"bouncer", on(func(*Config) {}), ""},
		{"watcher only", on(func(c *Config) { c.BouncerKey, c.MachineID, c.Password = "", "warden", "pw" }), ""},
		{"both", on(func(c *Config) { c.MachineID, c.Password = "warden", "pw" }), ""},
		{"neither", on(func(c *Config) { c.BouncerKey = "" }), "bouncer_key"},
		{"url without scheme", on(func(c *Config) { c.LAPIURL = "127.0.0.1:8080" }), "lapi_url"},
		{"machine without password", on(func(c *Config) { c.MachineID = "warden" }), "password: must be set"},
		{"password without machine", on(func(c *Config) { c.Password = "pw" }), "machine_id: must be set"},
		{"poll too fast", on(func(c *Config) { c.PollInterval = 100 * time.Millisecond }), "poll_interval"},
		{"captcha misspelt", on(func(c *Config) { c.CaptchaAction = "blok" }), `captcha_action: must be block, ban or log, got "blok" (did you mean block?)`},
		{"captcha ban", on(func(c *Config) { c.CaptchaAction = "ban" }), ""},
		{"timeout zero", on(func(c *Config) { c.Timeout = 0 }), "timeout"},
		{"queue zero", on(func(c *Config) { c.Queue = 0 }), "queue"},
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
