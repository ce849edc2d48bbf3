package usage

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
)

// Row is one hour's usage of one model on one route. Adding two rows of
// the same hour, route and model adds their counts.
type Row struct {
	Hour       time.Time // the UTC hour's first instant
	Route      string    // the matched route pattern, "" when none matched
	Model      string    // as requests named it; Other for the overflow
	Requests   int64
	Prompt     int64 // prompt (input) tokens
	Completion int64 // completion (output) tokens
	// Estimated counts the requests whose answer reported no usage: their
	// prompt tokens are estimated and their completion tokens not counted.
	Estimated int64
}

// Store keeps the rollup. AddUsage adds each row's counts to the stored
// row of the same hour, route and model (creating it), all rows or none:
// instances sharing a store add up.
type Store interface {
	AddUsage(ctx context.Context, rows []Row) error
}

// Pruner is a Store that deletes old rows: a Rollup with a Retention
// calls it hourly.
type Pruner interface {
	DeleteUsageBefore(ctx context.Context, t time.Time) (deleted int64, err error)
}

// Other is the model (and route) rows fall into past the bounds: model
// names come from clients.
const Other = "(other)"

// Options configure a Rollup.
type Options struct {
	Store Store // required
	// FlushInterval is how often the rollup is written (default 10 s).
	FlushInterval time.Duration
	// MaxKeys bounds the distinct hour, route and model keys held between
	// writes, including rows kept while the store fails (default 10000).
	MaxKeys int
	// MaxModels bounds the distinct models counted in an hour (default
	// 100); later ones count as Other. With routes from the configuration,
	// it bounds the rows an hour adds to the store.
	MaxModels int
	// Retention deletes rows of hours older than this, hourly, when the
	// Store is a Pruner (log.retention); 0 keeps them.
	Retention time.Duration
	// Now is the clock for retention; nil means time.Now.
	Now func() time.Time
	// OnStoreError is called for each failed write, e.g. a metrics counter.
	OnStoreError func(error)
	// Log receives a warning when writing starts failing and a note when
	// it works again. Nil means slog.Default().
	Log *slog.Logger
}

type key struct {
	hour         int64 // unix hour
	route, model string
}

type counts struct{ requests, prompt, completion, estimated int64 }

// models are the model names counted in one hour.
type models struct {
	hour  int64
	names map[string]struct{}
}

// Rollup sums token usage in memory and writes it to a Store every
// FlushInterval and at Close. Add is the only per-request work: a map
// update under a mutex, allocating only for a new key. Memory is bounded
// by MaxKeys keys: past them, a new model or route counts under Other. A
// failed write keeps its rows (merged, so still within the bound) for the
// next attempt; a Close that cannot write loses them and says so. Safe for
// concurrent use.
type Rollup struct {
	opts Options

	mu      sync.Mutex
	pending map[key]counts
	models  models

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// storeTimeout bounds one write.
const storeTimeout = 5 * time.Second

// New starts a Rollup writing to opts.Store. Call Close to write the rest
// and stop it.
func New(opts Options) (*Rollup, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("usage: no store")
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 10 * time.Second
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10_000
	}
	if opts.MaxModels <= 0 {
		opts.MaxModels = 100
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	u := &Rollup{opts: opts, pending: map[key]counts{}, models: models{names: map[string]struct{}{}},
		stop: make(chan struct{}), done: make(chan struct{})}
	go u.run()
	return u, nil
}

// Add counts one request's tokens on route at time at. Requests whose
// tokens are not Known are not counted.
func (u *Rollup) Add(at time.Time, route string, t abuse.Tokens) {
	if !t.Known() {
		return
	}
	c := counts{requests: 1, prompt: max(t.Prompt, 0), completion: max(t.Completion, 0)}
	if t.Estimated {
		c.estimated = 1
	}
	k := key{hour: at.Unix() / 3600, route: route, model: t.Model}
	u.mu.Lock()
	k.model = u.modelLocked(k.hour, k.model)
	u.addLocked(k, c)
	u.mu.Unlock()
}

// modelLocked returns the name model counts under in hour: itself among
// the hour's first MaxModels, else Other.
func (u *Rollup) modelLocked(hour int64, model string) string {
	m := &u.models
	if hour > m.hour {
		m.hour = hour
		clear(m.names)
	}
	if _, ok := m.names[model]; ok {
		return model
	}
	if len(m.names) >= u.opts.MaxModels {
		return Other
	}
	m.names[model] = struct{}{}
	return model
}

func (u *Rollup) addLocked(k key, c counts) {
	p, ok := u.pending[k]
	if !ok && len(u.pending) >= u.opts.MaxKeys {
		k.route, k.model = Other, Other
		p = u.pending[k]
	}
	p.requests += c.requests
	p.prompt += c.prompt
	p.completion += c.completion
	p.estimated += c.estimated
	u.pending[k] = p
}

// Flush writes what waits now, keeping it when the store fails.
func (u *Rollup) Flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = make(map[key]counts, len(batch))
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	rows := rowsOf(batch)
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	err := u.opts.Store.AddUsage(ctx, rows)
	if err == nil {
		return nil
	}
	u.mu.Lock()
	for k, c := range batch {
		u.addLocked(k, c)
	}
	u.mu.Unlock()
	return fmt.Errorf("usage: write: %w", err)
}

func (u *Rollup) run() {
	defer close(u.done)
	t := time.NewTicker(u.opts.FlushInterval)
	defer t.Stop()
	failing := false
	var nextPrune time.Time
	for {
		select {
		case <-u.stop:
			return
		case <-t.C:
		}
		if now := u.opts.Now(); !now.Before(nextPrune) {
			nextPrune = now.Add(time.Hour)
			u.prune(now)
		}
		err := u.Flush(context.Background())
		switch {
		case err != nil:
			if u.opts.OnStoreError != nil {
				u.opts.OnStoreError(err)
			}
			if !failing {
				failing = true
				u.opts.Log.Warn("usage: writing the token rollup failed; keeping it in memory and retrying", "err", err)
			}
		case failing:
			failing = false
			u.opts.Log.Info("usage: writing the token rollup works again")
		}
	}
}

// prune deletes rows older than the retention.
func (u *Rollup) prune(now time.Time) {
	p, ok := u.opts.Store.(Pruner)
	if !ok || u.opts.Retention <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if _, err := p.DeleteUsageBefore(ctx, now.Add(-u.opts.Retention)); err != nil {
		u.opts.Log.Warn("usage: retention failed", "err", err)
	}
}

// Close stops the periodic writes and writes what waits, within ctx.
func (u *Rollup) Close(ctx context.Context) error {
	u.once.Do(func() { close(u.stop) })
	<-u.done
	if err := u.Flush(ctx); err != nil {
		u.opts.Log.Error("usage: token rollup lost at close", "err", err)
		return err
	}
	return nil
}

// rowsOf returns the batch as rows with clean names (valid UTF-8 without
// NUL, which PostgreSQL's text refuses: a model name is the client's),
// keys merged when cleaning made two alike, sorted by key so that
// instances adding to the same rows lock them in the same order.
func rowsOf(batch map[key]counts) []Row {
	merged := make(map[key]counts, len(batch))
	for k, c := range batch {
		k.route, k.model = clean(k.route), clean(k.model)
		p := merged[k]
		p.requests += c.requests
		p.prompt += c.prompt
		p.completion += c.completion
		p.estimated += c.estimated
		merged[k] = p
	}
	rows := make([]Row, 0, len(merged))
	for k, c := range merged {
		rows = append(rows, Row{Hour: time.Unix(k.hour*3600, 0).UTC(), Route: k.route, Model: k.model,
			Requests: c.requests, Prompt: c.prompt, Completion: c.completion, Estimated: c.estimated})
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(a.Hour.Compare(b.Hour), strings.Compare(a.Route, b.Route), strings.Compare(a.Model, b.Model))
	})
	return rows
}

func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
