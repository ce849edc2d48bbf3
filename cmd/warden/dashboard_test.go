package main

import (
	"net/url"
	"testing"
	"time"
)

// TestServeOverviewAndDecisions drives `warden serve` with SQL injection
// from one client and ordinary requests from another, then reads the
// admin API's overview and decision log: the attacks are counted by the
// event store (action, violation type, client) and the log filters to the
// attacker's decisions, repeats collapsed; the ordinary client is never
// stopped.
func TestServeOverviewAndDecisions(t *testing.T) {
	s := startIPv6Serve(t)
	const attacks = 6
	for range attacks {
		if code, _ := s.send(t, "GET", "/search?q="+url.QueryEscape("1' UNION SELECT password FROM users--"), "203.0.113.7", ""); code != 403 {
			t.Fatalf("SQL injection answered %d, want 403", code)
		}
	}
	for i := range 5 {
		if code, _ := s.send(t, "GET", "/items?page="+string(rune('1'+i)), "192.0.2.10", ""); code != 200 {
			t.Fatalf("ordinary request answered %d, want 200", code)
		}
	}

	type count struct {
		Key string `json:"key"`
		N   int64  `json:"n"`
	}
	var ov struct {
		Actions    map[string]int64 `json:"actions"`
		Violations []count          `json:"violations"`
		Clients    []count          `json:"clients"`
		Buckets    []struct {
			Actions map[string]int64 `json:"actions"`
		} `json:"buckets"`
	}
	// Events reach the store in batches: wait for them, boundedly.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code := s.admin(t, "GET", "/api/v1/overview?range=1h", "", &ov); code != 200 {
			t.Fatalf("overview: status %d", code)
		}
		if ov.Actions["block"] >= attacks || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ov.Actions["block"] != attacks {
		t.Fatalf("overview: %d blocked, want %d: %+v", ov.Actions["block"], attacks, ov)
	}
	var inBuckets int64
	for _, b := range ov.Buckets {
		inBuckets += b.Actions["block"]
	}
	if inBuckets != attacks {
		t.Errorf("overview: the steps hold %d blocked, want %d", inBuckets, attacks)
	}
	if len(ov.Violations) == 0 || ov.Violations[0].Key != "sqli" || ov.Violations[0].N != attacks {
		t.Errorf("overview: violations %+v, want sqli first with %d", ov.Violations, attacks)
	}
	if len(ov.Clients) != 1 || ov.Clients[0] != (count{"203.0.113.7", attacks}) {
		t.Errorf("overview: stopped clients %+v, want only 203.0.113.7 with %d", ov.Clients, attacks)
	}

	var log struct {
		Decisions []struct {
			Action    string `json:"action"`
			Repeat    int    `json:"repeat"`
			RequestID string `json:"request_id"`
			Abuse     *struct {
				Detectors []struct {
					Violation string   `json:"violation"`
					Messages  []string `json:"messages"`
				} `json:"detectors"`
			} `json:"abuse"`
		} `json:"decisions"`
		Events int `json:"events"`
	}
	if code := s.admin(t, "GET", "/api/v1/decisions?client=203.0.113.7&violation=sqli", "", &log); code != 200 {
		t.Fatalf("decisions: status %d", code)
	}
	if log.Events != attacks || len(log.Decisions) != 1 || log.Decisions[0].Repeat != attacks || log.Decisions[0].Action != "block" ||
		log.Decisions[0].RequestID == "" || log.Decisions[0].Abuse == nil || len(log.Decisions[0].Abuse.Detectors) == 0 {
		t.Errorf("decisions: %+v, want one block row ×%d with its request id and findings", log, attacks)
	}
	if code := s.admin(t, "GET", "/api/v1/decisions?client=192.0.2.10&action=block", "", &log); code != 200 || log.Events != 0 {
		t.Errorf("decisions: the ordinary client has %d blocked decisions (status %d)", log.Events, code)
	}
}
