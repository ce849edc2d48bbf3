package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/syncbuf"
	"github.com/warden-dev/warden/metrics"
	"github.com/warden-dev/warden/store/sqlite"
)

// tap feeds every observed request to the decision log and the metrics;
// it finds nothing itself.
type tap struct {
	log *eventlog.Writer
	m   *metrics.Metrics
}

func (tap) Name() string                                         { return "tap" }
func (tap) Detect(context.Context, *abuse.Request) abuse.Verdict { return abuse.Verdict{} }
func (t tap) Observe(r *abuse.Request, o abuse.Outcome) {
	t.log.Observe(r, o)
	t.m.Observe(r, o)
}

var union = abuse.DetectorFunc{ID: "union_select", Fn: func(_ context.Context, r *abuse.Request) abuse.Verdict {
	if strings.Contains(strings.ToLower(r.RawQuery), "union") {
		return abuse.Verdict{Confidence: 0.95, Violation: "sqli", Messages: []string{"UNION in the query string"}, Reason: "blocked"}
	}
	return abuse.Verdict{}
}}

const token = "e2e-token-0123456789abcdef"

func TestGuardLogsBlocksAndHonoursAdminBans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// The test's own database: warden.New opens none (package server keeps
	// warden.db in the data dir).
	db, err := sqlite.Open(ctx, filepath.Join(dir, "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	cfg := config.Default()
	cfg.DataDir = dir
	// The block under test is union_select's. The built-in payload
	// detector would block the attack too and quote a bounded excerpt of
	// the query value in its messages (by design), which would blur the
	// check below that the log line leaves the query string out.
	cfg.Payload.Enabled = false
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)

	m := metrics.New(metrics.Config{})
	var lines syncbuf.Buffer
	w, err := eventlog.NewWriter(eventlog.DefaultConfig(), eventlog.Options{
		Line: eventlog.NewJSONHandler(&lines), Store: db, Mode: "enforce", OnDrop: m.DroppedEvent,
	})
	if err != nil {
		t.Fatal(err)
	}
	g.Use(tap{w, m}, union)
	app := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))

	// A browser's request: with the built-in detectors on (config.Default),
	// httptest's empty user agent would be a grey bot finding, logged too.
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", target, nil) // RemoteAddr 192.0.2.1
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
		req.Header.Set("Accept", "application/json")
		app.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/api/items?id=1"); rec.Code != 200 {
		t.Fatalf("clean request: %d", rec.Code)
	}
	if rec := get("/api/items?id=1%20UNION%20SELECT%20password"); rec.Code != 403 {
		t.Fatalf("attack: %d, want 403", rec.Code)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// The decision log line: one, for the block, with the contract's keys
	// and without the query string.
	sc := bufio.NewScanner(strings.NewReader(lines.String()))
	var got []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, m)
	}
	if len(got) != 1 {
		t.Fatalf("%d log lines, want 1 (the block):\n%s", len(got), lines.String())
	}
	var keys []string
	for k := range got[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"abuse", "action", "client", "method", "mode", "path", "request_id", "route", "status", "time"}; !slices.Equal(keys, want) {
		t.Errorf("line keys %v, want %v", keys, want)
	}
	if got[0]["action"] != "block" || got[0]["status"] != 403.0 || got[0]["path"] != "/api/items" {
		t.Errorf("line %v", got[0])
	}
	if strings.Contains(lines.String(), "password") {
		t.Error("the query string reached the log")
	}

	srv, err := admin.New(admin.Options{Token: token, Bans: g.Bans(), Events: db, Metrics: m.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, map[string]any) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m
	}

	// The stored event is served by the admin API.
	code, body := call("GET", "/api/v1/events?limit=10", "")
	if code != 200 || body["count"] != 1.0 {
		t.Fatalf("events: %d %v", code, body)
	}

	// Metrics count the block by detector.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	srv.ServeHTTP(rec, req)
	for _, want := range []string{`warden_requests_total{action="block"} 1`, `warden_decisions_total{action="block",detector="union_select"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// An admin ban ends the client's next request; lifting it lets it
	// through again.
	if code, body := call("POST", "/api/v1/bans", `{"target":"ip:192.0.2.1","duration":"1h","reason":"e2e"}`); code != 201 {
		t.Fatalf("add ban: %d %v", code, body)
	}
	if rec := get("/api/items?id=2"); rec.Code != 403 || !strings.Contains(rec.Body.String(), `"banned"`) {
		t.Fatalf("banned client got %d %s", rec.Code, rec.Body.String())
	}
	if code, body := call("DELETE", "/api/v1/bans/ip:192.0.2.1", ""); code != 200 {
		t.Fatalf("lift: %d %v", code, body)
	}
	if rec := get("/api/items?id=3"); rec.Code != 200 {
		t.Fatalf("after lifting: %d", rec.Code)
	}
}
