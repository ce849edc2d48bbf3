package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warden-dev/warden/store/sqlite"
)

// spool is what the backfill needs of the fallback: its rows as stored,
// read in the order they were written and deleted once PostgreSQL holds
// them. *sqlite.DB implements it.
type spool interface {
	StoredEventsAfter(ctx context.Context, after int64, limit int) ([]sqlite.StoredEvent, error)
	StoredEvents(ctx context.Context, since time.Time, limit int) ([]sqlite.StoredEvent, error)
	DeleteStoredEvents(ctx context.Context, events []sqlite.StoredEvent) (int64, error)
}

var _ spool = (*sqlite.DB)(nil)

const (
	// backfillBatch is the events one backfill statement copies: a few
	// hundred KB, well inside Config.Timeout on any link that carries
	// the event writer's batches.
	backfillBatch = 500
	// schemaTimeout bounds the probe's schema step (see probe).
	schemaTimeout = time.Minute
	// maxBackfillRetry caps the wait before a backfill that failed on
	// something other than PostgreSQL being down tries again.
	maxBackfillRetry = 5 * time.Minute
)

// kickBackfill asks the backfiller for a run, without waiting: a run
// already asked for covers this one.
func (s *Store) kickBackfill() {
	if s.spool == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// backfiller runs the backfill when kicked, one run at a time, until
// Close. A run that PostgreSQL going down ended is resumed by the kick at
// the end of that outage; one that failed otherwise (the fallback could
// not be read, PostgreSQL refused a batch) is retried after RetryAfter,
// doubling up to maxBackfillRetry, so a lasting fault logs a line per
// try at a falling rate.
func (s *Store) backfiller() {
	defer s.bg.Done()
	var (
		retry <-chan time.Time
		wait  = s.retry
	)
	for {
		select {
		case <-s.life.Done():
			return
		case <-s.kick:
		case <-retry:
		}
		retry = nil
		if !s.usable() {
			continue // the end of the outage kicks again
		}
		err := s.backfill(s.life)
		switch {
		case err == nil:
			wait = s.retry
		case s.life.Err() != nil || !s.usable():
		default:
			retry = time.After(wait)
			wait = min(2*wait, maxBackfillRetry)
		}
	}
}

// backfill copies the fallback's events into PostgreSQL, batch by batch
// in the order they were written, until none is left, and logs one line
// if it moved any or failed.
//
// Each batch is one INSERT that skips events PostgreSQL already holds
// (see insertSQL), and is deleted from the fallback only after
// PostgreSQL committed it. So a run stopped anywhere (PostgreSQL gone, a
// crash, Close) loses nothing, and the next run, in this process or
// after a restart, copies what is left exactly once: a batch committed
// but not deleted is skipped in PostgreSQL and deleted then. The event
// writer is never blocked: it writes to PostgreSQL meanwhile, and new
// fallback rows (written while PostgreSQL was down) are read by a later
// batch or the run its write kicked.
func (s *Store) backfill(ctx context.Context) (err error) {
	start := time.Now()
	var copied, dups int64
	var batches int
	defer func() {
		if copied+dups == 0 && err == nil {
			return
		}
		attrs := []any{"server", s.where, "copied", copied, "already_there", dups,
			"batches", batches, "took", time.Since(start).Round(time.Millisecond)}
		if err != nil {
			s.log.Warn("postgres: backfill from the local event store stopped; the rest stays there (and listed) until a later run", append(attrs, "err", err)...)
			return
		}
		s.log.Info("postgres: backfilled events kept in the local store during an outage", attrs...)
	}()
	var after int64 // the last fallback row read
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := s.readBacklog(ctx, after)
		if err != nil || len(rows) == 0 {
			return err
		}
		n, err := s.copyBatch(ctx, rows)
		if err != nil {
			return err
		}
		batches++
		copied += n
		dups += int64(len(rows)) - n
		s.backfilled.Add(uint64(n))
		s.duplicates.Add(uint64(int64(len(rows)) - n))
		if s.onBackfill != nil && n > 0 {
			s.onBackfill(int(n))
		}
		if s.afterCommit != nil {
			if err := s.afterCommit(batches); err != nil {
				return err
			}
		}
		dctx, cancel := context.WithTimeout(ctx, s.timeout)
		_, err = s.spool.DeleteStoredEvents(dctx, rows)
		cancel()
		if err != nil {
			return fmt.Errorf("delete copied events from the local store: %w", err)
		}
		after = rows[len(rows)-1].Row
	}
}

func (s *Store) readBacklog(ctx context.Context, after int64) ([]sqlite.StoredEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rows, err := s.spool.StoredEventsAfter(ctx, after, s.batch)
	if err != nil {
		return nil, fmt.Errorf("read the local store: %w", err)
	}
	return rows, nil
}

// copyBatch writes rows to PostgreSQL, skipping those it holds, and
// returns how many it added. Failing to reach PostgreSQL marks it down,
// as any operation does.
func (s *Store) copyBatch(ctx context.Context, stored []sqlite.StoredEvent) (int64, error) {
	rows := make([]row, len(stored))
	for i := range stored {
		e := &stored[i]
		// Copied as stored, not re-encoded: the key is computed from the
		// line the fallback holds, which is the line the lost write sent.
		rows[i] = row{id: eventID(e.TimeNS, []byte(e.Data)), ns: e.TimeNS, requestID: text(e.RequestID),
			action: text(e.Action), clientIP: text(e.ClientIP), clientUser: text(e.ClientUser),
			route: text(e.Route), status: int32(e.Status), confidence: e.Confidence, data: e.Data}
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.ensureSchema(cctx)
	var n int64
	if err == nil {
		n, err = s.insertRows(cctx, rows)
	}
	if err != nil {
		if !rowsRefused(err) {
			s.failed(ctx, err) // an outage, whose end kicks the next run
		}
		return 0, fmt.Errorf("postgres: backfill: %w", err)
	}
	s.succeeded()
	return n, nil
}

// rowsRefused reports whether err is PostgreSQL refusing the rows
// themselves (a data exception, a constraint, a limit): no sign of an
// outage, and taking it for one would end the outage at the next ping
// and fail again at once, logging both each time.
func rowsRefused(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "42", "54":
		return true
	}
	return false
}
