package warden_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/server"
	"github.com/warden-dev/warden/store/sqlite"
)

// TestMonitorLogTellsTheTruth checks the decision log in every monitor
// mode: the line's action is what happened (log: let through), would is
// what enforce mode would have done, status the answer the client got;
// and a finding at or below policy.log_threshold with no action of its
// own makes no line at all.
func TestMonitorLogTellsTheTruth(t *testing.T) {
	block := abuse.Verdict{Confidence: 1, Violation: "test"}
	tests := []struct {
		name       string
		global     config.Mode
		detector   config.Detector
		path       string
		verdict    abuse.Verdict
		wantEvent  bool
		wantAction string
		wantWould  string
		wantMode   string
		wantStatus int
	}{
		{"enforce blocks and says so", config.Enforce, config.Detector{}, "/", block, true, "block", "", "enforce", 403},
		{"global monitor", config.Monitor, config.Detector{}, "/", block, true, "log", "block", "monitor", 200},
		{"detector monitor", config.Enforce, config.Detector{Mode: config.Monitor}, "/", block, true, "log", "block", "monitor", 200},
		{"route monitor", config.Enforce, config.Detector{Routes: map[string]config.Mode{"/wiki/": config.Monitor}}, "/wiki/a", block, true, "log", "block", "monitor", 200},
		{"route monitor leaves other routes enforced", config.Enforce, config.Detector{Routes: map[string]config.Mode{"/wiki/": config.Monitor}}, "/api", block, true, "block", "", "enforce", 403},
		{"monitored throttle", config.Monitor, config.Detector{}, "/", abuse.Verdict{Action: abuse.Throttle, Violation: "rate_limit", RetryAfter: time.Minute}, true, "log", "throttle", "monitor", 200},
		{"grey finding logs in monitor mode without a would", config.Monitor, config.Detector{}, "/", abuse.Verdict{Confidence: 0.6, Violation: "test"}, true, "log", "", "monitor", 200},
		{"violation at log_threshold is not logged", config.Monitor, config.Detector{}, "/", abuse.Verdict{Confidence: 0.5, Violation: "test"}, false, "", "", "", 200},
		{"violation below log_threshold is not logged in enforce mode", config.Enforce, config.Detector{}, "/", abuse.Verdict{Confidence: 0.2, Violation: "test"}, false, "", "", "", 200},
		{"an explicit log action is logged however low", config.Monitor, config.Detector{}, "/", abuse.Verdict{Confidence: 0.1, Action: abuse.Log, Violation: "test"}, true, "log", "", "monitor", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Mode = tc.global
			cfg.Detectors = map[string]config.Detector{"test": tc.detector}
			g, err := server.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			v := tc.verdict
			g.Use(abuse.DetectorFunc{ID: "test", Fn: func(context.Context, *abuse.Request) abuse.Verdict { return v }})
			w, _ := do(t, g.Handler(&upstream{}), httptest.NewRequest("POST", tc.path, nil))
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tc.wantStatus)
			}
			events := storedEvents(t, g, cfg)
			if !tc.wantEvent {
				if len(events) != 0 {
					t.Fatalf("logged %+v, want no line", events[0])
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			e := events[0]
			if e.Action != tc.wantAction || e.Would != tc.wantWould || e.Mode != tc.wantMode || e.Status != tc.wantStatus {
				t.Fatalf("action %q would %q mode %q status %d, want %q %q %q %d",
					e.Action, e.Would, e.Mode, e.Status, tc.wantAction, tc.wantWould, tc.wantMode, tc.wantStatus)
			}
		})
	}
}

// storedEvents closes g, which drains its decision log into the data
// dir's database, and returns what the database holds.
func storedEvents(t *testing.T, g *server.Guard, cfg warden.Config) []eventlog.Event {
	t.Helper()
	ctx := context.Background()
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, server.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := db.Events(ctx, time.Time{}, eventlog.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	return events
}
