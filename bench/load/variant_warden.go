//go:build !nowarden

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/proxy"
	"github.com/warden-dev/warden/server"
)

// wardenProxy is Warden's reverse proxy as `warden serve` builds it.
type wardenProxy struct {
	srv   *http.Server
	close func()
}

const wardenVariant = "server.New + proxy.New (as `warden serve`)"

// newWardenProxy builds what `warden serve` builds: server.New(cfg), a
// proxy.New reverse proxy wrapped in g.Handler, served by proxy.Server.
// Without configPath the config is Warden's defaults with 127.0.0.1 as a
// trusted proxy (the harness sends X-Forwarded-For), a temporary data dir
// and the decision log off stderr.
func newWardenProxy(up *url.URL, configPath string) (*wardenProxy, error) {
	dir, err := os.MkdirTemp("", "warden-bench-")
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	cfg := config.Default()
	if configPath != "" {
		if cfg, err = config.Load(configPath, os.LookupEnv); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	} else {
		cfg.TrustedProxies = []string{"127.0.0.1/32"}
		cfg.Log.Stderr = false
	}
	cfg.Upstream = up.String()
	cfg.DataDir = dir
	g, err := server.New(context.Background(), cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rp := proxy.New(up, cfg.Proxy, g.TrustedProxy, log)
	return &wardenProxy{
		srv: proxy.Server("", g.Handler(rp), cfg.Proxy, log),
		close: func() {
			_ = g.Close(context.Background())
			os.RemoveAll(dir)
		},
	}, nil
}
