package reportconfig

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Config)
		field string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"midnight in Paris", func(c *Config) { c.Hour, c.TimeZone = 0, "Europe/Paris" }, ""},
		{"hour 24", func(c *Config) { c.Hour = 24 }, "hour:"},
		{"negative hour", func(c *Config) { c.Hour = -1 }, "hour:"},
		{"unknown zone", func(c *Config) { c.TimeZone = "Mars/Olympus" }, "time_zone:"},
		{"empty zone", func(c *Config) { c.TimeZone = "" }, "time_zone:"},
		{"top 0", func(c *Config) { c.Top = 0 }, "top:"},
		{"top too large", func(c *Config) { c.Top = MaxTop + 1 }, "top:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.edit(&cfg)
			err := cfg.Validate()
			switch {
			case c.field == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case c.field != "" && (err == nil || !strings.HasPrefix(err.Error(), c.field)):
				t.Errorf("Validate() = %v, want an error starting %q", err, c.field)
			}
		})
	}
}
