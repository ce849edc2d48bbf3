package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/metrics"
	"github.com/warden-dev/warden/store/sqlite"
)

// stack is what a Guard provisions from these packages for one data dir:
// the wiring the root package is asked to do, kept compiling here.
type stack struct {
	db        *sqlite.DB
	bans      *ban.Memory
	metrics   *metrics.Metrics
	log       *eventlog.Writer
	quotas    *sqlite.QuotaCounter
	admin     *admin.Server
	token     string
	tokenPath string
}

func provision(ctx context.Context, dataDir, configuredToken, mode string) (*stack, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	s := &stack{}
	var err error
	if s.db, err = sqlite.Open(ctx, filepath.Join(dataDir, "warden.db")); err != nil {
		return nil, err
	}
	if s.bans, err = ban.NewMemory(ctx, s.db); err != nil { // bans survive restarts
		return nil, errors.Join(err, s.db.Close())
	}
	s.metrics = metrics.New(metrics.DefaultConfig())
	if err := s.metrics.WatchBans(s.bans, nil); err != nil {
		return nil, errors.Join(err, s.db.Close())
	}
	logCfg := eventlog.DefaultConfig()
	logCfg.Stderr = false // tests keep stderr quiet; serve writes eventlog.NewJSONHandler(os.Stderr)
	s.log, err = eventlog.NewWriter(logCfg, eventlog.Options{
		Line:         eventlog.NewJSONHandler(os.Stderr),
		Store:        s.db,
		Mode:         mode,
		OnDrop:       s.metrics.DroppedEvent,
		OnStoreError: func(error) { s.metrics.StoreFallback("sqlite") },
		Log:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, errors.Join(err, s.db.Close())
	}
	s.quotas = s.db.QuotaCounter(time.Second)
	if s.token, s.tokenPath, err = admin.LoadOrCreateToken(dataDir, configuredToken); err != nil {
		return nil, errors.Join(err, s.close(ctx))
	}
	s.admin, err = admin.New(admin.Options{
		Token:      s.token,
		Bans:       s.bans,
		Events:     s.db,
		Metrics:    s.metrics.Handler(),
		OnBanAdded: func(b ban.Ban) { s.metrics.BanIssued(b.Target.Kind) },
		OnPanic:    s.metrics.PanicRecovered,
		Log:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, errors.Join(err, s.close(ctx))
	}
	return s, nil
}

func (s *stack) close(ctx context.Context) error {
	return errors.Join(s.log.Close(ctx), s.quotas.Close(ctx), s.db.Close())
}

func TestBansAndTokenSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "warden-data")
	s, err := provision(ctx, dir, "", "enforce")
	if err != nil {
		t.Fatal(err)
	}
	if s.tokenPath != filepath.Join(dir, admin.TokenFile) {
		t.Errorf("token path %q", s.tokenPath)
	}
	srv := httptest.NewServer(s.admin)
	defer srv.Close()
	c := &admin.Client{BaseURL: srv.URL, Token: s.token}
	if _, err := c.AddBan(ctx, admin.BanRequest{Target: "ip:203.0.113.7", Duration: 2 * time.Hour, Reason: "credential stuffing"}); err != nil {
		t.Fatal(err)
	}
	if err := s.quotas.Add(ctx, "user:42|POST /api/ask", 3); err != nil {
		t.Fatal(err)
	}
	s.log.Enqueue(eventlog.Event{Time: time.Now(), RequestID: "r1", Action: "block", Mode: "enforce"})
	if err := s.close(ctx); err != nil {
		t.Fatal(err)
	}

	s2, err := provision(ctx, dir, "", "enforce") // the restart
	if err != nil {
		t.Fatal(err)
	}
	defer s2.close(ctx)
	if s2.token != s.token {
		t.Error("the generated admin token changed across a restart")
	}
	srv2 := httptest.NewServer(s2.admin)
	defer srv2.Close()
	c2 := &admin.Client{BaseURL: srv2.URL, Token: s2.token}
	bans, err := c2.Bans(ctx)
	if err != nil || len(bans) != 1 || bans[0].Target.String() != "ip:203.0.113.7" || bans[0].Reason != "credential stuffing" {
		t.Fatalf("bans after restart = %+v, %v", bans, err)
	}
	if n, _ := s2.quotas.Used(ctx, "user:42|POST /api/ask"); n != 3 {
		t.Errorf("lifetime quota after restart = %d, want 3", n)
	}
	events, err := c2.Events(ctx, time.Time{}, 10)
	if err != nil || len(events) != 1 || events[0].RequestID != "r1" {
		t.Errorf("events after restart = %v, %v", events, err)
	}
	// The gauge reads the ban store at scrape time.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s2.token)
	s2.admin.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "warden_bans_active 1\n") {
		t.Error("warden_bans_active is not 1 after the restart")
	}
	var health map[string]string
	rec = httptest.NewRecorder()
	s2.admin.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if json.Unmarshal(rec.Body.Bytes(), &health); health["status"] != "ok" {
		t.Errorf("healthz %q", rec.Body.String())
	}
}
