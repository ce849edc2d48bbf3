package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// Attacker kinds, as named in [Config.Attackers].
const (
	Stuffer        = "stuffer"         // credential stuffing: many logins, many usernames
	Enumerator     = "enumerator"      // GET /api/users/1, 2, 3, … in order
	Scanner        = "scanner"         // sensitive paths (/.env, /.git/config, …) with a scanner user agent
	Injector       = "injector"        // SQLi, XSS, traversal and command payloads in queries and JSON
	PromptInjector = "prompt_injector" // "ignore all previous instructions…" to the chat endpoints
	Flooder        = "flooder"         // many cheap requests from one address
	Extractor      = "extractor"       // model extraction: systematic and out-of-range inputs to /api/models/predict
)

// attackerKinds lists every kind in start order. Immutable.
var attackerKinds = [...]string{Stuffer, Enumerator, Scanner, Injector, PromptInjector, Flooder, Extractor}

// Config sets how much traffic the generator sends. The defaults suit a
// demonstration on a laptop: about 50 requests/s in all.
type Config struct {
	// Users is the number of normal users, each with its own address.
	Users int `yaml:"users"`
	// UserRate is the requests per second of each normal user.
	UserRate float64 `yaml:"user_rate"`
	// Attackers lists the attacker kinds to run, one actor each: stuffer,
	// enumerator, scanner, injector, prompt_injector, flooder, extractor.
	Attackers []string `yaml:"attackers"`
	// AttackerRate is the requests per second of each attacker but the flooder.
	AttackerRate float64 `yaml:"attacker_rate"`
	// FloodRate is the requests per second of the flooder.
	FloodRate float64 `yaml:"flood_rate"`
	// Timeout bounds each request.
	Timeout time.Duration `yaml:"timeout"`
	// Seed makes the choices of the actors repeatable.
	Seed uint64 `yaml:"seed"`
}

// DefaultConfig returns 6 normal users at 1.5 requests/s, every attacker
// kind at 3 requests/s and a flooder at 20 requests/s.
func DefaultConfig() Config {
	return Config{
		Users:        6,
		UserRate:     1.5,
		Attackers:    attackerKinds[:],
		AttackerRate: 3,
		FloodRate:    20,
		Timeout:      5 * time.Second,
		Seed:         1,
	}
}

// Validate reports the first invalid field, named by its YAML key.
func (c Config) Validate() error {
	switch {
	case c.Users < 0 || c.Users > 200:
		return errors.New("users: must be 0..200")
	case c.Users > 0 && (c.UserRate <= 0 || c.UserRate > 100):
		return errors.New("user_rate: must be > 0 and <= 100")
	case c.Users == 0 && len(c.Attackers) == 0:
		return errors.New("users: must be > 0 when attackers is empty")
	case len(c.Attackers) > 0 && (c.AttackerRate <= 0 || c.AttackerRate > 200):
		return errors.New("attacker_rate: must be > 0 and <= 200")
	case c.Timeout <= 0 || c.Timeout > time.Minute:
		return errors.New("timeout: must be > 0 and <= 1m")
	}
	seen := make(map[string]bool, len(c.Attackers))
	for i, k := range c.Attackers {
		known := false
		for _, a := range attackerKinds {
			known = known || a == k
		}
		switch {
		case !known:
			return fmt.Errorf("attackers[%d]: unknown kind %q (want one of %s)", i, clip.Prefix(k, 32), strings.Join(attackerKinds[:], ", "))
		case seen[k]:
			return fmt.Errorf("attackers[%d]: %q listed twice", i, k)
		case k == Flooder && (c.FloodRate <= 0 || c.FloodRate > 2000):
			return errors.New("flood_rate: must be > 0 and <= 2000")
		}
		seen[k] = true
	}
	return nil
}

// Traffic sends the traffic of normal users and attackers to one target.
// Create it with [NewTraffic], read its [Stats] at any time, and stop it by
// cancelling the context given to [Traffic.Run].
type Traffic struct {
	cfg     Config
	client  *http.Client
	stats   *Stats
	started atomic.Bool
}

// NewTraffic validates cfg and returns a generator that has not started.
func NewTraffic(cfg Config) (*Traffic, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo traffic config: %w", err)
	}
	cfg.Attackers = append([]string(nil), cfg.Attackers...)
	tr := &http.Transport{
		Proxy:               nil, // the target is local: never go through an environment proxy
		MaxIdleConnsPerHost: cfg.Users + len(cfg.Attackers) + 4,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &Traffic{
		cfg:    cfg,
		client: &http.Client{Transport: tr, CheckRedirect: noRedirects},
		stats:  newStats(time.Now()),
	}, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Stats returns the live tally. It is the same value for the whole life of t.
func (t *Traffic) Stats() *Stats { return t.stats }

// Run sends traffic to target (a base URL such as "http://127.0.0.1:8080")
// until ctx is done, then waits for every actor to stop and returns nil. It
// returns an error at once when target is not an http(s) URL. Each actor
// runs in one goroutine and sends one request at a time, each bounded by
// Config.Timeout and by ctx, so Run returns promptly after cancellation.
// Run may be called once; later calls return an error.
func (t *Traffic) Run(ctx context.Context, target string) error {
	base, err := url.Parse(target)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("demo traffic target %q: want an http(s) base URL", target)
	}
	if !t.started.CompareAndSwap(false, true) {
		return errors.New("demo traffic: Run called twice")
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	t.stats.mu.Lock()
	t.stats.start = time.Now()
	t.stats.mu.Unlock()

	actors := t.actors(base)
	var wg sync.WaitGroup
	for _, a := range actors {
		wg.Go(func() { t.loop(ctx, a) })
	}
	wg.Wait()
	t.client.CloseIdleConnections()
	return nil
}

// Run is NewTraffic followed by Traffic.Run: it blocks until ctx is done and
// returns the final tally.
func Run(ctx context.Context, target string, cfg Config) (*Stats, error) {
	t, err := NewTraffic(cfg)
	if err != nil {
		return nil, err
	}
	if err := t.Run(ctx, target); err != nil {
		return nil, err
	}
	return t.Stats(), nil
}

// actor is one simulated client: a source address, a user agent and a
// script that sends one request per step.
type actor struct {
	name  string
	ip    string
	ua    string
	rate  float64
	rng   *rand.Rand
	tally *tally
	base  *url.URL
	step  func(ctx context.Context, t *Traffic, a *actor)

	token      string // Bearer token after a successful login
	registered bool   // the attacker's own account was registered
	n          int    // steps taken
	seq        int    // the enumerator's last id
	queue      []call // calls to make before the script's next choice
	acct       Account
}

// call is one request an actor makes.
type call struct {
	method string
	path   string // path and query, already escaped
	body   any    // nil, a []byte sent as is, or a value sent as JSON
	accept string // Accept header; JSON when empty
}

func (t *Traffic) actors(base *url.URL) []*actor {
	var out []*actor
	newActor := func(name, ip string, attacker bool, rate float64, i int) *actor {
		return &actor{
			name: name, ip: ip, rate: rate, base: base,
			rng:   rand.New(rand.NewPCG(t.cfg.Seed, uint64(i)+1)),
			tally: t.stats.row(name, attacker),
		}
	}
	for i := range t.cfg.Users {
		a := newActor("users", fmt.Sprintf("198.51.100.%d", 10+i), false, t.cfg.UserRate, i)
		a.ua = browserUAs[i%len(browserUAs)]
		a.acct = accounts[i%len(accounts)]
		a.step = userStep
		out = append(out, a)
	}
	for i, kind := range t.cfg.Attackers {
		rate := t.cfg.AttackerRate
		if kind == Flooder {
			rate = t.cfg.FloodRate
		}
		a := newActor(strings.ReplaceAll(kind, "_", "-"), fmt.Sprintf("203.0.113.%d", 10+i), true, rate, 1000+i)
		setupAttacker(a, kind)
		out = append(out, a)
	}
	return out
}

// loop runs a's script at its rate until ctx is done. Gaps are uniformly
// jittered between 0.5 and 1.5 times the mean so actors do not march in step.
func (t *Traffic) loop(ctx context.Context, a *actor) {
	mean := time.Duration(float64(time.Second) / a.rate)
	timer := time.NewTimer(time.Duration(a.rng.Int64N(int64(mean) + 1)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if len(a.queue) > 0 {
			c := a.queue[0]
			a.queue = a.queue[1:]
			t.do(ctx, a, c)
		} else {
			a.step(ctx, t, a)
		}
		a.n++
		timer.Reset(time.Duration(float64(mean) * (0.5 + a.rng.Float64())))
	}
}

// answer is what do reads back.
type answer struct {
	status int
	body   []byte
}

// maxAnswer bounds how much of an answer is read for parsing.
const maxAnswer = 64 << 10

// do sends one call as actor a and tallies the answer. It returns the
// answer (status 0 when there was none).
func (t *Traffic) do(ctx context.Context, a *actor, c call) answer {
	var body io.Reader
	isJSON := false
	switch b := c.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
		isJSON = true
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return answer{}
		}
		body = bytes.NewReader(raw)
		isJSON = true
	}
	run := ctx
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, c.method, a.base.String()+c.path, body)
	if err != nil {
		a.tally.fail()
		return answer{}
	}
	h := req.Header
	h.Set("User-Agent", a.ua)
	h.Set("X-Forwarded-For", a.ip)
	if c.accept == "" {
		c.accept = "application/json"
	}
	h.Set("Accept", c.accept)
	if !a.tally.attacker {
		// Browsers send more headers than tools do, and attackers spoofing
		// a browser user agent rarely copy them all.
		h.Set("Accept-Language", "en-US,en;q=0.9")
		h.Set("Accept-Encoding", "gzip, deflate, br")
		h.Set("Sec-Fetch-Site", "same-origin")
	}
	if isJSON {
		h.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		h.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		if run.Err() != nil {
			return answer{} // the generator is stopping: not a failure of the target
		}
		a.tally.fail()
		return answer{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4*maxAnswer)) // let the connection be reused
	werr, reason := wardenError(resp, raw)
	a.tally.record(resp.StatusCode, werr, reason)
	if resp.StatusCode == http.StatusUnauthorized && a.token != "" && c.path != "/api/auth/login" {
		a.token = "" // expired: log in again on the next step
	}
	return answer{status: resp.StatusCode, body: raw}
}

// wardenError returns the string "error" and "reason" fields of a JSON
// answer, "" when there are none (the demo app never sends a string "error").
func wardenError(resp *http.Response, raw []byte) (string, string) {
	if resp.StatusCode < 400 || resp.Header.Get("Content-Encoding") != "" ||
		!strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return "", ""
	}
	var v struct {
		Error  json.RawMessage `json:"error"`
		Reason string          `json:"reason"`
	}
	if json.Unmarshal(raw, &v) != nil || len(v.Error) == 0 || v.Error[0] != '"' {
		return "", ""
	}
	var e string
	if json.Unmarshal(v.Error, &e) != nil || e == "" {
		return "", ""
	}
	return clip.Prefix(e, 32), v.Reason
}

// login logs a in with email and password, keeping the token on success.
func (t *Traffic) login(ctx context.Context, a *actor, email, password string) bool {
	ans := t.do(ctx, a, call{method: http.MethodPost, path: "/api/auth/login",
		body: loginBody{Email: email, Password: password}})
	if ans.status != http.StatusOK {
		return false
	}
	var v struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(ans.body, &v) != nil || v.Token == "" {
		return false
	}
	a.token = v.Token
	return true
}
