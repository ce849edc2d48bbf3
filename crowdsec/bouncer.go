package crowdsec

import (
	"context"
	"time"
)

// runBouncer asks for the whole decision set, then for its changes every
// poll interval. Until the LAPI first answers, and while it does not, the
// set last known stays in force; each failed call is counted, and logged
// when an outage starts and ends.
func (c *Client) runBouncer(ctx context.Context) {
	startup, down := true, false
	for {
		err := c.poll(ctx, startup)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			c.calls.WithLabelValues("stream", "error").Inc()
			if !down {
				c.opts.Log.Warn("crowdsec: decision stream unreachable; keeping the decisions last known",
					"decisions", c.set.Len(), "err", err)
				down = true
			}
		default:
			c.calls.WithLabelValues("stream", "ok").Inc()
			if down {
				c.opts.Log.Info("crowdsec: decision stream back", "decisions", c.set.Len())
				down = false
			}
			startup = false
		}
		if !pause(ctx, c.cfg.PollInterval) {
			return
		}
	}
}

// poll fetches one stream answer and applies it: with startup, it
// replaces the set (deletions missed while Warden was down included).
func (c *Client) poll(ctx context.Context, startup bool) error {
	call, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	data, err := c.api.stream(call, startup)
	if err != nil {
		return err
	}
	s, bad, err := ParseStream(data, c.opts.Now())
	if err != nil {
		return err
	}
	if bad > 0 {
		c.skipped.WithLabelValues("malformed").Add(float64(bad))
	}
	if !startup && len(s.New) == 0 && len(s.Deleted) == 0 {
		return nil
	}
	put, drop := c.set.Apply(s.New, s.Deleted, startup, c.opts.Now())
	if c.opts.Store != nil && (len(put) > 0 || len(drop) > 0) {
		// Enforcement already has the change; a store error only risks
		// the next start using an older set until the LAPI answers.
		save, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := c.opts.Store.Save(save, put, drop); err != nil {
			c.opts.Log.Warn("crowdsec: saving decisions failed", "err", err)
		}
	}
	return nil
}
