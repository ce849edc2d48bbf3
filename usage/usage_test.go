package usage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

type fakeStore struct {
	mu   sync.Mutex
	fail bool
	rows []Row
}

func (f *fakeStore) AddUsage(_ context.Context, rows []Row) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("store down")
	}
	f.rows = append(f.rows, rows...)
	return nil
}

func (f *fakeStore) sorted() []Row {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.rows)
	slices.SortFunc(out, func(a, b Row) int {
		if c := a.Hour.Compare(b.Hour); c != 0 {
			return c
		}
		return strings.Compare(a.Route+"|"+a.Model, b.Route+"|"+b.Model)
	})
	return out
}

func TestRollup(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)
	h10, h11 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name               string
		maxKeys, maxModels int
		adds               func(u *Rollup)
		want               []Row
	}{
		{"sums per hour route model", 0, 0, func(u *Rollup) {
			u.Add(t0, "POST /v1/chat", abuse.Tokens{Model: "a", Prompt: 10, Completion: 5})
			u.Add(t0.Add(30*time.Minute), "POST /v1/chat", abuse.Tokens{Model: "a", Prompt: 1, Completion: 2})
			u.Add(t0, "POST /v1/chat", abuse.Tokens{Model: "b", Prompt: 7, Estimated: true})
			u.Add(t0.Add(time.Hour), "POST /v1/chat", abuse.Tokens{Model: "a", Prompt: 3})
			u.Add(t0, "POST /v1/chat", abuse.Tokens{Model: "a"}) // nothing measured: not counted
		}, []Row{
			{Hour: h10, Route: "POST /v1/chat", Model: "a", Requests: 2, Prompt: 11, Completion: 7},
			{Hour: h10, Route: "POST /v1/chat", Model: "b", Requests: 1, Prompt: 7, Estimated: 1},
			{Hour: h11, Route: "POST /v1/chat", Model: "a", Requests: 1, Prompt: 3},
		}},
		{"new keys past the bound count under other", 2, 0, func(u *Rollup) {
			for _, m := range []string{"a", "b", "c", "d"} {
				u.Add(t0, "r", abuse.Tokens{Model: m, Prompt: 1})
			}
			u.Add(t0, "r", abuse.Tokens{Model: "a", Prompt: 1})
		}, []Row{
			{Hour: h10, Route: Other, Model: Other, Requests: 2, Prompt: 2},
			{Hour: h10, Route: "r", Model: "a", Requests: 2, Prompt: 2},
			{Hour: h10, Route: "r", Model: "b", Requests: 1, Prompt: 1},
		}},
		{"models past an hour's bound count under other", 0, 2, func(u *Rollup) {
			for _, m := range []string{"a", "b", "c", "d", "a"} {
				u.Add(t0, "r", abuse.Tokens{Model: m, Prompt: 1})
			}
			u.Add(t0.Add(time.Hour), "r", abuse.Tokens{Model: "c", Prompt: 1}) // a new hour counts anew
		}, []Row{
			{Hour: h10, Route: "r", Model: Other, Requests: 2, Prompt: 2},
			{Hour: h10, Route: "r", Model: "a", Requests: 2, Prompt: 2},
			{Hour: h10, Route: "r", Model: "b", Requests: 1, Prompt: 1},
			{Hour: h11, Route: "r", Model: "c", Requests: 1, Prompt: 1},
		}},
		{"names cleaned for the store, merged when alike", 0, 0, func(u *Rollup) {
			u.Add(t0, "r", abuse.Tokens{Model: "m\x00", Prompt: 1})
			u.Add(t0, "r", abuse.Tokens{Model: "m\xff", Prompt: 2})
		}, []Row{
			{Hour: h10, Route: "r", Model: "m\uFFFD", Requests: 2, Prompt: 3},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &fakeStore{}
			u, err := New(Options{Store: st, FlushInterval: time.Hour, MaxKeys: tc.maxKeys, MaxModels: tc.maxModels})
			if err != nil {
				t.Fatal(err)
			}
			tc.adds(u)
			if err := u.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := st.sorted(); !slices.Equal(got, tc.want) {
				t.Fatalf("rows\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A failed write keeps its rows for the next one, merged with what came
// since.
func TestRollupKeepsRowsWhileStoreFails(t *testing.T) {
	st := &fakeStore{fail: true}
	u, err := New(Options{Store: st, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	u.Add(t0, "r", abuse.Tokens{Model: "m", Prompt: 5, Completion: 1})
	if err := u.Flush(context.Background()); err == nil {
		t.Fatal("flush into a failing store reported no error")
	}
	u.Add(t0, "r", abuse.Tokens{Model: "m", Prompt: 5, Completion: 1})
	st.mu.Lock()
	st.fail = false
	st.mu.Unlock()
	if err := u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []Row{{Hour: t0, Route: "r", Model: "m", Requests: 2, Prompt: 10, Completion: 2}}
	if got := st.sorted(); !slices.Equal(got, want) {
		t.Fatalf("rows %+v, want %+v", got, want)
	}
}

// BenchmarkRollupAdd is the per-request cost of the rollup: a map update
// under a mutex, no allocation once the hour, route and model have a key.
func BenchmarkRollupAdd(b *testing.B) {
	u, err := New(Options{Store: &fakeStore{}, FlushInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close(context.Background())
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u.Add(t0, "POST /v1/chat/completions", abuse.Tokens{Model: models[i%len(models)], Prompt: 100, Completion: 20})
		i++
	}
}

type pruningStore struct {
	fakeStore
	mu     sync.Mutex
	before []time.Time
}

func (p *pruningStore) DeleteUsageBefore(_ context.Context, t time.Time) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = append(p.before, t)
	return 0, nil
}

// With a retention, the rollup deletes the store's rows older than it;
// without one it deletes nothing.
func TestRollupRetention(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, retention := range []time.Duration{0, 30 * 24 * time.Hour} {
		st := &pruningStore{}
		u, err := New(Options{Store: st, FlushInterval: time.Millisecond, Retention: retention, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		u.Add(now, "r", abuse.Tokens{Model: "m", Prompt: 1})
		for len(st.sorted()) == 0 { // the first tick prunes, then writes
			time.Sleep(time.Millisecond) // polling, not timing a result
		}
		if err := u.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		st.mu.Lock()
		got := st.before
		st.mu.Unlock()
		switch {
		case retention == 0 && len(got) != 0:
			t.Errorf("no retention, yet pruned before %v", got)
		case retention > 0 && (len(got) != 1 || !got[0].Equal(now.Add(-retention))):
			t.Errorf("pruned before %v, want once before %v", got, now.Add(-retention))
		}
	}
}
