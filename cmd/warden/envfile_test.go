package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeEnvFile: a LibreChat .env given with --env-file applies as if
// exported (LOGIN_MAX=2 limits the third login), start-up lists what it
// applied and warns about a misspelt score variable; without the file the
// default limit (7) lets the third login through.
func TestServeEnvFile(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	envPath := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(envPath, []byte("# LibreChat\nBAN_DURATION=1000 * 60 * 60 * 2\nLOGIN_MAX=2\nTTSS_VIOLATION_SCORE=3\n"), 0o600)
	for _, tc := range []struct {
		args  []string
		third int
	}{
		{[]string{"--env-file", envPath}, http.StatusTooManyRequests},
		{nil, http.StatusOK},
	} {
		s := startServe(t, append([]string{"--upstream", up.URL, "--data", t.TempDir()}, tc.args...)...)
		var codes []int
		for range 3 {
			req, _ := http.NewRequest("POST", "http://"+s.proxy+"/api/auth/login", strings.NewReader(`{"email":"a@example.com","password":"pw"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
			req.Header.Set("Accept", "application/json, text/plain, */*")
			req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
			req.Header.Set("Sec-Fetch-Mode", "cors")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
		}
		if codes[0] != 200 || codes[2] != tc.third {
			t.Errorf("%v: login statuses %v, want the third %d", tc.args, codes, tc.third)
		}
		if tc.args != nil {
			for _, want := range []string{"env: applied BAN_DURATION, LOGIN_MAX", "env: warning: TTSS_VIOLATION_SCORE is set but Warden does not read it (did you mean TTS_VIOLATION_SCORE?)"} {
				if !strings.Contains(s.stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, s.stderr.String())
				}
			}
		}
		s.stop()
	}
}
