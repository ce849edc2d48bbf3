package proxy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/warden-dev/warden/internal/suggest"
)

// Config holds the reverse proxy's server and transport settings: the
// proxy section of Warden's configuration.
type Config struct {
	ReadHeaderTimeout     time.Duration `yaml:"read_header_timeout"`
	ReadTimeout           time.Duration `yaml:"read_timeout"`
	WriteTimeout          time.Duration `yaml:"write_timeout"`
	IdleTimeout           time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes        int           `yaml:"max_header_bytes"`
	DialTimeout           time.Duration `yaml:"dial_timeout"`
	ResponseHeaderTimeout time.Duration `yaml:"response_header_timeout"`
	MaxIdleConnsPerHost   int           `yaml:"max_idle_conns_per_host"`
	ShutdownTimeout       time.Duration `yaml:"shutdown_timeout"`
	// Upgrades lists the protocols a client may switch to through the
	// proxy (Upgrade header, answered 101 by the upstream): only
	// "websocket" is known. A request asking for any other is passed on
	// as plain HTTP/1.1 without its Upgrade header. h2c is never allowed:
	// after the switch every HTTP/2 request on the connection would reach
	// the upstream uninspected.
	Upgrades []string `yaml:"upgrades"`
	// ClientIPHeaders are headers that name the client to the upstream
	// (X-Real-IP, CF-Connecting-IP, ...). The proxy removes them from
	// requests of untrusted peers, who could forge them, and passes a
	// trusted proxy's on; names match without regard to case and with '_'
	// for '-'. X-Real-IP is always set to the client Warden identified,
	// whatever this list says.
	ClientIPHeaders []string `yaml:"client_ip_headers"`
}

// DefaultConfig returns the proxy settings Warden runs with when given
// none.
func DefaultConfig() Config {
	return Config{
		ReadHeaderTimeout:     10 * time.Second,
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          0, // streaming answers (SSE chat) may last long
		IdleTimeout:           120 * time.Second,
		MaxHeaderBytes:        64 << 10,
		DialTimeout:           5 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		MaxIdleConnsPerHost:   256,
		ShutdownTimeout:       10 * time.Second,
		Upgrades:              []string{UpgradeWebSocket},
		ClientIPHeaders:       DefaultClientIPHeaders(),
	}
}

// Validate returns every problem of c, each starting with its field path
// inside the section.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	durations := []struct {
		field string
		d     time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout}, {"read_timeout", c.ReadTimeout},
		{"write_timeout", c.WriteTimeout}, {"idle_timeout", c.IdleTimeout},
		{"dial_timeout", c.DialTimeout}, {"response_header_timeout", c.ResponseHeaderTimeout},
		{"shutdown_timeout", c.ShutdownTimeout},
	}
	for _, d := range durations {
		if d.d < 0 {
			add(d.field, "must not be negative")
		}
	}
	if c.ReadHeaderTimeout == 0 {
		add("read_header_timeout", "must be set: without it slow clients can hold connections forever")
	}
	if c.MaxHeaderBytes < 1024 {
		add("max_header_bytes", "must be at least 1024, got %d", c.MaxHeaderBytes)
	}
	for i, u := range c.Upgrades {
		field := fmt.Sprintf("upgrades[%d]", i)
		switch {
		case strings.EqualFold(strings.TrimSpace(u), UpgradeH2C):
			add(field, "h2c is never allowed: HTTP/2 over Upgrade was removed in RFC 9113, and after the switch "+
				"every HTTP/2 request on the connection would reach the upstream uninspected")
		case !KnownUpgrade(u):
			add(field, "unknown upgrade %q%s; known: %s", errValue(u),
				suggest.Hint(strings.ToLower(strings.TrimSpace(u)), knownUpgrades), strings.Join(knownUpgrades, ", "))
		}
	}
	for i, h := range c.ClientIPHeaders {
		if !httpguts.ValidHeaderFieldName(h) {
			add(fmt.Sprintf("client_ip_headers[%d]", i), "not a header name: %q", errValue(h))
		}
	}
	return errors.Join(errs...)
}

// errValue cuts a value quoted in a config error to a readable length.
func errValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Upgrade protocols of Config.Upgrades.
const (
	UpgradeWebSocket = "websocket"
	// UpgradeH2C is HTTP/2 over cleartext by Upgrade, removed in RFC 9113
	// and never allowed.
	UpgradeH2C = "h2c"
)

// knownUpgrades are the protocols Config.Upgrades may list.
var knownUpgrades = []string{UpgradeWebSocket}

// KnownUpgrade reports whether Config.Upgrades may list protocol (compared
// without regard to case, as Upgrade tokens are). It is false for h2c.
func KnownUpgrade(protocol string) bool {
	protocol = strings.TrimSpace(protocol)
	return slices.ContainsFunc(knownUpgrades, func(k string) bool { return strings.EqualFold(protocol, k) })
}

// DefaultClientIPHeaders are the headers, besides X-Forwarded-For and
// Forwarded, that CDNs and load balancers set to name the client and that
// applications and their frameworks read: Config.ClientIPHeaders's default.
func DefaultClientIPHeaders() []string {
	return []string{
		"X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "CF-Connecting-IPv6", "Fastly-Client-IP",
		"Fly-Client-IP", "X-Azure-ClientIP", "X-Client-IP", "Client-IP", "X-Cluster-Client-IP",
		"X-Original-Forwarded-For", "X-Forwarded", "Forwarded-For",
	}
}
