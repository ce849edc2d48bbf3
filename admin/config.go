package admin

import "github.com/warden-dev/warden/internal/adminconfig"

// Config is the `admin` section of the configuration.
type Config = adminconfig.Config

// EnvToken is the environment variable that sets the admin token.
const EnvToken = adminconfig.EnvToken

// MinTokenLen is the shortest configured token accepted.
const MinTokenLen = adminconfig.MinTokenLen

// DefaultConfig returns the admin API on 127.0.0.1:9090 with a generated
// token.
func DefaultConfig() Config { return adminconfig.DefaultConfig() }
