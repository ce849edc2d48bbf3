package llm

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/warden-dev/warden/internal/redact"
)

// DefaultOpenAIBaseURL is the OpenAI API base the moderation client uses
// when no reverse proxy is configured.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1"

// ModeratorConfig configures a Moderator.
type ModeratorConfig struct {
	BaseURL         string        // OPENAI_MODERATION_REVERSE_PROXY, default DefaultOpenAIBaseURL
	APIKey          string        // OPENAI_MODERATION_API_KEY
	Model           string        // default "omni-moderation-latest"
	Timeout         time.Duration // default 3s
	MaxConcurrent   int           // default 8
	CallsPerMinute  int           // default 600
	CacheSize       int           // default 4096
	CacheTTL        time.Duration // default 10m
	MaxContentBytes int           // default 32 KiB
}

// Moderation is the result for one text.
type Moderation struct {
	Flagged    bool
	Categories []string           // flagged categories, sorted ("hate", "violence/graphic", …)
	Scores     map[string]float64 // category_scores as returned
	MaxScore   float64            // highest score among flagged categories (or all when none flagged)
	Cached     bool
}

// Moderator calls the OpenAI moderation API (POST {base}/moderations).
// Safe for concurrent use; never blocks for a slot.
type Moderator struct {
	cfg ModeratorConfig
	c   *caller
}

// NewModerator returns a moderation client.
func NewModerator(cfg ModeratorConfig) (*Moderator, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultOpenAIBaseURL
	}
	if err := checkBaseURL(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("llm moderation base url: %w", err)
	}
	if cfg.Model == "" {
		cfg.Model = "omni-moderation-latest"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 8
	}
	if cfg.CallsPerMinute <= 0 {
		cfg.CallsPerMinute = 600
	}
	if cfg.CacheSize < 0 {
		cfg.CacheSize = 0
	} else if cfg.CacheSize == 0 {
		cfg.CacheSize = 4096
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.MaxContentBytes <= 0 {
		cfg.MaxContentBytes = 32 << 10
	}
	return &Moderator{cfg: cfg, c: newCaller(cfg.BaseURL, cfg.APIKey, cfg.Timeout, cfg.MaxConcurrent, cfg.CallsPerMinute, cfg.CacheSize, cfg.CacheTTL, cfg.MaxContentBytes, redact.Names{})}, nil
}

// Stats returns the moderator's counters.
func (m *Moderator) Stats() Stats { return m.c.n.snapshot() }

type moderationRequest struct {
	Model string `json:"model"`
	Input string `json:"input"`
}

type moderationResponse struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Results []struct {
		Flagged        *bool              `json:"flagged"`
		Categories     map[string]bool    `json:"categories"`
		CategoryScores map[string]float64 `json:"category_scores"`
	} `json:"results"`
}

// Moderate classifies text. Any error means no answer; callers fail open.
func (m *Moderator) Moderate(ctx context.Context, text string) (Moderation, error) {
	text = m.c.bound(text)
	key := contentKey("moderation", m.cfg.Model, text)
	now := m.c.now()
	if v, ok := m.c.cache.get(key, now); ok {
		m.c.n.cacheHits.Add(1)
		r := v.(Moderation)
		r.Cached = true
		return r, nil
	}
	var resp moderationResponse
	if err := m.c.post(ctx, "/moderations", moderationRequest{Model: m.cfg.Model, Input: text}, &resp); err != nil {
		return Moderation{}, err
	}
	if len(resp.Results) != 1 || resp.Results[0].Flagged == nil {
		m.c.n.badAnswers.Add(1)
		return Moderation{}, m.c.fail(fmt.Errorf("%w: want one result with flagged", ErrBadAnswer))
	}
	res := resp.Results[0]
	out := Moderation{Flagged: *res.Flagged, Scores: res.CategoryScores}
	for cat, on := range res.Categories {
		if on {
			out.Categories = append(out.Categories, cat)
			out.MaxScore = max(out.MaxScore, res.CategoryScores[cat])
		}
	}
	sort.Strings(out.Categories)
	if len(out.Categories) == 0 {
		for _, s := range res.CategoryScores {
			out.MaxScore = max(out.MaxScore, s)
		}
	}
	if out.Flagged {
		m.c.n.flagged.Add(1)
	}
	m.c.cache.put(key, out, now)
	return out, nil
}
