package postgres

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/poll"
	"github.com/warden-dev/warden/internal/syncbuf"
)

// event builds an event as the pipeline does.
func event(id string, at time.Time, action abuse.Action) eventlog.Event {
	r := &abuse.Request{ID: id, Time: at, Method: "POST", Path: "/api/search", Route: "POST /api/search",
		Client: abuse.Client{IP: netip.MustParseAddr("203.0.113.7"), User: "42"}}
	o := abuse.Outcome{Status: 403, Action: action, Verdicts: []abuse.Verdict{
		{Detector: "payload", Confidence: 0.95, Violation: "sqli", Messages: []string{"sql injection in q", "second"}},
		{Detector: "bot", Confidence: 0.3},
	}}
	if action == abuse.Allow {
		o = abuse.Outcome{Status: 200}
	}
	return eventlog.New(r, o, "enforce")
}

func ids(events []eventlog.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.RequestID)
	}
	return out
}

// The PostgreSQL store answers exactly as the SQLite store does for the
// same events: fields, order (time, then insertion), limit and since.
func TestEventsMatchSQLite(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{})
	lite := openSQLite(t)

	base := time.Date(2026, 11, 1, 0, 0, 0, 123456789, time.UTC)
	var batch []eventlog.Event
	for i := range 10 {
		batch = append(batch, event(fmt.Sprint(i), base.AddDate(0, 0, i), abuse.Block))
	}
	// Two more at day 3's instant: ties keep the newest-written first.
	batch = append(batch, event("tie-a", base.AddDate(0, 0, 3), abuse.Allow), event("tie-b", base.AddDate(0, 0, 3), abuse.Throttle))
	// What a client controls may hold NUL and invalid UTF-8.
	odd := event("odd", base.AddDate(0, 0, 4).Add(time.Nanosecond), abuse.Block)
	odd.Client.User = "nul\x00 and \xff\xfe"
	odd.Path = "/a\"b\\c\u2028<script>"
	odd.Abuse.Detectors[0].Messages = []string{"\x00", "é😀", ""}
	batch = append(batch, odd)
	// Written in two batches, as the Writer would.
	for _, b := range [][]eventlog.Event{batch[:5], batch[5:]} {
		if err := s.WriteEvents(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := lite.WriteEvents(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"all newest first", time.Time{}, 0, []string{"9", "8", "7", "6", "5", "odd", "4", "tie-b", "tie-a", "3", "2", "1", "0"}},
		{"limit", time.Time{}, 3, []string{"9", "8", "7"}},
		{"limit within a tie", time.Time{}, 8, []string{"9", "8", "7", "6", "5", "odd", "4", "tie-b"}},
		{"since is inclusive", base.AddDate(0, 0, 7), 0, []string{"9", "8", "7"}},
		{"since on a tie", base.AddDate(0, 0, 3), -1, []string{"9", "8", "7", "6", "5", "odd", "4", "tie-b", "tie-a", "3"}},
		{"since one ns later", base.AddDate(0, 0, 4).Add(time.Nanosecond), 0, []string{"9", "8", "7", "6", "5", "odd"}},
		{"since in the future", base.AddDate(1, 0, 0), 0, nil},
		{"limit above max is clamped", time.Time{}, eventlog.MaxLimit + 5, []string{"9", "8", "7", "6", "5", "odd", "4", "tie-b", "tie-a", "3", "2", "1", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(ctx, tt.since, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(got)) != fmt.Sprint(tt.want) {
				t.Errorf("ids = %v, want %v", ids(got), tt.want)
			}
			want, err := lite.Events(ctx, tt.since, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("postgres has %d events, sqlite %d", len(got), len(want))
			}
			for i := range got {
				if g, w := got[i].AppendJSON(nil), want[i].AppendJSON(nil); !bytes.Equal(g, w) {
					t.Errorf("event %d differs from sqlite's:\npostgres %s\nsqlite   %s", i, g, w)
				}
			}
		})
	}

	// Every field comes back as written.
	got, err := s.Events(ctx, base.AddDate(0, 0, 9), 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("Events = %v, %v", got, err)
	}
	if g, w := got[0].AppendJSON(nil), batch[9].AppendJSON(nil); !bytes.Equal(g, w) {
		t.Errorf("stored event does not round-trip:\n got %s\nwant %s", g, w)
	}
	if !got[0].Time.Equal(base.AddDate(0, 0, 9)) || got[0].Abuse == nil || got[0].Abuse.Detectors[0].Messages[1] != "second" {
		t.Errorf("stored event lost fields: %+v", got[0])
	}
}

// Retention deletes exactly the events before the cutoff, also when they
// are more than one delete statement takes.
func TestDeleteEventsBefore(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := 2*pruneChunk + 7
	batch := make([]eventlog.Event, 0, old+5)
	for i := range old {
		batch = append(batch, event(fmt.Sprint("old-", i), base.Add(time.Duration(i)*time.Millisecond), abuse.Block))
	}
	cutoff := base.Add(time.Hour)
	for i := range 5 {
		batch = append(batch, event(fmt.Sprint("new-", i), cutoff.Add(time.Duration(i)), abuse.Block))
	}
	if err := s.WriteEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteEventsBefore(ctx, cutoff)
	if err != nil || n != int64(old) {
		t.Fatalf("DeleteEventsBefore = %d, %v; want %d", n, err, old)
	}
	rest, err := s.Events(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"new-4", "new-3", "new-2", "new-1", "new-0"}; fmt.Sprint(ids(rest)) != fmt.Sprint(want) {
		t.Errorf("after retention: %v, want %v (the cutoff is exclusive)", ids(rest), want)
	}
	if n, err := s.DeleteEventsBefore(ctx, cutoff); n != 0 || err != nil {
		t.Errorf("second DeleteEventsBefore = %d, %v; want 0", n, err)
	}
}

// A write the caller cancelled leaves nothing, and is not taken for an
// outage.
func TestCancelledWrite(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{Fallback: openSQLite(t)})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.WriteEvents(cctx, []eventlog.Event{event("a", time.Now(), abuse.Block)}); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	if st := s.Stats(); st.Down || st.Outages != 0 || st.Fallbacks != 0 {
		t.Errorf("a cancelled write counted as an outage: %+v", st)
	}
	if got, _ := s.Events(ctx, time.Time{}, 0); len(got) != 0 {
		t.Errorf("a cancelled batch left %d events", len(got))
	}
}

// Two Warden instances, each with its own Store and Writer, write to one
// database; each sees the events of both. Their Stores open at the same
// time on an empty database, so schema creation must not race.
func TestTwoInstancesShareEvents(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	const instances = 3
	stores := make([]*Store, instances)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i] = open(t, dsn, Options{}) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	cfg := eventlog.DefaultConfig()
	cfg.BatchSize = 7
	cfg.FlushInterval = 10 * time.Millisecond
	start := time.Now().UTC()
	for i, s := range stores {
		w, err := eventlog.NewWriter(cfg, eventlog.Options{Store: s})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 20 {
			if !w.Enqueue(event(fmt.Sprintf("i%d-%d", i, j), start.Add(time.Duration(j)*time.Millisecond), abuse.Block)) {
				t.Fatal("Enqueue refused an event")
			}
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range stores {
		got, err := s.Events(ctx, start, 100)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range got {
			seen[e.RequestID[:2]]++
		}
		if len(got) != instances*20 || seen["i0"] != 20 || seen["i1"] != 20 || seen["i2"] != 20 {
			t.Errorf("instance %d sees %d events %v, want 20 of each instance", i, len(got), seen)
		}
		if !slices.IsSortedFunc(got, func(a, b eventlog.Event) int { return b.Time.Compare(a.Time) }) {
			t.Errorf("instance %d: events not newest first", i)
		}
	}
}

// PostgreSQL stops mid-run: events keep being accepted and land in the
// SQLite fallback, the outage is logged once and counted; when it is back,
// new events land in PostgreSQL again and reads show both.
func TestOutageFallsBackToSQLite(t *testing.T) {
	ctx := context.Background()
	dsn, srv := newDB(t)
	t.Cleanup(func() { _ = srv.Restart() }) // the next test needs it, also if this one fails half-way
	lite := openSQLite(t)
	logs := &syncbuf.Buffer{}
	var failures, backfilled atomic.Int64
	s := open(t, dsn, Options{Fallback: lite, Logger: textLogger(logs), OnFailure: func() { failures.Add(1) },
		OnBackfill: func(n int) { backfilled.Add(int64(n)) }})
	direct := open(t, dsn, Options{}) // PostgreSQL alone, to check where events went

	cfg := eventlog.DefaultConfig()
	cfg.FlushInterval = 10 * time.Millisecond
	var storeErrs atomic.Int64
	w, err := eventlog.NewWriter(cfg, eventlog.Options{Store: s, OnStoreError: func(error) { storeErrs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	t0 := time.Now().UTC()
	next := 0 // each event a millisecond after the previous one
	enqueue := func(prefix string, n int) {
		t.Helper()
		for i := range n {
			next++
			if !w.Enqueue(event(fmt.Sprint(prefix, i), t0.Add(time.Duration(next)*time.Millisecond), abuse.Block)) {
				t.Fatalf("Enqueue refused %s%d", prefix, i)
			}
		}
	}
	count := func(st interface {
		Events(context.Context, time.Time, int) ([]eventlog.Event, error)
	}, prefix string) int {
		got, err := st.Events(ctx, t0, eventlog.MaxLimit)
		if err != nil {
			return -1
		}
		n := 0
		for _, e := range got {
			if strings.HasPrefix(e.RequestID, prefix) {
				n++
			}
		}
		return n
	}

	enqueue("before-", 5)
	poll.Until(t, "events in PostgreSQL", func() bool { return count(direct, "before-") == 5 })

	srv.Stop()
	enqueue("down-", 20)
	poll.Until(t, "events in the SQLite fallback", func() bool { return count(lite, "down-") == 20 })
	if st := s.Stats(); !st.Down || st.Outages != 1 || st.Fallbacks == 0 {
		t.Errorf("during the outage Stats = %+v, want down, 1 outage, fallbacks", st)
	}
	if failures.Load() == 0 {
		t.Error("OnFailure was not called for operations that fell back")
	}
	// While PostgreSQL is down the fallback answers reads alone.
	if n := count(s, "down-"); n != 20 {
		t.Errorf("reads during the outage see %d of 20 fallback events", n)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the probe to find PostgreSQL back", func() bool { return !s.Stats().Down })
	enqueue("after-", 5)
	poll.Until(t, "new events in PostgreSQL", func() bool { return count(direct, "after-") == 5 })
	if n := count(lite, "after-"); n != 0 {
		t.Errorf("%d events written after recovery went to the fallback", n)
	}
	if st := s.Stats(); st.Down || st.Outages != 1 {
		t.Errorf("after recovery Stats = %+v, want up, 1 outage", st)
	}
	// Reads merge both stores: nothing written during the outage is lost.
	got, err := s.Events(ctx, t0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 || !slices.IsSortedFunc(got, func(a, b eventlog.Event) int { return b.Time.Compare(a.Time) }) {
		t.Errorf("merged read: %d events %v, want all 30 newest first", len(got), ids(got))
	}
	if w.Dropped() != 0 || storeErrs.Load() != 0 {
		t.Errorf("the writer dropped %d events and saw %d store errors; want none", w.Dropped(), storeErrs.Load())
	}
	// The backlog is backfilled: PostgreSQL, and so a second instance,
	// gets each event kept locally exactly once, and the local store
	// lets go of them.
	poll.Until(t, "the local backlog to empty", func() bool { return count(lite, "") == 0 })
	if rows := pgRequestIDs(t, dsn); len(rows) != 30 || countPrefix(rows, "down-") != 20 {
		t.Errorf("PostgreSQL holds %d events, %d of the 20 from the outage: %v", len(rows), countPrefix(rows, "down-"), rows)
	}
	if n := count(direct, "down-"); n != 20 {
		t.Errorf("a second instance sees %d of the 20 events kept locally during the outage", n)
	}
	if st := s.Stats(); st.Backfilled != 20 || st.Duplicates != 0 || backfilled.Load() != 20 {
		t.Errorf("after the backfill Stats = %+v and OnBackfill counted %d, want 20 backfilled, no duplicates", st, backfilled.Load())
	}
	got, err = s.Events(ctx, t0, 100)
	if err != nil || len(got) != 30 {
		t.Errorf("read after the backfill: %d events, %v; want 30", len(got), err)
	}
	out := logs.String()
	if n := strings.Count(out, "backfilled events"); n != 1 || !strings.Contains(out, "copied=20 already_there=0") {
		t.Errorf("backfill logged %d times, want once with its counts:\n%s", n, out)
	}
	if n := strings.Count(out, "postgres unavailable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "postgres is back"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, out)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// A server that does not answer at start fails Open without a fallback,
// and with one the Store starts down and writes go to the fallback. The
// password appears in no error or log line.
func TestOpenWhileDown(t *testing.T) {
	ctx := context.Background()
	const secret = "s3cr3t-pw"
	cfg := DefaultConfig()
	cfg.DSN = fmt.Sprintf("postgres://warden:%s@127.0.0.1:%d/events?sslmode=disable", secret, closedPort(t))
	cfg.RetryAfter = time.Hour
	logs := &syncbuf.Buffer{}
	if s, err := Open(ctx, cfg, Options{Logger: textLogger(logs)}); err == nil {
		s.Close()
		t.Fatal("Open without a fallback succeeded with PostgreSQL down")
	} else if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the password: %v", err)
	}

	lite := openSQLite(t)
	s, err := Open(ctx, cfg, Options{Fallback: lite, Logger: textLogger(logs)})
	if err != nil {
		t.Fatalf("Open with a fallback: %v", err)
	}
	defer s.Close()
	if st := s.Stats(); !st.Down || st.Outages != 1 {
		t.Errorf("Stats = %+v, want down after a failed start", st)
	}
	if err := s.WriteEvents(ctx, []eventlog.Event{event("x", time.Now(), abuse.Block)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := lite.Events(ctx, time.Time{}, 0); len(got) != 1 {
		t.Errorf("fallback holds %d events, want 1", len(got))
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("log shows the password:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "127.0.0.1") {
		t.Errorf("outage log does not say which server:\n%s", logs.String())
	}
}

// A server that answers no (here: no such database) fails start-up even
// with a fallback: waiting will not fix the configuration.
func TestOpenRefused(t *testing.T) {
	srv := pg.Server(t)
	cfg := DefaultConfig()
	cfg.DSN = fmt.Sprintf("postgres://postgres:pw-not-shown@127.0.0.1:%d/no_such_db?sslmode=disable", srv.Port())
	s, err := Open(context.Background(), cfg, Options{Fallback: openSQLite(t)})
	if err == nil {
		s.Close()
		t.Fatal("Open of a missing database succeeded")
	}
	if !strings.Contains(err.Error(), "no_such_db") || strings.Contains(err.Error(), "pw-not-shown") {
		t.Errorf("error = %v; want it to name the database and not the password", err)
	}
}

// BenchmarkWriteEvents is the peer of store/sqlite's: one batch of 256
// events (the Writer's default batch) per op, over loopback TCP. Each op's
// events are new ones (their times move on): a batch PostgreSQL already
// holds takes the slower path that skips duplicates.
func BenchmarkWriteEvents(b *testing.B) {
	dsn, _ := newDB(b)
	s := open(b, dsn, Options{})
	ctx := context.Background()
	batch := make([]eventlog.Event, 256)
	start := time.Now()
	for i := range batch {
		batch[i] = event(fmt.Sprint(i), start, abuse.Block)
	}
	b.ReportAllocs()
	op := 0
	for b.Loop() {
		for i := range batch {
			batch[i].Time = start.Add(time.Duration(op*len(batch) + i))
		}
		op++
		if err := s.WriteEvents(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
}
