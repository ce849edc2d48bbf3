package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard"
	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/identity"
	"github.com/warden-dev/warden/inspect"
	"github.com/warden-dev/warden/internal/adminconfig"
	"github.com/warden-dev/warden/internal/alertconfig"
	"github.com/warden-dev/warden/internal/clip"
	"github.com/warden-dev/warden/internal/crowdsecconfig"
	"github.com/warden-dev/warden/internal/escalateconfig"
	"github.com/warden-dev/warden/internal/metricsconfig"
	"github.com/warden-dev/warden/internal/redact"
	"github.com/warden-dev/warden/internal/reportconfig"
	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
	"github.com/warden-dev/warden/proxy"
	"github.com/warden-dev/warden/ratelimit"
	"github.com/warden-dev/warden/usage"
)

// Mode says whether Warden acts on its decisions.
type Mode string

const (
	// Enforce blocks, throttles and bans as decided.
	Enforce Mode = "enforce"
	// Monitor decides and logs but never blocks (dry run).
	Monitor Mode = "monitor"
	// Off disables a detector (per-detector mode only).
	Off Mode = "off"
)

// Config is Warden's whole configuration. The YAML keys documented in the
// README's "Configuration reference" are a stable contract. Fields tagged yaml:"-" are
// for library users only.
type Config struct {
	// EnvFile is a LibreChat-style .env file whose variables apply as if
	// exported (the process environment wins); relative to the config
	// file's directory.
	EnvFile        string                `yaml:"env_file"`
	Upstream       string                `yaml:"upstream"`
	ForwardAuth    bool                  `yaml:"forward_auth"`
	Listen         string                `yaml:"listen"`
	Mode           Mode                  `yaml:"mode"`
	DataDir        string                `yaml:"data_dir"`
	TrustedProxies []string              `yaml:"trusted_proxies"`
	Routes         map[string][]string   `yaml:"routes"`
	RouteMatching  RouteMatching         `yaml:"route_matching"`
	Identity       identity.Config       `yaml:"identity"`
	Allow          Allow                 `yaml:"allow"`
	Policy         Policy                `yaml:"policy"`
	Detectors      map[string]Detector   `yaml:"detectors"`
	Inspect        inspect.Config        `yaml:"inspect"`
	Proxy          proxy.Config          `yaml:"proxy"`
	Admin          adminconfig.Config    `yaml:"admin"`
	Log            eventlog.Config       `yaml:"log"`
	Redact         redact.Config         `yaml:"redact"`
	Metrics        metricsconfig.Config  `yaml:"metrics"`
	Store          Store                 `yaml:"store"`
	LLM            llm.Config            `yaml:"llm"`
	Report         reportconfig.Config   `yaml:"report"`
	RateLimit      ratelimit.Config      `yaml:"ratelimit"`
	Enforce        enforce.Config        `yaml:"enforce"`
	Protocol       protocol.Config       `yaml:"protocol"`
	Payload        payload.Config        `yaml:"payload"`
	Behavior       behavior.Config       `yaml:"behavior"`
	Bot            bot.Config            `yaml:"bot"`
	AI             aiguard.Config        `yaml:"ai"`
	Alerts         alertconfig.Config    `yaml:"alerts"`
	Escalation     escalateconfig.Config `yaml:"escalation"`
	CrowdSec       crowdsecconfig.Config `yaml:"crowdsec"`

	// UserFunc, in library mode, returns the id of the authenticated user
	// for a request ("" when anonymous). It wins over Identity.
	UserFunc func(*http.Request) string `yaml:"-"`
	// Clock returns the current time; nil means time.Now. Tests set it.
	Clock func() time.Time `yaml:"-"`
	// Backends are the stores the Guard keeps state in besides its memory.
	// The zero value keeps everything in memory and does no I/O.
	Backends Backends `yaml:"-"`
}

// Backends are stores opened by the program that embeds Warden and handed
// to warden.New; the Guard never opens or closes them, so close them after
// Guard.Close. Each nil field means memory only, bounded like the rest of
// the Guard's state, and lost on restart. Package server opens them from
// Store and DataDir, as `warden serve` does: SQLite in the data dir for
// bans, events and quotas, Redis for bans, limits and scores, PostgreSQL
// for events.
type Backends struct {
	// Bans keeps bans. Nil: a ban.Memory without persistence.
	Bans ban.Store
	// Events receives the decision log in batches (eventlog.Writer).
	// Nil stores no events; log.stderr still prints them.
	Events eventlog.Store
	// Usage receives the hourly token rollup of AI requests (usage.Rollup:
	// per hour, route and model). Nil keeps no rollup.
	Usage usage.Store
	// Limits shares rate-limit state between instances (store/redis).
	Limits ratelimit.Backend
	// Quotas persists lifetime quotas (store/sqlite).
	Quotas ratelimit.QuotaStore
	// Scores keeps violation scores shared between instances
	// (store/redis).
	Scores enforce.Tally
	// Metrics counts what the Guard does (*metrics.Metrics, Prometheus).
	// Nil counts nothing, and the program links no Prometheus.
	Metrics Meter
	// OnBan, when set, is called after each ban enforcement places, with
	// the ban (package server raises alerts from it). It must not block.
	OnBan func(ban.Ban)
}

// Meter counts what a Guard does; *metrics.Metrics implements it.
// Observe, DecisionLatency, UpstreamResponse, PanicRecovered,
// StoreFallback and DetectorLatency's recorders run on the request path
// and must not block.
type Meter interface {
	Observe(*abuse.Request, abuse.Outcome)
	DecisionLatency(time.Duration)
	// UpstreamResponse counts the upstream's answer to a request that was
	// let through, by route pattern: its status, or 0 when the upstream
	// could not be reached.
	UpstreamResponse(route string, status int)
	// DetectorLatency returns the recorder of one detector's time per
	// request; it is called once per detector when the pipeline is built,
	// the recorder on the request path.
	DetectorLatency(detector string) func(time.Duration)
	PanicRecovered()
	// StoreFallback counts a decision made in memory because the named
	// store failed.
	StoreFallback(store string)
	DroppedEvent()
	BanIssued(ban.Kind)
	// WatchBans reports the bans in force in s, read when scraped.
	WatchBans(s ban.Store, now func() time.Time) error
	// RegisterCounters exports read's monotonic counters by name.
	RegisterCounters(read func() map[string]uint64) error
}

// RouteMatching says which other spellings of a path Warden's route
// patterns match as the path itself: those that upstream frameworks route
// to the same handler, so that a client cannot leave a route class (and
// its limits) by spelling the path another way. It applies to routes (the
// classes), patterns registered with Guard.Detect and
// detectors.<name>.routes; what is keyed by the matched pattern (rate
// limits by class or route, plans, bot.browser_only) follows. Patterns
// are still written and validated as ServeMux patterns, and a path that
// matches a pattern exactly keeps matching it. Repeated slashes and "."
// and ".." segments are always cleaned, as ServeMux does. Every switch is
// on by default: a spelling the upstream does not route anywhere costs
// nothing when it counts against a limit, one it does route must not be
// free. docs/routes.md lists what each framework routes together.
type RouteMatching struct {
	// CaseInsensitive: "/API/Auth/Login" is "/api/auth/login" (Express,
	// ASP.NET Core).
	CaseInsensitive bool `yaml:"case_insensitive"`
	// IgnoreTrailingSlash: "/api/auth/login/" is "/api/auth/login"
	// (Express, ASP.NET Core, Rails, Spring 5; Flask and ServeMux redirect
	// to the pattern's spelling).
	IgnoreTrailingSlash bool `yaml:"ignore_trailing_slash"`
	// StripPathParams: ";…" ends a segment: "/api/auth/login;jsessionid=x"
	// is "/api/auth/login" and "/x/..;/api/auth/login" is too (Tomcat,
	// Jetty: Spring, every servlet container).
	StripPathParams bool `yaml:"strip_path_params"`
	// StripFormatSuffix: the last segment may carry an extension:
	// "/api/auth/login.json" is "/api/auth/login" (Rails' "(.:format)",
	// Spring before 5.3), unless the longer name is a pattern itself.
	StripFormatSuffix bool `yaml:"strip_format_suffix"`
}

// Variants returns the matcher's form of m.
func (m RouteMatching) Variants() route.Variants {
	return route.Variants{
		CaseInsensitive: m.CaseInsensitive,
		TrailingSlash:   m.IgnoreTrailingSlash,
		PathParams:      m.StripPathParams,
		FormatSuffix:    m.StripFormatSuffix,
	}
}

// Allow lists clients that skip every check.
type Allow struct {
	CIDRs []string `yaml:"cidrs"`
	Users []string `yaml:"users"`
}

// Policy turns detector confidences into actions.
type Policy struct {
	BlockThreshold float64 `yaml:"block_threshold"` // confidence at or above which a verdict blocks (403)
	LogThreshold   float64 `yaml:"log_threshold"`   // confidence above which a verdict is logged
}

// Detector holds per-detector settings, keyed by detector name.
type Detector struct {
	Mode Mode `yaml:"mode"` // enforce | monitor | off; empty means the global mode
	// Routes sets the mode on some routes: ServeMux patterns to enforce,
	// monitor or off (for example a wiki route that hosts payload
	// documentation, monitored while the rest is enforced). The most
	// specific matching pattern wins; a global monitor still wins over
	// enforce.
	Routes map[string]Mode `yaml:"routes"`
}

// Store names shared stores; empty means single-machine defaults.
type Store struct {
	Redis    string `yaml:"redis"`    // env WARDEN_REDIS_URL
	Postgres string `yaml:"postgres"` // env WARDEN_POSTGRES_DSN
}

// Default returns the configuration Warden runs with when given none.
func Default() Config {
	return Config{
		Listen:  "127.0.0.1:8080",
		Mode:    Enforce,
		DataDir: "./warden-data",
		Routes: map[string][]string{
			"login":    {"POST /api/auth/login"},
			"register": {"POST /api/auth/register"},
			"message":  {"POST /api/ask/{rest...}"},
		},
		RouteMatching: RouteMatching{CaseInsensitive: true, IgnoreTrailingSlash: true, StripPathParams: true, StripFormatSuffix: true},
		Identity:      identity.DefaultConfig(),
		Policy:        Policy{BlockThreshold: 0.8, LogThreshold: 0.5},
		Inspect:       inspect.DefaultConfig(),
		Proxy:         proxy.DefaultConfig(),
		Admin:         adminconfig.DefaultConfig(),
		Log:           eventlog.DefaultConfig(),
		Metrics:       metricsconfig.DefaultConfig(),
		LLM:           llm.DefaultConfig(),
		Report:        reportconfig.DefaultConfig(),
		RateLimit:     ratelimit.DefaultConfig(),
		Enforce:       enforce.DefaultConfig(),
		Protocol:      protocol.DefaultConfig(),
		Payload:       payload.DefaultConfig(),
		Behavior:      behavior.DefaultConfig(),
		Bot:           bot.DefaultConfig(),
		AI:            aiguard.DefaultConfig(),
		Alerts:        alertconfig.DefaultConfig(),
		Escalation:    escalateconfig.DefaultConfig(),
		CrowdSec:      crowdsecconfig.DefaultConfig(),
	}
}

// Load reads the YAML file at path over the defaults, applies the
// environment and validates. The returned error lists every problem found,
// each naming its field path or variable.
func Load(path string, lookup func(string) (string, bool)) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := parse(data, lookup, filepath.Dir(path))
	return cfg, inFile(err, path)
}

// Parse is Load on YAML bytes. A nil lookup means no environment.
func Parse(data []byte, lookup func(string) (string, bool)) (Config, error) {
	return parse(data, lookup, "")
}

// parse is Parse with env_file relative to dir.
func parse(data []byte, lookup func(string) (string, bool), dir string) (Config, error) {
	cfg := Default()
	root, err := decode(data, &cfg)
	if err != nil {
		// Report the values that did decode too, so one run shows every
		// problem.
		return cfg, locate(errors.Join(err, cfg.Validate(), errors.Join(cfg.checkNames(root)...)), root)
	}
	if cfg.EnvFile != "" {
		if !filepath.IsAbs(cfg.EnvFile) && dir != "" {
			cfg.EnvFile = filepath.Join(dir, cfg.EnvFile)
		}
		file, err := ReadEnvFile(cfg.EnvFile)
		if err != nil {
			return cfg, locate(&FieldError{Path: "env_file", Err: err}, root)
		}
		lookup = WithEnvFile(lookup, file)
	}
	if lookup != nil {
		if err := cfg.ApplyEnv(lookup); err != nil {
			return cfg, locate(err, root)
		}
	}
	return cfg, locate(errors.Join(cfg.Validate(), errors.Join(cfg.checkNames(root)...)), root)
}

// FromEnv returns the defaults with the environment applied, validated: the
// configuration of `warden serve` without --config.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if err := cfg.ApplyEnv(lookup); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

const maxConfigBytes = 4 << 20

// decode reads data over cfg and returns the file's root node (nil when
// there is none), for locating errors.
func decode(data []byte, cfg *Config) (*yaml.Node, error) {
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config file is larger than %d bytes", maxConfigBytes)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return nil, nil // empty file: defaults
		}
		return nil, fmt.Errorf("config is not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("config holds more than one YAML document")
	}
	// A section given in the file replaces the default map entirely for
	// routes, so that operators see exactly the classes they wrote.
	if hasKey(&root, "routes") {
		cfg.Routes = nil
	}
	return &root, errors.Join(decodeStrict(&root, reflect.ValueOf(cfg).Elem(), "")...)
}

func hasKey(doc *yaml.Node, key string) bool {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == key {
			return true
		}
	}
	return false
}

// Validate checks every field and returns all problems, each naming its path.
func (c *Config) Validate() error {
	var errs []error
	add := func(path, format string, args ...any) { errs = append(errs, fieldErr(path, format, args...)) }

	if c.Upstream != "" {
		u, err := url.Parse(c.Upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("upstream", "must be an http:// or https:// URL with a host, got %q", clip.String(c.Upstream, 40))
		}
	}
	if c.ForwardAuth && c.Upstream != "" {
		add("forward_auth", "Warden is either a reverse proxy (upstream) or a forward-auth service, not both")
	}
	if c.ForwardAuth && len(c.TrustedProxies) == 0 {
		add("forward_auth", "needs trusted_proxies: only the front proxy that calls Warden may name the original request and client")
	}
	if c.Listen != "" && !validHostPort(c.Listen) {
		add("listen", "must be host:port, got %q", clip.String(c.Listen, 40))
	}
	switch c.Mode {
	case Enforce, Monitor:
	default:
		add("mode", "must be enforce or monitor, got %q", clip.String(string(c.Mode), 40))
	}
	if c.DataDir == "" {
		add("data_dir", "must not be empty")
	}
	for i, p := range c.TrustedProxies {
		if _, err := identity.ParsePrefix(p); err != nil {
			add(fmt.Sprintf("trusted_proxies[%d]", i), "%v", err)
		}
	}
	for i, p := range c.Allow.CIDRs {
		if _, err := identity.ParsePrefix(p); err != nil {
			add(fmt.Sprintf("allow.cidrs[%d]", i), "%v", err)
		}
	}
	for class, pats := range c.Routes {
		if class == "" {
			add("routes", "class name must not be empty")
		}
		for i, p := range pats {
			if err := CheckPattern(p); err != nil {
				add(fmt.Sprintf("routes.%s[%d]", class, i), "%v", err)
			}
		}
	}
	if err := CheckPatterns(c.Routes); err != nil {
		add("routes", "%v", err)
	}
	errs = append(errs, c.checkRouteMatching()...)
	for name, d := range c.Detectors {
		switch d.Mode {
		case "", Enforce, Monitor, Off:
		default:
			add("detectors."+name+".mode", "must be enforce, monitor or off, got %q", clip.String(string(d.Mode), 40))
		}
		for p, m := range d.Routes {
			field := fmt.Sprintf("detectors.%s.routes[%q]", name, clip.String(p, 40))
			if err := CheckPattern(p); err != nil {
				add(field, "%v", err)
			}
			switch m {
			case Enforce, Monitor, Off:
			default:
				add(field, "must be enforce, monitor or off, got %q", clip.String(string(m), 40))
			}
		}
	}
	if p := c.Policy; p.BlockThreshold <= 0 || p.BlockThreshold > 1 {
		add("policy.block_threshold", "must be in (0, 1], got %v", p.BlockThreshold)
	}
	if p := c.Policy; p.LogThreshold < 0 || p.LogThreshold > p.BlockThreshold {
		add("policy.log_threshold", "must be in [0, block_threshold], got %v", p.LogThreshold)
	}
	for name, v := range c.sections() {
		if err := v.Validate(); err != nil {
			errs = append(errs, sectionErr(name, err))
		}
	}
	if c.Store.Redis != "" {
		if u, err := url.Parse(c.Store.Redis); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			add("store.redis", "must be a redis:// or rediss:// URL")
		}
	}
	return errors.Join(errs...)
}

// PayloadSection returns the payload section with redact.fields in it:
// the payload detector names those fields in its messages without quoting
// their values.
func (c *Config) PayloadSection() payload.Config {
	p := c.Payload
	p.SecretFields = c.Redact.Fields
	return p
}

// LLMSection returns the llm section with redact.fields in it: their
// values are redacted from what the judge is sent.
func (c *Config) LLMSection() llm.Config {
	l := c.LLM
	l.SecretFields = c.Redact.Fields
	return l
}

// DetectorSections returns the sections of the stateless detectors, as
// `warden serve` builds them: what inspect.Detectors takes.
func (c *Config) DetectorSections() inspect.Sections {
	return inspect.Sections{Protocol: c.Protocol, Bot: c.Bot, Payload: c.PayloadSection(), Prompt: c.AI.Prompt}
}

// validator is a section that checks itself; its errors start with the
// field path inside the section.
type validator interface{ Validate() error }

// sections lists the sections that validate themselves, by YAML key.
func (c *Config) sections() map[string]validator {
	return map[string]validator{
		"identity":   c.Identity,
		"inspect":    c.Inspect,
		"proxy":      c.Proxy,
		"admin":      c.Admin,
		"log":        c.Log,
		"redact":     c.Redact,
		"metrics":    c.Metrics,
		"llm":        c.LLM,
		"report":     c.Report,
		"ratelimit":  c.RateLimit,
		"enforce":    c.Enforce,
		"protocol":   c.Protocol,
		"payload":    c.Payload,
		"behavior":   c.Behavior,
		"bot":        c.Bot,
		"ai":         c.AI,
		"alerts":     c.Alerts,
		"escalation": c.Escalation,
		"crowdsec":   c.CrowdSec,
	}
}

// sectionErr prefixes a section's errors with the section key, keeping
// joined errors apart.
func sectionErr(section string, err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, sectionErr(section, e))
		}
		return errors.Join(out...)
	}
	msg := err.Error()
	if field, rest, ok := strings.Cut(msg, ": "); ok && field != "" && !strings.ContainsAny(field, " \t") {
		return &FieldError{Path: section + "." + field, Err: errors.New(rest)}
	}
	return &FieldError{Path: section, Err: err}
}

func validHostPort(s string) bool {
	i := strings.LastIndexByte(s, ':')
	return i >= 0 && i < len(s)-1
}

// CheckPattern reports whether p is a valid net/http.ServeMux pattern.
func CheckPattern(p string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not a valid route pattern: %v", r)
		}
	}()
	http.NewServeMux().Handle(p, http.NotFoundHandler())
	return nil
}

// checkRouteMatching reports patterns that route_matching makes one route
// ("GET /Login" and "GET /login" when case is ignored): among the route
// classes, and among each detector's routes. ServeMux tells them apart,
// but under route_matching neither would be more specific than the other.
// The error names the route_matching field to turn off and both patterns.
func (c *Config) checkRouteMatching() []error {
	v := c.RouteMatching.Variants()
	if v == route.Exact {
		return nil
	}
	var errs []error
	check := func(pats, where []string) {
		t := route.NewTable[string](v)
		for i, p := range pats {
			err := t.Add(p, where[i])
			var vc *route.VariantConflict
			if !errors.As(err, &vc) {
				continue // valid, or reported by CheckPattern(s)
			}
			otherWhere := where[slices.Index(pats, vc.Other)]
			field, what := "route_matching", "case and a trailing slash are ignored"
			switch {
			case !vc.Under.TrailingSlash:
				field, what = "route_matching.case_insensitive", "case is ignored"
			case !vc.Under.CaseInsensitive:
				field, what = "route_matching.ignore_trailing_slash", "a trailing slash is ignored"
			}
			errs = append(errs, fieldErr(field, "%s %q and %s %q are one route when %s: remove one, or turn this off if the upstream tells them apart",
				otherWhere, clip.String(vc.Other, 40), where[i], clip.String(p, 40), what))
		}
	}
	var pats, where []string
	for _, class := range slices.Sorted(maps.Keys(c.Routes)) {
		for i, p := range c.Routes[class] {
			pats = append(pats, p)
			where = append(where, fmt.Sprintf("routes.%s[%d]", class, i))
		}
	}
	check(pats, where)
	for _, name := range slices.Sorted(maps.Keys(c.Detectors)) {
		pats, where = pats[:0], where[:0]
		for _, p := range slices.Sorted(maps.Keys(c.Detectors[name].Routes)) {
			pats = append(pats, p)
			where = append(where, fmt.Sprintf("detectors.%s.routes[%q]", name, clip.String(p, 40)))
		}
		check(pats, where)
	}
	return errs
}

// CheckPatterns reports patterns that conflict with each other across
// classes (ServeMux refuses two patterns that match the same requests
// without one being more specific).
func CheckPatterns(routes map[string][]string) (err error) {
	mux := http.NewServeMux()
	seen := map[string]string{}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("conflicting patterns: %v", r)
		}
	}()
	for _, class := range slices.Sorted(maps.Keys(routes)) { // sorted: the same message each run
		for _, p := range routes[class] {
			if CheckPattern(p) != nil {
				continue
			}
			if other, dup := seen[p]; dup {
				return fmt.Errorf("pattern %q is in both %s and %s", p, other, class)
			}
			seen[p] = class
			mux.Handle(p, http.NotFoundHandler())
		}
	}
	return nil
}
