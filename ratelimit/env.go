package ratelimit

import (
	"fmt"
	"strings"
	"time"

	"github.com/warden-dev/warden/internal/arith"
	"github.com/warden-dev/warden/internal/clip"
)

// ApplyEnv overlays LibreChat's limiter variables on c, looked up through
// lookup (os.LookupEnv in production):
//
//	LOGIN_MAX, LOGIN_WINDOW (minutes)                  policy "login"
//	REGISTER_MAX, REGISTER_WINDOW (minutes)            policy "register"
//	LIMIT_MESSAGE_IP, MESSAGE_IP_MAX, MESSAGE_IP_WINDOW        "message_ip"
//	LIMIT_MESSAGE_USER, MESSAGE_USER_MAX, MESSAGE_USER_WINDOW  "message_user"
//	LIMIT_CONCURRENT_MESSAGES, CONCURRENT_MESSAGE_MAX          "concurrent_message"
//
// Numbers may be written as LibreChat allows, including arithmetic such as
// "60 * 24". LIMIT_*=false removes the policy, true restores it with
// LibreChat's defaults when the config had removed it. Errors name the
// variable.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	type limiter struct {
		policy, enable, max, window string
	}
	for _, l := range []limiter{
		{PolicyLogin, "", "LOGIN_MAX", "LOGIN_WINDOW"},
		{PolicyRegister, "", "REGISTER_MAX", "REGISTER_WINDOW"},
		{PolicyMessageIP, "LIMIT_MESSAGE_IP", "MESSAGE_IP_MAX", "MESSAGE_IP_WINDOW"},
		{PolicyMessageUser, "LIMIT_MESSAGE_USER", "MESSAGE_USER_MAX", "MESSAGE_USER_WINDOW"},
		{PolicyConcurrent, "LIMIT_CONCURRENT_MESSAGES", "CONCURRENT_MESSAGE_MAX", ""},
	} {
		if l.enable != "" {
			if v, ok := lookup(l.enable); ok {
				on, err := parseBool(v)
				if err != nil {
					return fmt.Errorf("%s: %w", l.enable, err)
				}
				if !on {
					c.removePolicy(l.policy)
					continue
				}
				c.policy(l.policy)
			}
		}
		if v, ok := lookup(l.max); ok {
			n, err := parsePositive(v)
			if err != nil {
				return fmt.Errorf("%s: %w", l.max, err)
			}
			if p := c.existing(l.policy); p != nil {
				p.Limit = n
			}
		}
		if l.window == "" {
			continue
		}
		if v, ok := lookup(l.window); ok {
			n, err := parsePositive(v)
			if err != nil {
				return fmt.Errorf("%s: %w", l.window, err)
			}
			if n > int64(maxWindow/time.Minute) {
				return fmt.Errorf("%s: %d minutes is more than %v", l.window, n, maxWindow)
			}
			if p := c.existing(l.policy); p != nil {
				p.Window = time.Duration(n) * time.Minute
			}
		}
	}
	return nil
}

func (c *Config) existing(name string) *Policy {
	for i := range c.Policies {
		if c.Policies[i].Name == name {
			return &c.Policies[i]
		}
	}
	return nil
}

// policy returns the named policy, adding LibreChat's default when absent.
func (c *Config) policy(name string) *Policy {
	if p := c.existing(name); p != nil {
		return p
	}
	c.Policies = append(c.Policies, defaultPolicy(name))
	return &c.Policies[len(c.Policies)-1]
}

func (c *Config) removePolicy(name string) {
	out := c.Policies[:0]
	for _, p := range c.Policies {
		if p.Name != name {
			out = append(out, p)
		}
	}
	c.Policies = out
}

// parsePositive parses a LibreChat number: an integer expression > 0.
func parsePositive(s string) (int64, error) {
	n, err := arith.Eval(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a number: %w", clip.String(s, 64), err)
	}
	if n <= 0 {
		return 0, fmt.Errorf("must be > 0, got %d", n)
	}
	return n, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", clip.String(s, 64))
}
