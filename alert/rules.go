package alert

import (
	"fmt"
	"strings"
	"time"
)

// ruleTitle names a rule in a message title.
func ruleTitle(rule string) string {
	switch rule {
	case "ban":
		return "clients banned"
	case "repeat_ban":
		return "client banned again"
	case "blocked":
		return "requests blocked"
	case "new_attack_class":
		return "new attack class"
	case "credential_stuffing":
		return "credential stuffing or enumeration in progress"
	case "store_outage":
		return "store outage, running on local fallback"
	case "dropped_events":
		return "decision-log events dropped"
	case "llm_unavailable":
		return "LLM judge or moderation unavailable"
	case "budget_exhausted":
		return "token budget exhausted"
	case "error_rate":
		return "Warden internal errors"
	}
	return rule
}

// summary is one line about an alert. Scopes are route patterns, store
// names, violation types and redacted client names, never request data.
func summary(a Alert) string {
	w := fmtWindow(a.Window)
	switch a.Rule {
	case "ban":
		return fmt.Sprintf("%d bans issued in %s", a.Value, w)
	case "repeat_ban":
		return fmt.Sprintf("%s banned %d times in %s", a.Scope, a.Value, w)
	case "blocked":
		return fmt.Sprintf("%d requests answered %s on %s in %s", a.Value, a.Action, a.Scope, w)
	case "new_attack_class":
		return fmt.Sprintf("attack class %q seen, not seen in the %s before", a.Scope, w)
	case "credential_stuffing":
		route, kind := a.Scope, ""
		if i := strings.LastIndexByte(a.Scope, ' '); i >= 0 {
			route, kind = a.Scope[:i], a.Scope[i+1:]
		}
		return fmt.Sprintf("%d %s findings on %s in %s", a.Value, kind, route, w)
	case "store_outage":
		return fmt.Sprintf("%d operations fell back to local state because %s failed, in %s", a.Value, a.Scope, w)
	case "dropped_events":
		return fmt.Sprintf("%d decision-log events dropped in %s", a.Value, w)
	case "llm_unavailable":
		return fmt.Sprintf("%d %s calls failed or timed out in %s", a.Value, a.Scope, w)
	case "budget_exhausted":
		return fmt.Sprintf("%d requests throttled by an exhausted token budget in %s", a.Value, w)
	case "error_rate":
		return fmt.Sprintf("%d internal errors (recovered panics) in %s", a.Value, w)
	}
	return fmt.Sprintf("%s %s: %d in %s", a.Rule, a.Scope, a.Value, w)
}

// title is a message's subject: state, count, rule and, for one alert,
// its scope.
func title(n Notification) string {
	state := "FIRING"
	if n.Status == Resolved {
		state = "RESOLVED"
	}
	t := fmt.Sprintf("[%s] Warden: %s", state, ruleTitle(n.Rule))
	switch {
	case len(n.Alerts) == 1 && n.More == 0 && n.Alerts[0].Scope != "":
		t += ": " + n.Alerts[0].Scope
	case len(n.Alerts)+n.More > 1:
		t += fmt.Sprintf(" (%d)", len(n.Alerts)+n.More)
	}
	return t
}

func fmtWindow(d time.Duration) string {
	s := d.String() // "10m0s", "24h0m0s", "30s"
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
