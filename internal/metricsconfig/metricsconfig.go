// Package metricsconfig holds the `metrics` section of the configuration,
// apart from package metrics so that the configuration (and the library
// that reads it) does not link Prometheus. Only config and metrics import
// it; users name the type as metrics.Config.
package metricsconfig

// Config is the `metrics` section of the configuration.
type Config struct {
	// Enabled serves /metrics on the admin listener.
	Enabled bool `yaml:"enabled"`
	// RuntimeMetrics adds the Go runtime and process collectors
	// (go_*, process_*).
	RuntimeMetrics bool `yaml:"runtime_metrics"`
}

// DefaultConfig returns metrics on, with runtime metrics.
func DefaultConfig() Config { return Config{Enabled: true, RuntimeMetrics: true} }

// Validate reports the first invalid field; every value of Config is valid.
func (c Config) Validate() error { return nil }
