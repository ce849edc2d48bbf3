package payload

import (
	"errors"
	"fmt"
	"strings"
)

// Config is the `payload` section of Warden's configuration.
type Config struct {
	// Enabled turns the detector on. New still builds a disabled detector;
	// it finds nothing.
	Enabled bool `yaml:"enabled"`
	// Headers lists request headers inspected besides User-Agent, Referer
	// and Cookie (which are always inspected).
	Headers []string `yaml:"headers"`
	// OtherHeaders inspects every header not in a built-in list of
	// well-known structural headers (Accept*, Content-Length, Host,
	// Authorization, Sec-*, …), where Log4Shell and scanner payloads often
	// travel.
	OtherHeaders bool `yaml:"other_headers"`
	// Body inspects form, multipart, JSON, XML and text bodies.
	Body bool `yaml:"body"`
	// Base64 also inspects the decoded form of values that look like
	// base64 text.
	Base64 bool `yaml:"base64"`
	// MaxDepth bounds JSON and XML nesting that is walked.
	MaxDepth int `yaml:"max_depth"`
	// MaxValues bounds how many names and values are inspected per
	// request; the rest are skipped.
	MaxValues int `yaml:"max_values"`
	// MaxValueBytes bounds how much of one value is inspected (its prefix).
	MaxValueBytes int `yaml:"max_value_bytes"`
	// MaxParts bounds how many multipart parts are read.
	MaxParts int `yaml:"max_parts"`
	// Disable lists attack classes not reported (see Classes).
	Disable []string `yaml:"disable"`
}

// DefaultConfig returns the configuration a demanding security user would
// expect: every class on, bodies and non-standard headers inspected.
func DefaultConfig() Config {
	return Config{
		Enabled:       true,
		OtherHeaders:  true,
		Body:          true,
		Base64:        true,
		MaxDepth:      32,
		MaxValues:     2048,
		MaxValueBytes: 64 << 10,
		MaxParts:      256,
	}
}

// Validate reports every invalid field, each error starting with its path
// in the section (for example "max_depth: …").
func (c Config) Validate() error {
	var errs []error
	if c.MaxDepth < 1 || c.MaxDepth > maxMaxDepth {
		errs = append(errs, fmt.Errorf("max_depth: must be between 1 and %d, got %d", maxMaxDepth, c.MaxDepth))
	}
	if c.MaxValues < 1 {
		errs = append(errs, fmt.Errorf("max_values: must be > 0, got %d", c.MaxValues))
	}
	if c.MaxValueBytes < 64 {
		errs = append(errs, fmt.Errorf("max_value_bytes: must be >= 64, got %d", c.MaxValueBytes))
	}
	if c.MaxParts < 1 {
		errs = append(errs, fmt.Errorf("max_parts: must be > 0, got %d", c.MaxParts))
	}
	for i, h := range c.Headers {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " :\r\n") {
			errs = append(errs, fmt.Errorf("headers[%d]: %q is not a header name", i, h))
		}
	}
	for i, d := range c.Disable {
		if _, ok := classByName(d); !ok {
			errs = append(errs, fmt.Errorf("disable[%d]: unknown class %q (known: %s)", i, d, strings.Join(Classes(), ", ")))
		}
	}
	return errors.Join(errs...)
}
