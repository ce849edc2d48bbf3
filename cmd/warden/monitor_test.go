package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loggedEvent is a decision-log event as the admin API returns it.
type loggedEvent struct {
	RequestID string `json:"request_id"`
	Status    int    `json:"status"`
	Action    string `json:"action"`
	Mode      string `json:"mode"`
	Would     string `json:"would"`
	Abuse     struct {
		Detectors []struct {
			Name      string `json:"name"`
			Violation string `json:"violation"`
		} `json:"detectors"`
	} `json:"abuse"`
}

// adminEvents waits until the events API of s lists every request id in
// ids, and returns those events by id.
func adminEvents(t *testing.T, s *running, ids ...string) map[string]loggedEvent {
	t.Helper()
	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]loggedEvent{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/events?limit=1000", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Events []loggedEvent `json:"events"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got[e.RequestID] = e
		}
		missing := 0
		for _, id := range ids {
			if _, ok := got[id]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests never reached the decision log", missing, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeMonitorLogTellsTheTruth runs `warden serve` in monitor mode,
// globally and per detector, and checks that an attack the payload
// detector would block reaches the app and is logged as what happened
// (action log, status 200) with what enforce mode would have done
// (would: block) beside it.
func TestServeMonitorLogTellsTheTruth(t *testing.T) {
	tests := []struct {
		name, config string
	}{
		{"global monitor", "mode: monitor\n"},
		{"payload detector monitor", "detectors:\n  payload: {mode: monitor}\n"},
		{"payload monitored on the route", "detectors:\n  payload:\n    routes: {\"POST /api/search\": monitor}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
			defer up.Close()
			cfg := filepath.Join(t.TempDir(), "warden.yaml")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())
			req, _ := http.NewRequest("POST", "http://"+s.proxy+"/api/search", strings.NewReader(`{"q":"1' UNION SELECT password FROM users--"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
			req.Header.Set("Accept", "*/*")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "app" {
				t.Fatalf("got %d %q, want the app's answer: monitor mode never blocks", resp.StatusCode, body)
			}
			id := resp.Header.Get("X-Request-Id")
			e := adminEvents(t, s, id)[id]
			if e.Action != "log" || e.Would != "block" || e.Mode != "monitor" || e.Status != 200 {
				t.Fatalf("event action %q would %q mode %q status %d, want log, would block, monitor, 200",
					e.Action, e.Would, e.Mode, e.Status)
			}
			if len(e.Abuse.Detectors) == 0 || e.Abuse.Detectors[0].Violation != "sqli" {
				t.Fatalf("event detectors %+v, want the sqli finding", e.Abuse.Detectors)
			}
		})
	}
}
