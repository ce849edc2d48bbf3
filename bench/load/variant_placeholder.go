//go:build nowarden

package main

import (
	"net/http"
	"net/url"
	"time"
)

// wardenProxy stands in for Warden's proxy when the harness is built with
// -tags nowarden (while the root package does not build): a second bare
// proxy behind a pass-through wrapper, so the harness itself can be checked.
type wardenProxy struct {
	srv   *http.Server
	close func()
}

const wardenVariant = "PLACEHOLDER pass-through wrapper (built with -tags nowarden)"

func newWardenProxy(up *url.URL, _ string) (*wardenProxy, error) {
	next := bareProxy(up, false)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
	return &wardenProxy{
		srv:   &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		close: func() {},
	}, nil
}
