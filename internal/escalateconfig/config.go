// Package escalateconfig holds the `escalation` section of the
// configuration, apart from package escalate so that the configuration
// (and the library that reads it) links no HTTP client or process runner.
// Only config and escalate import it.
package escalateconfig

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/warden-dev/warden/internal/suggest"
)

// Config is the `escalation` section: what happens beyond this process
// when Warden bans a client.
type Config struct {
	Cloudflare Cloudflare `yaml:"cloudflare"`
	Hook       Hook       `yaml:"hook"`
}

// Cloudflare pushes repeat offenders to Cloudflare as IP Access Rules;
// off when ZoneID is empty.
type Cloudflare struct {
	APIBase  string `yaml:"api_base"`
	ZoneID   string `yaml:"zone_id"`
	APIToken string `yaml:"api_token"` // env WARDEN_CLOUDFLARE_API_TOKEN
	// Mode is the rule's action: managed_challenge or block.
	Mode string `yaml:"mode"`
	// MinBans pushes a client banned this many times within Window.
	MinBans int           `yaml:"min_bans"`
	Window  time.Duration `yaml:"window"`
	// Violations push a client at its first ban for one of these
	// violation types, whatever MinBans says.
	Violations []string `yaml:"violations"`
	// MinScore, when above 0, pushes a client at a ban placed with a
	// violation score of at least this, whatever MinBans says.
	MinScore int64 `yaml:"min_score"`
	// ListID, with AccountID, keeps the clients in a Cloudflare List
	// (a custom rule `ip.src in $name` acts on it) instead of one IP
	// Access Rule each: for large setups.
	AccountID string `yaml:"account_id"`
	ListID    string `yaml:"list_id"`
}

// Enabled reports whether bans are pushed to Cloudflare.
func (c Cloudflare) Enabled() bool { return c.ZoneID != "" }

// Hook runs a command, or posts to a URL, on every ban and unban; off
// when both are empty.
type Hook struct {
	// Command is the program and its arguments, run without a shell; the
	// ban arrives as JSON on stdin and in WARDEN_* variables.
	Command []string `yaml:"command"`
	// URL receives the ban as a JSON POST.
	URL string `yaml:"url"`
	// Timeout bounds one run or call.
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency bounds the runs in flight; events beyond it wait in a
	// queue of Queue entries, and are dropped (and counted) when it is
	// full.
	Concurrency int `yaml:"concurrency"`
	Queue       int `yaml:"queue"`
}

// Enabled reports whether the hook runs.
func (h Hook) Enabled() bool { return len(h.Command) > 0 || h.URL != "" }

// Modes are the Cloudflare rule actions Warden pushes.
var Modes = []string{"managed_challenge", "block"}

// DefaultConfig returns the section's defaults: both off.
func DefaultConfig() Config {
	return Config{
		Cloudflare: Cloudflare{APIBase: "https://api.cloudflare.com/client/v4", Mode: "managed_challenge",
			MinBans: 2, Window: 24 * time.Hour},
		Hook: Hook{Timeout: 10 * time.Second, Concurrency: 4, Queue: 1000},
	}
}

// Validate checks the section; errors name the field inside it.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	cf := c.Cloudflare
	if cf.Enabled() {
		if u, err := url.Parse(cf.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("cloudflare.api_base", "must be an http:// or https:// URL, got %q", cf.APIBase)
		}
		if cf.APIToken == "" {
			add("cloudflare.api_token", "must be set (or env WARDEN_CLOUDFLARE_API_TOKEN) when zone_id is")
		}
		known := false
		for _, m := range Modes {
			known = known || m == cf.Mode
		}
		if !known {
			add("cloudflare.mode", "must be managed_challenge or block, got %q%s", cf.Mode, suggest.Hint(cf.Mode, Modes))
		}
		if cf.MinBans < 1 {
			add("cloudflare.min_bans", "must be at least 1, got %d", cf.MinBans)
		}
		if cf.ListID != "" && cf.AccountID == "" {
			add("cloudflare.account_id", "must be set with list_id: lists belong to the account")
		}
		if cf.MinScore < 0 {
			add("cloudflare.min_score", "must not be negative (0 turns it off), got %d", cf.MinScore)
		}
		if cf.Window <= 0 {
			add("cloudflare.window", "must be positive, got %v", cf.Window)
		}
	}
	h := c.Hook
	if len(h.Command) > 0 && h.Command[0] == "" {
		add("hook.command[0]", "must name a program")
	}
	if h.URL != "" {
		if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("hook.url", "must be an http:// or https:// URL, got %q", h.URL)
		}
	}
	if h.Enabled() {
		if h.Timeout <= 0 {
			add("hook.timeout", "must be positive, got %v", h.Timeout)
		}
		if h.Concurrency < 1 {
			add("hook.concurrency", "must be at least 1, got %d", h.Concurrency)
		}
		if h.Queue < 0 {
			add("hook.queue", "must not be negative, got %d", h.Queue)
		}
	}
	return errors.Join(errs...)
}
