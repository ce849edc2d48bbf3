package main

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/warden-dev/warden/internal/catalogue"
)

//go:embed mix.lua
var mixLua []byte

// wrkResult is what one wrk run reported.
type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	non2xx   int64 // "Non-2xx or 3xx responses"
	errors   string
}

// wrkRunner runs wrk with the harness's mix script and body.
type wrkRunner struct {
	bin, script, body string
	threads, conns    int
	clients           int // client addresses the script sends as X-Forwarded-For
	postEvery         int // every N-th request is the POST; 0: GETs only
}

func newWrkRunner(bin string, threads, conns, clients, postEvery int) (*wrkRunner, func(), error) {
	dir, err := os.MkdirTemp("", "warden-wrk-")
	if err != nil {
		return nil, nil, fmt.Errorf("wrk files: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	w := &wrkRunner{bin: bin, script: filepath.Join(dir, "mix.lua"), body: filepath.Join(dir, "body.json"), threads: threads, conns: conns, clients: clients, postEvery: postEvery}
	if err := os.WriteFile(w.script, mixLua, 0o600); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("wrk script: %w", err)
	}
	if err := os.WriteFile(w.body, catalogue.JSON(bodySize), 0o600); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("wrk body: %w", err)
	}
	return w, cleanup, nil
}

// args are wrk's arguments for one run against base.
func (w *wrkRunner) args(base string, d time.Duration) []string {
	return []string{"-t" + strconv.Itoa(w.threads), "-c" + strconv.Itoa(w.conns),
		"-d" + strconv.Itoa(max(1, int(d.Seconds()))) + "s", "--latency", "-s", w.script, base, "--", w.body, strconv.Itoa(w.clients), strconv.Itoa(w.postEvery)}
}

func (w *wrkRunner) run(ctx context.Context, base string, d time.Duration) (wrkResult, error) {
	out, err := exec.CommandContext(ctx, w.bin, w.args(base, d)...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return parseWrk(string(out))
}

// parseWrk reads wrk's report: "Requests/sec:", the --latency
// distribution's 50% and 99% lines, non-2xx answers and socket errors.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("wrk requests/sec %q: %w", f[1], err)
			}
			r.rps = v
		case len(f) == 2 && f[0] == "50%":
			r.p50, _ = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			r.p99, _ = parseWrkDuration(f[1])
		case len(f) == 5 && f[0] == "Non-2xx":
			r.non2xx, _ = strconv.ParseInt(f[4], 10, 64)
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			r.errors = strings.Join(f[2:], " ")
		}
	}
	if r.rps == 0 {
		return r, fmt.Errorf("wrk output has no Requests/sec line: %q", truncate(out, 200))
	}
	return r, nil
}

// parseWrkDuration reads wrk's "123.45us", "1.20ms", "2.00s".
func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk duration %q: %w", s, err)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
