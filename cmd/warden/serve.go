package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/proxy"
	"github.com/warden-dev/warden/server"
)

type serveFlags struct {
	upstream, listen, admin, data, config, mode, envFile string
	forwardAuth                                          bool
	adminSet                                             bool // --admin given, even as ""
}

func runServe(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f serveFlags
	fs.StringVar(&f.upstream, "upstream", "", "URL of the app to protect (http://host:port)")
	fs.StringVar(&f.listen, "listen", "", "address to listen on (default 127.0.0.1:8080)")
	fs.StringVar(&f.admin, "admin", "", `admin listener address (default 127.0.0.1:9090); "" or off turns the admin API off`)
	fs.StringVar(&f.mode, "mode", "", "enforce or monitor (log what would be blocked, block nothing); overrides the config's mode")
	fs.StringVar(&f.data, "data", "", "data directory (default ./warden-data)")
	fs.StringVar(&f.config, "config", "", "YAML config file (env vars override it)")
	fs.StringVar(&f.envFile, "env-file", "", "LibreChat-style .env file read as if exported (exported variables win)")
	fs.BoolVar(&f.forwardAuth, "forward-auth", false, "answer forward-auth checks (nginx auth_request, Traefik ForwardAuth, Caddy forward_auth) instead of proxying")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fs.Visit(func(fl *flag.Flag) { f.adminSet = f.adminSet || fl.Name == "admin" })
	e, envFile, err := withEnvFile(e, f.envFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "config error: --env-file: %v\n", err)
		return 2
	}
	cfg, err := loadServeConfig(f, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	reportEnv(e, cfg, envFile)
	if cfg.Upstream == "" && !cfg.ForwardAuth {
		fmt.Fprintln(e.stderr, "config error: upstream: required (--upstream URL, the config file, or WARDEN_UPSTREAM), unless forward_auth is on")
		return 2
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	inst, err := start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "serve: %v\n", err)
		return 1
	}
	if cfg.ForwardAuth {
		fmt.Fprintf(e.stdout, "warden %s: forward-auth http://%s (mode %s)\n", shortVersion(), inst.proxyAddr, cfg.Mode)
	} else {
		fmt.Fprintf(e.stdout, "warden %s: proxy http://%s → %s (mode %s)\n", shortVersion(), inst.proxyAddr, cfg.Upstream, cfg.Mode)
	}
	if inst.adminAddr == "" {
		fmt.Fprintln(e.stdout, `admin:  off (--admin off or admin.listen: ""): no admin API, so no dashboard, metrics or "warden bans"`)
	} else {
		fmt.Fprintf(e.stdout, "admin:  http://%s  (token in %s)\n", inst.adminAddr, inst.tokenSource)
	}
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "shutting down")
	if err := inst.shutdown(cfg.Proxy.ShutdownTimeout); err != nil {
		fmt.Fprintf(e.stderr, "serve: shutdown: %v\n", err)
		return 1
	}
	return 0
}

func loadServeConfig(f serveFlags, e env) (config.Config, error) {
	var cfg config.Config
	var err error
	if f.config != "" {
		cfg, err = config.Load(f.config, e.lookup)
	} else {
		cfg, err = config.FromEnv(e.lookup)
	}
	if err != nil {
		return cfg, err
	}
	// Flags win over file and environment.
	if f.upstream != "" {
		cfg.Upstream = f.upstream
	}
	if f.forwardAuth {
		cfg.ForwardAuth = true
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	switch {
	case f.admin == "off":
		cfg.Admin.Listen = ""
	case f.admin != "" || f.adminSet:
		cfg.Admin.Listen = f.admin
	}
	switch config.Mode(f.mode) {
	case "":
	case config.Enforce, config.Monitor:
		cfg.Mode = config.Mode(f.mode)
	default:
		err = fmt.Errorf("--mode: must be enforce or monitor, got %q", f.mode)
	}
	if f.data != "" {
		cfg.DataDir = f.data
	}
	return cfg, errors.Join(err, cfg.Validate(), server.CheckStores(cfg))
}

// instance is a running proxy and admin listener.
type instance struct {
	guard                *server.Guard
	proxySrv, adminSrv   *http.Server
	proxyAddr, adminAddr string
	tokenSource          string
	errc                 chan error
}

// start opens the guard and its stores, binds both listeners and serves in
// the background.
func start(ctx context.Context, cfg config.Config, log *slog.Logger) (*instance, error) {
	g, err := server.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	inst := &instance{guard: g, errc: make(chan error, 2)}
	var h http.Handler
	if cfg.ForwardAuth {
		h = g.ForwardAuth()
	} else {
		up, err := url.Parse(cfg.Upstream)
		if err != nil {
			_ = g.Close(ctx)
			return nil, fmt.Errorf("upstream: %w", err)
		}
		h = g.Handler(proxy.New(up, cfg.Proxy, g.TrustedProxy, log))
	}
	inst.proxySrv = proxy.Server(cfg.Listen, h, cfg.Proxy, log)
	adminHandler, source, err := g.AdminHandler()
	if err != nil {
		_ = g.Close(ctx)
		return nil, err
	}
	inst.tokenSource = source
	inst.adminSrv = adminHandler.HTTPServer(cfg.Admin.Listen)

	pl, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = g.Close(ctx)
		return nil, fmt.Errorf("listen: %w", err)
	}
	inst.proxyAddr = pl.Addr().String()
	go func() { inst.errc <- serveOn(inst.proxySrv, pl) }()
	if cfg.Admin.Listen == "" { // admin API turned off
		inst.adminAddr, inst.tokenSource = "", ""
		inst.adminSrv = &http.Server{}
		return inst, nil
	}
	al, err := net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		_ = inst.shutdown(time.Second)
		return nil, fmt.Errorf("admin listen: %w", err)
	}
	inst.adminAddr = al.Addr().String()
	if !isLoopback(al.Addr()) {
		// The admin API has no TLS: its bearer token, the ban list and the
		// decision log cross the network in clear.
		log.Warn("admin API listens on a non-loopback address over plain HTTP: its bearer token and data "+
			"cross the network unencrypted; keep admin.listen on 127.0.0.1, or reach it through TLS or an SSH tunnel",
			"addr", inst.adminAddr)
	}
	go func() { inst.errc <- serveOn(inst.adminSrv, al) }()
	return inst, nil
}

// isLoopback reports whether a listener's address is a loopback one
// (127.0.0.0/8, ::1); 0.0.0.0 and :: listen on every interface.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func serveOn(srv *http.Server, l net.Listener) error {
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (inst *instance) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return errors.Join(
		inst.proxySrv.Shutdown(ctx),
		inst.adminSrv.Shutdown(ctx),
		inst.guard.Close(ctx),
	)
}
