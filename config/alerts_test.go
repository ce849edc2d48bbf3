package config

import (
	"testing"
	"time"
)

// The alerts section: defaults on, YAML over them, the SMTP password
// from WARDEN_ALERTS_SMTP_PASSWORD.
func TestAlertsSection(t *testing.T) {
	yaml := []byte(`alerts:
  smtp: {host: mail.example.com, from: w@example.com, to: [ops@example.com]}
  group_wait: 10s
  rules:
    blocked: {threshold: 50}
    ban: {enabled: false}
`)
	env := func(k string) (string, bool) {
		if k == "WARDEN_ALERTS_SMTP_PASSWORD" {
			return "from-env", true
		}
		return "", false
	}
	cfg, err := Parse(yaml, env)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Alerts
	if a.SMTP.Password != "from-env" || a.SMTP.Port != 587 || !a.SMTP.StartTLS {
		t.Errorf("smtp %+v: want the env password and the default port and STARTTLS", a.SMTP)
	}
	if a.GroupWait != 10*time.Second || a.GroupInterval != 5*time.Minute || a.RepeatInterval != 4*time.Hour {
		t.Errorf("grouping %v %v %v", a.GroupWait, a.GroupInterval, a.RepeatInterval)
	}
	if b := a.Rules.Blocked; !b.Enabled || b.Threshold != 50 || b.Window != 5*time.Minute {
		t.Errorf("blocked rule %+v: want the threshold set and the rest default", b)
	}
	if a.Rules.Ban.Enabled || !a.Rules.RepeatBan.Enabled {
		t.Errorf("ban %+v repeat_ban %+v: want only ban off", a.Rules.Ban, a.Rules.RepeatBan)
	}
}
