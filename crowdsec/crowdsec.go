package crowdsec

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/crowdsecconfig"
)

// Store keeps the bouncer's decisions across restarts
// (store/sqlite.CrowdSecDecisions), so that a LAPI unreachable at start
// leaves the last known set in force.
type Store interface {
	Load(ctx context.Context) ([]Decision, error)
	// Save removes drop, by value and type, then writes put, in one
	// transaction.
	Save(ctx context.Context, put, drop []Decision) error
}

// Options are what the Client needs besides its configuration.
type Options struct {
	Store      Store // nil keeps decisions in memory only
	HTTP       *http.Client
	Now        func() time.Time
	Registerer prometheus.Registerer
	// Protected are never reported: the allow list and trusted proxies
	// (a firewall bouncer banning a proxy would cut off every client
	// behind it).
	Protected []netip.Prefix
	Log       *slog.Logger
}

// Client is Warden's side of a CrowdSec LAPI: the bouncer (Detect
// enforces the decisions Run keeps polling), the watcher (Banned and
// Lifted queue reports Run sends), or both, as the configuration says.
// Detect, Banned and Lifted never block; Run does the I/O. It is safe for
// concurrent use.
type Client struct {
	cfg  crowdsecconfig.Config
	opts Options
	api  *lapi
	set  Set
	jobs chan job // the watcher's queue; nil when the watcher is off

	calls   *prometheus.CounterVec
	skipped *prometheus.CounterVec
}

// New returns a Client for cfg, with the decisions opts.Store kept in
// force until the LAPI answers. It makes no call to the LAPI.
func New(ctx context.Context, cfg crowdsecconfig.Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("crowdsec: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	c := &Client{cfg: cfg, opts: opts,
		api: &lapi{base: strings.TrimRight(cfg.LAPIURL, "/"), hc: hc, key: cfg.BouncerKey, machine: cfg.MachineID, pass: cfg.Password}}
	c.api.counted = c.count
	if cfg.Watcher() {
		c.jobs = make(chan job, cfg.Queue)
	}
	c.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_crowdsec_requests_total",
		Help: "Calls to the CrowdSec Local API, by operation (stream, login, alerts, delete) and result (ok, error)."}, []string{"op", "result"})
	c.skipped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_crowdsec_skipped_total",
		Help: "Decisions and reports not taken, by reason: malformed (a stream decision missing a field), dropped (report queue full), protected (allow list, trusted proxy), crowdsec (the client is under a CrowdSec decision), rejected (a report the LAPI refused)."}, []string{"reason"})
	held := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_crowdsec_decisions",
		Help: "CrowdSec decisions held by the bouncer."}, func() float64 { return float64(c.set.Len()) })
	if r := opts.Registerer; r != nil {
		for _, col := range []prometheus.Collector{c.calls, c.skipped, held} {
			if err := r.Register(col); err != nil {
				return nil, fmt.Errorf("crowdsec: metrics: %w", err)
			}
		}
	}
	if cfg.Bouncer() && opts.Store != nil {
		ds, err := opts.Store.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("crowdsec: load decisions: %w", err)
		}
		kept, _ := c.set.Apply(ds, nil, true, opts.Now())
		if len(kept) < len(ds) {
			// Some expired while Warden was down.
			in := make(map[[2]string]bool, len(kept))
			for _, d := range kept {
				in[[2]string{d.Type, d.Value}] = true
			}
			var gone []Decision
			for _, d := range ds {
				if !in[[2]string{d.Type, d.Value}] {
					gone = append(gone, d)
				}
			}
			if err := opts.Store.Save(ctx, nil, gone); err != nil {
				return nil, fmt.Errorf("crowdsec: %w", err)
			}
		}
	}
	return c, nil
}

// Run polls the decision stream and sends the watcher's reports until
// ctx ends.
func (c *Client) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if c.jobs != nil {
		wg.Go(func() { c.runWatcher(ctx) })
	}
	if c.cfg.Bouncer() {
		c.runBouncer(ctx)
	}
	wg.Wait()
}

// Name returns the detector's name, as the decision log shows it.
func (c *Client) Name() string { return "crowdsec" }

// Detect returns a verdict for a request from a client under a CrowdSec
// decision: Warden's ban answer (403 "banned" with Retry-After) for a
// ban; captcha_action for a captcha. The lookup does not allocate.
func (c *Client) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	h, ok := c.set.Lookup(r.Client.IP, r.Time)
	if !ok {
		return abuse.Verdict{}
	}
	v := abuse.Verdict{Confidence: 1, Messages: h.Messages}
	action := TypeBan
	if h.Captcha {
		action = c.cfg.CaptchaAction
	}
	switch action {
	case "ban":
		v.Action, v.Reason, v.RetryAfter = abuse.Ban, "client is banned", h.Until.Sub(r.Time)
	case "block":
		v.Action, v.Reason = abuse.Block, "request blocked"
	default:
		v.Action = abuse.Log
	}
	return v
}

var _ abuse.Detector = (*Client)(nil)
