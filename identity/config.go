package identity

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// Config says where the user id and plan come from: the identity section
// of Warden's configuration.
type Config struct {
	// UserHeader is a header set by a trusted auth layer in front of
	// Warden that carries the user id. It is believed only when the
	// request came through a trusted proxy, unless UserHeaderFromAnyHop.
	UserHeader           string `yaml:"user_header"`
	UserHeaderFromAnyHop bool   `yaml:"user_header_from_any_hop"`
	PlanHeader           string `yaml:"plan_header"`
	JWT                  JWT    `yaml:"jwt"`
}

// JWT configures user ids taken from a signed token.
type JWT struct {
	Header    string        `yaml:"header"` // default Authorization (Bearer scheme)
	Cookie    string        `yaml:"cookie"` // cookie holding the token, tried after Header
	Claim     string        `yaml:"claim"`  // default "sub"
	PlanClaim string        `yaml:"plan_claim"`
	HS256Key  string        `yaml:"hs256_key"` // shared secret; env WARDEN_IDENTITY_JWT_HS256_KEY
	RS256Key  string        `yaml:"rs256_key"` // PEM file with the RSA public key
	Issuer    string        `yaml:"issuer"`    // required iss when set
	Audience  string        `yaml:"audience"`  // required aud when set
	Leeway    time.Duration `yaml:"leeway"`
	// InsecureUnverifiedClaims takes claims from tokens WITHOUT checking
	// their signature. Anyone can then claim to be any user. Only for an
	// auth layer in front that already verified the token.
	InsecureUnverifiedClaims bool `yaml:"insecure_unverified_claims"`
}

// DefaultConfig returns the identity settings Warden runs with when given
// none: user ids from a Bearer token's sub claim, once a key is set.
func DefaultConfig() Config {
	return Config{JWT: JWT{Header: "Authorization", Claim: "sub", Leeway: 30 * time.Second}}
}

// Validate returns every problem of c, each starting with its field path
// inside the section.
func (c Config) Validate() error {
	var errs []error
	j := c.JWT
	if j.Leeway < 0 {
		errs = append(errs, errors.New("jwt.leeway: must not be negative"))
	}
	if j.HS256Key != "" && j.RS256Key != "" {
		errs = append(errs, errors.New("jwt: set hs256_key or rs256_key, not both"))
	}
	if j.HS256Key != "" && len(j.HS256Key) < 32 {
		errs = append(errs, errors.New("jwt.hs256_key: must be at least 32 bytes"))
	}
	if j.InsecureUnverifiedClaims && (j.HS256Key != "" || j.RS256Key != "") {
		errs = append(errs, errors.New("jwt.insecure_unverified_claims: must not be set together with a key"))
	}
	return errors.Join(errs...)
}

// ParsePrefix parses a CIDR or a single address (taken as /32 or /128),
// as trusted_proxies and allow.cidrs list them.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not a CIDR: %q", clip.String(s, 40))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR: %q", clip.String(s, 40))
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
