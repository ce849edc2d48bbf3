package behavior_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/config"
)

// TestEnumeratorIsBlockedThenBanned runs the default configuration, with
// enforcement on: an ID enumerator is blocked by the behaviour detector,
// each block scores a violation, and at the ban interval the client is
// banned; a client browsing normally alongside it is never stopped.
func TestEnumeratorIsBlockedThenBanned(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	cfg.Clock = clk.now
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(t.Context())
	h := g.Handler(app())

	send := func(ip, path string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = ip + ":5555"
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var a struct{ Error string }
		json.Unmarshal(w.Body.Bytes(), &a)
		return w.Code, a.Error
	}
	firstBlock, banned := -1, -1
	for i := 1; i <= 200 && banned < 0; i++ {
		clk.advance(500 * time.Millisecond)
		code, kind := send("203.0.113.50", fmt.Sprintf("/api/records/%d", i))
		switch {
		case kind == "blocked" && firstBlock < 0:
			firstBlock = i
		case kind == "banned":
			banned = i
		case code != 200 && kind != "blocked":
			t.Fatalf("request %d: %d %q", i, code, kind)
		}
		if i%5 == 0 { // a normal visitor reading a few records out of order
			if code, kind := send("198.51.100.20", fmt.Sprintf("/api/records/%d", (i*37)%97+1)); code != 200 {
				t.Fatalf("normal visitor stopped: %d %q", code, kind)
			}
		}
	}
	if firstBlock < 0 || banned < 0 {
		t.Fatalf("enumerator: first block at %d, banned at %d; want both", firstBlock, banned)
	}
	if banned-firstBlock < 20 {
		t.Fatalf("banned after %d blocks, want the ban interval (20)", banned-firstBlock)
	}
	t.Logf("enumerator blocked from request %d, banned at request %d", firstBlock, banned)
}

// TestSlowScannerIsBanned runs the default configuration, enforcement on,
// with content discovery scanners paced under the per-minute limits: one
// path every 1.5 s is blocked by content discovery on and off and, once
// slow_scan logs it, on every request, so it is banned sooner (after
// 117 s without slow_scan); one every 5 s, which content discovery never
// blocks (nor was it ever banned), is logged, then blocked by slow_scan,
// then banned. A person browsing the same site with a few mistyped
// addresses is never stopped. The sketch's key is fixed per subtest, so
// every run replays the same bits.
func TestSlowScannerIsBanned(t *testing.T) {
	for _, tt := range []struct {
		every, within time.Duration
	}{
		{1500 * time.Millisecond, 105 * time.Second},
		{5 * time.Second, 8 * time.Minute},
	} {
		for _, key := range []uint64{1, 42, 0x9e3779b97f4a7c15, 0xdeadbeef} {
			t.Run(fmt.Sprintf("%s/key %x", tt.every, key), func(t *testing.T) {
				slowScannerIsBanned(t, tt.every, tt.within, key)
			})
		}
	}
}

func slowScannerIsBanned(t *testing.T, every, within time.Duration, key uint64) {
	clk := &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Log.Stderr = false
	cfg.Clock = clk.now
	cfg.Behavior.Enabled = false // the detector below instead: the default configuration, a fixed key
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(t.Context())
	det, err := behavior.New(behavior.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	behavior.SetScanKey(det, key)
	g.Use(det)
	h := g.Handler(app())
	send := func(ip, path string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = ip + ":5555"
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var a struct{ Error string }
		json.Unmarshal(w.Body.Bytes(), &a)
		return w.Code, a.Error
	}
	names := []string{"about", "archive", "blog", "careers", "docs", "events", "forum", "help", "legacy", "media", "news", "press"}
	firstBlock, banned := time.Duration(-1), time.Duration(-1)
	for i := 1; banned < 0 && time.Duration(i)*every <= 10*time.Minute; i++ {
		clk.advance(every)
		at := time.Duration(i) * every
		path := fmt.Sprintf("/%s-%s", names[i%len(names)], names[i/len(names)%len(names)]) // a word list, no IDs
		switch code, kind := send("203.0.113.60", path); {
		case kind == "blocked" && firstBlock < 0:
			firstBlock = at
		case kind == "banned":
			banned = at
		case code != 404 && kind != "blocked":
			t.Fatalf("scanner request %d: %d %q", i, code, kind)
		}
		// A person reading records every 30 s, one mistyped address
		// every 3 minutes.
		if at%(30*time.Second) < every {
			n := int(at / (30 * time.Second))
			path, want := fmt.Sprintf("/api/records/%d", (n*37)%97+1), 200
			if n%6 == 5 {
				path, want = "/recrods-"+names[n/6%len(names)], 404
			}
			if code, kind := send("198.51.100.21", path); code != want {
				t.Fatalf("person stopped at %v: %d %q", at, code, kind)
			}
		}
	}
	if firstBlock < 0 || banned < 0 || banned > within {
		t.Fatalf("scanner blocked from %v, banned at %v; want banned within %v", firstBlock, banned, within)
	}
	t.Logf("scanner blocked from %v, banned at %v", firstBlock, banned)
}
