package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/llm/openaitest"
	"github.com/warden-dev/warden/store/sqlite"
)

// seedYesterday writes yesterday's events into the data dir's database,
// as a Warden that ran yesterday would have.
func seedYesterday(t *testing.T, data string) time.Time {
	t.Helper()
	y := time.Now().UTC().AddDate(0, 0, -1)
	day := time.Date(y.Year(), y.Month(), y.Day(), 0, 0, 0, 0, time.UTC)
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var es []eventlog.Event
	for i := range 3 {
		es = append(es, eventlog.Event{Time: day.Add(9*time.Hour + time.Duration(i)*time.Minute), RequestID: fmt.Sprint("y", i),
			Client: eventlog.Client{IP: "203.0.113.7"}, Method: "GET", Route: "GET /search", Path: "/search", Status: 403,
			Action: "block", Mode: "enforce", Abuse: &eventlog.Abuse{Confidence: 0.95,
				Detectors: []eventlog.Detector{{Name: "payload", Confidence: 0.95, Violation: "sqli", Messages: []string{"query.q: sqli"}}}}})
	}
	if err := db.WriteEvents(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	return day
}

func adminGet(t *testing.T, s *running, path string) *http.Response {
	t.Helper()
	token, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+s.admin+path, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestServeDailyReport: `warden serve` builds the report of the day
// before at report.hour (here 0, so at start), stores it and serves it at
// /api/v1/reports/{date} in JSON, HTML and text; and `warden report`
// reads what serve recorded today, counting the attacker as an offender
// and never the ordinary client.
func TestServeDailyReport(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer up.Close()
	// A stand-in model: it writes the summary from the figures it is sent
	// and answers judge calls as benign.
	api := openaitest.NewServer()
	defer api.Close()
	const summary = "Warden blocked 3 requests from 1 offender."
	api.Reply = func(r openaitest.ChatRequest) string {
		if strings.Contains(r.Text(0), "daily security report") {
			return summary
		}
		return `{"verdict":"benign","confidence":0.1,"category":"benign","reason":"ordinary"}`
	}
	cfg := writeConfig(t, "trusted_proxies: [127.0.0.1/32]\nreport: {hour: 0, time_zone: UTC}\n"+
		"llm: {base_url: "+api.BaseURL+", model: stand-in}\n")
	data := filepath.Dir(cfg)
	yesterday := seedYesterday(t, data)
	s := startServe(t, "--config", cfg, "--upstream", up.URL)

	// Today's traffic: an attacker's SQL injections, an ordinary user.
	send := func(ip, q string) int {
		req, _ := http.NewRequest("GET", "http://"+s.proxy+"/search?q="+url.QueryEscape(q), nil)
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
	for range 3 {
		if code := send("198.51.100.4", "1' UNION SELECT username, password FROM users--"); code != 403 {
			t.Fatalf("attack answered %d, want 403", code)
		}
	}
	for _, q := range []string{"blue shoes", "o'brien's book", "select a size"} {
		if code := send("198.51.100.5", q); code != 200 {
			t.Fatalf("ordinary search %q answered %d, want 200", q, code)
		}
	}

	// Yesterday's report, stored by the schedule at start.
	date := yesterday.Format(time.DateOnly)
	var rep struct {
		Date   string `json:"date"`
		Source string `json:"source"`
		Today  struct {
			Blocked, Offenders int64
		} `json:"today"`
		Summary struct {
			Text      string
			Generated bool
		} `json:"summary"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := adminGet(t, s, "/api/v1/reports/"+date)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(body, &rep); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/v1/reports/%s: %d %s", date, resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rep.Date != date || rep.Source != "SQLite" || rep.Today.Blocked != 3 || rep.Today.Offenders != 1 {
		t.Errorf("stored report = %+v, want %s from SQLite with 3 blocked from 1 offender", rep, date)
	}
	if !rep.Summary.Generated || rep.Summary.Text != summary {
		t.Errorf("summary = %+v, want the model's, labelled generated", rep.Summary)
	}
	for _, c := range []struct{ format, ctype, want string }{
		{"html", "text/html", "<svg"},
		{"text", "text/plain", "Warden daily report: " + date},
		{"md", "text/markdown", "| blocked | 3 |"},
	} {
		resp := adminGet(t, s, "/api/v1/reports/"+date+"?format="+c.format)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(body), c.want) {
			t.Errorf("format %s: %d %q, want %s holding %q:\n%s", c.format, resp.StatusCode, resp.Header.Get("Content-Type"), c.ctype, c.want, body)
		}
		if c.format == "html" && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("html report without a CSP that forbids scripts: %q", resp.Header.Get("Content-Security-Policy"))
		}
	}
	if resp := adminGet(t, s, "/api/v1/reports/1999-01-01"); resp.StatusCode != 404 {
		t.Errorf("report of a day never reported: %d, want 404", resp.StatusCode)
	}

	// Today, from the command line, once serve has written its events.
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"report", "--config", cfg, "--date", "today", "--format", "json"}, env{strings.NewReader(""), &out, &errb, noEnv})
	if code != 0 {
		t.Fatalf("warden report exit %d: %s", code, errb.String())
	}
	var today struct {
		Today struct {
			Blocked, Offenders, RepeatOffenders int64
		} `json:"today"`
		TopClients []struct {
			Name   string
			Events int64
		} `json:"top_clients"`
		AttackClasses []struct{ Name string } `json:"attack_classes"`
	}
	if err := json.Unmarshal(out.Bytes(), &today); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if today.Today.Blocked != 3 || today.Today.Offenders != 1 || today.Today.RepeatOffenders != 0 {
		t.Errorf("today = %+v, want 3 blocked from 1 new offender", today.Today)
	}
	if len(today.TopClients) != 1 || today.TopClients[0].Name != "198.51.100.4" || today.TopClients[0].Events != 3 {
		t.Errorf("top clients = %+v, want only the attacker (the ordinary client is no offender)", today.TopClients)
	}
	if len(today.AttackClasses) == 0 || today.AttackClasses[0].Name != "sqli" {
		t.Errorf("attack classes = %+v, want sqli first", today.AttackClasses)
	}
}

func TestReportCommandErrors(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "--data", data}, 2, "no event store"},
		{[]string{"report", "--format", "pdf"}, 2, "--format"},
		{[]string{"report", "--date", "12/06/2026", "--data", data}, 2, ""},
		{[]string{"report", "extra"}, 2, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), c.args, env{strings.NewReader(""), &out, &errb, noEnv}); code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %q", c.args, code, errb.String(), c.code, c.want)
		}
	}
	// A bad date is named as such once there is a store to read.
	seedYesterday(t, data)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"report", "--date", "12/06/2026", "--data", data}, env{strings.NewReader(""), &out, &errb, noEnv}); code != 2 || !strings.Contains(errb.String(), "--date") {
		t.Errorf("bad date: exit %d, %q", code, errb.String())
	}
	// Yesterday's report in text, by default.
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"report", "--data", data}, env{strings.NewReader(""), &out, &errb, noEnv}); code != 0 ||
		!strings.Contains(out.String(), "blocked                        3") || !strings.Contains(out.String(), "203.0.113.7") {
		t.Errorf("warden report: exit %d, %s\n%s", code, errb.String(), out.String())
	}
}
