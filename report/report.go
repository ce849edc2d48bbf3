package report

import (
	"time"

	"github.com/warden-dev/warden/internal/reportconfig"
)

// Config is the `report` section of the configuration.
type Config = reportconfig.Config

// DefaultConfig returns the section's defaults.
func DefaultConfig() Config { return reportconfig.DefaultConfig() }

// Report is one day's report. Its JSON form is what GET
// /api/v1/reports/{date} answers and what is stored.
type Report struct {
	Date      string    `json:"date"` // YYYY-MM-DD in TimeZone
	TimeZone  string    `json:"time_zone"`
	From      time.Time `json:"from"` // the day's first instant
	To        time.Time `json:"to"`   // the next day's first instant
	Generated time.Time `json:"generated"`
	Source    string    `json:"source"` // SQLite or PostgreSQL
	// AllRequests says the events hold every request (log.requests):
	// without it, allowed requests are not in the figures.
	AllRequests bool `json:"all_requests"`

	Today     Headline `json:"today"`
	Yesterday Headline `json:"previous_day"`

	Hours []Hour `json:"hours"` // one per hour of the day (23 or 25 on DST changes)

	TopClients    []Row `json:"top_clients"`    // offending client IPs
	TopUsers      []Row `json:"top_users"`      // offending user ids
	TopRoutes     []Row `json:"top_routes"`     // routes by flagged decisions
	Detectors     []Row `json:"detectors"`      // detector findings
	Violations    []Row `json:"violations"`     // violation types
	AttackClasses []Row `json:"attack_classes"` // payload attack classes

	Usage   *Usage  `json:"usage,omitempty"` // nil: no token usage recorded yet
	Bans    Bans    `json:"bans"`
	Alerts  *Alerts `json:"alerts,omitempty"` // nil: no alert history to read
	Health  *Health `json:"health,omitempty"` // nil: not recorded
	Summary Summary `json:"summary"`
	// Notes say what the figures do not cover (no request log, no token
	// counts, no alert history…), so a zero is not misread.
	Notes []string `json:"notes,omitempty"`
}

// Headline is a day's main numbers. Requests counts events in the store:
// every request when log.requests is on, otherwise only decisions that
// were not a plain allow.
type Headline struct {
	Requests  int64 `json:"requests"`
	Allowed   int64 `json:"allowed"`
	Logged    int64 `json:"logged"`
	Throttled int64 `json:"throttled"`
	Blocked   int64 `json:"blocked"` // block, reject and too_large answers
	Banned    int64 `json:"banned"`  // requests refused because the client was banned
	// Offenders are distinct client IPs that had a request stopped (or,
	// in monitor mode, would have had).
	Offenders int64 `json:"offenders"`
	// RepeatOffenders were offenders in the RepeatWindow before the day
	// too; NewOffenders were not.
	NewOffenders    int64 `json:"new_offenders"`
	RepeatOffenders int64 `json:"repeat_offenders"`
	// Tokens are the prompt and completion tokens of AI requests, CostUSD
	// their estimated cost (0 without prices): see Usage.
	Tokens  int64   `json:"tokens"`
	CostUSD float64 `json:"cost_usd"`
}

// RepeatWindow is how far back an offender counts as a repeat one.
const RepeatWindow = 7 * 24 * time.Hour

// Hour is one hour's decisions by action.
type Hour struct {
	Start     time.Time `json:"start"`
	Label     string    `json:"label"` // "14:00" in the report's zone
	Allowed   int64     `json:"allowed"`
	Logged    int64     `json:"logged"`
	Throttled int64     `json:"throttled"`
	Blocked   int64     `json:"blocked"`
	Banned    int64     `json:"banned"`
}

// Total is the hour's number of events.
func (h Hour) Total() int64 { return h.Allowed + h.Logged + h.Throttled + h.Blocked + h.Banned }

// Row is one line of a top list: a name, its events and how many of them
// were stopped (throttled, blocked or banned).
type Row struct {
	Name    string `json:"name"`
	Events  int64  `json:"events"`
	Stopped int64  `json:"stopped"`
}

// Bans are the day's bans.
type Bans struct {
	// Issued counts bans placed during the day, by enforcement or an
	// admin, from the ban history. Without a history it counts those the
	// ban store still holds (expired and lifted bans are not kept); -1
	// when neither was read.
	Issued int64 `json:"issued"`
	// Lifted counts bans an admin lifted during the day (DELETE
	// /api/v1/bans/{target}), LiftedCleared those of them that also
	// cleared the target's scores (no keep_score=true). Expired counts
	// bans that ran out during the day without being lifted: expiry is
	// not an event, it is read from each placed ban's end. All three are
	// 0 without a ban history (see Notes).
	Lifted        int64 `json:"lifted"`
	LiftedCleared int64 `json:"lifted_score_cleared"`
	Expired       int64 `json:"expired"`
	// Refused counts requests answered "banned"; Clients the distinct
	// IPs they came from.
	Refused int64 `json:"refused"`
	Clients int64 `json:"clients"`
}

// Alerts are the alerts sent during the day.
type Alerts struct {
	Sent  int64 `json:"sent"`
	Rules []Row `json:"rules,omitempty"`
}

// Health is the process's own trouble over a window: events dropped when
// the log queue was full, operations that fell back because a store was
// down, and LLM judge calls that failed.
type Health struct {
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	DroppedEvents  uint64    `json:"dropped_events"`
	StoreFallbacks uint64    `json:"store_fallbacks"`
	JudgeFailures  uint64    `json:"judge_failures"`
}

// Summary is the report's prose. Generated says a model wrote it (and
// Model which); otherwise it was made from a template, and Rejected says
// why a model's answer was not used, when one was asked.
type Summary struct {
	Text      string `json:"text"`
	Generated bool   `json:"generated"`
	Model     string `json:"model,omitempty"`
	Rejected  string `json:"rejected,omitempty"`
}

// Change is today's value against the day before as a signed percentage,
// and false when the day before had none (no ratio to give).
func Change(today, before int64) (float64, bool) {
	if before == 0 {
		return 0, false
	}
	return float64(today-before) * 100 / float64(before), true
}
