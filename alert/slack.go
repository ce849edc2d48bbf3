package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/warden-dev/warden/internal/clip"
)

// Slack limits Warden keeps to: an attachment title is cut at 1,024
// characters, a text at 3,000 (a section block's limit).
const (
	SlackMaxTitle = 1024
	SlackMaxText  = 3000
)

// Slack posts to a Slack incoming webhook. The URL is a secret and never
// appears in an error.
type Slack struct {
	URL    string
	Client *http.Client
}

// Name implements Channel.
func (s *Slack) Name() string { return "slack" }

// Send implements Channel.
func (s *Slack) Send(ctx context.Context, n Notification) error {
	body, err := json.Marshal(SlackMessage(n))
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	if err := postJSON(ctx, s.Client, s.URL, body, nil); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	return nil
}

// SlackMessage is the incoming-webhook payload for n: a fallback text and
// one attachment (coloured by state) with the title and the alerts.
func SlackMessage(n Notification) map[string]any {
	color := "danger"
	if n.Status == Resolved {
		color = "good"
	}
	title := slackCut(n.Title, SlackMaxTitle)
	text := Text(n)
	_, text, _ = strings.Cut(text, "\n\n") // the title is the attachment's
	return map[string]any{
		"text": title,
		"attachments": []map[string]any{{
			"color": color,
			"title": title,
			"text":  slackCut(text, SlackMaxText),
		}},
	}
}

// slackCut escapes s for Slack's mrkdwn (&, <, >), then cuts it to at most
// max characters without splitting an escape or a UTF-8 sequence.
func slackCut(s string, max int) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	s = r.Replace(s)
	s = clip.Runes(s, max)
	// A cut may have left a partial entity ("&am…"): drop it.
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		s = s[:i] + "…"
	}
	return s
}
