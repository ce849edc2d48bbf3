package prompt

import (
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
)

// UseChatCache makes d parse chat bodies through cc, which the other
// detectors of an aiguard.Set that parse with the same limits share, so a
// body is parsed once per request. Call it before the first Detect.
func (d *Detector) UseChatCache(cc *chat.Cache) { d.chats = cc }

// Interface guard.
var _ abuse.Detector = (*Detector)(nil)
