package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
)

// Client calls a Warden admin API, for `warden bans list|add|remove` and
// other tools. The zero value is not usable: set BaseURL and Token.
type Client struct {
	BaseURL string       // e.g. "http://127.0.0.1:9090"
	Token   string       // the admin token
	HTTP    *http.Client // nil means a client with a 10s timeout
}

// Ban is a ban as the admin API returns it.
type Ban struct {
	ban.Ban
	SecondsLeft int64 `json:"seconds_left"`
}

// APIError is an error answer of the admin API.
type APIError struct {
	Status  int    // HTTP status
	Code    string `json:"error"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("admin API: %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("admin API: %d %s: %s", e.Status, e.Code, e.Message)
}

// maxAnswerBytes bounds what the client reads of an answer.
const maxAnswerBytes = 16 << 20

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("admin client: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		// The base URL is named: "connection refused" alone does not say
		// which address a mistyped --admin pointed at.
		return fmt.Errorf("admin API at %s: %w", strings.TrimRight(c.BaseURL, "/"), err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("admin client: read answer: %w", err)
	}
	if res.StatusCode >= 300 {
		apiErr := &APIError{Status: res.StatusCode}
		if json.Unmarshal(data, apiErr) != nil || apiErr.Code == "" {
			apiErr.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(res.StatusCode), " ", "_"))
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("admin client: decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// Bans lists the active bans.
func (c *Client) Bans(ctx context.Context) ([]Ban, error) {
	var out struct {
		Bans []Ban `json:"bans"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/bans", nil, &out); err != nil {
		return nil, err
	}
	return out.Bans, nil
}

// BanRequest is a ban to place with AddBan.
type BanRequest struct {
	Target    string        // "ip:203.0.113.7", "ip:2001:db8::/64" or "user:42"
	Duration  time.Duration // > 0
	Reason    string
	Violation string // optional violation type
}

// AddBan places a ban. The answer names what was banned: a plain IPv6
// address stands for its network.
func (c *Client) AddBan(ctx context.Context, b BanRequest) (Ban, error) {
	var out Ban
	err := c.do(ctx, http.MethodPost, "/api/v1/bans",
		addBanRequest{Target: b.Target, Duration: b.Duration.String(), Reason: b.Reason, Violation: b.Violation}, &out)
	return out, err
}

// Lifted is the answer of LiftBan.
type Lifted struct {
	Target       string `json:"target"` // the ban lifted: an IPv6 address's network
	Removed      bool   `json:"removed"`
	ScoreCleared bool   `json:"score_cleared"`
}

// LiftBan lifts the ban on target and, unless keepScore, clears the
// target's violation scores and behaviour state. It returns an *APIError
// with Status 404 when there was no ban.
func (c *Client) LiftBan(ctx context.Context, target string, keepScore bool) (Lifted, error) {
	path := "/api/v1/bans/" + url.PathEscape(target)
	if keepScore {
		path += "?keep_score=true"
	}
	var out Lifted
	err := c.do(ctx, http.MethodDelete, path, nil, &out)
	return out, err
}

// Events returns the newest decision-log events at or after since, newest
// first; limit <= 0 means the server's default.
func (c *Client) Events(ctx context.Context, since time.Time, limit int) ([]eventlog.Event, error) {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	path := "/api/v1/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Events []eventlog.Event `json:"events"`
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return out.Events, nil
}

// IsNotFound reports whether err is an admin API 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}
