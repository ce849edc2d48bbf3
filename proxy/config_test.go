package proxy

import (
	"strings"
	"testing"
	"time"
)

func TestKnownUpgrade(t *testing.T) {
	tests := []struct {
		protocol string
		want     bool
	}{
		{"websocket", true},
		{"WebSocket", true},
		{" websocket ", true},
		{"h2c", false},
		{"HTTP/2.0", false},
		{"", false},
		{"websocket, h2c", false},
	}
	for _, tt := range tests {
		if got := KnownUpgrade(tt.protocol); got != tt.want {
			t.Errorf("KnownUpgrade(%q) = %v, want %v", tt.protocol, got, tt.want)
		}
	}
}

// Errors name the field inside the section: package config prefixes
// "proxy.".
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // substrings of the error; none means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"websocket only", func(c *Config) { c.Upgrades = []string{"WebSocket"} }, nil},
		{"negative timeout", func(c *Config) { c.IdleTimeout = -time.Second }, []string{"idle_timeout: must not be negative"}},
		{"no header timeout", func(c *Config) { c.ReadHeaderTimeout = 0 }, []string{"read_header_timeout: must be set"}},
		{"small header limit", func(c *Config) { c.MaxHeaderBytes = 100 }, []string{"max_header_bytes: must be at least 1024, got 100"}},
		{"h2c", func(c *Config) { c.Upgrades = []string{"websocket", "H2C"} }, []string{"upgrades[1]: h2c is never allowed"}},
		{"unknown upgrade", func(c *Config) { c.Upgrades = []string{"websocet"} }, []string{`upgrades[0]: unknown upgrade "websocet"`, "websocket"}},
		{"bad header name", func(c *Config) { c.ClientIPHeaders = []string{"X-Real-IP", "X Real"} }, []string{`client_ip_headers[1]: not a header name: "X Real"`}},
		{"every problem", func(c *Config) { c.DialTimeout, c.MaxHeaderBytes = -1, 0 }, []string{"dial_timeout:", "max_header_bytes:"}},
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
