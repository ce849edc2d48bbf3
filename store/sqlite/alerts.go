package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/warden-dev/warden/alert"
)

// alertSchema is created on first use by AlertOutbox rather than in the
// migrations: a database that never raised an alert has no such table.
const alertSchema = `CREATE TABLE IF NOT EXISTS alert_deliveries (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	created      INTEGER NOT NULL,
	channel      TEXT NOT NULL,
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	error        TEXT NOT NULL DEFAULT '',
	sent         INTEGER NOT NULL DEFAULT 0,
	notification TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (status, next_attempt);
CREATE INDEX IF NOT EXISTS alert_deliveries_created ON alert_deliveries (created);`

// AlertOutbox is the alert outbox and incident log in the database
// (alert.Outbox). It is safe for concurrent use.
type AlertOutbox struct{ d *DB }

// AlertOutbox returns the database's alert outbox, creating its table.
func (d *DB) AlertOutbox(ctx context.Context) (*AlertOutbox, error) {
	if _, err := d.db.ExecContext(ctx, alertSchema); err != nil {
		return nil, fmt.Errorf("sqlite: alert outbox: %w", err)
	}
	return &AlertOutbox{d: d}, nil
}

// OptionalNanos and OptionalTime store a time that may be unset (the zero
// time) as 0; store/postgres's outbox stores its times the same way.
func OptionalNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return UnixNanos(t)
}

// OptionalTime is the time OptionalNanos stored.
func OptionalTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// ScanDelivery reads one delivery row of the columns both outboxes
// select, in their order (id, created, channel, status, attempts, next
// attempt, error, sent, the notification as JSON), with scan, a row's
// Scan method.
func ScanDelivery(scan func(dest ...any) error) (alert.Delivery, error) {
	var d alert.Delivery
	var created, next, sent int64
	var body string
	if err := scan(&d.ID, &created, &d.Channel, &d.Status, &d.Attempts, &next, &d.Error, &sent, &body); err != nil {
		return d, fmt.Errorf("alert deliveries: %w", err)
	}
	d.Created, d.NextAttempt, d.Sent = OptionalTime(created), OptionalTime(next), OptionalTime(sent)
	if err := json.Unmarshal([]byte(body), &d.Notification); err != nil {
		return d, fmt.Errorf("alert delivery %d: %w", d.ID, err)
	}
	return d, nil
}

// AddDeliveries implements alert.Outbox.
func (o *AlertOutbox) AddDeliveries(ctx context.Context, ds []alert.Delivery) (err error) {
	tx, err := o.d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add alert deliveries: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i := range ds {
		d := &ds[i]
		body, err := json.Marshal(d.Notification)
		if err != nil {
			return fmt.Errorf("sqlite: add alert deliveries: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_deliveries
			(created, channel, status, attempts, next_attempt, error, sent, notification) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			OptionalNanos(d.Created), d.Channel, d.Status, d.Attempts, OptionalNanos(d.NextAttempt), d.Error, OptionalNanos(d.Sent), string(body))
		if err != nil {
			return fmt.Errorf("sqlite: add alert deliveries: %w", err)
		}
		if d.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: add alert deliveries: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: add alert deliveries: %w", err)
	}
	return nil
}

const deliveryColumns = `id, created, channel, status, attempts, next_attempt, error, sent, notification`

// DueDeliveries implements alert.Outbox.
func (o *AlertOutbox) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]alert.Delivery, error) {
	rows, err := o.d.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM alert_deliveries
		WHERE status = ? AND next_attempt <= ? ORDER BY id LIMIT ?`, alert.Pending, OptionalNanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due alert deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// UpdateDelivery implements alert.Outbox.
func (o *AlertOutbox) UpdateDelivery(ctx context.Context, d alert.Delivery) error {
	_, err := o.d.db.ExecContext(ctx, `UPDATE alert_deliveries SET status = ?, attempts = ?, next_attempt = ?, error = ?, sent = ?
		WHERE id = ?`, d.Status, d.Attempts, OptionalNanos(d.NextAttempt), d.Error, OptionalNanos(d.Sent), d.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update alert delivery: %w", err)
	}
	return nil
}

// Deliveries implements alert.Outbox.
func (o *AlertOutbox) Deliveries(ctx context.Context, since time.Time, limit int) ([]alert.Delivery, error) {
	rows, err := o.d.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM alert_deliveries
		WHERE created >= ? ORDER BY created DESC, id DESC LIMIT ?`, OptionalNanos(since), alert.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: alert deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

func scanDeliveries(rows *sql.Rows) ([]alert.Delivery, error) {
	defer rows.Close()
	var out []alert.Delivery
	for rows.Next() {
		d, err := ScanDelivery(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: alert deliveries: %w", err)
	}
	return out, nil
}

var _ alert.Outbox = (*AlertOutbox)(nil)
