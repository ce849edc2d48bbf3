package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook posts each notification as JSON to URL, signed the Standard
// Webhooks way: headers webhook-id (the notification id), webhook-timestamp
// (Unix seconds) and webhook-signature "v1," + base64(HMAC-SHA256(Key,
// id + "." + timestamp + "." + body)). Receivers that check the timestamp
// also reject replays.
type Webhook struct {
	URL    string
	Key    []byte
	Client *http.Client
	// Now is the clock for the timestamp; nil means time.Now.
	Now func() time.Time
}

// WebhookKey reads a signing secret: "whsec_" followed by base64 (the
// Standard Webhooks form), else the secret's bytes as they are.
func WebhookKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("must not be empty")
	}
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, errors.New(`"whsec_" must be followed by base64`)
		}
		return k, nil
	}
	return []byte(secret), nil
}

// Sign returns the webhook-signature value for a message.
func Sign(key []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Name implements Channel.
func (w *Webhook) Name() string { return "webhook" }

// Send implements Channel.
func (w *Webhook) Send(ctx context.Context, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	h := http.Header{}
	h.Set("webhook-id", n.ID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", Sign(w.Key, n.ID, ts, body))
	if err := postJSON(ctx, w.Client, w.URL, body, h); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
