package identity

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Errors name the field inside the section: package config prefixes
// "identity.".
func TestConfigValidate(t *testing.T) {
	key := strings.Repeat("k", 32)
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // substrings of the error; none means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"hs256", func(c *Config) { c.JWT.HS256Key = key }, nil},
		{"negative leeway", func(c *Config) { c.JWT.Leeway = -time.Second }, []string{"jwt.leeway: must not be negative"}},
		{"two keys", func(c *Config) { c.JWT.HS256Key, c.JWT.RS256Key = key, "pub.pem" }, []string{"jwt: set hs256_key or rs256_key, not both"}},
		{"short key", func(c *Config) { c.JWT.HS256Key = "short" }, []string{"jwt.hs256_key: must be at least 32 bytes"}},
		{"unverified with a key", func(c *Config) { c.JWT.InsecureUnverifiedClaims, c.JWT.RS256Key = true, "pub.pem" },
			[]string{"jwt.insecure_unverified_claims: must not be set together with a key"}},
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

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"10.1.2.3/8", "10.0.0.0/8", ""},
		{"192.168.1.1", "192.168.1.1/32", ""},
		{"::ffff:192.168.1.1", "192.168.1.1/32", ""},
		{"2001:db8::1", "2001:db8::1/128", ""},
		{"10.0.0.0/33", "", "not a CIDR"},
		{"localhost", "", "not an IP address or CIDR"},
	}
	for _, tt := range tests {
		got, err := ParsePrefix(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePrefix(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != netip.MustParsePrefix(tt.want) {
			t.Errorf("ParsePrefix(%q) = %v, %v, want %s", tt.in, got, err, tt.want)
		}
	}
}
