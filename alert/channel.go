package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Channel sends notifications somewhere people read them. Send must
// return when ctx is done. An error wrapping a *RetryError may be retried
// (after RetryAfter when set); any other error fails the delivery.
type Channel interface {
	Name() string
	Send(ctx context.Context, n Notification) error
}

// RetryError is a failure worth retrying: a timeout, a refused
// connection, HTTP 429 or 5xx, a temporary SMTP error.
type RetryError struct {
	Err error
	// RetryAfter is the wait the receiver asked for (Retry-After), or 0.
	RetryAfter time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// Channels builds the channels cfg configures, in a fixed order: email,
// slack, webhook. client sends the HTTP ones; nil means a client with a
// 10 s timeout.
func Channels(cfg Config, client *http.Client) ([]Channel, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	var out []Channel
	if cfg.SMTP.Host != "" {
		out = append(out, NewEmail(cfg.SMTP))
	}
	if cfg.Slack.WebhookURL != "" {
		out = append(out, &Slack{URL: cfg.Slack.WebhookURL, Client: client})
	}
	if cfg.Webhook.URL != "" {
		key, err := WebhookKey(cfg.Webhook.Secret)
		if err != nil {
			return nil, fmt.Errorf("alerts.webhook.secret: %w", err)
		}
		out = append(out, &Webhook{URL: cfg.Webhook.URL, Key: key, Client: client})
	}
	return out, nil
}

// postJSON posts body and classifies the answer: 2xx is success, 429 and
// 5xx are worth retrying (honouring Retry-After), the rest is final. The
// answer's body is never quoted: it could echo the payload.
func postJSON(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return &RetryError{Err: fmt.Errorf("post: %w", redactURLError(err))}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &RetryError{Err: fmt.Errorf("receiver answered %d", resp.StatusCode), RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
}

// redactURLError drops the URL from a client error: a Slack webhook URL
// is a secret.
func redactURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// retryAfter reads Retry-After: seconds or an HTTP date; 0 when absent or
// unreadable. It is capped at a day.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, 24*time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 24*time.Hour)
	}
	return 0
}
