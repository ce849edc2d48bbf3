package inspect

import (
	"fmt"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
)

// Detectors returns the stateless request detectors cfg enables, each
// built from its own section of cfg as `warden serve` builds it, in the
// order serve runs them: protocol, bot, payload, and the AI
// prompt-injection detector (as aiguard.NewSet builds it when no LLM
// judge is configured). They keep no state between requests, so a
// request's verdicts never depend on the requests judged before it:
// serve's rate limits, token budget, extraction and behaviour detectors
// are left out, and so is moderation, which calls a remote API.
func Detectors(cfg config.Config) ([]abuse.Detector, error) {
	var ds []abuse.Detector
	if cfg.Protocol.Enabled {
		d, err := protocol.New(cfg.Protocol)
		if err != nil {
			return nil, fmt.Errorf("protocol: %w", err)
		}
		ds = append(ds, d)
	}
	if cfg.Bot.Enabled {
		d, err := bot.New(cfg.Bot)
		if err != nil {
			return nil, fmt.Errorf("bot: %w", err)
		}
		ds = append(ds, d)
	}
	if cfg.Payload.Enabled {
		d, err := payload.New(cfg.PayloadSection())
		if err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		ds = append(ds, d)
	}
	if cfg.AI.Prompt.Enabled {
		d, err := aiguard.NewPromptDetector(cfg.AI.Prompt)
		if err != nil {
			return nil, fmt.Errorf("ai.prompt: %w", err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}
