package escalate

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// listEvery is the least time between two list replacements: changes in
// between go out together, as one bulk operation.
const listEvery = 10 * time.Second

// listState is the List mode's: the set is replaced as a whole (one PUT
// of every active client), so a restart or a lost operation reconciles
// by the next replacement, and there are no item ids to keep.
type listState struct {
	version, synced uint64 // the set's version, and the last one Cloudflare has
	opID            string // the bulk operation in progress, if any
	opVersion       uint64 // the version that operation carries
	lastPut         time.Time
}

// stepList is Step in List mode.
func (c *Cloudflare) stepList(ctx context.Context) time.Duration {
	now := c.opts.Now()
	var saves, drops []Entry
	c.mu.Lock()
	ls := &c.list
	if now.Sub(c.swept) >= sweepEvery {
		c.swept = now
		c.pruneLocked(now)
		for v, e := range c.entries {
			if !now.Before(e.Until) {
				c.enqueueLocked(v)
			}
		}
	}
	for _, v := range c.queue {
		e, ok := c.entries[v]
		if !ok {
			continue
		}
		if now.Before(e.Until) {
			saves = append(saves, *e)
		} else {
			drops = append(drops, *e)
			delete(c.entries, v)
		}
		ls.version++
	}
	clear(c.queued)
	c.queue = c.queue[:0]
	clear(c.unsaved)
	c.mu.Unlock()
	for _, e := range saves {
		c.persist(ctx, e, true)
	}
	for _, e := range drops {
		c.persist(ctx, e, false)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Before(c.pause) {
		return c.pause.Sub(now)
	}
	switch {
	case ls.opID != "":
		if d := c.budgetWaitLocked(now); d > 0 {
			return d
		}
		c.sent = append(c.sent, now)
		id := ls.opID
		c.mu.Unlock()
		status, err := c.operation(ctx, id)
		c.mu.Lock()
		c.calls.WithLabelValues("list_poll", resultOf(err)).Inc()
		switch {
		case err != nil:
			c.failLocked(now, err)
		case status == "completed":
			ls.synced, ls.opID = ls.opVersion, ""
		case status == "failed":
			ls.opID = "" // the next step replaces the set again
			c.opts.Log.Warn("cloudflare: list operation failed", "operation", id)
		}
		return time.Second
	case ls.version != ls.synced && now.Sub(ls.lastPut) >= listEvery:
		if d := c.budgetWaitLocked(now); d > 0 {
			return d
		}
		c.sent = append(c.sent, now)
		ls.lastPut = now
		items := make([]map[string]string, 0, len(c.entries))
		for _, e := range c.entries {
			if now.Before(e.Until) {
				items = append(items, map[string]string{"ip": e.Value, "comment": "warden until " + e.Until.UTC().Format(time.RFC3339)})
			}
		}
		slices.SortFunc(items, func(a, b map[string]string) int { return strings.Compare(a["ip"], b["ip"]) })
		v := ls.version
		c.mu.Unlock()
		var res struct {
			OperationID string `json:"operation_id"`
		}
		err := c.do(ctx, http.MethodPut, c.listURL()+"/items", items, &res)
		c.mu.Lock()
		c.calls.WithLabelValues("list_replace", resultOf(err)).Inc()
		if err != nil {
			c.failLocked(now, err)
			return time.Second
		}
		ls.opID, ls.opVersion = res.OperationID, v
		c.fails = 0
		return time.Second
	case ls.version != ls.synced:
		return listEvery - now.Sub(ls.lastPut)
	}
	return sweepEvery
}

// failLocked pauses after a failed call: for a 429's Retry-After, else
// backing off.
func (c *Cloudflare) failLocked(now time.Time, err error) {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
		c.pause = now.Add(ae.RetryAfter)
		return
	}
	c.fails++
	c.pause = now.Add(min(time.Second<<min(c.fails, 9), LimitPeriod))
	c.opts.Log.Warn("cloudflare: list call failed", "err", err)
}

func (c *Cloudflare) listURL() string {
	return c.cfg.APIBase + "/accounts/" + c.cfg.AccountID + "/rules/lists/" + c.cfg.ListID
}

// operation returns a bulk operation's status: pending, running,
// completed or failed.
func (c *Cloudflare) operation(ctx context.Context, id string) (string, error) {
	var res struct {
		Status string `json:"status"`
	}
	err := c.do(ctx, http.MethodGet, c.cfg.APIBase+"/accounts/"+c.cfg.AccountID+"/rules/lists/bulk_operations/"+id, nil, &res)
	return res.Status, err
}

func resultOf(err error) string {
	var ae *APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
		return "rate_limited"
	default:
		return "error"
	}
}
