package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/ratelimit"
)

// Config is the Redis store's configuration. Warden's config key
// store.redis (or WARDEN_REDIS_URL) fills URL.
type Config struct {
	URL        string        `yaml:"url"`         // redis://[user:pass@]host:port/db, rediss:// for TLS
	Prefix     string        `yaml:"prefix"`      // key prefix, default "warden:"
	Timeout    time.Duration `yaml:"timeout"`     // per command, default 250ms
	RetryAfter time.Duration `yaml:"retry_after"` // after a failure, local only for this long; default 1s
}

// DefaultConfig returns the defaults, with no URL.
func DefaultConfig() Config {
	return Config{Prefix: "warden:", Timeout: 250 * time.Millisecond, RetryAfter: time.Second}
}

// Validate checks c; errors start with the field path in the section.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("url: required")
	}
	if _, err := goredis.ParseURL(c.URL); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		return errors.New("timeout: must be > 0 and <= 1m")
	}
	if c.RetryAfter <= 0 || c.RetryAfter > time.Hour {
		return errors.New("retry_after: must be > 0 and <= 1h")
	}
	if strings.ContainsAny(c.Prefix, " \r\n{}") {
		return errors.New("prefix: must not hold spaces, newlines or braces")
	}
	return nil
}

// Options are the Store's collaborators, none required.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
	// Client, when set, is used instead of dialing Config.URL (tests add
	// hooks to it). The Store does not close it. Either way New makes
	// go-redis log through slog at debug level (redis.SetLogger is
	// process-wide; see installLibLogger).
	Client goredis.UniversalClient
	// OnFailure, when set, is called for each call that failed or was
	// refused while Redis is down (e.g. metrics.StoreFallback("redis")).
	OnFailure func()
}

// Store is Warden's shared state in Redis. It implements
// ratelimit.Backend, enforce.Tally and ban.Store, and is safe for
// concurrent use.
//
// Failure mode: any Redis error marks the store down for RetryAfter,
// during which every call fails at once with ErrUnavailable instead of
// waiting for a dial. Callers fall back to local state. Bans this instance
// placed are mirrored in memory and answered from there while Redis is
// away. The first failure of an outage is logged (and later ones at most
// once a minute), the recovery is logged, and Stats counts both. go-redis'
// own lines (its pool prints one per failed dial) are logged at debug
// level only: see installLibLogger.
type Store struct {
	c       goredis.UniversalClient
	owned   bool
	prefix  string
	timeout time.Duration
	retry   time.Duration
	log     *slog.Logger
	onFail  func()
	local   *ban.Memory // mirror of the bans placed through this Store

	downUntil atomic.Int64 // unix ns; 0 when up
	down      atomic.Bool
	upAt      atomic.Int64 // unix ns of the latest recovery
	settle    time.Duration
	outageLog rate.Sometimes
	backLog   atomic.Bool // the current outage was logged, its end not yet

	failures atomic.Uint64 // calls answered with an error
	outages  atomic.Uint64
}

// ErrUnavailable is returned while the Store treats Redis as down.
var ErrUnavailable = errors.New("redis unavailable")

// New connects to cfg.URL (or uses opt.Client) and loads the scripts. It
// fails when Redis does not answer, so a misconfigured URL stops start-up;
// later outages are survived.
func New(ctx context.Context, cfg Config, opt Options) (*Store, error) {
	s := &Store{
		c: opt.Client, prefix: cfg.Prefix, timeout: cfg.Timeout, retry: cfg.RetryAfter, log: opt.Logger, onFail: opt.OnFailure,
		outageLog: rate.Sometimes{First: 1, Interval: time.Minute}, settle: settle,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	installLibLogger()
	if s.c == nil {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		o, _ := goredis.ParseURL(cfg.URL) // validated
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = cfg.Timeout, cfg.Timeout, cfg.Timeout
		o.MaxRetries = 1 // a pooled connection may be stale after a restart; one retry, no more
		o.MinRetryBackoff, o.MaxRetryBackoff = time.Millisecond, 10*time.Millisecond
		s.c, s.owned = goredis.NewClient(o), true
	}
	if s.timeout <= 0 {
		s.timeout = DefaultConfig().Timeout
	}
	if s.retry <= 0 {
		s.retry = DefaultConfig().RetryAfter
	}
	mem, err := ban.NewMemory(ctx, nil)
	if err != nil {
		return nil, err
	}
	s.local = mem
	for _, sc := range []*goredis.Script{takeScript, tallyScript, banScript, claimScript} {
		if err := sc.Load(ctx, s.c).Err(); err != nil {
			s.Close()
			return nil, fmt.Errorf("redis: load script: %w", err)
		}
	}
	return s, nil
}

// Close closes the client if the Store dialed it.
func (s *Store) Close() error {
	if s.owned {
		return s.c.Close()
	}
	return nil
}

// begin returns a context bounded by the command timeout, or
// ErrUnavailable while the store is marked down.
func (s *Store) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if s.down.Load() && time.Now().UnixNano() < s.downUntil.Load() {
		s.failed()
		return nil, nil, ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	return ctx, cancel, nil
}

// settle is how long Redis must answer after an outage before the
// outage is over: a failure sooner marks the store down again but
// belongs to the same outage, neither counted nor logged again, and the
// recovery is logged once the store has been up this long. go-redis,
// after PoolSize failed dials, fails the calls that need a new
// connection with the last dial error until its background probe, once
// a second, gets through; so for a second or so after Redis is back,
// calls on pooled connections succeed while others fail.
const settle = 3 * time.Second

// end records the outcome of a call: an error (other than redis.Nil and
// the caller's own cancellation) marks the store down; a success after an
// outage marks it up (see settle).
func (s *Store) end(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, goredis.Nil) {
		if s.down.Load() && s.down.CompareAndSwap(true, false) {
			s.upAt.Store(time.Now().UnixNano())
			go s.resync()
		}
		if s.backLog.Load() && !s.down.Load() && time.Now().UnixNano()-s.upAt.Load() >= int64(s.settle) &&
			s.backLog.CompareAndSwap(true, false) {
			s.log.Info("redis is back; sharing state again")
		}
		return err
	}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err // the request went away, Redis may be fine
	}
	s.failed()
	s.downUntil.Store(time.Now().Add(s.retry).UnixNano())
	if s.down.CompareAndSwap(false, true) && time.Now().UnixNano()-s.upAt.Load() >= int64(s.settle) {
		s.outages.Add(1)
		s.outageLog.Do(func() {
			s.backLog.Store(true)
			s.log.Warn("redis unavailable; deciding on local state until it is back", "err", err)
		})
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// resync writes the bans of the local mirror to Redis after an outage, so
// bans placed while Redis was away reach the other instances.
func (s *Store) resync() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bans, _ := s.local.List(ctx, time.Now())
	for _, b := range bans {
		if err := s.addRemote(ctx, b); err != nil {
			return // down again; the next recovery retries
		}
	}
}

func (s *Store) failed() {
	s.failures.Add(1)
	if s.onFail != nil {
		s.onFail()
	}
}

// Stats are counters for metrics.
type Stats struct {
	Down     bool   // Redis is currently treated as unreachable
	Failures uint64 // calls that failed or were refused while down
	Outages  uint64 // transitions from up to down, but for relapses within settle of a recovery
}

// Stats returns the Store's counters.
func (s *Store) Stats() Stats {
	return Stats{Down: s.down.Load(), Failures: s.failures.Load(), Outages: s.outages.Load()}
}

func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, "")
}

var (
	_ ratelimit.Backend = (*Store)(nil)
	_ enforce.Tally     = (*Store)(nil)
	_ ban.Store         = (*Store)(nil)
	_ ban.Claimer       = (*Store)(nil)
)
