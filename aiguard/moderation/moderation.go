package moderation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/llm"
)

// Config configures OpenAI moderation of chat messages (YAML
// section ai.moderation), LibreChat's OPENAI_MODERATION feature.
type Config struct {
	Enabled bool   `yaml:"enabled"`  // env OPENAI_MODERATION=true
	APIKey  string `yaml:"api_key"`  // env OPENAI_MODERATION_API_KEY
	BaseURL string `yaml:"base_url"` // env OPENAI_MODERATION_REVERSE_PROXY; default https://api.openai.com/v1
	Model   string `yaml:"model"`    // default omni-moderation-latest
	// Classes are the route classes moderated (default ["message"]).
	Classes []string `yaml:"classes"`
	// Categories, when set, block only these categories ("violence",
	// "sexual/minors", …); empty blocks whatever the API flags.
	Categories []string      `yaml:"categories"`
	Timeout    time.Duration `yaml:"timeout"` // default 3s
	// FailClosed blocks messages when the moderation API cannot answer.
	// Off by default: Warden fails open and counts the failure.
	FailClosed bool        `yaml:"fail_closed"`
	Chat       chat.Limits `yaml:"chat"`
	MaxText    int         `yaml:"max_text_bytes"` // text sent per message (default 32 KiB)
}

// DefaultConfig returns the defaults: off until an API key or a
// reverse proxy is configured (OPENAI_MODERATION=true turns it on).
func DefaultConfig() Config {
	return Config{Classes: []string{"message"}, Timeout: 3 * time.Second, Chat: chat.DefaultLimits(), MaxText: 32 << 10}
}

// Validate checks the section; errors start with the field path.
func (c Config) Validate() error {
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return fmt.Errorf("base_url: must be an http:// or https:// URL")
	}
	if c.Enabled && c.APIKey == "" && c.BaseURL == "" {
		return fmt.Errorf("api_key: required when enabled (or set base_url to a reverse proxy)")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout: must be >= 0")
	}
	if c.MaxText < 0 {
		return fmt.Errorf("max_text_bytes: must be >= 0")
	}
	if err := c.Chat.Validate(); err != nil {
		return fmt.Errorf("chat.%w", err)
	}
	return nil
}

// ApplyEnv overlays LibreChat's OPENAI_MODERATION,
// OPENAI_MODERATION_API_KEY and OPENAI_MODERATION_REVERSE_PROXY.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) (err error) {
	fromEnv := false
	if v, ok := lookup("OPENAI_MODERATION"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("OPENAI_MODERATION: %q is not true or false", v)
		}
		c.Enabled, fromEnv = b, b
	}
	defer func() {
		// Name the variable the operator set, not the YAML field.
		if fromEnv && c.APIKey == "" && c.BaseURL == "" && err == nil {
			err = errors.New("OPENAI_MODERATION: true needs OPENAI_MODERATION_API_KEY (or OPENAI_MODERATION_REVERSE_PROXY, or ai.moderation.api_key in the config file)")
		}
	}()
	if v, ok := lookup("OPENAI_MODERATION_API_KEY"); ok && v != "" {
		c.APIKey = v
	}
	if v, ok := lookup("OPENAI_MODERATION_REVERSE_PROXY"); ok && v != "" {
		if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			return fmt.Errorf("OPENAI_MODERATION_REVERSE_PROXY: %q is not an http:// or https:// URL", v)
		}
		c.BaseURL = v
	}
	return nil
}

// Detector sends the user text of chat messages on the
// configured route classes to the OpenAI moderation API and blocks
// (403, violation "moderation") what it flags, before the message reaches
// the upstream. It runs synchronously within Timeout; when the API fails
// the message passes (unless FailClosed) and the failure is counted in
// Stats. Safe for concurrent use.
type Detector struct {
	cfg     Config
	mod     *llm.Moderator
	classes map[string]bool
	cats    map[string]bool
	chats   *chat.Cache // shared parses within a Set, nil alone
}

// NewDetector returns a detector for cfg.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aiguard moderation config: %w", err)
	}
	if cfg.MaxText == 0 {
		cfg.MaxText = 32 << 10
	}
	mod, err := llm.NewModerator(llm.ModeratorConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Model: cfg.Model, Timeout: cfg.Timeout, MaxContentBytes: cfg.MaxText})
	if err != nil {
		return nil, fmt.Errorf("aiguard moderation: %w", err)
	}
	d := &Detector{cfg: cfg, mod: mod, classes: map[string]bool{}, cats: map[string]bool{}}
	for _, c := range cfg.Classes {
		d.classes[c] = true
	}
	for _, c := range cfg.Categories {
		d.cats[c] = true
	}
	return d, nil
}

// Name returns "moderation".
func (d *Detector) Name() string { return "moderation" }

// Stats returns the moderation client's counters.
func (d *Detector) Stats() llm.Stats { return d.mod.Stats() }

// Detect moderates the message text of requests on the configured classes.
func (d *Detector) Detect(ctx context.Context, r *abuse.Request) abuse.Verdict {
	if !d.cfg.Enabled || !d.classes[r.Class] || len(r.Body) == 0 {
		return abuse.Verdict{}
	}
	c, ok := d.chats.Parse(r, d.cfg.Chat)
	if !ok {
		return abuse.Verdict{}
	}
	var b strings.Builder
	for _, s := range c.Segments {
		if s.Source == chat.SourceUser || s.Source == chat.SourceTool || s.Source == chat.SourceDocument {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(s.Text)
			if b.Len() >= d.cfg.MaxText {
				break
			}
		}
	}
	if b.Len() == 0 {
		return abuse.Verdict{}
	}
	res, err := d.mod.Moderate(ctx, b.String())
	if err != nil {
		if d.cfg.FailClosed {
			return abuse.Verdict{Detector: d.Name(), Confidence: 0.5, Action: abuse.Block, Reason: "message could not be moderated",
				Messages: []string{"moderation unavailable, failing closed"}}
		}
		return abuse.Verdict{}
	}
	if !res.Flagged {
		return abuse.Verdict{}
	}
	cats := res.Categories
	if len(d.cats) > 0 {
		cats = cats[:0:0]
		for _, c := range res.Categories {
			if d.cats[c] {
				cats = append(cats, c)
			}
		}
		if len(cats) == 0 {
			return abuse.Verdict{}
		}
	}
	return abuse.Verdict{
		Detector:   d.Name(),
		Confidence: max(res.MaxScore, 0.8),
		Violation:  "moderation",
		Action:     abuse.Block,
		Reason:     "message flagged by moderation",
		Messages:   []string{"moderation flagged: " + strings.Join(cats, ", ")},
	}
}

// UseChatCache makes d parse chat bodies through cc, which the other
// detectors of an aiguard.Set that parse with the same limits share, so a
// body is parsed once per request. Call it before the first Detect.
func (d *Detector) UseChatCache(cc *chat.Cache) { d.chats = cc }

// Interface guard.
var _ abuse.Detector = (*Detector)(nil)
