package protocol

import (
	"context"
	"net/http"
)

// subrequestKey marks a request rebuilt from a forward-auth subrequest.
type subrequestKey struct{}

// Subrequest marks ctx as that of a request rebuilt from a forward-auth
// subrequest (nginx auth_request, Traefik ForwardAuth, Caddy
// forward_auth). Its framing is the front proxy's, not the client's:
// nginx drops the body and empties Content-Length, and the front proxy
// has already parsed the client's framing. Its Host is the front proxy's
// too (nginx sends its proxy_pass address) unless hostForwarded says the
// original Host was passed on. The checks of what the front proxy chose
// do not count then: an ordinary POST through nginx was otherwise one
// step under blocking.
func Subrequest(ctx context.Context, hostForwarded bool) context.Context {
	return context.WithValue(ctx, subrequestKey{}, hostForwarded)
}

// subrequest reports whether r was rebuilt from a forward-auth
// subrequest, and whether its Host is the client's.
func subrequest(r *http.Request) (sub, hostForwarded bool) {
	if r == nil {
		return false, false
	}
	v, ok := r.Context().Value(subrequestKey{}).(bool)
	return ok, v
}
