// Package identity establishes who is asking: the client IP (trusting
// X-Forwarded-For and Forwarded only from configured proxies), the user id
// (a header from a trusted auth layer, a verified JWT claim, or a callback
// in library mode) and the user's plan.
package identity

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Resolver resolves client identity. It is immutable after New and safe
// for concurrent use.
type Resolver struct {
	trusted    []netip.Prefix
	userHeader string
	anyHop     bool
	planHeader string
	userFunc   func(*http.Request) string

	jwtHeader, jwtCookie string
	claim, planClaim     string
	parser               *jwt.Parser
	keyFunc              jwt.Keyfunc
	unverified           bool
}

// New returns a resolver for the identity settings, the trusted proxy
// CIDRs, and an optional library-mode user callback.
func New(cfg Config, trustedProxies []string, userFunc func(*http.Request) string) (*Resolver, error) {
	r := &Resolver{
		userHeader: http.CanonicalHeaderKey(cfg.UserHeader),
		anyHop:     cfg.UserHeaderFromAnyHop,
		planHeader: http.CanonicalHeaderKey(cfg.PlanHeader),
		userFunc:   userFunc,
		jwtHeader:  http.CanonicalHeaderKey(cfg.JWT.Header),
		jwtCookie:  cfg.JWT.Cookie,
		claim:      cfg.JWT.Claim,
		planClaim:  cfg.JWT.PlanClaim,
		unverified: cfg.JWT.InsecureUnverifiedClaims,
	}
	for i, s := range trustedProxies {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies[%d]: %w", i, err)
		}
		r.trusted = append(r.trusted, p)
	}
	opts := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithLeeway(cfg.JWT.Leeway)}
	if cfg.JWT.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.JWT.Issuer))
	}
	if cfg.JWT.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.JWT.Audience))
	}
	switch {
	case cfg.JWT.HS256Key != "":
		key := []byte(cfg.JWT.HS256Key)
		r.keyFunc = func(*jwt.Token) (any, error) { return key, nil }
		r.parser = jwt.NewParser(append(opts, jwt.WithValidMethods([]string{"HS256"}))...)
	case cfg.JWT.RS256Key != "":
		pem, err := os.ReadFile(cfg.JWT.RS256Key)
		if err != nil {
			return nil, fmt.Errorf("identity.jwt.rs256_key: %w", err)
		}
		pub, err := jwt.ParseRSAPublicKeyFromPEM(pem)
		if err != nil {
			return nil, fmt.Errorf("identity.jwt.rs256_key: %w", err)
		}
		r.keyFunc = func(*jwt.Token) (any, error) { return (*rsa.PublicKey)(pub), nil }
		r.parser = jwt.NewParser(append(opts, jwt.WithValidMethods([]string{"RS256"}))...)
	case cfg.JWT.InsecureUnverifiedClaims:
		r.parser = jwt.NewParser(opts...)
	}
	return r, nil
}

// Trusted reports whether addr is a configured trusted proxy.
func (r *Resolver) Trusted(addr netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address and whether the request reached
// Warden through a trusted proxy. Forwarding headers are read only when the
// direct peer is trusted; the client is then the rightmost address that is
// not itself a trusted proxy (addresses left of it could be forged by the
// client). Forwarded (RFC 7239) wins over X-Forwarded-For when both are set.
func (r *Resolver) ClientIP(req *http.Request) (netip.Addr, bool) {
	peer := remoteAddr(req.RemoteAddr)
	if !peer.IsValid() || len(r.trusted) == 0 || !r.Trusted(peer) {
		return peer, false
	}
	return forwardedClient(req.Header, peer, r.Trusted), true
}

// ClientIPOf is Resolver.ClientIP for a request from peer with header h,
// behind the trusted proxies that trusted reports (nil: none). Given a
// Resolver's Trusted it returns what the Resolver does: the reverse proxy
// uses it to name the client Warden identified to the upstream.
func ClientIPOf(peer netip.Addr, h http.Header, trusted func(netip.Addr) bool) (netip.Addr, bool) {
	peer = peer.Unmap().WithZone("")
	if !peer.IsValid() || trusted == nil || !trusted(peer) {
		return peer, false
	}
	return forwardedClient(h, peer, trusted), true
}

// forwardedClient is the client named by the forwarding headers of a
// request from the trusted peer: Forwarded, else X-Forwarded-For, else the
// peer itself. The keys are in canonical form, as Header.Values would look
// them up, without its canonicalisation of the key on every call.
func forwardedClient(h http.Header, peer netip.Addr, trusted func(netip.Addr) bool) netip.Addr {
	if v := h["Forwarded"]; len(v) > 0 {
		if ip, ok := rightmostUntrusted(v, forwardedFor, trusted); ok {
			return ip
		}
	}
	if v := h["X-Forwarded-For"]; len(v) > 0 {
		if ip, ok := rightmostUntrusted(v, plainAddr, trusted); ok {
			return ip
		}
	}
	return peer
}

// rightmostUntrusted walks the comma-separated header values from the right
// and returns the first address not in a trusted range. If every address is
// trusted it returns the leftmost. A malformed entry stops the walk: what
// is left of it cannot be trusted either, so the last good address wins.
func rightmostUntrusted(values []string, parse func(string) netip.Addr, trusted func(netip.Addr) bool) (netip.Addr, bool) {
	var last netip.Addr
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" {
			var elem string
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				elem, v = v[j+1:], v[:j]
			} else {
				elem, v = v, ""
			}
			ip := parse(strings.TrimSpace(elem))
			if !ip.IsValid() {
				return last, last.IsValid()
			}
			if !trusted(ip) {
				return ip, true
			}
			last = ip
		}
	}
	return last, last.IsValid()
}

// remoteAddr is the address of the connection's peer, IPv4-mapped
// addresses unmapped. The zone of a link-local peer ("fe80::1%eth0") is
// dropped rather than the address refused: the zone names the interface
// of this host the peer was reached through, not the client, and the
// address itself comes from the TCP connection, so it is real. Refusing
// it would leave the request without a client address, outside every
// per-IP limit and ban. Without the zone the address also matches
// trusted_proxies, which a zoned address never does.
func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// PeerAddr is the address of the peer of a connection, from
// http.Request.RemoteAddr, as ClientIP reads it: IPv4-mapped addresses
// unmapped, zones dropped; the zero Addr when RemoteAddr holds none.
func PeerAddr(remote string) netip.Addr { return remoteAddr(remote) }

// plainAddr parses one address of a forwarding header. An address with a
// zone is not believed: a zone means something only on the host that
// wrote it, no proxy forwards a client's that way, and a client that
// could vary it ("fe80::1%a", "%b", …) would look like ever new clients.
// It is malformed, so the walk stops there.
func plainAddr(s string) netip.Addr {
	if strings.IndexByte(s, '%') >= 0 {
		return netip.Addr{}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	// Some proxies append the port.
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// forwardedFor extracts the for= node of one Forwarded element.
func forwardedFor(elem string) netip.Addr {
	for elem != "" {
		var pair string
		pair, elem, _ = strings.Cut(elem, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(k, "for") {
			continue
		}
		v = strings.Trim(v, `"`)
		if strings.HasPrefix(v, "[") {
			if end := strings.IndexByte(v, ']'); end > 0 {
				v = v[1:end]
			}
		}
		return plainAddr(v)
	}
	return netip.Addr{}
}

// maxUserID bounds ids taken from headers and tokens.
const maxUserID = 256

// User returns the user id and plan of req ("" when unknown). viaTrusted
// is the second result of ClientIP: a user header is believed only from a
// trusted hop, since anyone can send it directly.
func (r *Resolver) User(req *http.Request, viaTrusted bool) (user, plan string) {
	if r.userFunc != nil {
		user = bound(r.userFunc(req))
	}
	if user == "" && r.userHeader != "" && (viaTrusted || r.anyHop) {
		user = bound(req.Header.Get(r.userHeader))
		if r.planHeader != "" {
			plan = bound(req.Header.Get(r.planHeader))
		}
	}
	if user == "" && r.parser != nil {
		if u, p, err := r.fromJWT(req); err == nil {
			user = u
			if plan == "" {
				plan = p
			}
		}
	}
	return user, plan
}

var errNoToken = errors.New("no token")

func (r *Resolver) fromJWT(req *http.Request) (user, plan string, err error) {
	raw := ""
	if r.jwtHeader != "" {
		raw = req.Header.Get(r.jwtHeader)
		if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
			raw = raw[7:]
		} else if r.jwtHeader == "Authorization" {
			raw = ""
		}
	}
	if raw == "" && r.jwtCookie != "" {
		if c, err := req.Cookie(r.jwtCookie); err == nil {
			raw = c.Value
		}
	}
	if raw == "" || len(raw) > 8<<10 {
		return "", "", errNoToken
	}
	claims := jwt.MapClaims{}
	if r.unverified {
		_, _, err = r.parser.ParseUnverified(raw, claims)
	} else {
		_, err = r.parser.ParseWithClaims(raw, claims, r.keyFunc)
	}
	if err != nil {
		return "", "", fmt.Errorf("jwt: %w", err)
	}
	return bound(claimString(claims[r.claim])), bound(claimString(claims[r.planClaim])), nil
}

func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return fmt.Sprintf("%.0f", v)
	}
	return ""
}

func bound(s string) string {
	if len(s) > maxUserID {
		return ""
	}
	return s
}
