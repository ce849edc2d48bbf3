// Package alertconfig holds the `alerts` section of the configuration,
// apart from package alert so that the configuration (and the library
// that reads it) does not link the mail client and the senders. Only
// config and alert import it; users name the type as alert.Config.
package alertconfig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Config is the `alerts` section: the channels alerts go to, how they are
// grouped and the rules that raise them.
type Config struct {
	SMTP    SMTP    `yaml:"smtp"`
	Slack   Slack   `yaml:"slack"`
	Webhook Webhook `yaml:"webhook"`
	// GroupWait is how long a new group of alerts waits for more of its
	// kind before the first message goes out.
	GroupWait time.Duration `yaml:"group_wait"`
	// GroupInterval is the least time between two messages of one group
	// when alerts join or resolve.
	GroupInterval time.Duration `yaml:"group_interval"`
	// RepeatInterval is how often a group that keeps firing unchanged is
	// sent again.
	RepeatInterval time.Duration `yaml:"repeat_interval"`
	// MaxPerHour caps the messages each channel gets in a clock hour;
	// what is over goes into one digest at the end of the hour. 0 means
	// no cap.
	MaxPerHour int   `yaml:"max_per_hour"`
	Rules      Rules `yaml:"rules"`
}

// SMTP is the mail channel; off when Host is empty.
type SMTP struct {
	Host     string   `yaml:"host"`
	Port     int      `yaml:"port"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"` // env WARDEN_ALERTS_SMTP_PASSWORD
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	// StartTLS upgrades the connection and refuses to send without it.
	StartTLS bool `yaml:"starttls"`
	// TLS connects over TLS from the start (port 465); it wins over
	// StartTLS.
	TLS bool `yaml:"tls"`
}

// Slack is the Slack incoming-webhook channel; off when WebhookURL is
// empty.
type Slack struct {
	WebhookURL string `yaml:"webhook_url"`
}

// Webhook is the generic webhook channel, signed the Standard Webhooks way
// with Secret (raw, or "whsec_" and base64); off when URL is empty.
type Webhook struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// Rule is one alert rule: it fires when Threshold or more of what it
// counts happen within Window.
type Rule struct {
	Enabled   bool          `yaml:"enabled"`
	Threshold int           `yaml:"threshold"`
	Window    time.Duration `yaml:"window"`
}

// Rules are the alert rules by name. Each is on by default.
type Rules struct {
	Ban                Rule `yaml:"ban"`                 // bans issued (all clients together)
	RepeatBan          Rule `yaml:"repeat_ban"`          // one client banned again
	Blocked            Rule `yaml:"blocked"`             // requests blocked, per route or class
	NewAttackClass     Rule `yaml:"new_attack_class"`    // a violation type not seen within the window
	CredentialStuffing Rule `yaml:"credential_stuffing"` // credential stuffing, brute force or enumeration findings, per route
	StoreOutage        Rule `yaml:"store_outage"`        // decisions that fell back from Redis, PostgreSQL or SQLite, per store
	DroppedEvents      Rule `yaml:"dropped_events"`      // decision-log events dropped
	LLMUnavailable     Rule `yaml:"llm_unavailable"`     // judge or moderation calls that failed or timed out
	BudgetExhausted    Rule `yaml:"budget_exhausted"`    // requests throttled by an exhausted token budget
	ErrorRate          Rule `yaml:"error_rate"`          // Warden's own errors (recovered panics)
}

// DefaultConfig returns every rule on, Alertmanager's grouping times and
// no channel.
func DefaultConfig() Config {
	on := func(n int, w time.Duration) Rule { return Rule{Enabled: true, Threshold: n, Window: w} }
	return Config{
		SMTP:           SMTP{Port: 587, StartTLS: true},
		GroupWait:      30 * time.Second,
		GroupInterval:  5 * time.Minute,
		RepeatInterval: 4 * time.Hour,
		MaxPerHour:     8,
		Rules: Rules{
			Ban:                on(1, 10*time.Minute),
			RepeatBan:          on(2, 24*time.Hour),
			Blocked:            on(100, 5*time.Minute),
			NewAttackClass:     on(1, 24*time.Hour),
			CredentialStuffing: on(1, 10*time.Minute),
			StoreOutage:        on(1, 5*time.Minute),
			DroppedEvents:      on(1, 5*time.Minute),
			LLMUnavailable:     on(5, 5*time.Minute),
			BudgetExhausted:    on(10, 10*time.Minute),
			ErrorRate:          on(5, 5*time.Minute),
		},
	}
}

// Named returns the rules with their YAML names, in a fixed order.
func (r *Rules) Named() []NamedRule {
	return []NamedRule{
		{"ban", &r.Ban}, {"repeat_ban", &r.RepeatBan}, {"blocked", &r.Blocked},
		{"new_attack_class", &r.NewAttackClass}, {"credential_stuffing", &r.CredentialStuffing},
		{"store_outage", &r.StoreOutage}, {"dropped_events", &r.DroppedEvents},
		{"llm_unavailable", &r.LLMUnavailable}, {"budget_exhausted", &r.BudgetExhausted},
		{"error_rate", &r.ErrorRate},
	}
}

// NamedRule is a rule and its YAML name.
type NamedRule struct {
	Name string
	Rule *Rule
}

// Validate reports every invalid field, each named by its path in the
// section.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	if c.SMTP.Host != "" {
		if c.SMTP.Port < 1 || c.SMTP.Port > 65535 {
			add("smtp.port", "must be 1..65535, got %d", c.SMTP.Port)
		}
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			add("smtp.from", "must be a mail address")
		}
		if len(c.SMTP.To) == 0 {
			add("smtp.to", "needs at least one recipient when smtp.host is set")
		}
		for i, to := range c.SMTP.To {
			if _, err := mail.ParseAddress(to); err != nil {
				add(fmt.Sprintf("smtp.to[%d]", i), "must be a mail address")
			}
		}
	}
	if u := c.Slack.WebhookURL; u != "" && !httpURL(u) {
		add("slack.webhook_url", "must be an http:// or https:// URL")
	}
	if u := c.Webhook.URL; u != "" {
		if !httpURL(u) {
			add("webhook.url", "must be an http:// or https:// URL")
		}
		if c.Webhook.Secret == "" {
			add("webhook.secret", "must be set: receivers verify the signature with it")
		}
		if rest, ok := strings.CutPrefix(c.Webhook.Secret, "whsec_"); ok {
			if _, err := base64.StdEncoding.DecodeString(rest); err != nil || rest == "" {
				add("webhook.secret", `"whsec_" must be followed by base64`)
			}
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"group_wait", c.GroupWait}, {"group_interval", c.GroupInterval}, {"repeat_interval", c.RepeatInterval}} {
		if d.v < 0 {
			add(d.field, "must not be negative, got %v", d.v)
		}
	}
	if c.GroupInterval <= 0 {
		add("group_interval", "must be positive")
	}
	if c.RepeatInterval < c.GroupInterval {
		add("repeat_interval", "must be at least group_interval (%v)", c.GroupInterval)
	}
	if c.MaxPerHour < 0 {
		add("max_per_hour", "must not be negative, got %d", c.MaxPerHour)
	}
	for _, r := range (&c.Rules).Named() {
		if !r.Rule.Enabled {
			continue
		}
		if r.Rule.Threshold < 1 {
			add("rules."+r.Name+".threshold", "must be at least 1, got %d", r.Rule.Threshold)
		}
		if r.Rule.Window < time.Second {
			add("rules."+r.Name+".window", "must be at least 1s, got %v", r.Rule.Window)
		}
	}
	return errors.Join(errs...)
}

// Channels reports whether any channel is configured.
func (c Config) Channels() bool {
	return c.SMTP.Host != "" || c.Slack.WebhookURL != "" || c.Webhook.URL != ""
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
