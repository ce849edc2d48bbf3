package inspect

import (
	"strings"
	"testing"
)

// Errors name the field inside the section: package config prefixes
// "inspect.".
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // substrings of the error; none means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"reject, no buffering", func(c *Config) { c.Oversize, c.BodyLimit = OversizeReject, 0 }, nil},
		{"body limit too big", func(c *Config) { c.BodyLimit = 65 << 20 }, []string{"body_limit: must be between 0 and 64 MiB"}},
		{"negative body limit", func(c *Config) { c.BodyLimit = -1 }, []string{"body_limit:"}},
		{"unknown oversize", func(c *Config) { c.Oversize = "drop" }, []string{`oversize: must be prefix or reject, got "drop"`}},
		{"negative max body", func(c *Config) { c.MaxBody = -1 }, []string{"max_body: must not be negative"}},
		{"every problem", func(c *Config) { c.Oversize, c.MaxBody = "", -1 }, []string{"oversize:", "max_body:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.modify(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
