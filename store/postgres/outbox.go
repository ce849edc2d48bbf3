package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/store/sqlite"
)

// OutboxTable is the alert outbox and incident log shared by the
// instances of one database.
const OutboxTable = "warden_alert_deliveries"

// outboxSchema is created by the outbox's first use: a database of
// instances that never raised an alert has no such table.
var outboxSchema = []string{
	`CREATE TABLE IF NOT EXISTS ` + OutboxTable + ` (
		id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		created_ns      BIGINT NOT NULL,
		channel         TEXT NOT NULL,
		status          TEXT NOT NULL,
		attempts        INTEGER NOT NULL,
		next_attempt_ns BIGINT NOT NULL, -- 0: none
		error           TEXT NOT NULL,
		sent_ns         BIGINT NOT NULL, -- 0: not sent
		notification    TEXT NOT NULL    -- JSON
	)`,
	`CREATE INDEX IF NOT EXISTS ` + OutboxTable + `_due ON ` + OutboxTable + ` (status, next_attempt_ns)`,
	`CREATE INDEX IF NOT EXISTS ` + OutboxTable + `_created ON ` + OutboxTable + ` (created_ns)`,
}

// Lease bounds: DueDeliveries hands out at most leaseBatch deliveries at
// a time and moves their next attempt leaseFor later, so another instance
// polling meanwhile does not send them too. leaseFor covers sending all
// of them (the engine gives each send 20 s); when an instance dies
// holding a lease, another sends its deliveries once the lease ends.
const (
	leaseBatch = 5
	leaseFor   = leaseBatch*20*time.Second + 30*time.Second
)

// AlertOutbox is the alert outbox and incident log in PostgreSQL
// (alert.Outbox), shared by the instances of one database: each pending
// delivery is handed to one instance at a time (a lease taken with FOR
// UPDATE SKIP LOCKED), so a cluster sends it once, and any instance sends
// what another left when it stopped. Times are the callers' clocks, as in
// the SQLite outbox. Safe for concurrent use.
type AlertOutbox struct{ s *Store }

// AlertOutbox returns the database's alert outbox; its table is created
// by the first call that needs it.
func (s *Store) AlertOutbox() *AlertOutbox { return &AlertOutbox{s: s} }

func (o *AlertOutbox) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	s := o.s
	if !s.usable() {
		return ctx, func() {}, ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	if !s.outboxReady.Load() {
		if err := s.createLocked(ctx, outboxSchema...); err != nil {
			cancel()
			return ctx, func() {}, err
		}
		s.outboxReady.Store(true)
	}
	return ctx, cancel, nil
}

// AddDeliveries implements alert.Outbox.
func (o *AlertOutbox) AddDeliveries(ctx context.Context, ds []alert.Delivery) error {
	ctx, cancel, err := o.begin(ctx)
	defer cancel()
	if err != nil {
		return fmt.Errorf("postgres: add alert deliveries: %w", err)
	}
	err = pgx.BeginFunc(ctx, o.s.pool, func(tx pgx.Tx) error {
		for i := range ds {
			d := &ds[i]
			body, err := json.Marshal(d.Notification)
			if err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `INSERT INTO `+OutboxTable+`
				(created_ns, channel, status, attempts, next_attempt_ns, error, sent_ns, notification)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				sqlite.OptionalNanos(d.Created), d.Channel, d.Status, d.Attempts, sqlite.OptionalNanos(d.NextAttempt), text(d.Error), sqlite.OptionalNanos(d.Sent), string(body)).Scan(&d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: add alert deliveries: %w", err)
	}
	return nil
}

const outboxColumns = `id, created_ns, channel, status, attempts, next_attempt_ns, error, sent_ns, notification`

// DueDeliveries implements alert.Outbox: it leases at most
// min(limit, leaseBatch) due deliveries to the caller, oldest first.
func (o *AlertOutbox) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]alert.Delivery, error) {
	ctx, cancel, err := o.begin(ctx)
	defer cancel()
	if err != nil {
		return nil, fmt.Errorf("postgres: due alert deliveries: %w", err)
	}
	rows, err := o.s.pool.Query(ctx, `UPDATE `+OutboxTable+` SET next_attempt_ns = $3
		WHERE id IN (SELECT id FROM `+OutboxTable+` WHERE status = $1 AND next_attempt_ns <= $2
			ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns, alert.Pending, sqlite.OptionalNanos(now), sqlite.OptionalNanos(now.Add(leaseFor)), min(max(limit, 1), leaseBatch))
	if err != nil {
		return nil, fmt.Errorf("postgres: due alert deliveries: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, err
	}
	// RETURNING keeps no order: oldest first, as the SQLite outbox.
	slices.SortFunc(ds, func(a, b alert.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return ds, nil
}

// UpdateDelivery implements alert.Outbox.
func (o *AlertOutbox) UpdateDelivery(ctx context.Context, d alert.Delivery) error {
	ctx, cancel, err := o.begin(ctx)
	defer cancel()
	if err != nil {
		return fmt.Errorf("postgres: update alert delivery: %w", err)
	}
	_, err = o.s.pool.Exec(ctx, `UPDATE `+OutboxTable+` SET status = $1, attempts = $2, next_attempt_ns = $3, error = $4, sent_ns = $5
		WHERE id = $6`, d.Status, d.Attempts, sqlite.OptionalNanos(d.NextAttempt), text(d.Error), sqlite.OptionalNanos(d.Sent), d.ID)
	if err != nil {
		return fmt.Errorf("postgres: update alert delivery: %w", err)
	}
	return nil
}

// Deliveries implements alert.Outbox.
func (o *AlertOutbox) Deliveries(ctx context.Context, since time.Time, limit int) ([]alert.Delivery, error) {
	ctx, cancel, err := o.begin(ctx)
	defer cancel()
	if err != nil {
		return nil, fmt.Errorf("postgres: alert deliveries: %w", err)
	}
	rows, err := o.s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM `+OutboxTable+`
		WHERE created_ns >= $1 ORDER BY created_ns DESC, id DESC LIMIT $2`, sqlite.OptionalNanos(since), alert.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: alert deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

func scanDeliveries(rows pgx.Rows) ([]alert.Delivery, error) {
	defer rows.Close()
	var out []alert.Delivery
	for rows.Next() {
		d, err := sqlite.ScanDelivery(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: alert deliveries: %w", err)
	}
	return out, nil
}

var _ alert.Outbox = (*AlertOutbox)(nil)
