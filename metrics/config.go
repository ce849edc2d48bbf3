package metrics

import "github.com/warden-dev/warden/internal/metricsconfig"

// Config is the `metrics` section of the configuration.
type Config = metricsconfig.Config

// DefaultConfig returns metrics on, with runtime metrics.
func DefaultConfig() Config { return metricsconfig.DefaultConfig() }
