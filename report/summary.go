package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/warden-dev/warden/internal/redact"
)

// facts is what the model sees: the computed aggregates only, with counts
// instead of client addresses and user ids. Every number the summary may
// state is in here.
type facts struct {
	Date        string         `json:"date"`
	TimeZone    string         `json:"time_zone"`
	HoursInDay  int            `json:"hours_in_day"`
	Today       Headline       `json:"today"`
	PreviousDay Headline       `json:"previous_day"`
	ChangePct   map[string]any `json:"change_vs_previous_day_percent"`
	BusiestHour *hourFact      `json:"busiest_hour,omitempty"`
	TopClients  []int64        `json:"top_offending_clients_events"` // events of each, no addresses
	TopUsers    []int64        `json:"top_offending_users_events"`
	TopRoutes   []Row          `json:"top_routes"`
	Detectors   []Row          `json:"detectors"`
	Violations  []Row          `json:"violation_types"`
	Attacks     []Row          `json:"attack_classes"`
	Bans        Bans           `json:"bans"`
	Alerts      *Alerts        `json:"alerts,omitempty"`
	Health      *Health        `json:"health,omitempty"`
	AIModels    []UsageRow     `json:"ai_models,omitempty"` // tokens and cost per model
}

type hourFact struct {
	Start  string `json:"start"`
	Events int64  `json:"events"`
}

// factTop bounds the rows of each list the model sees.
const factTop = 5

func factsOf(r *Report) facts {
	f := facts{
		Date: r.Date, TimeZone: r.TimeZone, HoursInDay: len(r.Hours),
		Today: r.Today, PreviousDay: r.Yesterday, ChangePct: map[string]any{},
		TopRoutes: head(r.TopRoutes), Detectors: head(r.Detectors), Violations: head(r.Violations),
		Attacks: head(r.AttackClasses), Bans: r.Bans, Alerts: r.Alerts, Health: r.Health,
	}
	for _, c := range headlineFields(r) {
		if p, ok := Change(c.today, c.before); ok {
			f.ChangePct[c.key] = round1(p)
		}
	}
	if u := r.Usage; u != nil {
		if len(u.Models) > factTop {
			f.AIModels = u.Models[:factTop]
		} else {
			f.AIModels = u.Models
		}
		if u.Priced && r.Yesterday.CostUSD > 0 {
			f.ChangePct["cost_usd"] = round1((r.Today.CostUSD - r.Yesterday.CostUSD) * 100 / r.Yesterday.CostUSD)
		}
	}
	var best *Hour
	for i := range r.Hours {
		if h := &r.Hours[i]; h.Total() > 0 && (best == nil || h.Total() > best.Total()) {
			best = h
		}
	}
	if best != nil {
		f.BusiestHour = &hourFact{Start: best.Label, Events: best.Total()}
	}
	for _, x := range head(r.TopClients) {
		f.TopClients = append(f.TopClients, x.Events)
	}
	for _, x := range head(r.TopUsers) {
		f.TopUsers = append(f.TopUsers, x.Events)
	}
	return f
}

func head(rows []Row) []Row {
	if len(rows) > factTop {
		return rows[:factTop]
	}
	return rows
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

type headlineField struct {
	key, label    string
	today, before int64
}

func headlineFields(r *Report) []headlineField {
	t, y := r.Today, r.Yesterday
	return []headlineField{
		{"requests", "requests", t.Requests, y.Requests},
		{"allowed", "allowed", t.Allowed, y.Allowed},
		{"logged", "logged", t.Logged, y.Logged},
		{"throttled", "throttled", t.Throttled, y.Throttled},
		{"blocked", "blocked", t.Blocked, y.Blocked},
		{"banned", "banned", t.Banned, y.Banned},
		{"offenders", "distinct offenders", t.Offenders, y.Offenders},
		{"tokens", "AI tokens", t.Tokens, y.Tokens},
	}
}

const summarySystem = `You write the summary of a daily security report for the operators of a web API protected by Warden, a security proxy.
You are given the day's computed figures as JSON. Write 3 to 5 plain sentences: what happened, what stands out, what changed against the previous day.
Rules: state only numbers that appear in the JSON, written exactly as they appear there (you may add thousands separators or a % sign); do not compute new numbers (no sums, differences, ratios or rounding); do not mention IP addresses, users, URLs or anything not in the JSON; no headings, lists, links or Markdown.`

// summaryMaxTokens bounds the model's answer.
const summaryMaxTokens = 400

// maxSummaryBytes bounds an answer accepted from the model.
const maxSummaryBytes = 2000

// summarize asks the model when one is configured and checks its answer
// against the facts; the template is used when there is no model, the
// call fails or the answer states a number that is not a fact.
func (b *Builder) summarize(ctx context.Context, r *Report) Summary {
	f := factsOf(r)
	tmpl := Summary{Text: templateSummary(r, f)}
	m := b.opts.Model
	if m == nil || !m.Enabled() || !b.opts.Config.Summary {
		return tmpl
	}
	data, err := json.Marshal(f)
	if err != nil {
		tmpl.Rejected = "encoding the facts: " + err.Error()
		return tmpl
	}
	answer, err := m.Complete(ctx, summarySystem, string(data), summaryMaxTokens)
	if err != nil {
		tmpl.Rejected = "the model did not answer: " + err.Error()
		return tmpl
	}
	if reason := checkSummary(answer, data); reason != "" {
		tmpl.Rejected = reason
		return tmpl
	}
	return Summary{Text: redact.Names{}.Text(answer), Generated: true, Model: m.Model()}
}

// numberRE finds numbers as a person writes them: 1,234 and 12.5 (a sign
// or % around them is read as part of the prose).
var numberRE = regexp.MustCompile(`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`)

// checkSummary returns why answer cannot be used, or "" when every number
// it states is one of the facts (data, the JSON the model saw) as written
// or rounded to the digits shown.
func checkSummary(answer string, data []byte) string {
	switch {
	case strings.TrimSpace(answer) == "":
		return "the model's answer is empty"
	case len(answer) > maxSummaryBytes:
		return fmt.Sprintf("the model's answer is longer than %d bytes", maxSummaryBytes)
	case strings.Contains(answer, "://") || strings.Contains(answer, "<"):
		return "the model's answer holds a link or markup"
	case strings.ContainsFunc(answer, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\r' && c != '\t' }):
		return "the model's answer holds control characters"
	}
	known := factNumbers(data)
	for _, m := range numberRE.FindAllString(answer, -1) {
		if !grounded(m, known) {
			return fmt.Sprintf("the model stated %s, which is not one of the figures", m)
		}
	}
	return ""
}

// factNumbers collects every number in the facts: JSON numbers, and
// digits inside strings (the date, the busiest hour, route names).
func factNumbers(data []byte) []float64 {
	var out []float64
	for _, m := range numberRE.FindAllString(string(data), -1) {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// grounded reports whether the written number s is a fact, allowing for
// thousands separators and for rounding to the decimals s shows.
func grounded(s string, facts []float64) bool {
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		return false
	}
	decimals := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		decimals = len(s) - i - 1
	}
	tol := 0.5 * math.Pow(10, -float64(decimals))
	for _, f := range facts {
		if d := math.Abs(math.Abs(f) - v); d < tol || (decimals == 0 && d == 0) {
			return true
		}
	}
	return false
}

// templateSummary writes the summary from the figures alone.
func templateSummary(r *Report, f facts) string {
	t := r.Today
	var b strings.Builder
	what := "requests"
	if !r.AllRequests {
		// Without the request log, plain allows are not events: say
		// what was counted rather than "0 allowed".
		what = "decisions other than a plain allow"
	}
	fmt.Fprintf(&b, "On %s Warden recorded %s %s", r.Date, num(t.Requests), what)
	if p, ok := f.ChangePct["requests"]; ok {
		fmt.Fprintf(&b, " (%s%% against the day before)", signed(p.(float64)))
	}
	allowed := "allowed"
	if !r.AllRequests {
		allowed = "allowed with a finding"
	}
	fmt.Fprintf(&b, ": %s %s, %s logged, %s throttled, %s blocked and %s refused to banned clients.",
		num(t.Allowed), allowed, num(t.Logged), num(t.Throttled), num(t.Blocked), num(t.Banned))
	if t.Offenders > 0 {
		fmt.Fprintf(&b, " %s distinct clients offended (%s new, %s seen in the week before).",
			num(t.Offenders), num(t.NewOffenders), num(t.RepeatOffenders))
	} else {
		b.WriteString(" No client offended.")
	}
	if f.BusiestHour != nil {
		fmt.Fprintf(&b, " The busiest hour began at %s with %s events.", f.BusiestHour.Start, num(f.BusiestHour.Events))
	}
	if len(r.Detectors) > 0 {
		fmt.Fprintf(&b, " The most active detector was %s (%s findings)", r.Detectors[0].Name, num(r.Detectors[0].Events))
		if len(r.AttackClasses) > 0 {
			fmt.Fprintf(&b, " and the most frequent attack class %s (%s)", r.AttackClasses[0].Name, num(r.AttackClasses[0].Events))
		}
		b.WriteString(".")
	}
	switch {
	case r.Bans.Lifted > 0:
		fmt.Fprintf(&b, " %s bans were issued and %s lifted by an admin.", num(max(r.Bans.Issued, 0)), num(r.Bans.Lifted))
	case r.Bans.Issued > 0:
		fmt.Fprintf(&b, " %s bans were issued.", num(r.Bans.Issued))
	}
	if u := r.Usage; u != nil && t.Tokens > 0 {
		fmt.Fprintf(&b, " AI requests used %s tokens", num(t.Tokens))
		if u.Priced {
			fmt.Fprintf(&b, ", an estimated %s", usd(t.CostUSD))
		}
		b.WriteString(".")
	}
	return b.String()
}

// num writes n with thousands separators: 1234567 → 1,234,567.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func signed(p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	if p > 0 {
		s = "+" + s
	}
	return s
}
