package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/syncbuf"
)

// TestEveryHelpExitsZero: asking for help is not a usage error.
func TestEveryHelpExitsZero(t *testing.T) {
	var names []string
	for n := range commands() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, h := range []string{"-h", "--help"} {
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{n, h}, env{strings.NewReader(""), &out, &errb, noEnv})
			if code != 0 {
				t.Errorf("warden %s %s: exit %d, want 0 (%s)", n, h, code, errb.String())
			}
		}
	}
}

func TestVersionNamesRevision(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/warden-dev/warden", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}}}
	tests := []struct {
		version string
		bi      *debug.BuildInfo
		want    string
	}{
		{"dev", bi, "warden v1.4.0, revision 0123abcd (modified) of 2026-12-01T10:00:00Z, go1.26.0"},
		{"v2.0.0", bi, "warden v2.0.0, revision 0123abcd (modified) of 2026-12-01T10:00:00Z, go1.26.0"},
		{"dev", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "warden (devel), no VCS revision (built outside a git checkout or with -buildvcs=false), go1.26.0"},
	}
	for _, tc := range tests {
		if got := formatVersion(tc.version, tc.bi); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env{nil, &out, io.Discard, noEnv}); code != 0 || strings.Contains(out.String(), "warden dev") {
		t.Fatalf("exit %d, %q: the build info's version, not dev", code, out.String())
	}
}

// TestServeModeFlag: --mode monitor lets an attack through (logged),
// enforce blocks it; the banner says which.
func TestServeModeFlag(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	for _, tc := range []struct {
		mode string
		want int
	}{{"monitor", 200}, {"enforce", 403}} {
		s := startServe(t, "--upstream", up.URL, "--data", t.TempDir(), "--mode", tc.mode)
		if !strings.Contains(s.stdout.String(), "(mode "+tc.mode+")") {
			t.Errorf("banner %q does not say mode %s", s.stdout.String(), tc.mode)
		}
		resp, err := http.Get("http://" + s.proxy + "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("--mode %s: status %d, want %d", tc.mode, resp.StatusCode, tc.want)
		}
		// An ordinary request passes in both modes.
		resp, err = http.Get("http://" + s.proxy + "/search?q=blue+shoes")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("--mode %s: ordinary request got %d", tc.mode, resp.StatusCode)
		}
		s.stop()
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--upstream", up.URL, "--mode", "monitr"}, env{strings.NewReader(""), &out, &errb, noEnv})
	if code != 2 || !strings.Contains(errb.String(), `--mode: must be enforce or monitor, got "monitr"`) {
		t.Fatalf("bad --mode: exit %d, %q", code, errb.String())
	}
}

// TestServeAdminOff: --admin "" and --admin off start no admin API and
// say so, as admin.listen: "" does.
func TestServeAdminOff(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	for _, v := range []string{"", "off"} {
		ctx, cancel := context.WithCancel(context.Background())
		out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--upstream", up.URL, "--data", t.TempDir(), "--admin", v},
				env{strings.NewReader(""), out, errb, noEnv})
		}()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "admin:") && time.Now().Before(deadline) {
			select {
			case code := <-done:
				t.Fatalf("--admin %q: exit %d: %s", v, code, errb.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		if !strings.Contains(out.String(), "admin:  off") || strings.Contains(out.String(), "http://(off)") || strings.Contains(out.String(), "token in") {
			t.Errorf("--admin %q: banner %q", v, out.String())
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("--admin %q: exit %d", v, code)
		}
	}
}

func TestCheckConfigPrint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.yaml")
	os.WriteFile(path, []byte("upstream: http://127.0.0.1:3000\nadmin:\n  token: hunter2hunter2hunter2\n"), 0o600)
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) {
		if k == "WARDEN_MODE" {
			return "monitor", true
		}
		return "", false
	}
	code := run(context.Background(), []string{"check-config", "--print", path}, env{nil, &out, &errb, lookup})
	if code != 0 || !strings.Contains(out.String(), "mode: monitor # env WARDEN_MODE\n") || !strings.Contains(out.String(), "upstream: http://127.0.0.1:3000 # file\n") ||
		strings.Contains(out.String(), "hunter2") {
		t.Fatalf("exit %d, stdout %.300q…, stderr %q", code, out.String(), errb.String())
	}
}

// TestServeRefusesMisspeltNames: a typo under detectors: or routes: that
// would leave a detector enforcing, or a limit unapplied, stops serve
// with the file, line and a did-you-mean.
func TestServeRefusesMisspeltNames(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"detectors:\n  paylod: {mode: monitor}\n", `/warden.yaml:3: detectors.paylod: unknown detector "paylod" (did you mean payload?)`},
		{"routes:\n  loginn: [\"POST /api/auth/login\"]\n  register: [\"POST /api/auth/register\"]\n  message: [\"POST /api/ask/{rest...}\"]\n",
			`/warden.yaml:3: ratelimit.policies[0].classes[0]: the default route class "login" is not defined under routes (did you mean loginn?`},
	}
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), "warden.yaml")
		os.WriteFile(path, []byte("upstream: http://127.0.0.1:3000\n"+tc.yaml), 0o600)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out, errb bytes.Buffer
		code := run(ctx, []string{"serve", "--config", path, "--listen", "127.0.0.1:0", "--admin", "off", "--data", t.TempDir()}, env{strings.NewReader(""), &out, &errb, noEnv})
		cancel()
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
		}
	}
}
