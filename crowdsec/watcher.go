package crowdsec

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/clip"
)

// Backoff bounds for a failing LAPI: the watcher waits retryMin after a
// failure, twice as long after each further one, at most retryMax.
const (
	retryMin = time.Second
	retryMax = time.Minute
	maxBatch = 100 // alerts per POST /v1/alerts
)

// job is one report waiting to be sent: a ban (an alert with a decision)
// or a lift (deleting Warden's decisions on the target).
type job struct {
	lift bool
	d    Decision
	ban  ban.Ban
}

// Banned queues a report of a Warden ban on an address or network. User
// bans have no address for CrowdSec; allow-listed and trusted-proxy
// addresses, and clients already under a CrowdSec decision (the ban may
// stem from it), are not reported. It never blocks: a full queue drops
// the report and counts it.
func (c *Client) Banned(b ban.Ban) {
	if c.jobs == nil || b.Target.Kind != ban.KindIP || !b.Target.IP.IsValid() {
		return
	}
	now := c.opts.Now()
	p := b.Target.Prefix()
	for _, q := range c.opts.Protected {
		if q.Overlaps(p) {
			c.skipped.WithLabelValues("protected").Inc()
			return
		}
	}
	if _, ok := c.set.Lookup(b.Target.IP, now); ok {
		c.skipped.WithLabelValues("crowdsec").Inc()
		return
	}
	c.enqueue(job{d: targetDecision(b.Target), ban: b})
}

// Lifted queues the removal of Warden's decisions on a target an admin
// lifted, so that CrowdSec's bouncers let the client in again too.
func (c *Client) Lifted(t ban.Target) {
	if c.jobs == nil || t.Kind != ban.KindIP || !t.IP.IsValid() {
		return
	}
	c.enqueue(job{lift: true, d: targetDecision(t)})
}

func (c *Client) enqueue(j job) {
	select {
	case c.jobs <- j:
	default:
		c.skipped.WithLabelValues("dropped").Inc()
	}
}

// targetDecision is the scope and value of an IP ban target.
func targetDecision(t ban.Target) Decision {
	p := t.Prefix()
	if p.IsSingleIP() {
		return Decision{Scope: "Ip", Value: p.Addr().String()}
	}
	return Decision{Scope: "Range", Value: p.Masked().String()}
}

// runWatcher sends queued reports in batches, in order, retrying a
// failed batch with backoff until it goes through or ctx ends. Reports
// that wait past their ban's end are dropped, not sent.
func (c *Client) runWatcher(ctx context.Context) {
	wait := retryMin
	var batch []job
	for {
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case j := <-c.jobs:
				batch = append(batch, j)
			}
		}
	fill:
		for len(batch) < maxBatch && !batch[0].lift && !batch[len(batch)-1].lift {
			select {
			case j := <-c.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		n, err := c.send(ctx, batch)
		if permanent(err) {
			// Sending it again would fail again; the ones after it must
			// not wait behind it.
			c.opts.Log.Warn("crowdsec: report rejected; dropped", "reports", n, "err", err)
			c.skipped.WithLabelValues("rejected").Add(float64(n))
			batch = batch[n:]
			continue
		}
		batch = batch[n:]
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.opts.Log.Warn("crowdsec: report failed; retrying", "in", wait, "err", err)
			if !pause(ctx, wait) {
				return
			}
			wait = min(2*wait, retryMax)
			continue
		}
		wait = retryMin
	}
}

// send sends the batch's leading reports: one lift, or the bans before
// the first lift as one POST. It returns how many it is done with.
func (c *Client) send(ctx context.Context, batch []job) (int, error) {
	call, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if batch[0].lift {
		err := c.api.deleteDecisions(call, batch[0].d)
		c.count("delete", err)
		if err != nil && !permanent(err) {
			return 0, err
		}
		return 1, err
	}
	n := 0
	for n < len(batch) && !batch[n].lift {
		n++
	}
	now := c.opts.Now()
	var alerts []alert
	for _, j := range batch[:n] {
		if a, ok := newAlert(j, now); ok {
			alerts = append(alerts, a)
		}
	}
	if len(alerts) == 0 {
		return n, nil
	}
	_, err := c.api.watcherCall(call, http.MethodPost, "/v1/alerts", alerts)
	c.count("alerts", err)
	if err != nil && !permanent(err) {
		return 0, err
	}
	return n, err
}

func (c *Client) count(op string, err error) {
	res := "ok"
	if err != nil {
		res = "error"
	}
	c.calls.WithLabelValues(op, res).Inc()
}

// alert is an alert as POST /v1/alerts takes it (models.Alert in the
// LAPI's swagger, every field it requires), with one ban decision.
type alert struct {
	Scenario        string          `json:"scenario"`
	ScenarioHash    string          `json:"scenario_hash"`
	ScenarioVersion string          `json:"scenario_version"`
	Message         string          `json:"message"`
	EventsCount     int32           `json:"events_count"`
	StartAt         string          `json:"start_at"`
	StopAt          string          `json:"stop_at"`
	Capacity        int32           `json:"capacity"`
	Leakspeed       string          `json:"leakspeed"`
	Simulated       bool            `json:"simulated"`
	Remediation     bool            `json:"remediation"`
	Events          []struct{}      `json:"events"`
	Source          alertSource     `json:"source"`
	Decisions       []alertDecision `json:"decisions"`
}

type alertSource struct {
	Scope string `json:"scope"`
	Value string `json:"value"`
	IP    string `json:"ip,omitempty"`
	Range string `json:"range,omitempty"`
}

type alertDecision struct {
	Duration string `json:"duration"`
	Origin   string `json:"origin"`
	Scenario string `json:"scenario"`
	Scope    string `json:"scope"`
	Type     string `json:"type"`
	Value    string `json:"value"`
}

// newAlert is the alert reporting j's ban; ok is false once the ban is
// over.
func newAlert(j job, now time.Time) (alert, bool) {
	left := j.ban.Until.Sub(now).Round(time.Second)
	if left <= 0 {
		return alert{}, false
	}
	v := j.ban.Violation
	if v == "" {
		v = "manual"
	}
	scenario := Scenario + v
	start := j.ban.Created
	if start.IsZero() || start.After(now) {
		start = now
	}
	src := alertSource{Scope: j.d.Scope, Value: j.d.Value}
	if j.d.Scope == "Ip" {
		src.IP = j.d.Value
	} else {
		src.Range = j.d.Value
	}
	msg := "Warden banned " + j.d.Value + " for " + strconv.Quote(v)
	if j.ban.Reason != "" {
		msg += ": " + clip.String(j.ban.Reason, maxText)
	}
	return alert{
		Scenario: scenario, Message: msg, EventsCount: 1, Leakspeed: "0", Remediation: true,
		StartAt: start.UTC().Format(time.RFC3339), StopAt: now.UTC().Format(time.RFC3339),
		Events: []struct{}{}, Source: src,
		Decisions: []alertDecision{{Duration: left.String(), Origin: Origin, Scenario: scenario,
			Scope: j.d.Scope, Type: TypeBan, Value: j.d.Value}},
	}, true
}
