package alert_test

import (
	"fmt"
	"time"

	"github.com/warden-dev/warden/alert"
)

// The plain-text part of an alert mail (the HTML part says the same).
func ExampleText() {
	t0 := time.Date(2026, 12, 7, 10, 2, 30, 0, time.UTC)
	n := alert.Notification{ID: "msg_1", Type: "alert", Status: alert.Firing, Rule: "credential_stuffing",
		Title: "[FIRING] Warden: credential stuffing or enumeration in progress: POST /api/auth/login credential_stuffing",
		Time:  t0.Add(30 * time.Second),
		Alerts: []alert.Alert{{Rule: "credential_stuffing", Scope: "POST /api/auth/login credential_stuffing", State: alert.Firing,
			Summary: "14 credential_stuffing findings on POST /api/auth/login in 10m", Value: 14, Threshold: 1,
			Window: 10 * time.Minute, Clients: []string{"ip:203.0.113.7", "ip:203.0.113.19"}, StartsAt: t0}}}
	fmt.Print(alert.Text(n))
	// Output:
	// [FIRING] Warden: credential stuffing or enumeration in progress: POST /api/auth/login credential_stuffing
	//
	// - [FIRING] 14 credential_stuffing findings on POST /api/auth/login in 10m
	//   clients: ip:203.0.113.7, ip:203.0.113.19
	//   rule credential_stuffing: threshold 1 per 10m; since 2026-12-07 10:02:30Z
	//
	// Warden, 2026-12-07 10:03:00Z
}
