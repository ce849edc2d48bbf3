package inspect

import (
	"errors"
	"fmt"
)

// Oversize policies of Config.Oversize.
const (
	// OversizePrefix inspects the first BodyLimit bytes and passes the
	// whole body on.
	OversizePrefix = "prefix"
	// OversizeReject refuses a body longer than BodyLimit with 413.
	OversizeReject = "reject"
)

// Config bounds what Warden buffers of a request body for its detectors:
// the inspect section of Warden's configuration. The Guard reads it on
// every request; `warden inspect` cuts bodies at BodyLimit as the Guard
// does.
type Config struct {
	BodyLimit int64  `yaml:"body_limit"` // bytes buffered for inspection
	Oversize  string `yaml:"oversize"`   // "prefix" (inspect the first BodyLimit bytes) or "reject" (413)
	MaxBody   int64  `yaml:"max_body"`   // bodies larger than this are refused with 413; 0 = no limit
}

// DefaultConfig returns the body limits Warden runs with when given none.
func DefaultConfig() Config {
	return Config{BodyLimit: DefaultMaxBodyBytes, Oversize: OversizePrefix}
}

// maxBodyLimit bounds BodyLimit: every request may buffer that much.
const maxBodyLimit = 64 << 20

// Validate returns every problem of c, each starting with its field path
// inside the section.
func (c Config) Validate() error {
	var errs []error
	if c.BodyLimit < 0 || c.BodyLimit > maxBodyLimit {
		errs = append(errs, fmt.Errorf("body_limit: must be between 0 and 64 MiB, got %d", c.BodyLimit))
	}
	if c.Oversize != OversizePrefix && c.Oversize != OversizeReject {
		s := c.Oversize
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		errs = append(errs, fmt.Errorf("oversize: must be prefix or reject, got %q", s))
	}
	if c.MaxBody < 0 {
		errs = append(errs, errors.New("max_body: must not be negative"))
	}
	return errors.Join(errs...)
}
