package aiguard

import (
	"errors"
	"fmt"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/response"
	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/llm"
)

// Config is the "ai" section of Warden's configuration.
type Config struct {
	Prompt     PromptConfig     `yaml:"prompt"`
	Input      InputConfig      `yaml:"input"`
	Budget     BudgetConfig     `yaml:"budget"`
	Moderation ModerationConfig `yaml:"moderation"`
	Judge      JudgeConfig      `yaml:"judge"`
	Extraction ExtractionConfig `yaml:"extraction"`
	Response   response.Config  `yaml:"response"` // the response guard, built by the root package
}

// DefaultConfig returns the defaults of every subsection.
func DefaultConfig() Config {
	return Config{
		Prompt:     DefaultPromptConfig(),
		Input:      DefaultInputConfig(),
		Budget:     DefaultBudgetConfig(),
		Moderation: DefaultModerationConfig(),
		Judge:      DefaultJudgeConfig(),
		Extraction: DefaultExtractionConfig(),
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
	c.Budget.matching, c.Input.matching, c.Extraction.matching, c.Judge.matching = &v, &v, &v, &v
	return c
}

// ApplyEnv overlays the environment: LibreChat's OPENAI_MODERATION,
// OPENAI_MODERATION_API_KEY and OPENAI_MODERATION_REVERSE_PROXY.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	return c.Moderation.ApplyEnv(lookup)
}

// Set is every AI detector built from one Config.
type Set struct {
	// Prompt is the prompt-injection detector, wrapped by the LLM judge
	// when one is configured (Judge is then non-nil).
	Prompt     abuse.Detector
	Judge      *JudgeDetector
	Input      *InputDetector
	Budget     *BudgetDetector
	Moderation *ModerationDetector
	Extraction *ExtractionDetector

	judgeClient interface{ Stats() llm.Stats } // the judge passed to NewSet, when it reports stats
}

// NewSet builds the detectors cfg enables. judge may be nil (no LLM judge);
// pass an *llm.Client built from the llm section. With a judge, the prompt
// detector reports from the judge's grey_low so the grey zone reaches it.
func NewSet(cfg Config, judge Judge) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ai config: %w", err)
	}
	s := &Set{}
	if st, ok := judge.(interface{ Stats() llm.Stats }); ok {
		s.judgeClient = st
	}
	if cfg.Prompt.Enabled {
		useJudge := judge != nil && cfg.Judge.Enabled
		if j, ok := judge.(interface{ Enabled() bool }); ok && !j.Enabled() {
			useJudge = false
		}
		pc := cfg.Prompt
		if useJudge {
			pc.ReportAt = min(pc.ReportAt, cfg.Judge.GreyLow)
		}
		p, err := NewPromptDetector(pc)
		if err != nil {
			return nil, err
		}
		s.Prompt = p
		if useJudge {
			jd, err := NewJudgeDetector(cfg.Judge, judge, p, "prompt")
			if err != nil {
				return nil, err
			}
			s.Judge, s.Prompt = jd, jd
		}
	}
	if cfg.Input.Enabled && len(cfg.Input.Routes) > 0 {
		d, err := NewInputDetector(cfg.Input)
		if err != nil {
			return nil, err
		}
		s.Input = d
	}
	if cfg.Budget.Enabled {
		d, err := NewBudgetDetector(cfg.Budget)
		if err != nil {
			return nil, err
		}
		s.Budget = d
	}
	if cfg.Moderation.Enabled {
		d, err := NewModerationDetector(cfg.Moderation)
		if err != nil {
			return nil, err
		}
		s.Moderation = d
	}
	if cfg.Extraction.Enabled && len(cfg.Extraction.Routes) > 0 {
		d, err := NewExtractionDetector(cfg.Extraction)
		if err != nil {
			return nil, err
		}
		s.Extraction = d
	}
	s.shareChats()
	return s, nil
}

// shareChats gives the prompt, budget and moderation detectors and the
// judge one chat cache when they parse with the same limits, so a chat
// body on their routes is parsed once per request instead of up to four
// times (the judge reads the body the prompt detector it wraps has just
// parsed).
func (s *Set) shareChats() {
	var lims []ChatLimits
	var slots []**chatCache
	if p, ok := s.Prompt.(*PromptDetector); ok {
		lims, slots = append(lims, p.cfg.Chat), append(slots, &p.chats)
	} else if s.Judge != nil {
		if p, ok := s.Judge.inner.(*PromptDetector); ok {
			lims, slots = append(lims, p.cfg.Chat), append(slots, &p.chats)
		}
	}
	if s.Budget != nil {
		lims, slots = append(lims, s.Budget.cfg.Chat), append(slots, &s.Budget.chats)
	}
	if s.Moderation != nil {
		lims, slots = append(lims, s.Moderation.cfg.Chat), append(slots, &s.Moderation.chats)
	}
	if s.Judge != nil {
		lims, slots = append(lims, s.Judge.chat), append(slots, &s.Judge.chats)
	}
	for i := range lims {
		if *slots[i] != nil {
			continue
		}
		var cc *chatCache
		for j := i + 1; j < len(lims); j++ {
			if *slots[j] == nil && sameLimits(lims[i], lims[j]) {
				if cc == nil {
					cc = newChatCache(lims[i])
					*slots[i] = cc
				}
				*slots[j] = cc
			}
		}
	}
}

// Detectors returns the built detectors, cheap and rejecting ones first:
// model input, budget, prompt, moderation (a network call), extraction.
// Register them with Guard.Use.
func (s *Set) Detectors() []abuse.Detector {
	var ds []abuse.Detector
	if s.Input != nil {
		ds = append(ds, s.Input)
	}
	if s.Budget != nil {
		ds = append(ds, s.Budget)
	}
	if s.Prompt != nil {
		ds = append(ds, s.Prompt)
	}
	if s.Moderation != nil {
		ds = append(ds, s.Moderation)
	}
	if s.Extraction != nil {
		ds = append(ds, s.Extraction)
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
	if s.Judge != nil {
		st := s.Judge.Stats()
		m["warden_ai_judge_scheduled_total"] = st.Scheduled
		m["warden_ai_judge_waited_total"] = st.Waited
		m["warden_ai_judge_dropped_total"] = st.Dropped
		m["warden_ai_judge_failed_total"] = st.Failed
		m["warden_ai_judge_acted_total"] = st.Acted
	}
	if s.Moderation != nil {
		st := s.Moderation.Stats()
		addLLM("warden_ai_moderation", st)
		m["warden_ai_moderation_flagged_total"] = st.Flagged
	}
	if s.Budget != nil {
		st := s.Budget.Stats()
		m["warden_ai_budget_throttled_total"] = st.Throttled
		m["warden_ai_budget_corrected_total"] = st.Corrected
		m["warden_ai_budget_refunded_total"] = st.Refunded
	}
	if s.Extraction != nil {
		m["warden_ai_extraction_flagged_clients_total"] = s.Extraction.Stats().Flagged
	}
	return m
}

// Close stops the judge's background work.
func (s *Set) Close() error {
	if s.Judge != nil {
		return s.Judge.Close()
	}
	return nil
}
