package alertconfig

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		field string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"smtp ok", func(c *Config) {
			c.SMTP = SMTP{Host: "mail.example.com", Port: 587, From: "w@example.com", To: []string{"a@example.com", "b@example.com"}, StartTLS: true}
		}, ""},
		{"smtp no recipient", func(c *Config) { c.SMTP = SMTP{Host: "mail.example.com", Port: 587, From: "w@example.com"} }, "smtp.to:"},
		{"smtp bad recipient", func(c *Config) {
			c.SMTP = SMTP{Host: "mail.example.com", Port: 587, From: "w@example.com", To: []string{"ok@example.com", "nope"}}
		}, "smtp.to[1]:"},
		{"smtp bad port", func(c *Config) {
			c.SMTP = SMTP{Host: "mail.example.com", Port: 0, From: "w@example.com", To: []string{"a@example.com"}}
		}, "smtp.port:"},
		{"slack url", func(c *Config) { c.Slack.WebhookURL = "hooks.slack.com/x" }, "slack.webhook_url:"},
		{"webhook without secret", func(c *Config) { c.Webhook.URL = "https://example.com/hook" }, "webhook.secret:"},
		{"whsec not base64", func(c *Config) { c.Webhook = Webhook{URL: "https://example.com/hook", Secret: "whsec_%%%"} }, "webhook.secret:"},
		{"whsec ok", func(c *Config) {
			c.Webhook = Webhook{URL: "https://example.com/hook", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		}, ""},
		{"repeat below group", func(c *Config) { c.RepeatInterval = time.Minute }, "repeat_interval:"},
		{"negative cap", func(c *Config) { c.MaxPerHour = -1 }, "max_per_hour:"},
		{"rule threshold", func(c *Config) { c.Rules.Blocked.Threshold = 0 }, "rules.blocked.threshold:"},
		{"rule window", func(c *Config) { c.Rules.StoreOutage.Window = time.Millisecond }, "rules.store_outage.window:"},
		{"rule off needs nothing", func(c *Config) { c.Rules.Blocked = Rule{Enabled: false} }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field)):
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
}
