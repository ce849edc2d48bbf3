package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/syncbuf"
	"github.com/warden-dev/warden/ratelimit"
)

// TestOutageLoggedOnce: a Store dialed as `warden serve` dials it, logging
// to slog's default logger, with many requests in flight while Redis is
// away for dozens of retry windows and then back. go-redis' pool prints a
// line for each dial that fails and, once Redis is back, fails new
// connections for up to a second more; its lines reach the log at debug
// level only, and above debug level the log holds one warning for the
// outage and one line for the recovery.
func TestOutageLoggedOnce(t *testing.T) {
	var logs syncbuf.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	srv := startRedis(t)
	cfg := DefaultConfig()
	cfg.URL = "redis://" + srv.addr() + "/0"
	cfg.Timeout = 200 * time.Millisecond
	cfg.RetryAfter = 20 * time.Millisecond // dozens of retry windows in the outage
	s, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l := limiter(t, ratelimit.DefaultConfig(), s)
	ctx := context.Background()
	traffic := func(d time.Duration) {
		var wg sync.WaitGroup
		end := time.Now().Add(d)
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(end); i++ {
					l.Detect(ctx, login(fmt.Sprintf("198.51.100.%d", g+1), t0.Add(time.Duration(i)*time.Second)))
					time.Sleep(time.Millisecond) // pacing the load, not timing a result
				}
			}()
		}
		wg.Wait()
	}
	traffic(50 * time.Millisecond) // warm the pool
	if logs.String() != "" {
		t.Fatalf("logged while Redis was up:\n%s", logs.String())
	}

	srv.stop()
	traffic(time.Second)
	srv.start()
	deadline := time.Now().Add(settle + 10*time.Second)
	for s.Stats().Down || !strings.Contains(logs.String(), "redis is back") {
		if time.Now().After(deadline) {
			t.Fatalf("sharing did not resume: %+v\n%s", s.Stats(), logs.String())
		}
		traffic(50 * time.Millisecond)
	}
	traffic(100 * time.Millisecond)

	var above, lib int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		switch {
		case strings.Contains(line, "level=DEBUG msg=go-redis"):
			lib++
		case !strings.Contains(line, "level=DEBUG"):
			above++
		}
	}
	st := s.Stats()
	t.Logf("%d calls failed or refused; %d lines above debug level, %d go-redis lines at debug level", st.Failures, above, lib)
	if st.Outages != 1 {
		t.Errorf("stats %+v, want one outage", st)
	}
	if above != 2 || strings.Count(logs.String(), "level=WARN msg=\"redis unavailable") != 1 ||
		strings.Count(logs.String(), "level=INFO msg=\"redis is back") != 1 {
		t.Errorf("want one warning and one recovery line above debug level, got %d lines:\n%s", above, logs.String())
	}
	if lib == 0 {
		t.Errorf("no go-redis line reached slog at debug level: is libLogger go-redis' logger?\n%s", logs.String())
	}
}
