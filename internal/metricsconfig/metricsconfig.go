// Package metricsconfig holds the `metrics` section of the configuration,
// apart from package metrics so that the configuration (and the library
// that reads it) does not link Prometheus. Only config and metrics import
// it; users name the type as metrics.Config.
package metricsconfig

import "errors"

// Config is the `metrics` section of the configuration.
type Config struct {
	// Enabled serves /metrics on the admin listener.
	Enabled bool `yaml:"enabled"`
	// RuntimeMetrics adds the Go runtime and process collectors
	// (go_*, process_*).
	RuntimeMetrics bool `yaml:"runtime_metrics"`
	// DetectorSample times one request in DetectorSample, picked at
	// random, for warden_detector_duration_seconds (each detector's time
	// on it): a timed request costs a clock reading and a histogram update
	// per detector, about 1.3 µs with the default 8 detectors, half of an
	// untimed decision. 1 times every request, 0 none.
	DetectorSample int `yaml:"detector_sample"`
}

// MaxDetectorSample bounds DetectorSample.
const MaxDetectorSample = 1 << 20

// DefaultConfig returns metrics on, with runtime metrics, timing the
// detectors on one request in 64 (about 20 ns a request on average).
func DefaultConfig() Config { return Config{Enabled: true, RuntimeMetrics: true, DetectorSample: 64} }

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.DetectorSample < 0 || c.DetectorSample > MaxDetectorSample {
		return errors.New("detector_sample: must be between 0 (off) and 1048576")
	}
	return nil
}
