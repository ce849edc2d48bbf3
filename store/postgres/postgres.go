package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/store/sqlite"
)

// Config is the PostgreSQL store's configuration. Warden's config key
// store.postgres (or WARDEN_POSTGRES_DSN) fills DSN.
type Config struct {
	// DSN is a libpq connection string: a URL
	// (postgres://user:pass@host:5432/db?sslmode=require) or key=value
	// pairs. pool_max_conns and the other pgxpool settings may be added.
	DSN string `yaml:"dsn"`
	// Timeout bounds one write, query or retention step, and a connection
	// attempt unless the DSN sets connect_timeout. Default 2s: the eventlog
	// Writer gives a whole store write 5s, and the fallback needs the rest.
	Timeout time.Duration `yaml:"timeout"`
	// RetryAfter is how often PostgreSQL is probed while it is down;
	// meanwhile events go straight to the fallback. Default 1s.
	RetryAfter time.Duration `yaml:"retry_after"`
}

// DefaultConfig returns the defaults, with no DSN.
func DefaultConfig() Config {
	return Config{Timeout: 2 * time.Second, RetryAfter: time.Second}
}

// Validate checks c; errors start with the field path in the section.
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("dsn: required")
	}
	if _, err := ParseDSN(c.DSN); err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		return errors.New("timeout: must be > 0 and <= 1m")
	}
	if c.RetryAfter <= 0 || c.RetryAfter > time.Hour {
		return errors.New("retry_after: must be > 0 and <= 1h")
	}
	return nil
}

// ParseDSN parses a connection string as the Store's pool does (pgx's
// rules, plus the pool_* settings). Its error never contains the
// password: pgx masks passwords only on a best-effort basis for malformed
// strings, and its wrapped errors (net/url's, for one) quote the string
// whole, so the error is rebuilt from pgx's message with every password
// candidate masked, and does not wrap pgx's.
func ParseDSN(dsn string) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("not a valid PostgreSQL connection string: " + redact(err.Error(), dsn))
	}
	return pc, nil
}

// kvPassword finds password values in key=value connection strings and
// URL queries (password=, sslpassword=), quoted or not.
var kvPassword = regexp.MustCompile(`(?i)password\s*=\s*('(?:[^'\\]|\\.)*'?|[^\s&]*)`)

// redact masks in msg every string of dsn that may be a password: the
// URL userinfo after its first colon, and password= values, each as
// written, percent-decoded and Go-quoted. It over-masks rather than
// under-masks.
func redact(msg, dsn string) string {
	var cands []string
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		rest, ok := strings.CutPrefix(dsn, scheme)
		if !ok {
			continue
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				// An unescaped @ makes the end of the password ambiguous:
				// mask the longest reading and every piece of it.
				pw := rest[colon+1 : at]
				cands = append(cands, pw)
				cands = append(cands, strings.Split(pw, "@")...)
			}
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		cands = append(cands, m[1], strings.Trim(m[1], "'"))
	}
	for _, c := range cands {
		for _, v := range []string{c, unescape(c)} {
			if v == "" {
				continue
			}
			// As written, and as a %q verb shows it (net/url's errors
			// quote the string).
			q := strconv.Quote(v)
			for _, form := range []string{v, q[1 : len(q)-1]} {
				msg = strings.ReplaceAll(msg, form, "xxxxx")
			}
		}
	}
	return msg
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// Options are the Store's collaborators, none required.
type Options struct {
	// Fallback receives events while PostgreSQL is unreachable, and is
	// read and pruned together with it (in Warden, the SQLite database
	// in the data dir). The Store does not close it. Nil: failures are
	// returned to the caller, whose eventlog Writer retries.
	Fallback eventlog.Store
	// Logger receives the start and end of each outage. Nil means
	// slog.Default().
	Logger *slog.Logger
	// OnFailure, when set, is called for each operation that fell back
	// or failed because PostgreSQL is down (e.g.
	// metrics.StoreFallback("postgres")).
	OnFailure func()
	// OnBackfill, when set, is called with the number of events each
	// backfill batch copied from the fallback into PostgreSQL (e.g.
	// metrics.StoreBackfilled("postgres", n)).
	OnBackfill func(n int)
}

// Stats are a Store's counters.
type Stats struct {
	Down       bool   // PostgreSQL is currently treated as unreachable
	Fallbacks  uint64 // operations that fell back or failed because it was down
	Outages    uint64 // transitions from up to down
	Backfilled uint64 // events copied from the fallback into PostgreSQL
	Duplicates uint64 // events in the fallback that PostgreSQL already held, dropped there
}

// ErrUnavailable is the cause of a failure while the Store treats
// PostgreSQL as down and has no fallback.
var ErrUnavailable = errors.New("postgres unavailable")

// Store is the decision-event store in PostgreSQL. It implements
// eventlog.Store and eventlog.Pruner, and is safe for concurrent use.
//
// Any failure to reach PostgreSQL marks it down: operations then go to
// the fallback at once instead of waiting for a dial, the pool's
// connections are dropped (they died with the server, or will), and a
// goroutine pings PostgreSQL every RetryAfter until it answers, so the
// event writer never waits on a dead server.
//
// When the fallback is a *sqlite.DB (any spool), a background goroutine
// backfills: whenever PostgreSQL is up (at Open, when an outage ends,
// after an event went to the fallback while it was up) it copies the
// events in the fallback into PostgreSQL in batches and deletes each
// batch from the fallback once PostgreSQL has committed it (see
// backfill.go).
type Store struct {
	pool       *pgxpool.Pool
	where      string // host:port/database, for logs: never the DSN
	timeout    time.Duration
	retry      time.Duration
	fallback   eventlog.Store
	spool      spool // the fallback, when it can be backfilled from; else nil
	log        *slog.Logger
	onFail     func()
	onBackfill func(int)

	schemaMu        sync.Mutex // serialises schema creation
	schemaReady     atomic.Bool
	claimsReady     atomic.Bool   // warden_alert_claims exists (claims.go)
	claims          atomic.Uint64 // claims made, to prune now and then
	usageReady      atomic.Bool   // warden_token_usage exists (usage.go)
	banChangesReady atomic.Bool   // warden_ban_changes exists (banhistory.go)
	outboxReady     atomic.Bool   // warden_alert_deliveries exists (outbox.go)

	down       atomic.Bool
	outages    atomic.Uint64
	fallbacks  atomic.Uint64
	backfilled atomic.Uint64
	duplicates atomic.Uint64

	batch       int                   // events per backfill batch
	afterCommit func(batch int) error // test hook: see backfill
	kick        chan struct{}         // asks the backfiller for a run; buffered, 1

	mu     sync.Mutex         // guards closed against a probe starting during Close
	closed bool               //
	life   context.Context    // ended by Close: stops the probe and the backfiller
	stop   context.CancelFunc //
	bg     sync.WaitGroup     // the probe and the backfiller
}

// Open creates the pool and the schema. A DSN that does not parse, and a
// server that answers but refuses (bad password, missing database, no
// right to create the table), fail start-up. A server that does not
// answer fails it only without a fallback; with one, the Store starts
// down and events go to the fallback until PostgreSQL answers.
func Open(ctx context.Context, cfg Config, opt Options) (*Store, error) {
	return openStore(ctx, cfg, opt, nil)
}

// openStore is Open; tune, if not nil, adjusts the Store before anything runs
// (tests shrink the backfill batch and hook into it).
func openStore(ctx context.Context, cfg Config, opt Options, tune func(*Store)) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pc, _ := ParseDSN(cfg.DSN) // validated
	cc := pc.ConnConfig
	if cc.ConnectTimeout == 0 {
		// pgx keeps dialing in the background after a cancelled acquire;
		// this bounds it.
		cc.ConnectTimeout = cfg.Timeout
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "warden"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc) // connects lazily
	if err != nil {
		return nil, fmt.Errorf("postgres: create pool: %w", err)
	}
	s := &Store{
		pool:       pool,
		where:      cc.Host + ":" + strconv.Itoa(int(cc.Port)) + "/" + cc.Database,
		timeout:    cfg.Timeout,
		retry:      cfg.RetryAfter,
		fallback:   opt.Fallback,
		log:        opt.Logger,
		onFail:     opt.OnFailure,
		onBackfill: opt.OnBackfill,
		batch:      backfillBatch,
		kick:       make(chan struct{}, 1),
	}
	s.spool, _ = opt.Fallback.(spool)
	s.life, s.stop = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = slog.Default()
	}
	if tune != nil {
		tune(s)
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ensureSchema(sctx); err != nil {
		if s.fallback == nil || refused(err) || ctx.Err() != nil {
			s.stop()
			pool.Close()
			return nil, fmt.Errorf("%w (server %s)", err, s.where)
		}
		s.failed(ctx, err)
	}
	if s.spool != nil {
		s.bg.Add(1)
		go s.backfiller()
		if s.usable() {
			// A backlog left by an outage before a restart.
			s.kickBackfill()
		}
	}
	return s, nil
}

// refused reports whether err is PostgreSQL answering no for a reason
// that waiting will not fix: authentication (SQLSTATE class 28), a
// missing database (3D), missing rights (42).
func refused(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	switch pe.Code[:2] {
	case "28", "3D", "42":
		return true
	}
	return false
}

// Close stops the probe and the backfill and closes the pool. A backfill
// batch in flight is abandoned: what PostgreSQL committed of it is
// skipped when the next run copies it again. The fallback is the
// caller's to close.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stop()
	s.mu.Unlock()
	s.bg.Wait()
	s.pool.Close()
	return nil
}

// Stats returns the Store's counters.
func (s *Store) Stats() Stats {
	return Stats{Down: s.down.Load(), Fallbacks: s.fallbacks.Load(), Outages: s.outages.Load(),
		Backfilled: s.backfilled.Load(), Duplicates: s.duplicates.Load()}
}

// usable reports whether to try PostgreSQL: it is not marked down.
func (s *Store) usable() bool { return !s.down.Load() }

// succeeded records that PostgreSQL answered, ending an outage; the
// events kept in the fallback meanwhile are then backfilled.
func (s *Store) succeeded() {
	if s.down.Load() && s.down.CompareAndSwap(true, false) {
		s.log.Info("postgres is back; events go to it again", "server", s.where)
		s.kickBackfill()
	}
}

// failed records a failure to reach PostgreSQL: the first failure of an
// outage marks it down, logs, and starts the probe. It reports false,
// recording nothing, when the caller cancelled ctx: that says nothing
// about PostgreSQL.
func (s *Store) failed(ctx context.Context, err error) bool {
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return false
	}
	if !s.down.CompareAndSwap(false, true) {
		return true
	}
	s.outages.Add(1)
	msg := "postgres unavailable; events go to the local store until it is back"
	if s.fallback == nil {
		msg = "postgres unavailable; event operations fail until it is back"
	}
	s.log.Warn(msg, "server", s.where, "probe_every", s.retry, "err", err)
	s.mu.Lock()
	if !s.closed {
		// Idle connections are dead or about to be: a restarted server
		// does not know them. New ones are dialed after the outage.
		s.pool.Reset()
		s.bg.Add(1)
		go s.probe()
	}
	s.mu.Unlock()
	return true
}

// probe pings PostgreSQL every RetryAfter until it answers (and has the
// schema), then marks it up. One probe runs per outage. It gives the
// schema more time than a write has: upgrading a large table from before
// event_id builds an index over it, and meanwhile events go to the
// fallback.
func (s *Store) probe() {
	defer s.bg.Done()
	tick := time.NewTicker(s.retry)
	defer tick.Stop()
	for {
		select {
		case <-s.life.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(s.life, max(s.timeout, schemaTimeout))
		err := s.ensureSchema(ctx)
		if err == nil {
			err = s.pool.Ping(ctx)
		}
		cancel()
		if err == nil {
			s.succeeded()
			return
		}
	}
}

// fellBack counts an operation that went to the fallback, or failed,
// because PostgreSQL was down.
func (s *Store) fellBack() {
	s.fallbacks.Add(1)
	if s.onFail != nil {
		s.onFail()
	}
}

// WriteEvents implements eventlog.Store: the batch goes to PostgreSQL in
// one COPY, all or nothing, or, when PostgreSQL is down, to the fallback.
func (s *Store) WriteEvents(ctx context.Context, events []eventlog.Event) error {
	if len(events) == 0 {
		return nil
	}
	pgErr := fmt.Errorf("postgres: write events: %w", ErrUnavailable)
	if s.usable() {
		pgErr = s.copyEvents(ctx, events)
		if pgErr == nil {
			s.succeeded()
			return nil
		}
		if !s.failed(ctx, pgErr) {
			return pgErr
		}
	}
	s.fellBack()
	if s.fallback == nil {
		return pgErr
	}
	if err := s.fallback.WriteEvents(ctx, events); err != nil {
		return fmt.Errorf("postgres: write events: %v; fallback store: %w", pgErr, err)
	}
	if s.usable() {
		// PostgreSQL came back while this batch was on its way to the
		// fallback, perhaps after the backfill for that outage ended.
		s.kickBackfill()
	}
	return nil
}

// Events implements eventlog.Store: the newest events at or after since,
// newest first, at most eventlog.ClampLimit(limit) of them, from
// PostgreSQL and the fallback together (events kept locally during an
// outage stay visible). While PostgreSQL is down the fallback answers
// alone.
func (s *Store) Events(ctx context.Context, since time.Time, limit int) ([]eventlog.Event, error) {
	limit = eventlog.ClampLimit(limit)
	var remote []listed
	pgErr := fmt.Errorf("postgres: query events: %w", ErrUnavailable)
	if s.usable() {
		remote, pgErr = s.queryEvents(ctx, since, limit)
		switch {
		case pgErr == nil:
			s.succeeded()
		case errors.Is(pgErr, errDecode): // PostgreSQL answered; a row is bad
			return nil, pgErr
		case !s.failed(ctx, pgErr):
			return nil, pgErr
		}
	}
	if pgErr != nil {
		s.fellBack()
		if s.fallback == nil {
			return nil, pgErr
		}
	}
	if s.fallback == nil {
		return mergeNewest(remote, nil, limit), nil
	}
	local, err := s.localEvents(ctx, since, limit)
	if err != nil {
		if pgErr != nil {
			return nil, fmt.Errorf("postgres: query events: %v; fallback store: %w", pgErr, err)
		}
		// PostgreSQL holds what every instance wrote; what this one kept
		// locally during an outage is missing from the answer this time.
		s.log.Warn("postgres: reading the fallback event store failed", "err", err)
		return mergeNewest(remote, nil, limit), nil
	}
	return mergeNewest(remote, local, limit), nil
}

// localEvents reads the fallback for Events: a spool's rows as stored, so
// that copies of events PostgreSQL holds can be told apart, else the
// events alone (data left empty: nothing is dropped).
func (s *Store) localEvents(ctx context.Context, since time.Time, limit int) ([]listed, error) {
	if s.spool == nil {
		evs, err := s.fallback.Events(ctx, since, limit)
		out := make([]listed, len(evs))
		for i, e := range evs {
			out[i] = listed{ns: sqlite.UnixNanos(e.Time), ev: e}
		}
		return out, err
	}
	rows, err := s.spool.StoredEvents(ctx, since, limit)
	if err != nil {
		return nil, err
	}
	out := make([]listed, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = listed{ns: r.TimeNS, data: r.Data}
		if err := json.Unmarshal([]byte(r.Data), &out[i].ev); err != nil {
			return nil, fmt.Errorf("decode stored event: %w", err)
		}
	}
	return out, nil
}

// mergeNewest merges two newest-first lists into one of at most limit
// events; on equal times a's come first. An event of b that a holds too
// (same time and line: a write whose reply was lost, or a backfill in
// flight) is dropped.
func mergeNewest(a, b []listed, limit int) []eventlog.Event {
	out := make([]eventlog.Event, 0, min(len(a)+len(b), limit))
	i, j := 0, 0
	tie := 0 // a's first event not newer than b[j]
	for len(out) < limit && (i < len(a) || j < len(b)) {
		if j == len(b) || (i < len(a) && a[i].ns >= b[j].ns) {
			out = append(out, a[i].ev)
			i++
			continue
		}
		// a[i] is older than b[j]: a's events of b[j]'s time, where its
		// twin would be, are all in a[tie:i].
		for tie < i && a[tie].ns > b[j].ns {
			tie++
		}
		if !hasTwin(a[tie:i], b[j]) {
			out = append(out, b[j].ev)
		}
		j++
	}
	return out
}

// hasTwin reports whether same, events of e's time, holds e's line.
func hasTwin(same []listed, e listed) bool {
	if e.data == "" { // not known: keep e
		return false
	}
	for k := range same {
		if same[k].ns == e.ns && same[k].data == e.data {
			return true
		}
	}
	return false
}

// DeleteEventsBefore implements eventlog.Pruner: it deletes events older
// than t from PostgreSQL (skipped while it is down; a later run catches
// up) and from the fallback, and returns how many.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	pgErr := fmt.Errorf("postgres: delete events: %w", ErrUnavailable)
	if s.usable() {
		n, pgErr = s.deleteBefore(ctx, t)
		switch {
		case pgErr == nil:
			s.succeeded()
		case !s.failed(ctx, pgErr):
			return n, pgErr
		}
	}
	if pgErr != nil {
		s.fellBack()
		if s.fallback == nil {
			return n, pgErr
		}
	}
	if p, ok := s.fallback.(eventlog.Pruner); ok {
		m, err := p.DeleteEventsBefore(ctx, t)
		n += m
		if err != nil {
			return n, fmt.Errorf("postgres: delete events: fallback store: %w", err)
		}
	}
	return n, nil
}

var (
	_ eventlog.Store  = (*Store)(nil)
	_ eventlog.Pruner = (*Store)(nil)
)
