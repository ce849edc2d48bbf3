package enforce

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/arith"
	"github.com/warden-dev/warden/internal/clip"
)

// Config is the "enforce" section of Warden's configuration.
type Config struct {
	// Ban is LibreChat's BAN_VIOLATIONS: when false, violations are scored
	// and logged, and a crossing is logged as "would ban", but nobody is
	// banned.
	Ban      bool          `yaml:"ban"`
	Interval int64         `yaml:"ban_interval"` // BAN_INTERVAL: a ban at each multiple of it
	Duration time.Duration `yaml:"ban_duration"` // BAN_DURATION
	// Scores maps violation types to scores (LibreChat's *_VIOLATION_SCORE).
	// Types missing here score DefaultScore.
	Scores       map[string]int64 `yaml:"scores"`
	DefaultScore int64            `yaml:"default_score"`
	// ScoreTTL is how long a client's scores are kept after its last
	// violation. LibreChat keeps them until its store is flushed.
	ScoreTTL time.Duration `yaml:"score_ttl"`
	// RepeatWindow: the same finding (abuse.Finding: detector, violation,
	// route, and the field, class and excerpt its messages name) from the
	// same client scores once per window, so someone retrying a request
	// Warden blocks is not banned for it; different payloads still score
	// each. 0 scores every repeat, as LibreChat does.
	RepeatWindow time.Duration `yaml:"repeat_window"`
	MaxClients   int           `yaml:"max_clients"` // clients tracked in memory; least recently seen evicted
	LogSize      int           `yaml:"log_size"`    // recent violations kept per client
	Escalation   Escalation    `yaml:"escalation"`
	// IPv6Prefix is the prefix length IPv6 clients are scored and banned
	// by: a ban on one address of a /64 covers the whole /64, so a client
	// cannot escape it by moving to another address of its own network
	// (rate limits group IPv6 clients the same way, ratelimit.ipv6_prefix).
	// 128 scores and bans each address on its own. IPv4 clients are always
	// one address.
	IPv6Prefix int `yaml:"ipv6_prefix"`
}

// Escalation lengthens the bans of repeat offenders: the n-th ban of a
// client (counted while its scores are kept) lasts Duration * Factor^(n-1),
// at most Max.
type Escalation struct {
	Enabled bool          `yaml:"enabled"`
	Factor  float64       `yaml:"factor"`
	Max     time.Duration `yaml:"max"`
}

// Violation types with a LibreChat score variable.
const (
	ViolationNonBrowser = "non_browser"
)

// scoreEnv maps LibreChat's score variables to violation types.
var scoreEnv = [...]struct{ env, violation string }{
	{"LOGIN_VIOLATION_SCORE", "login_limit"},
	{"REGISTRATION_VIOLATION_SCORE", "registration_limit"},
	{"CONCURRENT_VIOLATION_SCORE", "concurrent_message"},
	{"MESSAGE_VIOLATION_SCORE", "message_limit"},
	{"NON_BROWSER_VIOLATION_SCORE", ViolationNonBrowser},
	{"ILLEGAL_MODEL_REQ_SCORE", "illegal_model_request"},
	{"TTS_VIOLATION_SCORE", "tts_limit"},
	{"STT_VIOLATION_SCORE", "stt_limit"},
	{"FORK_VIOLATION_SCORE", "fork_limit"},
	{"IMPORT_VIOLATION_SCORE", "import_limit"},
	{"FILE_UPLOAD_VIOLATION_SCORE", "file_upload_limit"},
	{"TOOL_CALL_VIOLATION_SCORE", "tool_call_limit"},
	{"RATE_LIMIT_VIOLATION_SCORE", "rate_limit"},
	{"PLAN_LIMIT_VIOLATION_SCORE", "plan_limit"},
}

// DefaultConfig returns LibreChat's defaults — bans on, interval 20,
// duration 2h, every score 1 but non_browser 20 — with scores kept a day
// and escalation on (each further ban twice as long, at most a week).
func DefaultConfig() Config {
	scores := map[string]int64{}
	for _, s := range scoreEnv {
		scores[s.violation] = 1
	}
	scores[ViolationNonBrowser] = 20
	return Config{
		Ban:          true,
		Interval:     20,
		Duration:     2 * time.Hour,
		Scores:       scores,
		DefaultScore: 1,
		ScoreTTL:     24 * time.Hour,
		RepeatWindow: 10 * time.Minute,
		MaxClients:   20_000,
		LogSize:      10,
		Escalation:   Escalation{Enabled: true, Factor: 2, Max: 7 * 24 * time.Hour},
		IPv6Prefix:   ban.DefaultIPv6Prefix,
	}
}

// Scope is how much address space the IP bans of c cover.
func (c Config) Scope() ban.Scope { return ban.Scope{IPv6Prefix: c.IPv6Prefix} }

var typeRE = regexp.MustCompile(`^[a-z0-9_.:-]{1,64}$`)

// Validate checks c; errors start with the field path in the section.
func (c Config) Validate() error {
	if c.Interval < 1 {
		return errors.New("ban_interval: must be > 0")
	}
	if c.Duration < time.Second {
		return errors.New("ban_duration: must be >= 1s")
	}
	if c.DefaultScore < 0 {
		return errors.New("default_score: must be >= 0")
	}
	for t, s := range c.Scores {
		if !typeRE.MatchString(t) {
			return fmt.Errorf("scores.%s: violation type must match %s", t, typeRE)
		}
		if s < 0 || s > 1_000_000 {
			return fmt.Errorf("scores.%s: must be 0..1000000", t)
		}
	}
	if c.ScoreTTL < time.Minute {
		return errors.New("score_ttl: must be >= 1m")
	}
	if c.RepeatWindow < 0 || c.RepeatWindow > c.ScoreTTL {
		return fmt.Errorf("repeat_window: must be 0 (score every repeat) to score_ttl (%s), got %s", c.ScoreTTL, c.RepeatWindow)
	}
	if c.MaxClients < 1 {
		return errors.New("max_clients: must be > 0")
	}
	if c.LogSize < 0 || c.LogSize > 1000 {
		return errors.New("log_size: must be 0..1000")
	}
	if c.IPv6Prefix < ban.MinIPv6Prefix || c.IPv6Prefix > 128 {
		return fmt.Errorf("ipv6_prefix: must be %d..128 (64 bans a client's whole /64), got %d", ban.MinIPv6Prefix, c.IPv6Prefix)
	}
	if c.Escalation.Enabled {
		if c.Escalation.Factor < 1 || c.Escalation.Factor > 100 {
			return errors.New("escalation.factor: must be 1..100")
		}
		if c.Escalation.Max < c.Duration {
			return errors.New("escalation.max: must be >= ban_duration")
		}
	}
	return nil
}

// ApplyEnv overlays LibreChat's variables on c: BAN_VIOLATIONS,
// BAN_INTERVAL, BAN_DURATION (milliseconds, arithmetic allowed as in
// "1000 * 60 * 60 * 2", or a Go duration such as "2h") and the
// *_VIOLATION_SCORE variables. Errors name the variable.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	if v, ok := lookup("BAN_VIOLATIONS"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes", "on":
			c.Ban = true
		case "false", "0", "no", "off", "":
			c.Ban = false
		default:
			return fmt.Errorf("BAN_VIOLATIONS: %q is not true or false", clip.String(v, 64))
		}
	}
	if v, ok := lookup("BAN_INTERVAL"); ok {
		n, err := number(v)
		if err != nil {
			return fmt.Errorf("BAN_INTERVAL: %w", err)
		}
		if n < 1 {
			return fmt.Errorf("BAN_INTERVAL: must be > 0, got %d", n)
		}
		c.Interval = n
	}
	if v, ok := lookup("BAN_DURATION"); ok {
		d, err := parseDuration(v)
		if err != nil {
			return fmt.Errorf("BAN_DURATION: %w", err)
		}
		c.Duration = d
	}
	for _, s := range scoreEnv {
		v, ok := lookup(s.env)
		if !ok {
			continue
		}
		n, err := number(v)
		if err != nil {
			return fmt.Errorf("%s: %w", s.env, err)
		}
		if n < 0 {
			return fmt.Errorf("%s: must be >= 0, got %d", s.env, n)
		}
		c.Scores = maps.Clone(c.Scores)
		if c.Scores == nil {
			c.Scores = map[string]int64{}
		}
		c.Scores[s.violation] = n
	}
	return nil
}

func number(s string) (int64, error) {
	n, err := arith.Eval(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a number: %w", clip.String(s, 64), err)
	}
	return n, nil
}

// parseDuration reads LibreChat's milliseconds (with arithmetic) or a Go
// duration.
func parseDuration(s string) (time.Duration, error) {
	ms, err := arith.Eval(strings.TrimSpace(s))
	if err != nil {
		if d, derr := time.ParseDuration(strings.TrimSpace(s)); derr == nil && d > 0 {
			return d, nil
		}
		return 0, fmt.Errorf("%q is neither milliseconds nor a duration: %w", clip.String(s, 64), err)
	}
	if ms < 1000 {
		return 0, fmt.Errorf("must be at least 1000 (milliseconds), got %d", ms)
	}
	if ms > int64(100*365*24*time.Hour/time.Millisecond) {
		return 0, fmt.Errorf("%d milliseconds is more than 100 years", ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
