package postgres

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/poll"
	"github.com/warden-dev/warden/internal/syncbuf"
	"github.com/warden-dev/warden/store/sqlite"
)

// pgRequestIDs returns the request id of every row in dsn's events table,
// sorted: a duplicate shows up twice.
func pgRequestIDs(t *testing.T, dsn string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT request_id FROM `+table+` ORDER BY request_id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func countPrefix(ids []string, prefix string) int {
	n := 0
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			n++
		}
	}
	return n
}

// distinct reports whether ids, sorted, has no repeats.
func distinct(ids []string) bool {
	return len(slices.Compact(slices.Clone(ids))) == len(ids)
}

// backlog writes n events named prefix0… to the fallback, as a Store
// does while PostgreSQL is down, and returns them.
func backlog(t *testing.T, fb eventlog.Store, prefix string, n int) []eventlog.Event {
	t.Helper()
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	events := make([]eventlog.Event, n)
	for i := range events {
		events[i] = event(fmt.Sprint(prefix, i), base.Add(time.Duration(i)*time.Millisecond), abuse.Block)
	}
	if err := fb.WriteEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	return events
}

// within waits until ch receives or 10s pass.
func within(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func localCount(t *testing.T, fb eventlog.Store) int {
	t.Helper()
	got, err := fb.Events(context.Background(), time.Time{}, eventlog.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

// A backfill stopped between PostgreSQL's commit of a batch and the
// batch's delete from the local store (a crash, here Close while a hook
// holds the run there) loses nothing and, resumed by the next start on
// the same data dir, stores every event exactly once.
func TestBackfillResumesAfterCrash(t *testing.T) {
	dsn, _ := newDB(t)
	path := filepath.Join(t.TempDir(), "warden.db")
	lite := openSQLiteAt(t, path)
	const n, batch, crashAt = 50, 8, 3
	backlog(t, lite, "e", n)

	logs := &syncbuf.Buffer{}
	held := make(chan struct{})
	first := openTuned(t, dsn, Options{Fallback: lite, Logger: textLogger(logs)}, func(s *Store) {
		s.batch = batch
		s.afterCommit = func(b int) error {
			if b == crashAt {
				close(held)
				<-s.life.Done() // held here until Close: the process dies
				return s.life.Err()
			}
			return nil
		}
	})
	within(t, "the backfill to reach batch 3", held)
	first.Close()
	// Two batches were copied and deleted; the third copied only.
	if got := pgRequestIDs(t, dsn); len(got) != crashAt*batch || !distinct(got) {
		t.Fatalf("after the crash PostgreSQL holds %d events (distinct: %v), want %d", len(got), distinct(got), crashAt*batch)
	}
	if got := localCount(t, lite); got != n-(crashAt-1)*batch {
		t.Fatalf("after the crash the local store holds %d events, want %d", got, n-(crashAt-1)*batch)
	}
	if !strings.Contains(logs.String(), "backfill from the local event store stopped") {
		t.Errorf("the stopped run was not logged:\n%s", logs.String())
	}

	// Restart: the same data dir, a new Store.
	lite.Close()
	lite = openSQLiteAt(t, path)
	logs = &syncbuf.Buffer{}
	second := openTuned(t, dsn, Options{Fallback: lite, Logger: textLogger(logs)}, func(s *Store) { s.batch = batch })
	poll.Until(t, "the backlog to be backfilled", func() bool { return localCount(t, lite) == 0 })
	got := pgRequestIDs(t, dsn)
	if len(got) != n || !distinct(got) {
		t.Errorf("after resuming PostgreSQL holds %d events (distinct: %v), want each of %d once", len(got), distinct(got), n)
	}
	if st := second.Stats(); st.Backfilled != n-crashAt*batch || st.Duplicates != batch {
		t.Errorf("resumed run: Stats = %+v, want %d backfilled and the %d committed before the crash skipped", st, n-crashAt*batch, batch)
	}
	want := fmt.Sprintf("copied=%d already_there=%d", n-crashAt*batch, batch)
	if out := logs.String(); strings.Count(out, "backfilled events") != 1 || !strings.Contains(out, want) {
		t.Errorf("resumed run: want one log line with %s:\n%s", want, out)
	}
	// Another instance, without a fallback, sees all of them.
	if evs, err := open(t, dsn, Options{}).Events(context.Background(), time.Time{}, 0); err != nil || len(evs) != n {
		t.Errorf("another instance lists %d events, %v; want %d", len(evs), err, n)
	}
}

// lossyProxy forwards TCP connections to a PostgreSQL server. Armed, it
// drops the server's reply to the next COPY and closes that connection:
// the batch is committed, and the client cannot know.
type lossyProxy struct {
	l      net.Listener
	target string
	armed  atomic.Bool
	cut    chan struct{} // receives once per dropped reply
}

func newLossyProxy(t *testing.T, port int) *lossyProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &lossyProxy{l: l, target: "127.0.0.1:" + strconv.Itoa(port), cut: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.handle(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return p
}

func (p *lossyProxy) port() int { return p.l.Addr().(*net.TCPAddr).Port }

func (p *lossyProxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		io.Copy(server, client)
		server.Close()
	}()
	// Server to client: messages are a type byte and a length that
	// counts itself (sslmode=disable: no one-byte SSL answer first).
	r := bufio.NewReader(server)
	var hdr [5]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		body := make([]byte, int(binary.BigEndian.Uint32(hdr[1:]))-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if hdr[0] == 'C' && strings.HasPrefix(string(body), "COPY") && p.armed.CompareAndSwap(true, false) {
			p.cut <- struct{}{}
			return // PostgreSQL committed before it sent this
		}
		if _, err := client.Write(append(hdr[:], body...)); err != nil {
			return
		}
	}
}

// A write PostgreSQL committed but whose reply was lost also goes to the
// fallback; the backfill finds it in PostgreSQL and stores it once, and
// no listing shows it twice, also while both stores hold it.
func TestLostReplyStoredOnce(t *testing.T) {
	ctx := context.Background()
	dsn, srv := newDB(t)
	proxy := newLossyProxy(t, srv.Port())
	viaProxy := strings.Replace(dsn, ":"+strconv.Itoa(srv.Port())+"/", ":"+strconv.Itoa(proxy.port())+"/", 1)
	lite := openSQLite(t)
	logs := &syncbuf.Buffer{}
	atCommit := make(chan struct{})
	release := make(chan struct{})
	s := openTuned(t, viaProxy, Options{Fallback: lite, Logger: textLogger(logs)}, func(s *Store) {
		s.afterCommit = func(int) error {
			select {
			case atCommit <- struct{}{}:
			case <-s.life.Done(): // the test failed and closed the Store
				return s.life.Err()
			}
			select {
			case <-release:
				return nil
			case <-s.life.Done():
				return s.life.Err()
			}
		}
	})

	batch := make([]eventlog.Event, 10)
	base := time.Now().UTC()
	for i := range batch {
		batch[i] = event(fmt.Sprint("lost-", i), base.Add(time.Duration(i)), abuse.Block)
	}
	proxy.armed.Store(true)
	if err := s.WriteEvents(ctx, batch); err != nil {
		t.Fatalf("write with a lost reply: %v; want it kept in the fallback", err)
	}
	select {
	case <-proxy.cut:
	default:
		t.Fatal("the proxy dropped no reply")
	}
	if got := pgRequestIDs(t, dsn); len(got) != len(batch) {
		t.Fatalf("PostgreSQL holds %d events, want the committed batch of %d", len(got), len(batch))
	}
	if got := localCount(t, lite); got != len(batch) {
		t.Fatalf("the fallback holds %d events, want the batch of %d", got, len(batch))
	}

	// The probe finds PostgreSQL; the backfill stops in the hook after
	// its batch committed and before the fallback lets go of it.
	within(t, "the backfill to commit its batch", atCommit)
	got, err := s.Events(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(got)) != fmt.Sprint([]string{"lost-9", "lost-8", "lost-7", "lost-6", "lost-5", "lost-4", "lost-3", "lost-2", "lost-1", "lost-0"}) {
		t.Errorf("with the batch in both stores Events = %v, want each event once, newest first", ids(got))
	}
	close(release)
	poll.Until(t, "the fallback to let go of the batch", func() bool { return localCount(t, lite) == 0 })
	if got := pgRequestIDs(t, dsn); len(got) != len(batch) || !distinct(got) {
		t.Errorf("after the backfill PostgreSQL holds %v, want each of the batch once", got)
	}
	if st := s.Stats(); st.Backfilled != 0 || st.Duplicates != uint64(len(batch)) || st.Outages != 1 {
		t.Errorf("Stats = %+v, want 1 outage, nothing backfilled, %d duplicates dropped", st, len(batch))
	}
	if !strings.Contains(logs.String(), "copied=0 already_there=10") {
		t.Errorf("backfill log line missing or wrong:\n%s", logs.String())
	}
}

// The eventlog Writer retries a batch whose write failed; if PostgreSQL
// had committed it, the retry stores nothing twice and is no outage.
func TestRewriteStoresOnce(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	s := open(t, dsn, Options{})
	base := time.Now().UTC()
	first := []eventlog.Event{event("a", base, abuse.Block), event("b", base.Add(1), abuse.Block)}
	if err := s.WriteEvents(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The retry, with an event that arrived meanwhile.
	retry := append(slices.Clone(first), event("c", base.Add(2), abuse.Block))
	if err := s.WriteEvents(ctx, retry); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if got := pgRequestIDs(t, dsn); fmt.Sprint(got) != "[a b c]" {
		t.Errorf("PostgreSQL holds %v, want [a b c]", got)
	}
	if st := s.Stats(); st.Down || st.Outages != 0 || st.Fallbacks != 0 {
		t.Errorf("a rewrite counted as an outage: %+v", st)
	}
}

// oldSchema is warden_events as the first version of this package made
// it, before event_id.
var oldSchema = []string{
	`CREATE TABLE warden_events (
		id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		time_ns     BIGINT NOT NULL,
		request_id  TEXT NOT NULL,
		action      TEXT NOT NULL,
		client_ip   TEXT NOT NULL,
		client_user TEXT NOT NULL,
		route       TEXT NOT NULL,
		status      INTEGER NOT NULL,
		confidence  DOUBLE PRECISION NOT NULL,
		data        TEXT NOT NULL
	)`,
	`CREATE INDEX warden_events_time ON warden_events (time_ns, id)`,
}

// A table from before event_id is upgraded in place, its rows kept and
// listed; a fallback backlog from that version (rows without keys, one of
// them a lost-reply copy of a row PostgreSQL has) is backfilled without
// duplicating it; and opening again changes nothing.
func TestUpgradeFromSchemaWithoutEventID(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range oldSchema {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	legacy := []eventlog.Event{event("old-0", base, abuse.Block), event("old-1", base.Add(time.Second), abuse.Block)}
	for _, e := range legacy {
		if _, err := conn.Exec(ctx, `INSERT INTO warden_events (time_ns, request_id, action, client_ip, client_user, route, status, confidence, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			sqlite.UnixNanos(e.Time), e.RequestID, e.Action, e.Client.IP, e.Client.User, e.Route, e.Status, e.Abuse.Confidence, string(e.AppendJSON(nil))); err != nil {
			t.Fatal(err)
		}
	}
	lite := openSQLite(t)
	if err := lite.WriteEvents(ctx, []eventlog.Event{legacy[1], event("old-2", base.Add(2*time.Second), abuse.Block)}); err != nil {
		t.Fatal(err)
	}

	s := open(t, dsn, Options{Fallback: lite})
	poll.Until(t, "the backlog to be backfilled", func() bool { return localCount(t, lite) == 0 })
	if got := pgRequestIDs(t, dsn); fmt.Sprint(got) != "[old-0 old-1 old-2]" {
		t.Errorf("PostgreSQL holds %v, want [old-0 old-1 old-2]", got)
	}
	if err := s.WriteEvents(ctx, []eventlog.Event{event("new-0", base.Add(3*time.Second), abuse.Block)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(ctx, time.Time{}, 0)
	if err != nil || fmt.Sprint(ids(got)) != "[new-0 old-2 old-1 old-0]" {
		t.Errorf("Events = %v, %v; want [new-0 old-2 old-1 old-0]", ids(got), err)
	}
	var legacyRows, keyed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE event_id IS NULL), count(event_id) FROM warden_events`).Scan(&legacyRows, &keyed); err != nil {
		t.Fatal(err)
	}
	if legacyRows != 2 || keyed != 2 {
		t.Errorf("%d rows without a key and %d with one, want the 2 old rows as they were and 2 new", legacyRows, keyed)
	}
	// Opening again, as every instance does at start, finds the schema
	// current and changes nothing.
	again := open(t, dsn, Options{})
	if got, err := again.Events(ctx, time.Time{}, 0); err != nil || len(got) != 4 {
		t.Errorf("second Open: Events = %d events, %v", len(got), err)
	}
	var indexes int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename = 'warden_events'`).Scan(&indexes); err != nil || indexes != 4 {
		t.Errorf("warden_events has %d indexes (%v), want primary key, time, event_id and (action, time)", indexes, err)
	}
}

// A batch PostgreSQL refuses (here: a row its table cannot take) stays in
// the fallback, still listed, is not taken for an outage, and does not
// stop the writes that follow.
func TestBackfillRefusedBatchStays(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newDB(t)
	lite := openSQLite(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	logs := &syncbuf.Buffer{}
	s := open(t, dsn, Options{Logger: textLogger(logs)}) // creates the schema
	s.Close()
	if _, err := conn.Exec(ctx, `ALTER TABLE `+table+` ADD CONSTRAINT no_refused CHECK (request_id NOT LIKE 'refused%')`); err != nil {
		t.Fatal(err)
	}
	backlog(t, lite, "refused-", 2)
	s = open(t, dsn, Options{Fallback: lite, Logger: textLogger(logs)})
	poll.Until(t, "the refusal to be logged", func() bool { return strings.Contains(logs.String(), "backfill from the local event store stopped") })
	if st := s.Stats(); st.Down || st.Outages != 0 {
		t.Errorf("a refused batch counted as an outage: %+v", st)
	}
	if err := s.WriteEvents(ctx, []eventlog.Event{event("next", time.Now(), abuse.Block)}); err != nil {
		t.Fatal(err)
	}
	if got := pgRequestIDs(t, dsn); fmt.Sprint(got) != "[next]" {
		t.Errorf("PostgreSQL holds %v, want [next]", got)
	}
	if got, err := s.Events(ctx, time.Time{}, 0); err != nil || len(got) != 3 {
		t.Errorf("Events = %v, %v; want next and the 2 refused events still listed from the fallback", ids(got), err)
	}
}
