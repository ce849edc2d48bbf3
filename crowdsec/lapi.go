package crowdsec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// maxStream bounds a decision stream answer read into memory. The
// community blocklist runs to tens of thousands of decisions, about 200
// bytes each.
const maxStream = 64 << 20

// maxAnswer bounds the other answers: alerts on one client.
const maxAnswer = 4 << 20

// statusError is an answer other than 2xx.
type statusError struct {
	method, path, status, message string
	code                          int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %s %q", e.method, e.path, e.status, e.message)
}

// permanent reports an answer that the same request would get again: a
// 4xx other than 401 (the token is renewed) and 429. A failed login is
// never permanent: the reports wait while an operator fixes the password
// or validates the machine.
func permanent(err error) bool {
	var le *loginError
	if errors.As(err, &le) {
		return false
	}
	var se *statusError
	return errors.As(err, &se) && se.code/100 == 4 && se.code != http.StatusUnauthorized && se.code != http.StatusTooManyRequests
}

// loginError is a failed watcher login.
type loginError struct{ err error }

func (e *loginError) Error() string { return "watcher login: " + e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }

const userAgent = "warden/crowdsec"

// errUnauthorized is a 401 from the LAPI: the watcher's token expired.
var errUnauthorized = errors.New("unauthorized")

// lapi is a small client of the Local API endpoints Warden calls, after
// its swagger (crowdsec 1.4): the decision stream with a bouncer key, the
// watcher login, alerts and decision deletion with its token.
type lapi struct {
	base    string // without a trailing slash
	hc      *http.Client
	key     string // X-Api-Key of the bouncer
	machine string
	pass    string
	counted func(op string, err error) // counts each call in metrics

	mu    sync.Mutex
	token string // the watcher's JWT; empty until logged in
}

// call sends one request and returns the body of a 2xx answer, at most
// limit bytes. Errors carry the status, never a credential.
func (l *lapi) call(ctx context.Context, method, path string, body any, auth func(*http.Request), limit int64) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, rd)
	if err != nil {
		return nil, err
	}
	// The LAPI takes a watcher's version from the User-Agent after its
	// "/", and refuses a login without one.
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	auth(req)
	resp, err := l.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes", method, path, limit)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("%s %s: %w", method, path, errUnauthorized)
	}
	if resp.StatusCode/100 != 2 {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &m)
		return nil, &statusError{method: method, path: path, status: resp.Status, message: clip.String(m.Message, maxText), code: resp.StatusCode}
	}
	return data, nil
}

// stream fetches the decision stream; startup asks for every decision in
// force instead of the changes since the last call.
func (l *lapi) stream(ctx context.Context, startup bool) ([]byte, error) {
	path := "/v1/decisions/stream"
	if startup {
		path += "?startup=true"
	}
	return l.call(ctx, http.MethodGet, path, nil, func(r *http.Request) { r.Header.Set("X-Api-Key", l.key) }, maxStream)
}

// login gets a watcher token.
func (l *lapi) login(ctx context.Context) error {
	data, err := l.call(ctx, http.MethodPost, "/v1/watchers/login",
		map[string]any{"machine_id": l.machine, "password": l.pass}, func(*http.Request) {}, 1<<16)
	l.counted("login", err)
	if err != nil {
		return err
	}
	var a struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(data, &a); err != nil || a.Token == "" {
		return fmt.Errorf("POST /v1/watchers/login: no token in the answer")
	}
	l.mu.Lock()
	l.token = a.Token
	l.mu.Unlock()
	return nil
}

// watcherCall calls as the watcher: logs in first when it has no token,
// and again once on a 401 (the token lasts an hour).
func (l *lapi) watcherCall(ctx context.Context, method, path string, body any) ([]byte, error) {
	fresh := false // the token was got in this call: a 401 with it is final
	for {
		l.mu.Lock()
		tok := l.token
		l.mu.Unlock()
		if tok == "" {
			if err := l.login(ctx); err != nil {
				return nil, &loginError{err}
			}
			fresh = true
			continue
		}
		data, err := l.call(ctx, method, path, body, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, maxAnswer)
		if errors.Is(err, errUnauthorized) && !fresh {
			l.mu.Lock()
			if l.token == tok {
				l.token = ""
			}
			l.mu.Unlock()
			continue
		}
		return data, err
	}
}

// deleteDecisions removes Warden's own decisions on an address or
// network: it finds them in the alerts on it (ip= or range=), by their
// scenario, and deletes each by id, leaving other decisions on the
// client alone.
func (l *lapi) deleteDecisions(ctx context.Context, d Decision) error {
	q := url.Values{"has_active_decision": {"true"}}
	if d.Scope == "Range" {
		q.Set("range", d.Value)
	} else {
		q.Set("ip", d.Value)
	}
	data, err := l.watcherCall(ctx, http.MethodGet, "/v1/alerts?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	var alerts []struct {
		Decisions []struct {
			ID       int64  `json:"id"`
			Scenario string `json:"scenario"`
			Value    string `json:"value"`
		} `json:"decisions"`
	}
	if err := json.Unmarshal(data, &alerts); err != nil {
		return fmt.Errorf("GET /v1/alerts: %w", err)
	}
	for _, a := range alerts {
		for _, x := range a.Decisions {
			if !strings.HasPrefix(x.Scenario, Scenario) || x.Value != d.Value {
				continue
			}
			if _, err := l.watcherCall(ctx, http.MethodDelete, "/v1/decisions/"+strconv.FormatInt(x.ID, 10), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// pause waits d or until ctx ends; false when ctx ended.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
