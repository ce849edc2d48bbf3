package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"time"

	"github.com/warden-dev/warden/internal/redact"
)

// dispatch leaves out the alerts another instance tells (see Claimer),
// applies each channel's hourly cap and puts the deliveries in the
// outbox.
func (e *Engine) dispatch(ctx context.Context, n Notification, now time.Time) {
	if e.claimer != nil && n.Type == "alert" {
		n = e.claim(ctx, n)
		if len(n.Alerts) == 0 {
			e.suppressed.WithLabelValues("other_instance").Inc()
			return
		}
	}
	var ds []Delivery
	for _, ch := range e.channelNames() {
		d := Delivery{Channel: ch, Status: Pending, Created: now, NextAttempt: now, Notification: n}
		if ch == logChannel {
			d.Status, d.NextAttempt = Logged, time.Time{}
		} else if n.Type == "alert" && !e.takeSlot(ctx, ch, n) {
			// Over the channel's hourly cap: recorded in the incident
			// log, told in the digest.
			d.Status = Held
			e.mu.Lock()
			e.heldN[ch]++
			if len(e.held[ch]) < maxHeld {
				e.held[ch] = append(e.held[ch], n.Time.UTC().Format("15:04")+" "+n.Title)
			}
			e.mu.Unlock()
			e.suppressed.WithLabelValues("digest").Inc()
		}
		ds = append(ds, d)
	}
	if err := e.outbox.AddDeliveries(ctx, ds); err != nil {
		e.log.Warn("alerts: outbox write failed", "err", err)
	}
}

// takeSlot reports whether n fits channel ch's cap this hour, and counts
// it. Instances sharing a store share the cap: each message claims one of
// the hour's MaxPerHour slots there.
func (e *Engine) takeSlot(ctx context.Context, ch string, n Notification) bool {
	if e.cfg.MaxPerHour <= 0 {
		return true
	}
	e.mu.Lock()
	local, hour := e.perHour[ch], e.hour
	e.mu.Unlock()
	if local >= e.cfg.MaxPerHour {
		return false
	}
	ok := e.claimer == nil
	// The slots this instance took are taken: start past them.
	for i := local; !ok && i < e.cfg.MaxPerHour; i++ {
		var err error
		ok, err = e.claimer.ClaimAlert(ctx, fmt.Sprintf("cap|%s|%d|%d", ch, hour.Unix(), i), n.ID, 2*time.Hour)
		if err != nil {
			ok = true // the store is down: the local count decides
		}
	}
	if ok {
		e.mu.Lock()
		e.perHour[ch]++
		e.mu.Unlock()
	}
	return ok
}

// logChannel stands for "no channel": messages are only recorded.
const logChannel = "log"

func (e *Engine) channelNames() []string {
	if len(e.channels) == 0 {
		return []string{logChannel} // the incident log still records it
	}
	names := make([]string, len(e.channels))
	for i, c := range e.channels {
		names[i] = c.Name()
	}
	return names
}

// claim keeps the alerts of n this instance holds the claim of, and
// recomputes the status and title. When the shared store fails, every
// instance tells its own alerts: a duplicate beats a silence.
func (e *Engine) claim(ctx context.Context, n Notification) Notification {
	kept := n.Alerts[:0:0]
	for _, a := range n.Alerts {
		k, other := claimKey(a, a.State), claimKey(a, Firing)
		if a.State == Firing {
			other = claimKey(a, Resolved)
		}
		ok, err := e.claimer.ClaimAlert(ctx, k, e.id, e.cfg.RepeatInterval)
		if err != nil {
			e.log.Warn("alerts: claim failed; sending anyway", "err", err)
			ok = true
		}
		if !ok {
			continue
		}
		if err := e.claimer.ReleaseAlert(ctx, other); err != nil {
			e.log.Warn("alerts: releasing a claim failed", "err", err)
		}
		kept = append(kept, a)
	}
	n.Alerts = kept
	n.Status = Resolved
	for _, a := range kept {
		if a.State == Firing {
			n.Status = Firing
		}
	}
	n.Title = title(n)
	return n
}

// claimKey names an alert state: two instances that raised the same
// alert claim the same key.
func claimKey(a Alert, state string) string {
	return a.Rule + "|" + a.Scope + "|" + a.Action + "|" + state
}

// rollHour starts a new hour of the channels' caps, and queues for each
// channel that held messages back in the hour that ended one digest
// (one per cluster when instances share a store).
func (e *Engine) rollHour(ctx context.Context, now time.Time) {
	hour := now.Truncate(time.Hour)
	e.mu.Lock()
	if hour.Equal(e.hour) {
		e.mu.Unlock()
		return
	}
	prev, heldN, held := e.hour, maps.Clone(e.heldN), maps.Clone(e.held)
	e.hour = hour
	clear(e.perHour)
	clear(e.held)
	clear(e.heldN)
	e.mu.Unlock()
	var ds []Delivery
	for _, ch := range slices.Sorted(maps.Keys(heldN)) {
		n := Notification{ID: newID(), Type: "digest", Status: Firing, Time: now, Held: held[ch],
			Title: fmt.Sprintf("Warden: digest of %d alert messages held back in the hour from %s", heldN[ch], prev.UTC().Format("2006-01-02 15:04Z"))}
		if e.claimer != nil {
			ok, err := e.claimer.ClaimAlert(ctx, fmt.Sprintf("digest|%s|%d", ch, prev.Unix()), e.id, 2*time.Hour)
			if err == nil && !ok {
				continue // another instance sends the digest; what this one held is in the incident log
			}
		}
		ds = append(ds, Delivery{Channel: ch, Status: Pending, Created: now, NextAttempt: now, Notification: n})
	}
	if len(ds) > 0 {
		if err := e.outbox.AddDeliveries(ctx, ds); err != nil {
			e.log.Warn("alerts: outbox write failed", "err", err)
		}
	}
}

// deliver sends what is due in the outbox, retrying failures with
// exponential backoff and jitter, honouring Retry-After.
func (e *Engine) deliver(ctx context.Context, now time.Time) {
	e.sendMu.Lock()
	defer e.sendMu.Unlock()
	due, err := e.outbox.DueDeliveries(ctx, now, dueBatch)
	if err != nil {
		e.log.Warn("alerts: outbox read failed", "err", err)
		return
	}
	for _, d := range due {
		ch := e.channel(d.Channel)
		if ch == nil {
			// Instances sharing an outbox (PostgreSQL) may differ in
			// channels for a while, as during a rolling change: leave
			// it to one that has the channel, and give up later.
			if now.Sub(d.Created) < unknownChannelGrace {
				d.NextAttempt = now.Add(time.Minute)
			} else {
				d.Status, d.Error = Failed, "channel no longer configured"
			}
			_ = e.outbox.UpdateDelivery(ctx, d)
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := ch.Send(sctx, d.Notification)
		cancel()
		d.Attempts++
		if err == nil {
			d.Status, d.Sent, d.Error = Sent, now, ""
			e.sent.WithLabelValues(d.Channel).Inc()
		} else {
			d.Error = redact.Excerpt(err.Error())
			var re *RetryError
			if errors.As(err, &re) && d.Attempts < maxSendAttempts {
				d.NextAttempt = now.Add(backoff(d.Attempts, re.RetryAfter))
				e.failed.WithLabelValues(d.Channel, "false").Inc()
			} else {
				d.Status = Failed
				e.failed.WithLabelValues(d.Channel, "true").Inc()
			}
			e.log.Warn("alerts: delivery failed", "channel", d.Channel, "attempt", d.Attempts, "err", d.Error)
		}
		if err := e.outbox.UpdateDelivery(ctx, d); err != nil {
			e.log.Warn("alerts: outbox write failed", "err", err)
		}
	}
}

func (e *Engine) channel(name string) Channel {
	for _, c := range e.channels {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// unknownChannelGrace is how long a delivery for a channel this instance
// does not have waits for an instance that has it.
const unknownChannelGrace = 10 * time.Minute

// backoff is the wait before attempt n+1: 30 s doubling up to an hour,
// with ±20 % jitter so that instances do not retry in step, and at least
// what the receiver asked for.
func backoff(n int, retryAfter time.Duration) time.Duration {
	d := 30 * time.Second << min(n-1, 7)
	d = min(d, time.Hour)
	d = time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
	return max(d, retryAfter)
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "msg_" + hex.EncodeToString(b[:])
}
