// Package proxy builds Warden's standalone reverse proxy: an
// httputil.ReverseProxy toward one upstream with transport timeouts,
// X-Forwarded-* headers that pass on only what trusted hops said, JSON
// answers when the upstream fails, and an http.Server with timeouts that
// bound slow clients.
package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/warden-dev/warden/config"
)

// New returns a reverse proxy to upstream. trusted reports whether a peer
// address is a trusted proxy: only then are its X-Forwarded-For,
// X-Forwarded-Host and X-Forwarded-Proto passed on (extended with the
// peer); from anyone else they are replaced, so a client cannot make the
// upstream believe a forged address.
func New(upstream *url.URL, cfg config.Proxy, trusted func(netip.Addr) bool, log *slog.Logger) *httputil.ReverseProxy {
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
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = pr.In.Host // the app sees the host the client asked for
			peer := peerAddr(pr.In.RemoteAddr)
			if peer.IsValid() && trusted != nil && trusted(peer) {
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
				return
			}
			pr.Out.Header.Del("Forwarded")
			pr.SetXForwarded()
		},
		Transport:    tr,
		ErrorHandler: errorHandler(log),
		BufferPool:   &BufferPool{},
	}
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

// peerAddr is the connection's peer as identity.PeerAddr reads it (the
// zone of a link-local peer dropped), so both agree on who is trusted.
func peerAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	return netip.Addr{}
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
		id := w.Header().Get("X-Request-Id")
		log.Warn("upstream failed", "status", status, "path", bounded(r.URL.Path), "err", err,
			"refused", errors.Is(err, syscall.ECONNREFUSED))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"` + kind + `","reason":"upstream unavailable","request_id":"` + jsonSafe(id) + `"}` + "\n"))
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

func bounded(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}

// Server returns an http.Server for handler with the configured timeouts.
func Server(addr string, handler http.Handler, cfg config.Proxy, log *slog.Logger) *http.Server {
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
