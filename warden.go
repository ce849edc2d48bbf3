package warden

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/identity"
	"github.com/warden-dev/warden/usage"
)

// Config is Warden's configuration; see package config.
type Config = config.Config

// Enforcer turns violations into scores and bans. The pipeline calls
// RecordFinding once per violation type among a request's verdicts that
// acted, in enforce mode only, with the abuse.Finding of the verdict.
type Enforcer interface {
	RecordFinding(ctx context.Context, r *abuse.Request, violation string, finding uint64) (b ban.Ban, banned bool, err error)
}

// anyLookup checks several ban targets at once (one Redis round trip).
type anyLookup interface {
	LookupAny(ctx context.Context, targets []ban.Target, now time.Time) (ban.Ban, bool, error)
}

// Guard is Warden's request pipeline. Create it with New; it is safe for
// concurrent use, and detectors may be registered while it serves.
type Guard struct {
	cfg   Config
	now   func() time.Time
	ident *identity.Resolver

	allowNets  []netip.Prefix
	allowUsers map[string]struct{}

	bans      ban.Store
	banLookup anyLookup // set when the ban store checks several targets in one round trip
	banScope  ban.Scope // how much address space an IP ban covers (enforce.ipv6_prefix)
	enforcer  Enforcer
	events    *eventlog.Writer // nil when events go nowhere
	usage     *usage.Rollup    // nil when no Backends.Usage
	metrics   config.Meter     // nil counts nothing

	mu      sync.Mutex // serialises registration; readers use routes
	reg     registry
	routes  atomic.Pointer[routeTable]
	closers []func(context.Context) error

	idPrefix string
	seq      atomic.Uint64
	seed     maphash.Seed // keys abuse.Finding
	reqPool  sync.Pool
}

// New validates cfg and returns a Guard with the detectors and
// enforcement the configuration asks for, keeping its state in memory and
// in the stores of cfg.Backends. New opens no file or connection: with the
// zero Backends, bans, scores and limits live in bounded memory and events
// are not stored. Package server opens the stores `warden serve` uses.
// Call Close when done.
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config: %w", err)
	}
	ident, err := identity.New(cfg.Identity, cfg.TrustedProxies, cfg.UserFunc)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	g := &Guard{
		cfg:        cfg,
		now:        cfg.Clock,
		ident:      ident,
		allowUsers: map[string]struct{}{},
		banScope:   cfg.Enforce.Scope(),
		idPrefix:   newIDPrefix(),
		seed:       maphash.MakeSeed(),
	}
	if g.now == nil {
		g.now = time.Now
	}
	for _, s := range cfg.Allow.CIDRs {
		p, err := identity.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("allow.cidrs: %w", err)
		}
		g.allowNets = append(g.allowNets, p)
	}
	for _, u := range cfg.Allow.Users {
		g.allowUsers[u] = struct{}{}
	}
	g.reg.classes = cfg.Routes
	if err := g.rebuildLocked(); err != nil {
		return nil, err
	}
	if err := g.provision(context.Background()); err != nil {
		_ = g.Close(context.Background())
		return nil, err
	}
	return g, nil
}

// Close stops the Guard's background workers and drains its decision log
// into Backends.Events. It does not close the Backends: their opener does,
// after Close.
func (g *Guard) Close(ctx context.Context) error {
	g.mu.Lock()
	closers := g.closers
	g.closers = nil
	g.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i](ctx))
	}
	return errors.Join(errs...)
}

func (g *Guard) onClose(f func(context.Context) error) {
	g.mu.Lock()
	g.closers = append(g.closers, f)
	g.mu.Unlock()
}

// Bans returns the ban store the Guard checks.
func (g *Guard) Bans() ban.Store { return g.bans }

// Use adds detectors that run on every request, before route detectors.
func (g *Guard) Use(ds ...abuse.Detector) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reg.global = append(g.reg.global, ds...)
	_ = g.rebuildLocked() // cannot fail: no new patterns
}

// Detect registers detectors for requests matching pattern, which has the
// syntax of net/http.ServeMux ("POST /api/projects/{id}"). It returns an
// error for an invalid pattern or one that conflicts with another.
func (g *Guard) Detect(pattern string, ds ...abuse.Detector) error {
	if err := config.CheckPattern(pattern); err != nil {
		return fmt.Errorf("detect %q: %w", pattern, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.reg.routes
	g.reg.routes = append(append([]routeDetectors(nil), old...), routeDetectors{pattern, ds})
	if err := g.rebuildLocked(); err != nil {
		g.reg.routes = old
		return fmt.Errorf("detect %q: %w", pattern, err)
	}
	return nil
}

// DetectDefault registers detectors for requests that match no pattern
// given to Detect.
func (g *Guard) DetectDefault(ds ...abuse.Detector) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reg.defaults = append(g.reg.defaults, ds...)
	_ = g.rebuildLocked()
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newIDPrefix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// TrustedProxy reports whether addr is one of the configured trusted
// proxies, whose forwarding headers are believed.
func (g *Guard) TrustedProxy(addr netip.Addr) bool { return g.ident.Trusted(addr) }
