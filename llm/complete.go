package llm

import (
	"context"
	"fmt"
	"strings"
)

// Complete asks the model for one plain-text answer to a system and a user
// message at temperature 0, for callers that check the answer themselves
// (the daily report's summary). Unlike Judge it is not cached and does not
// cut the content: a caller that sends structured data (JSON) must keep it
// within its own bound rather than have it cut mid-value. Secrets are
// still redacted from the user message. It shares the client's timeout,
// concurrency cap, budget and counters; any error means no answer.
func (cl *Client) Complete(ctx context.Context, system, user string, maxTokens int) (string, error) {
	if !cl.Enabled() {
		return "", ErrDisabled
	}
	req := chatRequest{
		Model: cl.cfg.Model,
		Messages: []chatMessage{
			{Role: "system", Content: system},
			{Role: "user", Content: cl.c.secrets.Text(user)},
		},
		Temperature: 0,
		MaxTokens:   maxTokens,
	}
	req.ResponseFormat.Type = "text"
	var resp chatResponse
	if err := cl.c.post(ctx, "/chat/completions", req, &resp); err != nil {
		return "", err
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == nil {
		cl.c.n.badAnswers.Add(1)
		return "", cl.c.fail(fmt.Errorf("%w: want exactly one choice with content", ErrBadAnswer))
	}
	if fr := resp.Choices[0].FinishReason; fr != "" && fr != "stop" {
		cl.c.n.badAnswers.Add(1)
		return "", cl.c.fail(fmt.Errorf("%w: finish_reason %q", ErrBadAnswer, fr))
	}
	return strings.TrimSpace(*resp.Choices[0].Message.Content), nil
}

// Model returns the configured model name.
func (cl *Client) Model() string { return cl.cfg.Model }
