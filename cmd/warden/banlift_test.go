package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestServeReportBansLifted: a ban enforcement places (a script on a
// browser-only chat route) and bans an admin places and lifts through the
// admin API of `warden serve` (one lift clearing the scores, one with
// keep_score=true) are counted by `warden report` as issued and lifted,
// and the client whose ban was lifted is served again.
func TestServeReportBansLifted(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	cfg := writeConfig(t, "trusted_proxies: [127.0.0.1/32]\nroutes: {message: [\"POST /api/ask\"]}\n")
	s := startServe(t, "--config", cfg, "--upstream", up.URL)
	token, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	admin := func(method, path, body string) int {
		req, _ := http.NewRequest(method, "http://"+s.admin+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	get := func(ip string) int {
		req, _ := http.NewRequest("GET", "http://"+s.proxy+"/", nil)
		req.Header.Set("X-Forwarded-For", ip)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/bans", `{"target":"ip:198.51.100.7","duration":"2h","reason":"test"}`, 201},
		{"POST", "/api/v1/bans", `{"target":"ip:198.51.100.8","duration":"2h","reason":"test"}`, 201},
		{"DELETE", "/api/v1/bans/ip:198.51.100.7", "", 200},
		{"DELETE", "/api/v1/bans/ip:198.51.100.8?keep_score=true", "", 200},
		{"DELETE", "/api/v1/bans/ip:198.51.100.9", "", 404}, // no ban: nothing lifted
	} {
		if code := admin(c.method, c.path, c.body); code != c.want {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, code, c.want)
		}
	}
	if code := get("198.51.100.7"); code != 200 {
		t.Fatalf("client whose ban was lifted answered %d, want 200", code)
	}
	// A script on the chat route: blocked, and banned by enforcement.
	for i, want := range []int{403, 403} {
		req, _ := http.NewRequest("POST", "http://"+s.proxy+"/api/ask", strings.NewReader(`{"text":"hi"}`))
		req.Header.Set("X-Forwarded-For", "198.51.100.30")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (i == 1 && !strings.Contains(string(body), "banned")) {
			t.Fatalf("script request %d: %d %s, want %d (the second refused as banned)", i, resp.StatusCode, body, want)
		}
	}
	if code := s.stop(); code != 0 { // writes the ban history
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"report", "--config", cfg, "--date", "today", "--format", "json"},
		env{strings.NewReader(""), &out, &errb, noEnv}); code != 0 {
		t.Fatalf("warden report exit %d: %s", code, errb.String())
	}
	var rep struct {
		Bans struct {
			Issued, Lifted, Expired int64
			Cleared                 int64 `json:"lifted_score_cleared"`
		} `json:"bans"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if b := rep.Bans; b.Issued != 3 || b.Lifted != 2 || b.Cleared != 1 || b.Expired != 0 {
		t.Errorf("bans = %+v, want 3 issued (1 by enforcement), 2 lifted (1 clearing scores), none expired", b)
	}
}
