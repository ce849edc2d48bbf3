package sqlite

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
)

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func reopen(t *testing.T, db *DB, path string) *DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	return db2
}

func TestBansSurviveReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	now := time.Now()
	mem, err := ban.NewMemory(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ip := ban.IPTarget(netip.MustParseAddr("203.0.113.7"))
	user := ban.UserTarget("42")
	lifted := ban.UserTarget("lifted")
	for _, b := range []ban.Ban{
		{Target: ip, Reason: "credential stuffing", Violation: "logins", Created: now, Until: now.Add(2 * time.Hour)},
		{Target: user, Reason: "admin", Created: now, Until: now.Add(time.Hour)},
		{Target: lifted, Reason: "mistake", Created: now, Until: now.Add(time.Hour)},
		{Target: ban.UserTarget("expired"), Reason: "old", Created: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)},
	} {
		if err := mem.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := mem.Remove(ctx, lifted); err != nil {
		t.Fatal(err)
	}

	db = reopen(t, db, path) // a restart
	mem2, err := ban.NewMemory(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target    ban.Target
		active    bool
		reason    string
		violation string
	}{
		{ip, true, "credential stuffing", "logins"},
		{user, true, "admin", ""},
		{lifted, false, "", ""},
		{ban.UserTarget("expired"), false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target.String(), func(t *testing.T) {
			b, ok, err := mem2.Lookup(ctx, tt.target, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.active {
				t.Fatalf("active after restart = %v, want %v", ok, tt.active)
			}
			if ok && (b.Reason != tt.reason || b.Violation != tt.violation) {
				t.Errorf("ban = %+v", b)
			}
		})
	}
	b, _, _ := mem2.Lookup(ctx, ip, time.Now())
	if want := now.Add(2 * time.Hour); b.Until.UnixNano() != want.UnixNano() {
		t.Errorf("until = %v, want %v (to the nanosecond)", b.Until, want)
	}
	n, err := db.PruneBans(ctx, time.Now())
	if err != nil || n != 1 {
		t.Errorf("PruneBans = %d, %v; want the one expired ban", n, err)
	}
}

// TestIPv6BansSurviveReopen: a ban on an IPv6 network is stored as
// "ip:2001:db8:2::/64" and, loaded back, still covers every address of it;
// a ban on one address (as stored before IPv6 bans covered networks)
// still covers that address.
func TestIPv6BansSurviveReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	now := time.Now()
	mem, err := ban.NewMemory(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []ban.Target{ban.IPTarget(netip.MustParseAddr("2001:db8:2::1")), ban.AddrTarget(netip.MustParseAddr("2001:db8:4::1"))} {
		if err := mem.Add(ctx, ban.Ban{Target: tg, Created: now, Until: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	var stored []string
	rows, err := db.db.QueryContext(ctx, `SELECT target FROM bans ORDER BY target`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		stored = append(stored, s)
	}
	rows.Close()
	if strings.Join(stored, " ") != "ip:2001:db8:2::/64 ip:2001:db8:4::1" {
		t.Fatalf("stored targets %q", stored)
	}
	db = reopen(t, db, path)
	mem2, err := ban.NewMemory(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"2001:db8:2::2": true, "2001:db8:3::1": false, "2001:db8:4::1": true, "2001:db8:4::2": false} {
		network, addr, _ := ban.Scope{}.Lookups(netip.MustParseAddr(ip))
		_, okN, _ := mem2.Lookup(ctx, network, now)
		_, okA, _ := mem2.Lookup(ctx, addr, now)
		if (okN || okA) != want {
			t.Errorf("%s banned after reopen = %v, want %v", ip, okN || okA, want)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	var mode string
	if err := db.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var busy int
	if err := db.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy != int(BusyTimeout.Milliseconds()) {
		t.Errorf("busy_timeout = %d, %v", busy, err)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Errorf("schema version = %d, %v; want %d", v, err, len(migrations))
	}
	// Reopening an up-to-date file migrates nothing and keeps the version.
	db = reopen(t, db, path)
	if v, _ := db.SchemaVersion(ctx); v != len(migrations) {
		t.Errorf("schema version after reopen = %d", v)
	}
	// A file from a newer Warden is refused, not scribbled on.
	if _, err := db.db.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema = %v, want an error saying so", err)
	}

	for _, bad := range []string{"", filepath.Join(t.TempDir(), "a?b.db"), filepath.Join(t.TempDir(), "missing", "dir", "x.db")} {
		if d, err := Open(ctx, bad); err == nil {
			d.Close()
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestMemoryPath(t *testing.T) {
	db, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddQuota(context.Background(), "k", 1); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Quota(context.Background(), "k"); n != 1 {
		t.Errorf("in-memory quota = %d", n)
	}
}

func ev(id string, at time.Time, action string) eventlog.Event {
	e := eventlog.Event{Time: at, RequestID: id, Action: action, Mode: "enforce", Status: 403,
		Client: eventlog.Client{IP: "203.0.113.7"}, Method: "GET", Path: "/x", Route: "GET /x"}
	if action != "allow" {
		e.Abuse = &eventlog.Abuse{Confidence: 0.9, Detectors: []eventlog.Detector{{Name: "payload", Confidence: 0.9, Violation: "sqli", Messages: []string{"m"}}}}
	}
	return e
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var batch []eventlog.Event
	for i := range 10 {
		batch = append(batch, ev(fmt.Sprint(i), base.AddDate(0, 0, i), "block"))
	}
	if err := db.WriteEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path)

	tests := []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"all newest first", time.Time{}, 0, []string{"9", "8", "7", "6", "5", "4", "3", "2", "1", "0"}},
		{"limit", time.Time{}, 3, []string{"9", "8", "7"}},
		{"since is inclusive", base.AddDate(0, 0, 7), 0, []string{"9", "8", "7"}},
		{"since in the future", base.AddDate(1, 0, 0), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Events(ctx, tt.since, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got {
				ids = append(ids, e.RequestID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("ids = %v, want %v", ids, tt.want)
			}
		})
	}
	got, _ := db.Events(ctx, time.Time{}, 1)
	if e := got[0]; e.Abuse == nil || e.Abuse.Detectors[0].Violation != "sqli" || !e.Time.Equal(base.AddDate(0, 0, 9)) || e.Client.IP != "203.0.113.7" {
		t.Errorf("stored event does not round-trip: %+v", e)
	}

	n, err := db.DeleteEventsBefore(ctx, base.AddDate(0, 0, 5))
	if err != nil || n != 5 {
		t.Errorf("DeleteEventsBefore = %d, %v; want 5", n, err)
	}
	if rest, _ := db.Events(ctx, time.Time{}, 0); len(rest) != 5 || rest[4].RequestID != "5" {
		t.Errorf("after retention %d events remain", len(rest))
	}
}

func TestWriteEventsIsAtomic(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.WriteEvents(cctx, []eventlog.Event{ev("a", time.Now(), "block")}); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	if got, _ := db.Events(ctx, time.Time{}, 0); len(got) != 0 {
		t.Errorf("a failed batch left %d events", len(got))
	}
}

// The eventlog writer and the SQLite store together: what is enqueued is
// queryable after Close.
func TestWriterIntoSQLite(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	cfg := eventlog.DefaultConfig()
	cfg.BatchSize = 7
	w, err := eventlog.NewWriter(cfg, eventlog.Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		w.Enqueue(ev(fmt.Sprint(i), time.Now(), "block"))
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Events(ctx, time.Time{}, 100); len(got) != 20 {
		t.Errorf("store has %d events, want 20", len(got))
	}
}

func TestQuota(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := db.AddQuota(ctx, "user:42|POST /api/ask", 2); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db = reopen(t, db, path)
	if n, err := db.Quota(ctx, "user:42|POST /api/ask"); err != nil || n != workers*each*2 {
		t.Errorf("total after concurrent adds and a restart = %d, %v; want %d", n, err, workers*each*2)
	}

	tests := []struct {
		name    string
		key     string
		n       int64
		want    int64
		wantErr bool
	}{
		{"new key", "k", 5, 5, false},
		{"add", "k", 3, 8, false},
		{"refund", "k", -2, 6, false},
		{"never below zero", "k", -100, 0, false},
		{"negative on a new key", "k2", -1, 0, false},
		{"empty key", "", 1, 0, true},
		{"key too long", strings.Repeat("k", MaxQuotaKeyBytes+1), 1, 0, true},
		{"step too large", "k", 1 << 50, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.AddQuota(ctx, tt.key, tt.n)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("total = %d, want %d", got, tt.want)
			}
		})
	}
	if n, _ := db.Quota(ctx, "never"); n != 0 {
		t.Errorf("unknown key = %d", n)
	}
	if err := db.ResetQuota(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Quota(ctx, "k"); n != 0 {
		t.Errorf("after reset = %d", n)
	}
}

// Two DB handles on one file (two processes, or a CLI next to the server)
// see each other's writes; the busy timeout serialises writers.
func TestTwoHandlesShareTheFile(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	for _, db := range []*DB{a, b} {
		wg.Go(func() {
			for range 20 {
				if _, err := db.AddQuota(ctx, "shared", 1); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n, _ := a.Quota(ctx, "shared"); n != 40 {
		t.Errorf("shared total = %d, want 40", n)
	}
}

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "warden-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "warden.db")

	db, _ := Open(ctx, path)
	bans, _ := ban.NewMemory(ctx, db)
	now := time.Now()
	_ = bans.Add(ctx, ban.Ban{Target: ban.UserTarget("42"), Reason: "spam", Created: now, Until: now.Add(time.Hour)})
	db.Close()

	// After a restart the ban is still there.
	db, _ = Open(ctx, path)
	defer db.Close()
	bans, _ = ban.NewMemory(ctx, db)
	b, ok, _ := bans.Lookup(ctx, ban.UserTarget("42"), time.Now())
	fmt.Println(ok, b.Reason)
	// Output: true spam
}

func BenchmarkWriteEvents(b *testing.B) {
	db, _ := openTemp(b)
	ctx := context.Background()
	batch := make([]eventlog.Event, 256)
	for i := range batch {
		batch[i] = ev(fmt.Sprint(i), time.Now(), "block")
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.WriteEvents(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
}

func BenchmarkAddQuota(b *testing.B) {
	db, _ := openTemp(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.AddQuota(ctx, "user:42", 1); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNewFileIsPrivate(t *testing.T) {
	_, path := openTemp(t)
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %#o, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

func TestScanEvents(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	var batch []eventlog.Event
	for i, at := range []time.Time{day.Add(-time.Second), day, day.Add(12 * time.Hour), day.Add(24*time.Hour - 1), day.Add(24 * time.Hour)} {
		batch = append(batch, ev(fmt.Sprint(i), at, "block"))
	}
	if err := db.WriteEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var ids []string
	err := db.ScanEvents(ctx, day, day.AddDate(0, 0, 1), func(e eventlog.Event) error {
		ids = append(ids, e.RequestID)
		return nil
	})
	if err != nil || fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("scan = %v, %v; want [1 2 3] (the day, oldest first)", ids, err)
	}
	stop := fmt.Errorf("enough")
	if err := db.ScanEvents(ctx, day, day.AddDate(0, 0, 1), func(eventlog.Event) error { return stop }); err != stop {
		t.Errorf("fn's error not returned: %v", err)
	}
}

func TestAddQuotas(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	if _, err := db.AddQuota(ctx, "a", 10); err != nil {
		t.Fatal(err)
	}
	totals, err := db.AddQuotas(ctx, map[string]int64{"a": 5, "b": 3, "c": -1})
	if err != nil {
		t.Fatal(err)
	}
	if totals["a"] != 15 || totals["b"] != 3 || totals["c"] != 0 {
		t.Errorf("totals = %v", totals)
	}
	if _, err := db.AddQuotas(ctx, map[string]int64{"ok": 1, "": 1}); err == nil {
		t.Error("empty key accepted")
	}
	if n, _ := db.Quota(ctx, "ok"); n != 0 {
		t.Errorf("a rejected batch wrote %d", n)
	}
}

func BenchmarkAddQuotas100(b *testing.B) {
	db, _ := openTemp(b)
	ctx := context.Background()
	deltas := map[string]int64{}
	for i := range 100 {
		deltas[fmt.Sprint("user:", i)] = 1
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.AddQuotas(ctx, deltas); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(deltas)), "ns/key")
}

// Batches cross the multi-row INSERT chunk size: full chunks and a rest.
func TestWriteEventsChunks(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	n := 2*eventRowsPerInsert + 6
	batch := make([]eventlog.Event, n)
	for i := range batch {
		batch[i] = ev(fmt.Sprint(i), base.Add(time.Duration(i)*time.Second), "block")
	}
	if err := db.WriteEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := db.Events(ctx, time.Time{}, 1000)
	if err != nil || len(got) != n {
		t.Fatalf("stored %d, %v; want %d", len(got), err, n)
	}
	for i, e := range got {
		if want := fmt.Sprint(n - 1 - i); e.RequestID != want {
			t.Fatalf("event %d is %q, want %q", i, e.RequestID, want)
		}
	}
}
