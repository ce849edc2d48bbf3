package alert

import (
	"time"

	"github.com/warden-dev/warden/internal/alertconfig"
)

// Config is the `alerts` section of the configuration.
type Config = alertconfig.Config

// DefaultConfig returns every rule on, Alertmanager's grouping times
// (30s, 5m, 4h) and no channel.
func DefaultConfig() Config { return alertconfig.DefaultConfig() }

// States of an alert and of a message.
const (
	Firing   = "firing"
	Resolved = "resolved"
)

// Alert is one alert: a rule over a scope (a route, a store, a client…)
// that crossed its threshold. Rule, Scope and Action are its dedup key.
type Alert struct {
	Rule      string        `json:"rule"`
	Scope     string        `json:"scope,omitempty"`
	Action    string        `json:"action,omitempty"`
	State     string        `json:"state"`
	Summary   string        `json:"summary"`
	Value     int           `json:"value"`     // what the rule counted in the window when last over
	Threshold int           `json:"threshold"` // the rule's threshold
	Window    time.Duration `json:"window"`
	// Clients is a sample of the clients involved (ip:… or user:…),
	// redacted; a ban on every one of them mutes the alert.
	Clients  []string  `json:"clients,omitempty"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
}

// Notification is one message about a group of alerts (those of one
// rule), or the hourly digest of what a channel's cap held back. Its JSON
// form is the generic webhook's body.
type Notification struct {
	ID     string    `json:"id"`
	Type   string    `json:"type"`   // "alert" or "digest"
	Status string    `json:"status"` // firing when any alert fires, else resolved
	Rule   string    `json:"rule,omitempty"`
	Title  string    `json:"title"`
	Time   time.Time `json:"time"`
	Alerts []Alert   `json:"alerts,omitempty"`
	// More counts the alerts of the group left out past MaxListed.
	More int `json:"more,omitempty"`
	// Held lists the titles of the messages a digest stands for.
	Held []string `json:"held,omitempty"`
}

// Delivery is a notification bound for one channel: a row of the outbox
// and of the incident log.
type Delivery struct {
	ID           int64        `json:"id"`
	Channel      string       `json:"channel"`
	Status       string       `json:"status"` // pending, sent, failed, held, logged
	Attempts     int          `json:"attempts"`
	NextAttempt  time.Time    `json:"next_attempt,omitzero"`
	Error        string       `json:"error,omitempty"`
	Created      time.Time    `json:"created"`
	Sent         time.Time    `json:"sent,omitzero"`
	Notification Notification `json:"notification"`
}

// Delivery statuses.
const (
	Pending = "pending"
	Sent    = "sent"
	Failed  = "failed"
	// Held is a message over its channel's hourly cap: never sent
	// itself, it is listed in the digest at the end of the hour.
	Held = "held"
	// Logged is a message of a Warden with no channel configured: kept
	// in the incident log (channel "log"), sent nowhere.
	Logged = "logged"
)
