// Package reportconfig holds the `report` section of the configuration,
// apart from package report so that the configuration (and the library
// that reads it) does not link the report builder and its SQL. Only config
// and report import it; users name the type as report.Config.
package reportconfig

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `report` section: when the daily report is built and
// what goes into it.
type Config struct {
	// Hour is the hour of the day (0..23, in TimeZone) at which `warden
	// serve` builds the report of the day before and stores it.
	Hour int `yaml:"hour"`
	// TimeZone is an IANA zone name ("UTC", "Europe/Paris"): it sets where
	// a report's day starts and ends, and how its hours are labelled.
	TimeZone string `yaml:"time_zone"`
	// Mail also sends each scheduled report through the alerts' mail
	// channel (alerts.smtp), when one is configured.
	Mail bool `yaml:"mail"`
	// Schedule turns the scheduled report in `warden serve` on; `warden
	// report` works either way.
	Schedule bool `yaml:"schedule"`
	// Top is how many rows each top list holds (clients, users, routes,
	// detectors, violation types, attack classes).
	Top int `yaml:"top"`
	// Summary asks the llm section's model for the summary; without an
	// llm endpoint (or with false) the template summary is used.
	Summary bool `yaml:"summary"`
}

// DefaultConfig returns reports at 06:00 UTC, scheduled, top 10, with a
// model-written summary when llm is configured, not mailed.
func DefaultConfig() Config {
	return Config{Hour: 6, TimeZone: "UTC", Schedule: true, Top: 10, Summary: true}
}

// MaxTop bounds Top: each top list is one bounded query.
const MaxTop = 100

// Validate reports the first invalid field, named by its path in the
// section.
func (c Config) Validate() error {
	switch {
	case c.Hour < 0 || c.Hour > 23:
		return fmt.Errorf("hour: must be 0..23, got %d", c.Hour)
	case c.Top < 1 || c.Top > MaxTop:
		return fmt.Errorf("top: must be 1..%d, got %d", MaxTop, c.Top)
	case c.TimeZone == "":
		return errors.New("time_zone: must be set, e.g. UTC or Europe/Paris")
	}
	if _, err := c.Location(); err != nil {
		return err
	}
	return nil
}

// Location returns the time zone TimeZone names.
func (c Config) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time_zone: %q is not a known IANA time zone (e.g. UTC, Europe/Paris)", c.TimeZone)
	}
	return loc, nil
}
