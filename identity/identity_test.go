package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestClientIP(t *testing.T) {
	r, err := New(Config{}, []string{"10.0.0.0/8", "2001:db8::/32", "192.168.1.1", "fe80::/10"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		remote   string
		headers  map[string][]string
		want     string
		viaProxy bool
	}{
		{"direct client", "203.0.113.9:5555", nil, "203.0.113.9", false},
		{"spoofed XFF from untrusted hop", "203.0.113.9:5555", map[string][]string{"X-Forwarded-For": {"127.0.0.1"}}, "203.0.113.9", false},
		{"spoofed Forwarded from untrusted hop", "203.0.113.9:5555", map[string][]string{"Forwarded": {"for=127.0.0.1"}}, "203.0.113.9", false},
		{"trusted hop, one client", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7", true},
		{"client-forged left part is ignored", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"6.6.6.6, 198.51.100.7"}}, "198.51.100.7", true},
		{"chain of trusted proxies", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"198.51.100.7, 10.9.9.9, 192.168.1.1"}}, "198.51.100.7", true},
		{"several header lines", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"6.6.6.6", "198.51.100.8, 10.0.0.5"}}, "198.51.100.8", true},
		{"garbage entry stops the walk", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"6.6.6.6, not-an-ip, 10.0.0.5"}}, "10.0.0.5", true},
		{"all trusted: leftmost", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"10.0.0.7, 10.0.0.5"}}, "10.0.0.7", true},
		{"trusted hop without header", "10.1.2.3:80", nil, "10.1.2.3", true},
		{"Forwarded wins", "10.1.2.3:80", map[string][]string{"Forwarded": {`for="[2001:db9::1]:4711";proto=https, for=10.0.0.2`}, "X-Forwarded-For": {"198.51.100.7"}}, "2001:db9::1", true},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:80", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7", true},
		{"XFF with port", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"198.51.100.7:1234"}}, "198.51.100.7", true},
		{"IPv6 trusted hop", "[2001:db8::5]:80", map[string][]string{"X-Forwarded-For": {"2001:db9::9"}}, "2001:db9::9", true},
		// A zone in a forwarding header is not believed: the walk stops
		// there as at any malformed entry.
		{"XFF with a zone", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"fe80::1%eth0"}}, "10.1.2.3", true},
		{"XFF with a zone left of a client", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"fe80::1%eth0, 198.51.100.7"}}, "198.51.100.7", true},
		{"XFF with a zone and a port", "10.1.2.3:80", map[string][]string{"X-Forwarded-For": {"[fe80::1%eth0]:443, 10.0.0.5"}}, "10.0.0.5", true},
		{"Forwarded with a zone", "10.1.2.3:80", map[string][]string{"Forwarded": {`for="[fe80::1%25eth0]"`}, "X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7", true},
		// A link-local peer's zone names this host's interface: dropped,
		// the address kept (and matched against trusted_proxies).
		{"zoned peer", "[fe80::9%eth0]:5555", nil, "fe80::9", true},
		{"zoned trusted peer forwards", "[fe80::9%eth0]:5555", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7", true},
		{"zoned untrusted peer", "[2001:db9::1%eth0]:5555", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "2001:db9::1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for k, v := range tc.headers {
				req.Header[k] = v
			}
			ip, via := r.ClientIP(req)
			if ip != netip.MustParseAddr(tc.want) || ip.Zone() != "" || via != tc.viaProxy {
				t.Fatalf("got %v via=%v, want %s via=%v", ip, via, tc.want, tc.viaProxy)
			}
			// The reverse proxy's entry point, with the Resolver's trust.
			peer := netip.MustParseAddrPort(tc.remote).Addr()
			if ip2, via2 := ClientIPOf(peer, req.Header, r.Trusted); ip2 != ip || via2 != via {
				t.Fatalf("ClientIPOf: %v via=%v, Resolver: %v via=%v", ip2, via2, ip, via)
			}
		})
	}
}

func TestUserHeaderOnlyFromTrustedHop(t *testing.T) {
	r, err := New(Config{UserHeader: "X-User-Id", PlanHeader: "X-Plan"}, []string{"10.0.0.0/8"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-User-Id", "alice")
	req.Header.Set("X-Plan", "pro")
	if u, _ := r.User(req, false); u != "" {
		t.Fatalf("user %q believed from an untrusted hop", u)
	}
	if u, p := r.User(req, true); u != "alice" || p != "pro" {
		t.Fatalf("got %q %q, want alice pro", u, p)
	}
}

func TestUserFuncWins(t *testing.T) {
	r, _ := New(Config{UserHeader: "X-User-Id"}, nil, func(*http.Request) string { return "from-callback" })
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-User-Id", "alice")
	if u, _ := r.User(req, true); u != "from-callback" {
		t.Fatalf("user %q", u)
	}
}

const secret = "0123456789abcdef0123456789abcdef"

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWT(t *testing.T) {
	now := time.Now()
	valid := jwt.MapClaims{"sub": "42", "plan": "pro", "exp": now.Add(time.Hour).Unix()}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pemPath := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pemPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600)

	hs := JWT{Header: "Authorization", Claim: "sub", PlanClaim: "plan", HS256Key: secret}
	rs := JWT{Header: "Authorization", Claim: "sub", RS256Key: pemPath}
	unverified := JWT{Header: "Authorization", Claim: "sub", InsecureUnverifiedClaims: true}
	cookie := JWT{Cookie: "session", Claim: "sub", HS256Key: secret}

	tests := []struct {
		name     string
		cfg      JWT
		token    string
		cookie   bool
		wantUser string
		wantPlan string
	}{
		{"HS256 valid", hs, sign(t, jwt.SigningMethodHS256, []byte(secret), valid), false, "42", "pro"},
		{"HS256 wrong key", hs, sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), valid), false, "", ""},
		{"HS256 expired", hs, sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": "42", "exp": now.Add(-time.Hour).Unix()}), false, "", ""},
		{"HS256 without exp", hs, sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": "42"}), false, "", ""},
		{"alg none refused", hs, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid), false, "", ""},
		{"RS256 token against HS256 config", hs, sign(t, jwt.SigningMethodRS256, rsaKey, valid), false, "", ""},
		{"RS256 valid", rs, sign(t, jwt.SigningMethodRS256, rsaKey, valid), false, "42", ""},
		{"HS256 token signed with the public key bytes against RS256 config", rs, sign(t, jwt.SigningMethodHS256, pubDER, valid), false, "", ""},
		{"unverified option takes any signature", unverified, sign(t, jwt.SigningMethodHS256, []byte("whatever-whatever-whatever-12345"), valid), false, "42", ""},
		{"cookie", cookie, sign(t, jwt.SigningMethodHS256, []byte(secret), valid), true, "42", ""},
		{"garbage token", hs, "not.a.token", false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(Config{JWT: tc.cfg}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/", nil)
			if tc.cookie {
				req.AddCookie(&http.Cookie{Name: "session", Value: tc.token})
			} else {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			u, p := r.User(req, false)
			if u != tc.wantUser || p != tc.wantPlan {
				t.Fatalf("got %q %q, want %q %q", u, p, tc.wantUser, tc.wantPlan)
			}
		})
	}
}

func FuzzClientIP(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 10.0.0.1", "for=1.2.3.4", `for="[::1]:80"`, ",,,", "for=;for="} {
		f.Add(s, s)
	}
	r, _ := New(Config{}, []string{"10.0.0.0/8"}, nil)
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "10.0.0.1:1"
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("Forwarded", fwd)
		ip, _ := r.ClientIP(req)
		if !ip.IsValid() {
			t.Fatalf("no client address for %q %q", xff, fwd)
		}
	})
}

func BenchmarkClientIP(b *testing.B) {
	r, _ := New(Config{}, []string{"10.0.0.0/8"}, nil)
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.1:1234"
	req.Header.Set("X-Forwarded-For", "198.51.100.7, 10.0.0.2")
	b.ReportAllocs()
	for b.Loop() {
		r.ClientIP(req)
	}
}
