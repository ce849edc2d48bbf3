package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/ban"
)

// adminAPI serves the real admin API over a memory ban store.
func adminAPI(t *testing.T, token string, now time.Time) (*httptest.Server, *ban.Memory) {
	t.Helper()
	bans, err := ban.NewMemory(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := admin.New(admin.Options{Token: token, Bans: bans, Forget: noForget{}, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, bans
}

// noForget accepts every Forget, so a lift answers score_cleared.
type noForget struct{}

func (noForget) Forget(context.Context, ban.Target) error { return nil }

func TestBansCommand(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	srv, bans := adminAPI(t, "s3cret-token", now)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, admin.TokenFile), []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	env := func(k string) (string, bool) {
		if k == admin.EnvToken {
			return "s3cret-token", true
		}
		return "", false
	}
	steps := []struct {
		name   string
		args   []string
		lookup func(string) (string, bool)
		code   int
		stdout string // substring
		stderr string // substring
		check  func(t *testing.T)
	}{
		{"list empty", []string{"list", "--admin", srv.URL, "--token", "s3cret-token"}, noEnv, 0, "no active bans", "", nil},
		{"add, flags after target", []string{"add", "ip:203.0.113.7", "--admin", srv.URL, "--duration", "2h", "--reason", "credential stuffing"},
			env, 0, "banned ip:203.0.113.7 until", "", func(t *testing.T) {
				b, ok, _ := bans.Lookup(context.Background(), ban.IPTarget(mustAddr("203.0.113.7")), now)
				if !ok || !b.Until.Equal(now.Add(2*time.Hour)) || b.Reason != "credential stuffing" {
					t.Fatalf("stored ban %+v ok=%v", b, ok)
				}
			}},
		{"add user, token file", []string{"add", "--admin", srv.URL, "--data", dir, "--duration", "30m", "user:42"}, noEnv, 0, "banned user:42", "", nil},
		{"list", []string{"list", "--admin", srv.URL}, env, 0, "user:42", "", nil},
		{"list json", []string{"list", "--admin", srv.URL, "--json"}, env, 0, `"count":2`, "", nil},
		{"remove", []string{"remove", "user:42", "--admin", srv.URL}, env, 0, "lifted the ban on user:42, its scores and behaviour state cleared", "", func(t *testing.T) {
			if _, ok, _ := bans.Lookup(context.Background(), ban.UserTarget("42"), now); ok {
				t.Fatal("ban still in the store")
			}
		}},
		{"add with violation, json", []string{"add", "user:7", "--admin", srv.URL, "--duration", "1h", "--violation", "scraping", "--json"}, env, 0,
			`"violation":"scraping"`, "", func(t *testing.T) {
				if b, ok, _ := bans.Lookup(context.Background(), ban.UserTarget("7"), now); !ok || b.Violation != "scraping" {
					t.Fatalf("stored ban %+v ok=%v", b, ok)
				}
			}},
		{"list shows violation", []string{"list", "--admin", srv.URL}, env, 0, "scraping", "", nil},
		{"remove keep score", []string{"remove", "user:7", "--keep-score", "--admin", srv.URL}, env, 0, "lifted the ban on user:7, its scores kept", "", nil},
		{"add user:8", []string{"add", "user:8", "--admin", srv.URL, "--duration", "1h"}, env, 0, "banned user:8", "", nil},
		{"remove json", []string{"remove", "user:8", "--admin", srv.URL, "--json"}, env, 0, `"score_cleared":true`, "", nil},
		{"remove missing", []string{"remove", "user:42", "--admin", srv.URL}, env, 1, "", "no ban on user:42 (HTTP 404)", nil},
		// A ban on an IPv6 address covers its /64, and is lifted by any
		// address of it or the network.
		{"add IPv6", []string{"add", "ip:2001:db8:2::1", "--admin", srv.URL, "--duration", "1h"}, env, 0, "banned ip:2001:db8:2::/64 until", "", func(t *testing.T) {
			if _, ok, _ := bans.Lookup(context.Background(), ban.IPTarget(mustAddr("2001:db8:2::2")), now); !ok {
				t.Fatal("2001:db8:2::2 not banned")
			}
		}},
		{"list IPv6", []string{"list", "--admin", srv.URL}, env, 0, "ip:2001:db8:2::/64", "", nil},
		{"remove IPv6 by another address", []string{"remove", "ip:2001:db8:2::9", "--admin", srv.URL}, env, 0, "lifted the ban on ip:2001:db8:2::/64", "", nil},
		{"add IPv6 network", []string{"add", "ip:2001:db8:2::/64", "--admin", srv.URL, "--duration", "1h"}, env, 0, "banned ip:2001:db8:2::/64 until", "", nil},
		{"remove IPv6 network", []string{"remove", "ip:2001:db8:2::/64", "--admin", srv.URL}, env, 0, "lifted the ban on ip:2001:db8:2::/64", "", nil},
		{"zone refused", []string{"add", "ip:fe80::1%eth0", "--duration", "1h"}, env, 2, "", "zone (%eth0) cannot be banned", nil},
		{"wrong token", []string{"list", "--admin", srv.URL, "--token", "nope"}, noEnv, 1, "", "unauthorized (HTTP 401)", nil},
		{"no token", []string{"list", "--admin", srv.URL, "--data", t.TempDir()}, noEnv, 2, "", "no admin token", nil},
		{"bad target", []string{"add", "host:x", "--duration", "1h"}, env, 2, "", "ban target must be", nil},
		{"no duration", []string{"add", "ip:192.0.2.1"}, env, 2, "", "--duration: required", nil},
		{"bad duration", []string{"add", "ip:192.0.2.1", "--duration", "forever"}, env, 2, "", "invalid value", nil},
		{"extra argument", []string{"remove", "ip:192.0.2.1", "ip:192.0.2.2"}, env, 2, "", "exactly one TARGET", nil},
		{"unknown subcommand", []string{"purge"}, env, 2, "", `unknown subcommand "purge"`, nil},
		{"no subcommand", nil, env, 2, "", "usage:", nil},
		{"bad admin URL", []string{"list", "--admin", "ftp://x"}, env, 2, "", "--admin:", nil},
		{"admin down", []string{"list", "--admin", "http://127.0.0.1:1"}, env, 1, "", "admin API at http://127.0.0.1:1", nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runBansLookup(context.Background(), s.args, &stdout, &stderr, s.lookup)
			if code != s.code || !strings.Contains(stdout.String(), s.stdout) || !strings.Contains(stderr.String(), s.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, s.code, stdout.String(), stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "s3cret-token") {
				t.Fatal("the token was printed")
			}
			if s.check != nil {
				s.check(t)
			}
		})
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestRunBansHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runBans(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "warden bans list") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
