// Package crowdsecconfig holds the `crowdsec` section of the
// configuration, apart from package crowdsec so that the configuration
// (and the library that reads it) links no HTTP client. Only config and
// crowdsec import it.
package crowdsecconfig

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/warden-dev/warden/internal/suggest"
)

// Config is the `crowdsec` section: a CrowdSec Local API (LAPI) whose
// decisions Warden enforces (the bouncer, with BouncerKey) and to which
// it reports its own bans (the watcher, with MachineID and Password).
// Off when LAPIURL is empty.
type Config struct {
	LAPIURL string `yaml:"lapi_url"`
	// BouncerKey turns the bouncer on: `cscli bouncers add warden`.
	BouncerKey string `yaml:"bouncer_key"` // env WARDEN_CROWDSEC_BOUNCER_KEY
	// MachineID and Password turn the watcher on:
	// `cscli machines add warden --password ...`.
	MachineID string `yaml:"machine_id"`
	Password  string `yaml:"password"` // env WARDEN_CROWDSEC_PASSWORD
	// PollInterval is how often the bouncer asks for new and deleted
	// decisions; a decision takes effect within one interval.
	PollInterval time.Duration `yaml:"poll_interval"`
	// CaptchaAction is what Warden does to a client under a `captcha`
	// decision, having no captcha of its own to show: block (403
	// "blocked"), ban (403 "banned" with Retry-After) or log (let it
	// through and log it).
	CaptchaAction string `yaml:"captcha_action"`
	// Timeout bounds one call to the LAPI.
	Timeout time.Duration `yaml:"timeout"`
	// Queue bounds the bans waiting to be reported; beyond it a ban is
	// dropped and counted.
	Queue int `yaml:"queue"`
}

// CaptchaActions are the values of captcha_action.
var CaptchaActions = []string{"block", "ban", "log"}

// DefaultConfig returns the section's defaults: off.
func DefaultConfig() Config {
	return Config{PollInterval: 10 * time.Second, CaptchaAction: "block", Timeout: 10 * time.Second, Queue: 1000}
}

// Enabled reports whether a LAPI is configured.
func (c Config) Enabled() bool { return c.LAPIURL != "" }

// Bouncer reports whether Warden enforces the LAPI's decisions.
func (c Config) Bouncer() bool { return c.Enabled() && c.BouncerKey != "" }

// Watcher reports whether Warden reports its bans to the LAPI.
func (c Config) Watcher() bool { return c.Enabled() && c.MachineID != "" }

// Validate checks the section; errors name the field inside it.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if u, err := url.Parse(c.LAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("lapi_url", "must be an http:// or https:// URL, got %q", c.LAPIURL)
	}
	if c.BouncerKey == "" && c.MachineID == "" {
		add("bouncer_key", "set bouncer_key (or env WARDEN_CROWDSEC_BOUNCER_KEY) to enforce CrowdSec's decisions, machine_id and password to report Warden's bans, or both, when lapi_url is set")
	}
	if c.MachineID != "" && c.Password == "" {
		add("password", "must be set (or env WARDEN_CROWDSEC_PASSWORD) with machine_id")
	}
	if c.Password != "" && c.MachineID == "" {
		add("machine_id", "must be set with password")
	}
	if c.PollInterval < time.Second {
		add("poll_interval", "must be at least 1s, got %v", c.PollInterval)
	}
	if !slices.Contains(CaptchaActions, c.CaptchaAction) {
		add("captcha_action", "must be block, ban or log, got %q%s", c.CaptchaAction, suggest.Hint(c.CaptchaAction, CaptchaActions))
	}
	if c.Timeout <= 0 {
		add("timeout", "must be positive, got %v", c.Timeout)
	}
	if c.Queue < 1 {
		add("queue", "must be at least 1, got %d", c.Queue)
	}
	return errors.Join(errs...)
}
