package eventlog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/syncbuf"
)

// recStore records what it was given and can be told to fail.
type recStore struct {
	mu      sync.Mutex
	batches []int
	events  []Event
	fail    bool
}

func (s *recStore) WriteEvents(_ context.Context, es []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk on fire")
	}
	s.batches = append(s.batches, len(es))
	s.events = append(s.events, es...)
	return nil
}

func (s *recStore) Events(context.Context, time.Time, int) ([]Event, error) { return nil, nil }

func (s *recStore) snapshot() ([]int, []Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batches...), append([]Event(nil), s.events...)
}

func (s *recStore) setFail(f bool) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

// gate is a slog.Handler that blocks in Handle until released, so a test
// can hold the writer goroutine and fill the queue deterministically.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Enabled(context.Context, slog.Level) bool { return true }
func (g *gate) Handle(context.Context, slog.Record) error {
	g.entered <- struct{}{}
	<-g.release
	return nil
}
func (g *gate) WithAttrs([]slog.Attr) slog.Handler { return g }
func (g *gate) WithGroup(string) slog.Handler      { return g }

func testConfig() Config {
	c := DefaultConfig()
	c.FlushInterval = time.Hour // flushes by size or Close only, unless a test says otherwise
	return c
}

func event(id string) Event { return Event{RequestID: id, Time: t0, Action: "block"} }

func TestWriterDropsWhenFull(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize = 3
	g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	st := &recStore{}
	var onDrop atomic.Int64
	w, err := NewWriter(cfg, Options{Line: g, Store: st, OnDrop: func() { onDrop.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	// The first event is taken by the writer goroutine, which then blocks
	// in the line handler: the queue is empty and the goroutine busy.
	if !w.Enqueue(event("held")) {
		t.Fatal("first event rejected")
	}
	<-g.entered
	for i := range cfg.QueueSize {
		if !w.Enqueue(event("queued")) {
			t.Fatalf("event %d rejected with room in the queue", i)
		}
	}
	const extra = 5
	for range extra {
		if w.Enqueue(event("over")) {
			t.Fatal("event accepted into a full queue")
		}
	}
	if got := w.QueueLen(); got != cfg.QueueSize {
		t.Errorf("QueueLen() = %d, want %d", got, cfg.QueueSize)
	}
	if got := w.Dropped(); got != extra {
		t.Errorf("Dropped() = %d, want %d", got, extra)
	}
	if got := onDrop.Load(); got != extra {
		t.Errorf("OnDrop called %d times, want %d", got, extra)
	}
	// Release the handler for every event, then drain.
	go func() {
		for {
			select {
			case g.release <- struct{}{}:
			case <-g.entered:
			case <-time.After(2 * time.Second):
				return
			}
		}
	}()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, got := st.snapshot()
	if len(got) != 1+cfg.QueueSize {
		t.Errorf("store got %d events, want %d", len(got), 1+cfg.QueueSize)
	}
	if w.Enqueue(event("late")) || w.Dropped() != extra+1 {
		t.Errorf("enqueue after Close must be dropped and counted; dropped = %d", w.Dropped())
	}
}

func TestWriterBatchesBySizeAndDrainsOnClose(t *testing.T) {
	cfg := testConfig()
	cfg.BatchSize = 4
	st := &recStore{}
	w, err := NewWriter(cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		w.Enqueue(event("e"))
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	batches, events := st.snapshot()
	if len(events) != 10 {
		t.Fatalf("store got %d events, want 10", len(events))
	}
	if len(batches) != 3 || batches[0] != 4 || batches[1] != 4 || batches[2] != 2 {
		t.Errorf("batches = %v, want [4 4 2]", batches)
	}
	if w.Written() != 10 || w.Dropped() != 0 {
		t.Errorf("written %d, dropped %d", w.Written(), w.Dropped())
	}
}

func TestWriterFlushesByInterval(t *testing.T) {
	cfg := testConfig()
	cfg.FlushInterval = 5 * time.Millisecond
	st := &recStore{}
	w, err := NewWriter(cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background())
	w.Enqueue(event("e"))
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, ev := st.snapshot(); len(ev) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("event not flushed by the interval")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWriterRetriesFailedStore(t *testing.T) {
	cfg := testConfig()
	cfg.BatchSize = 2
	st := &recStore{fail: true}
	var storeErrs atomic.Int64
	var logBuf syncbuf.Buffer
	w, err := NewWriter(cfg, Options{
		Store:        st,
		OnStoreError: func(error) { storeErrs.Add(1) },
		Log:          slog.New(slog.NewTextHandler(&logBuf, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		w.Enqueue(event("e"))
	}
	// Let the writer try (and fail) at least once before the store heals.
	deadline := time.Now().Add(2 * time.Second)
	for storeErrs.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("store never written")
		}
		time.Sleep(time.Millisecond)
	}
	st.setFail(false)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, events := st.snapshot()
	if len(events) != 6 || w.Dropped() != 0 {
		t.Errorf("after recovery the store has %d events (dropped %d), want all 6", len(events), w.Dropped())
	}
	if n := bytes.Count(logBuf.Bytes(), []byte("write failed")); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logBuf.Bytes())
	}
}

func TestWriterObserve(t *testing.T) {
	tests := []struct {
		name       string
		requestLog bool
		outcome    abuse.Outcome
		want       int
	}{
		{"plain allow skipped", false, abuse.Outcome{Status: 200}, 0},
		{"block logged", false, blocked(), 1},
		{"request log keeps allows", true, abuse.Outcome{Status: 200}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Requests = tt.requestLog
			var line syncbuf.Buffer
			st := &recStore{}
			w, err := NewWriter(cfg, Options{Store: st, Line: NewJSONHandler(&line), Mode: "monitor"})
			if err != nil {
				t.Fatal(err)
			}
			w.Observe(sampleRequest(), tt.outcome)
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, events := st.snapshot()
			if len(events) != tt.want {
				t.Fatalf("stored %d events, want %d", len(events), tt.want)
			}
			sc := bufio.NewScanner(bytes.NewReader(line.Bytes()))
			lines := 0
			for sc.Scan() {
				lines++
				checkContractKeys(t, sc.Bytes(), tt.outcome.Action != abuse.Allow)
			}
			if lines != tt.want {
				t.Errorf("wrote %d lines, want %d", lines, tt.want)
			}
			if tt.want == 1 && events[0].Mode != "monitor" {
				t.Errorf("mode = %q", events[0].Mode)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		prefix string
	}{
		{"default", func(*Config) {}, ""},
		{"queue", func(c *Config) { c.QueueSize = 0 }, "queue_size:"},
		{"batch", func(c *Config) { c.BatchSize = -1 }, "batch_size:"},
		{"interval", func(c *Config) { c.FlushInterval = 0 }, "flush_interval:"},
		{"retention", func(c *Config) { c.Retention = -1 }, "retention:"},
		{"retention too short", func(c *Config) { c.Retention = time.Minute }, "retention:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if tt.prefix == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(tt.prefix)) {
				t.Errorf("Validate() = %v, want prefix %q", err, tt.prefix)
			}
		})
	}
}

func TestMemoryStore(t *testing.T) {
	s := NewMemoryStore(3)
	ctx := context.Background()
	for i := range 5 {
		e := event(string(rune('a' + i)))
		e.Time = t0.Add(time.Duration(i) * time.Minute)
		_ = s.WriteEvents(ctx, []Event{e})
	}
	got, _ := s.Events(ctx, time.Time{}, 0)
	if len(got) != 3 || got[0].RequestID != "e" || got[2].RequestID != "c" {
		t.Errorf("ring holds %v, want e d c", ids(got))
	}
	got, _ = s.Events(ctx, t0.Add(3*time.Minute), 1)
	if len(got) != 1 || got[0].RequestID != "e" {
		t.Errorf("since+limit gave %v, want [e]", ids(got))
	}
}

func ids(es []Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.RequestID)
	}
	return out
}

func BenchmarkEnqueue(b *testing.B) {
	cfg := DefaultConfig()
	w, err := NewWriter(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(context.Background())
	e := New(sampleRequest(), blocked(), "enforce")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Enqueue(e)
		}
	})
}

type pruneStore struct {
	recStore
	mu     sync.Mutex
	cutoff time.Time
}

func (p *pruneStore) DeleteEventsBefore(_ context.Context, t time.Time) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutoff = t
	return 0, nil
}

func TestWriterRetention(t *testing.T) {
	cfg := testConfig()
	cfg.FlushInterval = 2 * time.Millisecond
	cfg.Retention = 48 * time.Hour
	st := &pruneStore{}
	w, err := NewWriter(cfg, Options{Store: st, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background())
	want := t0.Add(-48 * time.Hour)
	deadline := time.Now().Add(2 * time.Second)
	for {
		st.mu.Lock()
		got := st.cutoff
		st.mu.Unlock()
		if got.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention cutoff = %v, want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func ExampleWriter() {
	store := NewMemoryStore(100)
	w, _ := NewWriter(DefaultConfig(), Options{Store: store, Mode: "enforce"})

	r := &abuse.Request{ID: "r1", Time: t0, Method: "POST", Path: "/api/auth/login"}
	w.Observe(r, abuse.Outcome{Status: 200})                         // a plain allow: not logged
	w.Observe(r, abuse.Outcome{Status: 429, Action: abuse.Throttle}) // logged
	_ = w.Close(context.Background())                                // drains the queue

	events, _ := store.Events(context.Background(), time.Time{}, 10)
	fmt.Println(len(events), events[0].Action, events[0].Status, w.Dropped())
	// Output: 1 throttle 429 0
}

// The request path's cost when nothing is worth logging: no allocation.
func TestObserveAllowDoesNotAllocate(t *testing.T) {
	w, err := NewWriter(testConfig(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background())
	r := sampleRequest()
	o := abuse.Outcome{Status: 200, Verdicts: []abuse.Verdict{{Detector: "bot", Confidence: 0.3}}}
	if n := testing.AllocsPerRun(100, func() { w.Observe(r, o) }); n != 0 {
		t.Errorf("Observe of a plain allow: %v allocs, want 0", n)
	}
}

func BenchmarkObserveAllow(b *testing.B) {
	w, _ := NewWriter(testConfig(), Options{})
	defer w.Close(context.Background())
	r := sampleRequest()
	o := abuse.Outcome{Status: 200, Verdicts: []abuse.Verdict{{Detector: "bot", Confidence: 0.3}}}
	b.ReportAllocs()
	for b.Loop() {
		w.Observe(r, o)
	}
}

// BenchmarkObserveBlock is the request path's cost for a logged decision:
// building the bounded event and queueing it (the writer drains in the
// background, with no line handler and no store here).
func BenchmarkObserveBlock(b *testing.B) {
	w, _ := NewWriter(testConfig(), Options{})
	defer w.Close(context.Background())
	r, o := sampleRequest(), blocked()
	b.ReportAllocs()
	for b.Loop() {
		w.Observe(r, o)
	}
}

type panicStore struct{ recStore }

func (*panicStore) WriteEvents(context.Context, []Event) error { panic("store bug") }

func TestWriterSurvivesPanickingStore(t *testing.T) {
	cfg := testConfig()
	cfg.BatchSize = 1
	var storeErrs atomic.Int64
	w, err := NewWriter(cfg, Options{Store: &panicStore{}, OnStoreError: func(error) { storeErrs.Add(1) }, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.Enqueue(event("a"))
	w.Enqueue(event("b"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = w.Close(ctx) // the store never accepts: Close gives up and counts the rest as dropped
	if storeErrs.Load() == 0 {
		t.Error("the panic was not reported as a store error")
	}
	if w.Dropped() != 2 {
		t.Errorf("dropped %d, want the 2 events the store never took", w.Dropped())
	}
}

// While the store is down, at most QueueSize events wait in memory; every
// other event is counted as dropped, none vanishes.
func TestWriterBoundedWhileStoreDown(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize, cfg.BatchSize = 4, 2
	st := &recStore{fail: true}
	var storeErrs atomic.Int64
	w, err := NewWriter(cfg, Options{Store: st, OnStoreError: func(error) { storeErrs.Add(1) }, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const total = 50
	for i := range total {
		w.Enqueue(event(fmt.Sprint(i)))
		if i == 1 { // let the first batch fail so the writer knows the store is down
			for storeErrs.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	st.setFail(false)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, stored := st.snapshot()
	if got := uint64(len(stored)) + w.Dropped(); got != total {
		t.Errorf("stored %d + dropped %d = %d, want %d: an event vanished", len(stored), w.Dropped(), got, total)
	}
	if len(stored) > cfg.QueueSize {
		t.Errorf("stored %d events kept through the outage, more than the queue size %d", len(stored), cfg.QueueSize)
	}
}
