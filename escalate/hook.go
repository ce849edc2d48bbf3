package escalate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/escalateconfig"
)

// maxExpiring bounds the bans the hook watches for their end; past it a
// ban's unban event is not sent (and counted as dropped).
const maxExpiring = 100_000

// HookEvent is what the action hook receives, as JSON on stdin or in a
// POST body.
type HookEvent struct {
	Event     string    `json:"event"` // ban or unban
	Target    string    `json:"target"`
	IP        string    `json:"ip,omitempty"`
	User      string    `json:"user,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Violation string    `json:"violation,omitempty"`
	Until     time.Time `json:"until,omitzero"`
}

// HookStore keeps the bans the hook waits on for their end, by target
// ("ip:203.0.113.7"), so that a restart still sends their unban events
// (store/sqlite.HookPending).
type HookStore interface {
	Load(ctx context.Context) (map[string]time.Time, error)
	// Save writes the targets of put with their end, and removes those of
	// drop, in one transaction.
	Save(ctx context.Context, put map[string]time.Time, drop []string) error
}

// HookOptions are what the hook needs besides its configuration.
type HookOptions struct {
	Store      HookStore // nil keeps the bans waited on in memory only
	HTTP       *http.Client
	Now        func() time.Time
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Hook runs the configured command, or posts to the configured URL, on
// every ban and unban (an admin lift or the ban's end), each bounded by
// the timeout, at most Concurrency at once. Banned and Lifted never
// block: events past the queue are dropped and counted.
type Hook struct {
	cfg  escalateconfig.Hook
	opts HookOptions
	hc   *http.Client
	jobs chan HookEvent

	mu       sync.Mutex
	expiring map[ban.Target]time.Time
	dirty    map[ban.Target]bool // changed in expiring since the store was last written; bounded as it is

	runs *prometheus.CounterVec
}

// NewHook returns the hook, waiting on the bans opts.Store kept; Run
// starts its workers, and sends the unban events of those that ended
// while Warden was down at its first sweep.
func NewHook(ctx context.Context, cfg escalateconfig.Hook, opts HookOptions) (*Hook, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	h := &Hook{cfg: cfg, opts: opts, hc: hc, jobs: make(chan HookEvent, cfg.Queue),
		expiring: map[ban.Target]time.Time{}, dirty: map[ban.Target]bool{}}
	h.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_action_hook_runs_total",
		Help: "Action hook runs, by event (ban, unban) and result (ok, failed, timeout, dropped)."}, []string{"event", "result"})
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(h.runs); err != nil {
			return nil, fmt.Errorf("hook: metrics: %w", err)
		}
	}
	if opts.Store != nil {
		kept, err := opts.Store.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("hook: load: %w", err)
		}
		for text, until := range kept {
			t, err := ban.ParseTarget(text)
			if err != nil || len(h.expiring) >= maxExpiring {
				continue
			}
			h.expiring[t] = until
		}
	}
	return h, nil
}

// Banned queues a ban event, and watches the ban for its end.
func (h *Hook) Banned(b ban.Ban) {
	h.mu.Lock()
	if _, ok := h.expiring[b.Target]; ok || len(h.expiring) < maxExpiring {
		h.expiring[b.Target] = b.Until
		h.dirty[b.Target] = true
	} else {
		h.runs.WithLabelValues("unban", "dropped").Inc()
	}
	h.mu.Unlock()
	h.enqueue(event("ban", b))
}

// Lifted queues an unban event for a ban an admin lifted.
func (h *Hook) Lifted(t ban.Target) {
	h.mu.Lock()
	if _, ok := h.expiring[t]; ok {
		delete(h.expiring, t)
		h.dirty[t] = true
	}
	h.mu.Unlock()
	h.enqueue(event("unban", ban.Ban{Target: t}))
}

func event(kind string, b ban.Ban) HookEvent {
	e := HookEvent{Event: kind, Target: b.Target.String(), User: b.Target.User, Reason: b.Reason,
		Violation: b.Violation, Until: b.Until}
	if b.Target.Kind == ban.KindIP {
		e.IP = b.Target.Prefix().String()
		if b.Target.Prefix().IsSingleIP() {
			e.IP = b.Target.IP.String()
		}
	}
	return e
}

func (h *Hook) enqueue(e HookEvent) {
	select {
	case h.jobs <- e:
	default:
		h.runs.WithLabelValues(e.Event, "dropped").Inc()
	}
}

// Run runs the workers, and sends unban events as bans end, until ctx
// ends.
func (h *Hook) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range h.cfg.Concurrency {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-h.jobs:
					h.run(ctx, e)
				}
			}
		})
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			// What changed in the last second, for the next start.
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			h.flush(last)
			cancel()
			return
		case <-t.C:
			h.Sweep()
			h.flush(ctx)
		}
	}
}

// Sweep queues unban events for the bans that have ended.
func (h *Hook) Sweep() {
	now := h.opts.Now()
	var ended []ban.Target
	h.mu.Lock()
	for t, until := range h.expiring {
		if !now.Before(until) {
			ended = append(ended, t)
			delete(h.expiring, t)
			h.dirty[t] = true
		}
	}
	h.mu.Unlock()
	for _, t := range ended {
		h.enqueue(event("unban", ban.Ban{Target: t}))
	}
}

// flush writes the changes to the bans waited on to the store, off the
// request path. A failed write is kept for the next flush.
func (h *Hook) flush(ctx context.Context) {
	if h.opts.Store == nil {
		return
	}
	h.mu.Lock()
	if len(h.dirty) == 0 {
		h.mu.Unlock()
		return
	}
	put, drop := map[string]time.Time{}, []string(nil)
	changed := h.dirty
	for t := range changed {
		if until, ok := h.expiring[t]; ok {
			put[t.String()] = until
		} else {
			drop = append(drop, t.String())
		}
	}
	h.dirty = map[ban.Target]bool{}
	h.mu.Unlock()
	if err := h.opts.Store.Save(ctx, put, drop); err != nil {
		h.opts.Log.Warn("action hook: saving the bans waited on failed", "err", err)
		h.mu.Lock()
		for t := range changed {
			h.dirty[t] = true
		}
		h.mu.Unlock()
	}
}

// run delivers one event, within the timeout.
func (h *Hook) run(ctx context.Context, e HookEvent) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	body, err := json.Marshal(e)
	if err == nil {
		if len(h.cfg.Command) > 0 {
			err = h.command(ctx, e, body)
		} else {
			err = h.post(ctx, body)
		}
	}
	result := "ok"
	switch {
	case err == nil:
	case ctx.Err() != nil:
		result = "timeout"
	default:
		result = "failed"
	}
	h.runs.WithLabelValues(e.Event, result).Inc()
	if err != nil {
		h.opts.Log.Warn("action hook failed", "event", e.Event, "target", e.Target, "err", err)
	}
}

func (h *Hook) command(ctx context.Context, e HookEvent, body []byte) error {
	cmd := exec.CommandContext(ctx, h.cfg.Command[0], h.cfg.Command[1:]...)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), "WARDEN_EVENT="+e.Event, "WARDEN_TARGET="+e.Target, "WARDEN_IP="+e.IP,
		"WARDEN_USER="+e.User, "WARDEN_REASON="+e.Reason, "WARDEN_VIOLATION="+e.Violation)
	if !e.Until.IsZero() {
		cmd.Env = append(cmd.Env, "WARDEN_UNTIL="+e.Until.UTC().Format(time.RFC3339))
	}
	// A child that leaves grandchildren holding its output must not hold
	// the worker past the timeout.
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &out, n: 512}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", h.cfg.Command[0], err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

func (h *Hook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// limitedWriter keeps the first n bytes written and discards the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	k := min(len(p), l.n)
	if k > 0 {
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
