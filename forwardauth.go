package warden

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-dev/warden/identity"
	"github.com/warden-dev/warden/protocol"
)

// ForwardAuth returns a handler for the forward-auth protocol of nginx
// (auth_request), Traefik (ForwardAuth) and Caddy (forward_auth): the
// front proxy sends Warden a copy of each request's head, and forwards the
// request to the app only when Warden answers 2xx. Any other answer —
// Warden's 403, 429 or 413 JSON, with Retry-After — goes back to the
// client instead; its error code is in the X-Warden-Error header too and
// the request id in X-Request-Id, for front proxies that drop the body of
// the answer they act on (nginx).
//
// The original method, URI and host are read from X-Forwarded-Method,
// X-Forwarded-Uri and X-Forwarded-Host (Traefik, Caddy) or X-Original-Method
// and X-Original-URI (nginx), and the client address from X-Forwarded-For,
// all of which only a trusted proxy may set: a caller that is not one of
// the configured trusted proxies is refused with 403, since its
// headers could name any client and any request.
//
// The front proxy does not report the app's answer back, so detectors
// that learn from response statuses (error storms, not-found scans, failed
// logins) see every allowed request as a 200 in this mode.
func (g *Guard) ForwardAuth() http.Handler {
	allow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if peer := identity.PeerAddr(r.RemoteAddr); !peer.IsValid() || !g.ident.Trusted(peer) {
			id := g.nextID()[0]
			g.logger().Warn("forward-auth request from a caller that is not a trusted proxy", "request_id", id, "remote", boundedString(r.RemoteAddr))
			writeError(w, http.StatusForbidden, errorBody{Error: "untrusted_caller",
				Reason: "forward-auth callers must be listed in trusted_proxies", RequestID: id})
			return
		}
		orig, err := originalRequest(r)
		if err != nil {
			id := g.nextID()[0]
			writeError(w, http.StatusBadRequest, errorBody{Error: "invalid_input", Reason: err.Error(), RequestID: id})
			return
		}
		g.serve(w, orig, allow)
	})
}

// forwardedHeaders name the original request; they are removed from the
// request the detectors see, which would otherwise read its URI twice.
var forwardedHeaders = []string{"X-Forwarded-Method", "X-Original-Method", "X-Forwarded-Uri", "X-Original-Uri", "X-Forwarded-Host"}

// originalRequest rebuilds the client's request from the forward-auth
// headers. Its body, when the front proxy forwards one (Traefik's
// forwardBody), is r's.
func originalRequest(r *http.Request) (*http.Request, error) {
	h := r.Header
	method := cmp.Or(h.Get("X-Forwarded-Method"), h.Get("X-Original-Method"), r.Method)
	uri := cmp.Or(h.Get("X-Forwarded-Uri"), h.Get("X-Original-Uri"))
	if uri == "" {
		return nil, errors.New("no X-Forwarded-Uri or X-Original-URI header: the front proxy must send the original request URI")
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, errors.New("X-Forwarded-Uri / X-Original-URI is not a request URI")
	}
	if strings.ContainsAny(method, " \t\r\n") {
		return nil, errors.New("X-Forwarded-Method / X-Original-Method is malformed")
	}
	// A shallow copy: the subrequest is this handler's own, so its header
	// map can lose the forward-auth fields without a deep clone.
	o := r.WithContext(protocol.Subrequest(r.Context(), h.Get("X-Forwarded-Host") != ""))
	o.Method = method
	o.URL = u
	o.RequestURI = uri
	if host := h.Get("X-Forwarded-Host"); host != "" {
		o.Host = host
	}
	for _, k := range forwardedHeaders {
		delete(o.Header, k)
	}
	return o, nil
}
