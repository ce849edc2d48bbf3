package aiguard

import (
	"errors"
	"fmt"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/budget"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/extraction"
	"github.com/warden-dev/warden/aiguard/input"
	"github.com/warden-dev/warden/aiguard/judge"
	"github.com/warden-dev/warden/aiguard/moderation"
	"github.com/warden-dev/warden/aiguard/prompt"
	"github.com/warden-dev/warden/aiguard/response"
	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/llm"
)

// Config is the "ai" section of Warden's configuration.
type Config struct {
	Prompt     prompt.Config     `yaml:"prompt"`
	Input      input.Config      `yaml:"input"`
	Budget     budget.Config     `yaml:"budget"`
	Moderation moderation.Config `yaml:"moderation"`
	Judge      judge.Config      `yaml:"judge"`
	Extraction extraction.Config `yaml:"extraction"`
	Response   response.Config   `yaml:"response"` // the response guard, built by the root package
}

// DefaultConfig returns the defaults of every subsection.
func DefaultConfig() Config {
	return Config{
		Prompt:     prompt.DefaultConfig(),
		Input:      input.DefaultConfig(),
		Budget:     budget.DefaultConfig(),
		Moderation: moderation.DefaultConfig(),
		Judge:      judge.DefaultConfig(),
		Extraction: extraction.DefaultConfig(),
		Response:   response.DefaultConfig(),
	}
}

// Validate checks every subsection; errors start with the field path
// relative to the section, e.g. "budget.tokens_per_hour: must be >= 0".
func (c Config) Validate() error {
	var errs []error
	for _, s := range []struct {
		name string
		err  error
	}{
		{"prompt", c.Prompt.Validate()},
		{"input", c.Input.Validate()},
		{"budget", c.Budget.Validate()},
		{"moderation", c.Moderation.Validate()},
		{"judge", c.Judge.Validate()},
		{"extraction", c.Extraction.Validate()},
		{"response", c.Response.Validate()},
	} {
		if s.err != nil {
			errs = append(errs, fmt.Errorf("%s.%w", s.name, s.err))
		}
	}
	return errors.Join(errs...)
}

// WithRouteMatching returns c with its routes (budget.routes,
// input.routes, extraction.routes, judge.wait_routes) matched under the
// route_matching variants v, as route classes are (config.RouteMatching's
// Variants). Without it they match under every variant, route_matching's
// default.
func (c Config) WithRouteMatching(v route.Variants) Config {
	c.Budget = c.Budget.WithRouteMatching(v)
	c.Input = c.Input.WithRouteMatching(v)
	c.Extraction = c.Extraction.WithRouteMatching(v)
	c.Judge = c.Judge.WithRouteMatching(v)
	return c
}

// ApplyEnv overlays the environment: LibreChat's OPENAI_MODERATION,
// OPENAI_MODERATION_API_KEY and OPENAI_MODERATION_REVERSE_PROXY.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	return c.Moderation.ApplyEnv(lookup)
}

// Set is every AI detector built from one Config.
type Set struct {
	// prompt is the prompt-injection detector, wrapped by the LLM judge
	// when one is configured (judge is then non-nil).
	prompt     abuse.Detector
	judge      *judge.Detector
	input      *input.Detector
	budget     *budget.Detector
	moderation *moderation.Detector
	extraction *extraction.Detector

	judgeClient interface{ Stats() llm.Stats } // the judge passed to NewSet, when it reports stats
	chats       map[string]*chat.Cache         // the caches shareChats gave out, by detector
}

// NewSet builds the detectors cfg enables. judge may be nil (no LLM judge);
// pass an *llm.Client built from the llm section. With a judge, the prompt
// detector reports from the judge's grey_low so the grey zone reaches it.
func NewSet(cfg Config, jc judge.Client) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ai config: %w", err)
	}
	s := &Set{}
	var pd *prompt.Detector // the prompt detector, wrapped or not, for shareChats
	if st, ok := jc.(interface{ Stats() llm.Stats }); ok {
		s.judgeClient = st
	}
	if cfg.Prompt.Enabled {
		useJudge := jc != nil && cfg.Judge.Enabled
		if j, ok := jc.(interface{ Enabled() bool }); ok && !j.Enabled() {
			useJudge = false
		}
		pc := cfg.Prompt
		if useJudge {
			pc.ReportAt = min(pc.ReportAt, cfg.Judge.GreyLow)
		}
		p, err := prompt.NewDetector(pc)
		if err != nil {
			return nil, err
		}
		s.prompt, pd = p, p
		if useJudge {
			jd, err := judge.NewDetector(cfg.Judge, jc, p, "prompt")
			if err != nil {
				return nil, err
			}
			s.judge, s.prompt = jd, jd
		}
	}
	if cfg.Input.Enabled && len(cfg.Input.Routes) > 0 {
		d, err := input.NewDetector(cfg.Input)
		if err != nil {
			return nil, err
		}
		s.input = d
	}
	if cfg.Budget.Enabled {
		d, err := budget.NewDetector(cfg.Budget)
		if err != nil {
			return nil, err
		}
		s.budget = d
	}
	if cfg.Moderation.Enabled {
		d, err := moderation.NewDetector(cfg.Moderation)
		if err != nil {
			return nil, err
		}
		s.moderation = d
	}
	if cfg.Extraction.Enabled && len(cfg.Extraction.Routes) > 0 {
		d, err := extraction.NewDetector(cfg.Extraction)
		if err != nil {
			return nil, err
		}
		s.extraction = d
	}
	s.shareChats(cfg, pd)
	return s, nil
}

// chatUser is a detector that parses chat bodies and can share a cache.
type chatUser interface{ UseChatCache(*chat.Cache) }

// shareChats gives the prompt, budget and moderation detectors and the
// judge one chat cache when they parse with the same limits, so a chat
// body on their routes is parsed once per request instead of up to four
// times (the judge reads the body the prompt detector it wraps has just
// parsed). pd is the prompt detector, nil when off.
func (s *Set) shareChats(cfg Config, pd *prompt.Detector) {
	var lims []chat.Limits
	var users []chatUser
	var names []string
	if pd != nil {
		lims, users, names = append(lims, cfg.Prompt.Chat), append(users, pd), append(names, "prompt")
	}
	if s.budget != nil {
		lims, users, names = append(lims, cfg.Budget.Chat), append(users, s.budget), append(names, "budget")
	}
	if s.moderation != nil {
		lims, users, names = append(lims, cfg.Moderation.Chat), append(users, s.moderation), append(names, "moderation")
	}
	if s.judge != nil {
		// The judge reads chat bodies with the default limits.
		lims, users, names = append(lims, chat.DefaultLimits()), append(users, s.judge), append(names, "judge")
	}
	s.chats = map[string]*chat.Cache{}
	for i := range lims {
		if s.chats[names[i]] != nil {
			continue
		}
		var cc *chat.Cache
		for j := i + 1; j < len(lims); j++ {
			if s.chats[names[j]] == nil && chat.SameLimits(lims[i], lims[j]) {
				if cc == nil {
					cc = chat.NewCache(lims[i])
					users[i].UseChatCache(cc)
					s.chats[names[i]] = cc
				}
				users[j].UseChatCache(cc)
				s.chats[names[j]] = cc
			}
		}
	}
}

// Detectors returns the built detectors, cheap and rejecting ones first:
// model input, budget, prompt, moderation (a network call), extraction.
// Register them with Guard.Use.
func (s *Set) Detectors() []abuse.Detector {
	var ds []abuse.Detector
	if s.input != nil {
		ds = append(ds, s.input)
	}
	if s.budget != nil {
		ds = append(ds, s.budget)
	}
	if s.prompt != nil {
		ds = append(ds, s.prompt)
	}
	if s.moderation != nil {
		ds = append(ds, s.moderation)
	}
	if s.extraction != nil {
		ds = append(ds, s.extraction)
	}
	return ds
}

// Counters returns every counter of the built detectors and of the judge
// client, by metric name (Prometheus style, all monotonic totals), for the
// metrics endpoint: e.g. "warden_ai_llm_failures_total" counts judge calls
// that failed open.
func (s *Set) Counters() map[string]uint64 {
	m := map[string]uint64{}
	addLLM := func(prefix string, st llm.Stats) {
		m[prefix+"_calls_total"] = st.Calls
		m[prefix+"_cache_hits_total"] = st.CacheHits
		m[prefix+"_failures_total"] = st.Failures
		m[prefix+"_timeouts_total"] = st.Timeouts
		m[prefix+"_bad_answers_total"] = st.BadAnswers
		m[prefix+"_over_budget_total"] = st.OverBudget
		m[prefix+"_busy_total"] = st.Busy
		m[prefix+"_content_cuts_total"] = st.ContentCuts
	}
	if s.judgeClient != nil {
		st := s.judgeClient.Stats()
		addLLM("warden_ai_llm", st)
		m["warden_ai_llm_malicious_total"] = st.Malicious
	}
	if s.judge != nil {
		st := s.judge.Stats()
		m["warden_ai_judge_scheduled_total"] = st.Scheduled
		m["warden_ai_judge_waited_total"] = st.Waited
		m["warden_ai_judge_dropped_total"] = st.Dropped
		m["warden_ai_judge_failed_total"] = st.Failed
		m["warden_ai_judge_acted_total"] = st.Acted
	}
	if s.moderation != nil {
		st := s.moderation.Stats()
		addLLM("warden_ai_moderation", st)
		m["warden_ai_moderation_flagged_total"] = st.Flagged
	}
	if s.budget != nil {
		st := s.budget.Stats()
		m["warden_ai_budget_throttled_total"] = st.Throttled
		m["warden_ai_budget_corrected_total"] = st.Corrected
		m["warden_ai_budget_refunded_total"] = st.Refunded
	}
	if s.extraction != nil {
		m["warden_ai_extraction_flagged_clients_total"] = s.extraction.Stats().Flagged
	}
	return m
}

// Close stops the judge's background work.
func (s *Set) Close() error {
	if s.judge != nil {
		return s.judge.Close()
	}
	return nil
}
