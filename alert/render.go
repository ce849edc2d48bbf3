package alert

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// Text renders n as plain text: the title, then one line per alert.
func Text(n Notification) string {
	var b strings.Builder
	b.WriteString(n.Title)
	b.WriteString("\n\n")
	for _, a := range n.Alerts {
		fmt.Fprintf(&b, "- [%s] %s\n", strings.ToUpper(a.State), a.Summary)
		if len(a.Clients) > 0 {
			fmt.Fprintf(&b, "  clients: %s\n", strings.Join(a.Clients, ", "))
		}
		fmt.Fprintf(&b, "  rule %s: threshold %d per %s; since %s\n", a.Rule, a.Threshold, fmtWindow(a.Window), a.StartsAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if n.More > 0 {
		fmt.Fprintf(&b, "- and %d more\n", n.More)
	}
	for _, h := range n.Held {
		fmt.Fprintf(&b, "- %s\n", h)
	}
	fmt.Fprintf(&b, "\nWarden, %s\n", n.Time.UTC().Format("2006-01-02 15:04:05Z"))
	return b.String()
}

// HTML renders n as a small HTML document with inline styles (mail
// clients drop style sheets); every value is escaped.
func HTML(n Notification) string {
	var b strings.Builder
	color := "#b00020"
	if n.Status == Resolved {
		color = "#1b5e20"
	}
	fmt.Fprintf(&b, `<!DOCTYPE html><html><body style="font-family:sans-serif">`+
		`<h2 style="color:%s">%s</h2><ul>`, color, html.EscapeString(n.Title))
	for _, a := range n.Alerts {
		fmt.Fprintf(&b, `<li><b>%s</b> %s`, html.EscapeString(strings.ToUpper(a.State)), html.EscapeString(a.Summary))
		if len(a.Clients) > 0 {
			fmt.Fprintf(&b, `<br>clients: <code>%s</code>`, html.EscapeString(strings.Join(a.Clients, ", ")))
		}
		fmt.Fprintf(&b, `<br><small>rule %s: threshold %d per %s</small></li>`, html.EscapeString(a.Rule), a.Threshold, fmtWindow(a.Window))
	}
	if n.More > 0 {
		fmt.Fprintf(&b, `<li>and %d more</li>`, n.More)
	}
	for _, h := range n.Held {
		fmt.Fprintf(&b, `<li>%s</li>`, html.EscapeString(h))
	}
	fmt.Fprintf(&b, `</ul><p><small>Warden, %s</small></p></body></html>`, n.Time.UTC().Format("2006-01-02 15:04:05Z"))
	return b.String()
}

// Sample is the message `warden alerts test` sends: one firing alert of
// each kind people see most, marked as a test.
func Sample(now time.Time) Notification {
	a := Alert{Rule: "blocked", Scope: "POST /api/auth/login", Action: "block", State: Firing, Value: 120,
		Threshold: 100, Window: 5 * time.Minute, Clients: []string{"ip:203.0.113.7"}, StartsAt: now}
	a.Summary = summary(a)
	return Notification{ID: "msg_test_" + strconv.FormatInt(now.UnixNano(), 36), Type: "test", Status: Firing, Rule: "blocked",
		Title: "[TEST] Warden: this is a test alert; no action needed", Time: now, Alerts: []Alert{a}}
}
