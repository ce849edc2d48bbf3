// Package proxy builds Warden's standalone reverse proxy: an
// httputil.ReverseProxy toward one upstream with transport timeouts,
// X-Forwarded-* and client-IP headers that pass on only what trusted hops
// said, protocol upgrades only for the protocols configured, JSON
// answers when the upstream fails, and an http.Server with timeouts that
// bound slow clients.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/warden-dev/warden/identity"
	"github.com/warden-dev/warden/internal/clip"
)

// New returns a reverse proxy to upstream. trusted reports whether a peer
// address is a trusted proxy: only then are its X-Forwarded-For,
// X-Forwarded-Host and X-Forwarded-Proto passed on (extended with the
// peer), and its cfg.ClientIPHeaders (CF-Connecting-IP, True-Client-IP,
// ...); from anyone else they are replaced or removed, so a client cannot
// make the upstream believe a forged address. X-Real-IP is always the
// client as package identity resolves it with the same trusted proxies:
// the one Warden's pipeline judged.
//
// Protocol upgrades pass only for the protocols in cfg.Upgrades, never
// h2c: any other request is sent as plain HTTP/1.1, its Upgrade header
// removed, and an upstream that answers it 101 anyway gets a 502.
func New(upstream *url.URL, cfg Config, trusted func(netip.Addr) bool, log *slog.Logger) *httputil.ReverseProxy {
	if log == nil {
		log = slog.Default()
	}
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil, // never route upstream traffic through an environment proxy
		DialContext:           dialer.DialContext,
		MaxIdleConns:          cfg.MaxIdleConnsPerHost * 2,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	up := newUpgrades(cfg.Upgrades)
	// HTTP2-Settings belongs to the h2c upgrade only, never allowed; a
	// client can send it outside Connection so that it survives as an
	// end-to-end header. It goes from every request. (Forwarded: Rewrite
	// has removed it; a trusted hop's is put back.)
	untrusted := newHeaderSet(append([]string{"HTTP2-Settings", "Forwarded"}, cfg.ClientIPHeaders...))
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = pr.In.Host // the app sees the host the client asked for
			up.filter(pr.Out.Header)
			peer := identity.PeerAddr(pr.In.RemoteAddr)
			if peer.IsValid() && trusted != nil && trusted(peer) {
				delete(pr.Out.Header, "Http2-Settings")
				// Rewrite strips inbound X-Forwarded-*; a trusted hop's
				// are kept and extended.
				for _, h := range []string{"X-Forwarded-For", "Forwarded"} {
					if v := pr.In.Header.Values(h); len(v) > 0 {
						pr.Out.Header[h] = v
					}
				}
				pr.SetXForwarded()
				for _, h := range []string{"X-Forwarded-Host", "X-Forwarded-Proto"} {
					if v := pr.In.Header.Get(h); v != "" {
						pr.Out.Header.Set(h, v)
					}
				}
				client, _ := identity.ClientIPOf(peer, pr.In.Header, trusted)
				setRealIP(pr.Out.Header, client)
				return
			}
			untrusted.remove(pr.Out.Header)
			pr.SetXForwarded()
			setRealIP(pr.Out.Header, peer)
		},
		ModifyResponse: up.checkResponse,
		Transport:      tr,
		ErrorHandler:   errorHandler(log),
		BufferPool:     &BufferPool{},
	}
}

// setRealIP sets X-Real-IP to the client, or removes it when the client is
// unknown (a peer address that does not parse).
func setRealIP(h http.Header, client netip.Addr) {
	if !client.IsValid() {
		delete(h, "X-Real-Ip")
		return
	}
	h["X-Real-Ip"] = newHeaderValue(client)
}

// headerValue is a one-element header value and the bytes of its string,
// in one allocation instead of two (the address's string and the slice).
type headerValue struct {
	v   [1]string
	buf [len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")]byte // the longest without a zone
}

func newHeaderValue(a netip.Addr) []string {
	hv := new(headerValue)
	b := a.AppendTo(hv.buf[:0])
	if len(b) > len(hv.buf) { // an IPv6 zone made it longer: AppendTo went elsewhere
		hv.v[0] = string(b)
		return hv.v[:]
	}
	// b lies in hv.buf, which nothing writes again: the string may share it.
	hv.v[0] = unsafe.String(&b[0], len(b))
	return hv.v[:]
}

// upgrades are the protocols a client may switch to (lower case), h2c
// never among them.
type upgrades []string

func newUpgrades(list []string) upgrades {
	var u upgrades
	for _, p := range list {
		// Validate refuses the rest; a library caller that did not
		// validate gets the same rule.
		if KnownUpgrade(p) {
			u = append(u, strings.ToLower(strings.TrimSpace(p)))
		}
	}
	return u
}

func (u upgrades) allowed(protocol string) bool {
	for _, p := range u {
		if strings.EqualFold(p, protocol) {
			return true
		}
	}
	return false
}

// filter removes a request's upgrade unless its protocol is allowed, so
// that the request reaches the upstream as plain HTTP/1.1. ReverseProxy
// has already removed the hop-by-hop headers and, for a request that asked
// for an upgrade, set exactly "Connection: Upgrade" and the Upgrade
// header's first value.
func (u upgrades) filter(h http.Header) {
	v, ok := h["Upgrade"]
	if !ok {
		return
	}
	if len(v) == 1 && u.allowed(v[0]) {
		return
	}
	delete(h, "Upgrade")
	delete(h, "Connection") // ReverseProxy's "Upgrade", nothing else
}

// headerSet is a set of header names, matched without regard to case and
// with '_' taken for '-': an upstream behind CGI or PHP-FPM reads
// X_Real_IP as HTTP_X_REAL_IP, just like X-Real-IP.
type headerSet struct {
	names []string // lower case, '-' for '_'
	lens  uint64   // bit n set: a name of n bytes (n < 64) is in names
	long  bool     // a name of 64 bytes or more is in names
}

func newHeaderSet(names []string) headerSet {
	var s headerSet
	for _, n := range names {
		if n == "" {
			continue
		}
		s.names = append(s.names, strings.ToLower(strings.ReplaceAll(n, "_", "-")))
		if len(n) < 64 {
			s.lens |= 1 << len(n)
		} else {
			s.long = true
		}
	}
	return s
}

// remove deletes h's headers that are in the set. It walks h's names, a
// dozen or so, and compares only those of a length in the set: deleting
// every name of the set in turn would hash each of them, several times
// the cost.
func (s *headerSet) remove(h http.Header) {
	for k := range h {
		if n := len(k); n < 64 && s.lens&(1<<n) == 0 || n >= 64 && !s.long {
			continue
		}
		for _, name := range s.names {
			if sameHeaderName(k, name) {
				delete(h, k)
				break
			}
		}
	}
}

// sameHeaderName reports whether the header name k is name (lower case,
// '-' for '_') but for case and '_' for '-'.
func sameHeaderName(k, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// errUpgradeRefused is the error of an upstream that switched protocols
// when it was not asked to, or to another protocol than asked.
var errUpgradeRefused = errors.New("upstream switched protocols without an allowed upgrade request")

// checkResponse refuses a 101 unless the request asked for an allowed
// upgrade and the response switches to that protocol: whatever the
// upstream does, no tunnel opens for a protocol not listed. (ReverseProxy
// also compares the two protocols; this does not rely on it.)
func (u upgrades) checkResponse(res *http.Response) error {
	if res.StatusCode != http.StatusSwitchingProtocols {
		return nil
	}
	asked := ""
	if res.Request != nil {
		asked = res.Request.Header.Get("Upgrade")
	}
	if got := res.Header.Get("Upgrade"); asked == "" || !u.allowed(asked) || !strings.EqualFold(got, asked) {
		return fmt.Errorf("%w: asked %q, got %q", errUpgradeRefused, clip.String(asked, 128), clip.String(got, 128))
	}
	return nil
}

// BufferPool recycles the 32 KB buffers a ReverseProxy copies response
// bodies through; New's proxies use one. Without one, ReverseProxy
// allocates a buffer per request, which under load is most of a proxy's
// garbage and a fifth of its CPU in the collector. The zero value is ready.
type BufferPool struct{ p sync.Pool }

const copyBufferSize = 32 << 10

func (b *BufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, copyBufferSize)
}

func (b *BufferPool) Put(buf []byte) {
	if cap(buf) != copyBufferSize {
		return
	}
	buf = buf[:copyBufferSize]
	b.p.Put(&buf)
}

// errorHandler answers 502 (504 on timeouts) in JSON when the upstream
// cannot be reached, and nothing when the client itself went away.
func errorHandler(log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client left; nobody to answer
		}
		status, kind := http.StatusBadGateway, "bad_gateway"
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			status, kind = http.StatusGatewayTimeout, "upstream_timeout"
		}
		markUpstreamFailed(w)
		id := w.Header().Get("X-Request-Id")
		log.Warn("upstream failed", "status", status, "path", clip.String(r.URL.Path, 128), "err", err,
			"refused", errors.Is(err, syscall.ECONNREFUSED))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"` + kind + `","reason":"upstream unavailable","request_id":"` + jsonSafe(id) + `"}` + "\n"))
	}
}

// upstreamFailer is a writer that counts answers by who gave them: the
// Guard's, which counts a 502 or 504 of errorHandler as the upstream
// failing, not as its answer.
type upstreamFailer interface{ UpstreamFailed() }

// markUpstreamFailed tells the first upstreamFailer among w and the
// writers it wraps.
func markUpstreamFailed(w http.ResponseWriter) {
	for w != nil {
		if f, ok := w.(upstreamFailer); ok {
			f.UpstreamFailed()
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func jsonSafe(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return ""
		}
	}
	return s
}

// Server returns an http.Server for handler with the configured timeouts.
func Server(addr string, handler http.Handler, cfg Config, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}
