package inspect

import (
	"fmt"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/prompt"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
)

// Sections are the configuration sections of the stateless detectors
// Detectors builds. config.Config.DetectorSections fills them as `warden
// serve` does.
type Sections struct {
	Protocol protocol.Config
	Bot      bot.Config
	// Payload carries redact.fields in SecretFields
	// (config.Config.PayloadSection).
	Payload payload.Config
	Prompt  prompt.Config
}

// Detectors returns the stateless request detectors s enables, each
// built from its own section as `warden serve` builds it, in the
// order serve runs them: protocol, bot, payload, and the AI
// prompt-injection detector (as aiguard.NewSet builds it when no LLM
// judge is configured). They keep no state between requests, so a
// request's verdicts never depend on the requests judged before it:
// serve's rate limits, token budget, extraction and behaviour detectors
// are left out, and so is moderation, which calls a remote API.
func Detectors(s Sections) ([]abuse.Detector, error) {
	var ds []abuse.Detector
	if s.Protocol.Enabled {
		d, err := protocol.New(s.Protocol)
		if err != nil {
			return nil, fmt.Errorf("protocol: %w", err)
		}
		ds = append(ds, d)
	}
	if s.Bot.Enabled {
		d, err := bot.New(s.Bot)
		if err != nil {
			return nil, fmt.Errorf("bot: %w", err)
		}
		ds = append(ds, d)
	}
	if s.Payload.Enabled {
		d, err := payload.New(s.Payload)
		if err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		ds = append(ds, d)
	}
	if s.Prompt.Enabled {
		d, err := prompt.NewDetector(s.Prompt)
		if err != nil {
			return nil, fmt.Errorf("ai.prompt: %w", err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}
