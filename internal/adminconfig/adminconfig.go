// Package adminconfig holds the `admin` section of the configuration, apart
// from the admin API itself so that the configuration (and the library that
// reads it) does not link the API and its dashboard. Only config and admin
// import it; users name the type as admin.Config.
package adminconfig

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// EnvToken is the environment variable that sets the admin token.
const EnvToken = "WARDEN_ADMIN_TOKEN"

// MinTokenLen is the shortest configured token accepted.
const MinTokenLen = 16

// Config is the `admin` section of the configuration.
type Config struct {
	// Listen is the admin listener's address; empty turns the admin API
	// off. Keep it on loopback or a private network.
	Listen string `yaml:"listen"`
	// Token is the Bearer token; WARDEN_ADMIN_TOKEN overrides it. When both
	// are empty a random token is generated into <data dir>/admin.token
	// (see admin.LoadOrCreateToken).
	Token string `yaml:"token"`
}

// DefaultConfig returns the admin API on 127.0.0.1:9090 with a generated
// token.
func DefaultConfig() Config { return Config{Listen: "127.0.0.1:9090"} }

// ApplyEnv overlays WARDEN_ADMIN_TOKEN.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	if v, ok := lookup(EnvToken); ok && v != "" {
		if err := CheckToken(v); err != nil {
			return fmt.Errorf("%s: %w", EnvToken, err)
		}
		c.Token = v
	}
	return nil
}

// Validate reports the first invalid field, named by its path in the
// section.
func (c Config) Validate() error {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("listen: must be host:port: %w", err)
		}
	}
	if c.Token != "" {
		if err := CheckToken(c.Token); err != nil {
			return fmt.Errorf("token: %w", err)
		}
	}
	return nil
}

// CheckToken reports why t cannot be an admin token, or nil.
func CheckToken(t string) error {
	switch {
	case len(t) < MinTokenLen:
		return fmt.Errorf("must be at least %d characters", MinTokenLen)
	case len(t) > 4096:
		return errors.New("must be at most 4096 characters")
	case strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		// An Authorization header carries bytes, and browsers refuse to
		// send anything outside printable ASCII: such a token would lock
		// the dashboard out.
		return errors.New("must be printable ASCII without spaces")
	}
	return nil
}
