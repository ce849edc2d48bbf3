package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/warden-dev/warden/ban"
)

// banHistory writes ban changes (placed, lifted) to the ban history off
// the request path: enforcement places a ban while it decides a request,
// so record only queues. One goroutine writes batches every second and,
// hourly, deletes changes older than the retention (log.retention) when
// the store can. The queue holds banHistoryQueue changes; past that, and
// past as many kept while the store fails, changes are dropped and
// counted.
type banHistory struct {
	h         ban.History
	retention time.Duration
	now       func() time.Time
	mu        sync.RWMutex // guards closed against record racing close
	closed    bool
	q         chan ban.Change
	done      chan struct{}
	onDrop    func()
	log       *slog.Logger
}

// banPruner is a ban history that enforces retention.
type banPruner interface {
	DeleteBanChangesBefore(ctx context.Context, t time.Time) (int64, error)
}

const (
	banHistoryQueue = 4096
	banHistoryEvery = time.Second
)

func newBanHistory(h ban.History, retention time.Duration, now func() time.Time, onDrop func()) *banHistory {
	b := &banHistory{h: h, retention: retention, now: now, q: make(chan ban.Change, banHistoryQueue), done: make(chan struct{}),
		onDrop: onDrop, log: slog.Default()}
	go b.run()
	return b
}

// record queues c; it never blocks. After close (an admin call racing
// shutdown) c is dropped and counted.
func (b *banHistory) record(c ban.Change) {
	if b == nil {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.closed {
		select {
		case b.q <- c:
			return
		default:
		}
	}
	b.onDrop()
}

// placed records a ban enforcement or an admin placed.
func (b *banHistory) placed(x ban.Ban, by string) {
	b.record(ban.Change{Time: x.Created, Ban: x, By: by})
}

func (b *banHistory) run() {
	defer close(b.done)
	t := time.NewTicker(banHistoryEvery)
	defer t.Stop()
	var batch []ban.Change
	var nextPrune time.Time // zero: prune at the first tick
	failing := false
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := b.h.AddBanChanges(ctx, batch)
		cancel()
		switch {
		case err == nil:
			batch = batch[:0]
			if failing {
				failing = false
				b.log.Info("bans: the ban history is written again")
			}
		case !failing:
			failing = true
			b.log.Warn("bans: writing the ban history failed; keeping changes in memory and retrying", "err", err)
		}
		if over := len(batch) - banHistoryQueue; over > 0 {
			for range over {
				b.onDrop()
			}
			batch = append(batch[:0], batch[over:]...)
		}
	}
	for {
		select {
		case c, ok := <-b.q:
			if !ok {
				write()
				if len(batch) > 0 {
					b.log.Error("bans: ban changes lost at close", "changes", len(batch))
				}
				return
			}
			batch = append(batch, c)
		case <-t.C:
			write()
			if now := b.now(); !now.Before(nextPrune) {
				nextPrune = now.Add(time.Hour)
				b.prune(now)
			}
		}
	}
}

func (b *banHistory) prune(now time.Time) {
	p, ok := b.h.(banPruner)
	if !ok || b.retention <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.DeleteBanChangesBefore(ctx, now.Add(-b.retention)); err != nil {
		b.log.Warn("bans: ban history retention failed", "err", err)
	}
}

// close writes what is queued and stops.
func (b *banHistory) close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.q)
	}
	b.mu.Unlock()
	<-b.done
	return nil
}
