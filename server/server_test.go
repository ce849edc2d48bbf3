package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/server"
)

// A store.postgres connection string that does not parse is refused by
// CheckStores and by New, before anything is opened, with the field named
// and the password hidden.
func TestCheckStores(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want string // "" means accepted
	}{
		{"", ""},
		{"postgres://warden:pw@db.internal:5432/warden?sslmode=require", ""},
		{"host=/run/postgresql dbname=warden pool_max_conns=8", ""},
		{"postgres://warden:hunter2secret@db:port/warden", "store.postgres: not a valid PostgreSQL connection string"},
		{"host=db password=hunter2secret sslmode=sometimes", "store.postgres: not a valid PostgreSQL connection string"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = filepath.Join(t.TempDir(), "data")
			cfg.Store.Postgres = tc.dsn
			err := server.CheckStores(cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckStores: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("CheckStores error = %v; want %q, the password hidden", err, tc.want)
			}
			g, err := server.New(context.Background(), cfg)
			if err == nil {
				g.Close(context.Background())
				t.Fatal("New accepted the connection string")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v; want %q", err, tc.want)
			}
			if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("New opened the data dir before validating (stat: %v)", err)
			}
		})
	}
}

// The server keeps bans in the data dir's SQLite: a ban added to one Guard
// blocks its client in the next one opened on the same data dir.
func TestBansSurviveReopen(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	ip := netip.MustParseAddr("192.0.2.44")

	g, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Bans().Add(ctx, ban.Ban{Target: ban.IPTarget(ip), Reason: "test", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, server.DBFile)); err != nil {
		t.Fatalf("no database in the data dir: %v", err)
	}

	g, err = server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		addr string
		want int
	}{
		{"192.0.2.44:1", http.StatusForbidden},
		{"192.0.2.45:1", http.StatusOK},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.addr
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.addr, w.Code, tc.want)
		}
	}
}
