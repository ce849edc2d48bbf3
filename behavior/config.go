package behavior

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Violation types reported by the behaviour detector. They are the keys of
// Config.Weights and the "scenario" of replay alerts.
const (
	Flood              = "flood"
	ElevatedRate       = "elevated_rate"
	ErrorStorm         = "error_storm"
	SensitivePath      = "sensitive_path"
	ContentDiscovery   = "content_discovery"
	EndpointScan       = "endpoint_scan"
	IDEnumeration      = "id_enumeration"
	CredentialStuffing = "credential_stuffing"
	BruteForce         = "brute_force"
	BurstAfterIdle     = "burst_after_idle"
	PayloadProbing     = "payload_probing"
	UARotation         = "ua_rotation"
	ProtocolProbe      = "protocol_probe"
	SlowScan           = "slow_scan"
)

// defaultWeights is the confidence each finding carries (the documented
// tier weights). Findings at or above Config.BlackConfidence are BLACK and
// block at once; the others are GREY.
var defaultWeights = map[string]float64{
	Flood:              0.95,
	ElevatedRate:       0.6,
	ErrorStorm:         0.65,
	SensitivePath:      0.6,
	ContentDiscovery:   0.7,
	EndpointScan:       0.7,
	IDEnumeration:      0.95,
	CredentialStuffing: 0.95,
	BruteForce:         0.9,
	BurstAfterIdle:     0.55,
	PayloadProbing:     0.95,
	UARotation:         0.7,
	ProtocolProbe:      0.7,
	SlowScan:           0.7,
}

// Limit is "Max events within Window".
type Limit struct {
	Max    int           `yaml:"max"`
	Window time.Duration `yaml:"window"`
}

func (l Limit) validate(path string) error {
	if l.Max <= 0 {
		return fmt.Errorf("%s.max: must be > 0", path)
	}
	if l.Window <= 0 {
		return fmt.Errorf("%s.window: must be > 0", path)
	}
	return nil
}

// Config is the "behavior" section of Warden's configuration.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// MaxClients caps the tracked clients; a client not seen lately is
	// evicted first (approximately the least recently seen: see lru).
	// Each tracked client costs about 1.1 KB.
	MaxClients int `yaml:"max_clients"`
	// MaxUsers caps the login usernames tracked across IPs.
	MaxUsers int `yaml:"max_users"`
	// GraceRequests: a client's first requests only get BLACK findings;
	// volume-based GREY findings wait until there is enough evidence.
	GraceRequests int `yaml:"grace_requests"`
	// BlackConfidence is where GREY turns BLACK (Action Block).
	BlackConfidence float64 `yaml:"black_confidence"`
	// Weights overrides the confidence of a violation type (see the
	// constants); 0 disables that scenario.
	Weights map[string]float64 `yaml:"weights"`

	Flood      Limit `yaml:"flood"`    // BLACK: non-static requests
	Elevated   Limit `yaml:"elevated"` // GREY: non-static requests
	ErrorStorm struct {
		MinRequests int           `yaml:"min_requests"`
		Ratio       float64       `yaml:"ratio"`
		Window      time.Duration `yaml:"window"`
	} `yaml:"error_storm"`
	Discovery Limit `yaml:"discovery"` // 400/404/410 on non-static paths; GREY at max, BLACK at 3×max
	Scanning  Limit `yaml:"scanning"`  // distinct non-static paths; GREY at max, BLACK at 2×max
	// SlowScan is content discovery over a long window, for scanners
	// paced below the per-minute limits: distinct path shapes (ID-like
	// segments folded, so records that are gone count once) the upstream
	// answered 404, 405 or 410, on non-static paths.
	SlowScan struct {
		Window        time.Duration `yaml:"window"`
		DistinctPaths int           `yaml:"distinct_paths"` // GREY (logged, not scored) at this many in the window
		BlockPaths    int           `yaml:"block_paths"`    // BLACK at this many
		// MinShare: either tier only while the missing paths are at least
		// this share of the client's answered non-static requests, so that
		// an address many people share, whose few typos each add up, is
		// not taken for a scanner.
		MinShare float64 `yaml:"min_share"`
	} `yaml:"slow_scan"`
	Sensitive      Limit `yaml:"sensitive"`       // one hit is GREY, max hits in window BLACK
	UARotation     Limit `yaml:"ua_rotation"`     // distinct user agents from one client
	PayloadProbing Limit `yaml:"payload_probing"` // verdicts of PayloadDetectors
	// PayloadDetectors are the detector names whose verdicts count as
	// payload probing.
	PayloadDetectors []string `yaml:"payload_detectors"`

	Enumeration struct {
		Sequential       int           `yaml:"sequential"`        // IDs in a monotone small-step walk
		SequentialWindow time.Duration `yaml:"sequential_window"` // ... within this time
		MaxStep          int           `yaml:"max_step"`          // largest step that still counts as a walk
		Dense            int           `yaml:"dense"`             // distinct IDs on one route ...
		DenseWindow      time.Duration `yaml:"dense_window"`      // ... within this time ...
		Coverage         float64       `yaml:"coverage"`          // ... covering at least this share of their range
		// UserParams are query parameters whose numeric values are user
		// numbers (WordPress author=N); UserDistinct distinct values within
		// SequentialWindow are user enumeration (GREY).
		UserParams   []string `yaml:"user_params"`
		UserDistinct int      `yaml:"user_distinct"`
	} `yaml:"enumeration"`

	Login struct {
		// Classes are the route classes whose requests are login attempts.
		Classes []string `yaml:"classes"`
		// FailureStatuses are the statuses that mean a failed attempt.
		FailureStatuses []int    `yaml:"failure_statuses"`
		Failures        Limit    `yaml:"failures"`        // per IP: BLACK at max; GREY at half of max when failures are more than three times the successes
		Usernames       int      `yaml:"usernames"`       // distinct usernames failed from one IP: BLACK
		PerUser         Limit    `yaml:"per_user"`        // failures for one username across IPs
		PerUserIPs      int      `yaml:"per_user_ips"`    // ... from at least this many IPs
		UsernameFields  []string `yaml:"username_fields"` // JSON / form fields holding the username
	} `yaml:"login"`

	Burst struct {
		Idle  time.Duration `yaml:"idle"`
		Limit `yaml:",inline"`
	} `yaml:"burst"`

	// SensitivePaths extends the built-in list: entries are matched as
	// lower-case substrings of the decoded path.
	SensitivePaths []string `yaml:"sensitive_paths"`
	// IgnoreSensitive lists built-in categories ("wordpress", "cgi", …) or
	// lower-case path substrings that are legitimate on this site.
	IgnoreSensitive []string `yaml:"ignore_sensitive"`
	// StaticExtensions are file extensions (without dot) of static
	// resources, which do not count towards floods, discovery or scanning.
	StaticExtensions []string `yaml:"static_extensions"`
}

// DefaultConfig returns the defaults: every scenario on.
func DefaultConfig() Config {
	var c Config
	c.Enabled = true
	c.MaxClients = 100_000
	c.MaxUsers = 50_000
	c.GraceRequests = 10
	c.BlackConfidence = 0.9
	// A page that lists 50 items and then loads each one's author and
	// comments is about 100 requests in a second or two: a flood is more
	// than that, and its answer is a 429 the page can wait out.
	c.Flood = Limit{Max: 150, Window: 10 * time.Second}
	c.Elevated = Limit{Max: 300, Window: time.Minute}
	c.ErrorStorm.MinRequests = 20
	c.ErrorStorm.Ratio = 0.6
	c.ErrorStorm.Window = time.Minute
	c.Discovery = Limit{Max: 10, Window: time.Minute}
	c.Scanning = Limit{Max: 90, Window: time.Minute}
	c.SlowScan.Window = time.Hour
	c.SlowScan.DistinctPaths = 40
	c.SlowScan.BlockPaths = 50
	c.SlowScan.MinShare = 0.25
	c.Sensitive = Limit{Max: 3, Window: 10 * time.Minute}
	c.UARotation = Limit{Max: 10, Window: time.Minute}
	c.PayloadProbing = Limit{Max: 3, Window: 10 * time.Minute}
	c.PayloadDetectors = []string{"payload"}
	c.Enumeration.Sequential = 12
	c.Enumeration.SequentialWindow = 10 * time.Minute
	c.Enumeration.MaxStep = 3
	c.Enumeration.Dense = 20
	c.Enumeration.DenseWindow = time.Minute
	c.Enumeration.Coverage = 0.5
	c.Enumeration.UserParams = []string{"author"}
	c.Enumeration.UserDistinct = 5
	c.Login.Classes = []string{"login"}
	c.Login.FailureStatuses = []int{401, 403}
	c.Login.Failures = Limit{Max: 10, Window: 5 * time.Minute}
	c.Login.Usernames = 4
	c.Login.PerUser = Limit{Max: 10, Window: 10 * time.Minute}
	c.Login.PerUserIPs = 3
	c.Login.UsernameFields = []string{"username", "email", "login", "user", "log", "user_login"}
	c.Burst.Idle = 10 * time.Minute
	c.Burst.Limit = Limit{Max: 20, Window: 30 * time.Second}
	c.StaticExtensions = []string{"jpg", "jpeg", "png", "gif", "svg", "ico", "webp", "avif", "bmp",
		"css", "js", "mjs", "map", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "wav", "ts"}
	return c
}

// maxScanPaths bounds the slow-scan thresholds: past it the sketch's
// bitmaps are too full to count well (see scanSketch).
const maxScanPaths = 500

// Validate checks c; errors start with the field path within the section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.MaxClients <= 0 {
		add(errors.New("max_clients: must be > 0"))
	}
	if c.MaxUsers <= 0 {
		add(errors.New("max_users: must be > 0"))
	}
	if c.GraceRequests < 0 {
		add(errors.New("grace_requests: must be >= 0"))
	}
	if c.BlackConfidence <= 0 || c.BlackConfidence > 1 {
		add(errors.New("black_confidence: must be in (0, 1]"))
	}
	for k, w := range c.Weights {
		if _, ok := defaultWeights[k]; !ok {
			add(fmt.Errorf("weights.%s: unknown violation type", k))
		} else if w < 0 || w > 1 {
			add(fmt.Errorf("weights.%s: must be in [0, 1]", k))
		}
	}
	add(c.Flood.validate("flood"))
	add(c.Elevated.validate("elevated"))
	if c.ErrorStorm.MinRequests <= 0 {
		add(errors.New("error_storm.min_requests: must be > 0"))
	}
	if c.ErrorStorm.Ratio <= 0 || c.ErrorStorm.Ratio > 1 {
		add(errors.New("error_storm.ratio: must be in (0, 1]"))
	}
	if c.ErrorStorm.Window <= 0 {
		add(errors.New("error_storm.window: must be > 0"))
	}
	add(c.Discovery.validate("discovery"))
	add(c.Scanning.validate("scanning"))
	if s := c.SlowScan; s.Window <= 0 {
		add(errors.New("slow_scan.window: must be > 0"))
	}
	if s := c.SlowScan; s.DistinctPaths < 5 || s.DistinctPaths > maxScanPaths {
		add(fmt.Errorf("slow_scan.distinct_paths: must be in [5, %d]", maxScanPaths))
	} else if s.BlockPaths < s.DistinctPaths || s.BlockPaths > maxScanPaths {
		add(fmt.Errorf("slow_scan.block_paths: must be in [distinct_paths (%d), %d]", s.DistinctPaths, maxScanPaths))
	}
	if s := c.SlowScan; !(s.MinShare >= 0 && s.MinShare <= 1) {
		add(errors.New("slow_scan.min_share: must be in [0, 1]"))
	}
	add(c.Sensitive.validate("sensitive"))
	add(c.UARotation.validate("ua_rotation"))
	add(c.PayloadProbing.validate("payload_probing"))
	e := c.Enumeration
	if e.Sequential < 3 || e.Sequential > idRing {
		add(fmt.Errorf("enumeration.sequential: must be in [3, %d]", idRing))
	}
	if e.SequentialWindow <= 0 {
		add(errors.New("enumeration.sequential_window: must be > 0"))
	}
	if e.MaxStep < 1 {
		add(errors.New("enumeration.max_step: must be >= 1"))
	}
	if e.Dense < 3 || e.Dense > idRing {
		add(fmt.Errorf("enumeration.dense: must be in [3, %d]", idRing))
	}
	if e.DenseWindow <= 0 {
		add(errors.New("enumeration.dense_window: must be > 0"))
	}
	if e.UserDistinct < 2 || e.UserDistinct > idRing {
		add(fmt.Errorf("enumeration.user_distinct: must be in [2, %d]", idRing))
	}
	if e.Coverage <= 0 || e.Coverage > 1 {
		add(errors.New("enumeration.coverage: must be in (0, 1]"))
	}
	for i, s := range c.Login.FailureStatuses {
		if s < 100 || s > 599 {
			add(fmt.Errorf("login.failure_statuses[%d]: must be an HTTP status", i))
		}
	}
	add(c.Login.Failures.validate("login.failures"))
	if c.Login.Usernames < 2 || c.Login.Usernames > userRing {
		add(fmt.Errorf("login.usernames: must be in [2, %d]", userRing))
	}
	add(c.Login.PerUser.validate("login.per_user"))
	if c.Login.PerUserIPs < 1 || c.Login.PerUserIPs > userIPRing {
		add(fmt.Errorf("login.per_user_ips: must be in [1, %d]", userIPRing))
	}
	if c.Burst.Idle <= 0 {
		add(errors.New("burst.idle: must be > 0"))
	}
	add(c.Burst.Limit.validate("burst"))
	for i, p := range c.SensitivePaths {
		if strings.TrimSpace(p) == "" || len(p) > 256 {
			add(fmt.Errorf("sensitive_paths[%d]: must be 1..256 non-blank bytes", i))
		}
	}
	for i, p := range c.StaticExtensions {
		if p == "" || strings.ContainsAny(p, "./") {
			add(fmt.Errorf("static_extensions[%d]: must be an extension without dot", i))
		}
	}
	return errors.Join(errs...)
}

func (c Config) weight(v string) float64 {
	if w, ok := c.Weights[v]; ok {
		return w
	}
	return defaultWeights[v]
}
