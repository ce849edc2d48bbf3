package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/warden-dev/warden/eventlog"
)

// The event_counts table is the overview's rollup (see
// eventlog.RollupStep): events per action and, for the events that
// stopped a request, per detector and violation, route (per minute),
// client and user (per hour). WriteEvents adds a batch's counts in the batch's transaction and
// the deletes take theirs away in theirs, so the rollup always equals
// the events it stands for. A row exists only while its count is above
// zero, so the table has at most a few rows per stopped event and a few
// per minute for the rest, and retention empties it with the events.

// countKey is one event_counts row.
type countKey struct {
	kind      string
	minute    int64
	key, key2 string
}

// counts sums event_counts changes in memory: a batch's events share a
// few rows, each written once per batch.
type counts map[countKey]int64

// add counts one event (or uncounts it, with sign -1): the fields are
// the events table's columns and the event's detectors.
func (c counts) add(ns int64, action, ip, user, route string, dets []eventlog.Detector, sign int64) {
	m := eventlog.Minute(ns)
	c[countKey{eventlog.KindAction, m, action, ""}] += sign
	if !eventlog.Stopped(action) {
		return
	}
	for _, d := range dets {
		c[countKey{eventlog.KindDetector, m, d.Name, d.Violation}] += sign
	}
	c[countKey{eventlog.KindRoute, m, route, ""}] += sign
	h := eventlog.RollupBucket(eventlog.KindClient, ns)
	c[countKey{eventlog.KindClient, h, ip, ""}] += sign
	if user != "" {
		c[countKey{eventlog.KindUser, h, user, ""}] += sign
	}
}

// addStored counts a row as stored, reading its detectors from the JSON
// line when it stopped a request.
func (c counts) addStored(ns int64, action, ip, user, route, data string, sign int64) error {
	var dets []eventlog.Detector
	if eventlog.Stopped(action) {
		var e struct {
			Abuse *struct {
				Detectors []eventlog.Detector `json:"detectors"`
			} `json:"abuse"`
		}
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return fmt.Errorf("decode stored event: %w", err)
		}
		if e.Abuse != nil {
			dets = e.Abuse.Detectors
		}
	}
	c.add(ns, action, ip, user, route, dets, sign)
	return nil
}

// apply writes the changes in tx, dropping rows that fall to zero.
func (c counts) apply(ctx context.Context, tx *sql.Tx) error {
	if len(c) == 0 {
		return nil
	}
	up, err := tx.PrepareContext(ctx, `INSERT INTO event_counts (kind, minute, key, key2, n) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, minute, key, key2) DO UPDATE SET n = n + excluded.n`)
	if err != nil {
		return err
	}
	defer up.Close()
	var drop *sql.Stmt
	defer func() {
		if drop != nil {
			drop.Close()
		}
	}()
	for k, n := range c {
		if n == 0 {
			continue
		}
		if _, err := up.ExecContext(ctx, k.kind, k.minute, k.key, k.key2, n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if drop == nil {
			if drop, err = tx.PrepareContext(ctx, `DELETE FROM event_counts WHERE kind = ? AND minute = ? AND key = ? AND key2 = ? AND n <= 0`); err != nil {
				return err
			}
		}
		if _, err := drop.ExecContext(ctx, k.kind, k.minute, k.key, k.key2); err != nil {
			return err
		}
	}
	return nil
}

// uncountSpan takes the events with lo <= time_ns < hi out of the
// rollup, before they are deleted in tx.
func uncountSpan(ctx context.Context, tx *sql.Tx, lo, hi int64) error {
	c := counts{}
	if err := countSpan(ctx, tx, lo, hi, false, c, -1); err != nil {
		return err
	}
	return c.apply(ctx, tx)
}

// querier is what countSpan reads through: the database or a
// transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// countSpan adds the events with lo <= time_ns < hi to c, times sign;
// with stopped, only those that stopped a request (read through the
// (action, time) index).
func countSpan(ctx context.Context, q querier, lo, hi int64, stopped bool, c counts, sign int64) error {
	where := `time_ns >= ? AND time_ns < ?`
	if stopped {
		where += ` AND action IN ` + eventlog.StoppedSQL
	}
	rows, err := q.QueryContext(ctx, `SELECT time_ns, action, client_ip, client_user, route,
		CASE WHEN action IN `+eventlog.StoppedSQL+` THEN data ELSE '' END
		FROM events WHERE `+where, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ns                            int64
			action, ip, user, route, data string
		)
		if err := rows.Scan(&ns, &action, &ip, &user, &route, &data); err != nil {
			return err
		}
		if err := c.addStored(ns, action, ip, user, route, data, sign); err != nil {
			return err
		}
	}
	return rows.Err()
}

// minuteSQL is eventlog.Minute of the column time_ns, hourSQL
// eventlog.RollupBucket of the kinds counted per hour.
const (
	minuteSQL = `(time_ns / 60000000000 - (time_ns % 60000000000 < 0))`
	hourSQL   = `(` + minuteSQL + ` - (` + minuteSQL + ` % 60 + 60) % 60)`
)

// rollupMigration creates event_counts and fills it from the events
// already stored, in the migration's transaction: one pass over the
// events table, grouped in SQL (a few seconds per million events, once).
// Later changes go through counts.
var rollupMigration = []string{
	`CREATE TABLE event_counts (
		kind   TEXT NOT NULL,    -- eventlog.Kind*
		minute INTEGER NOT NULL, -- the bucket's first minute: eventlog.RollupBucket
		key    TEXT NOT NULL,
		key2   TEXT NOT NULL,    -- the violation type for detectors, else ''
		n      INTEGER NOT NULL,
		PRIMARY KEY (kind, minute, key, key2)
	) STRICT, WITHOUT ROWID`,
	`INSERT INTO event_counts (kind, minute, key, key2, n)
		SELECT 'a', ` + minuteSQL + `, action, '', COUNT(*) FROM events GROUP BY 2, 3`,
	`INSERT INTO event_counts (kind, minute, key, key2, n)
		SELECT 'd', ` + minuteSQL + `, COALESCE(json_extract(j.value, '$.name'), ''), COALESCE(json_extract(j.value, '$.violation'), ''), COUNT(*)
		FROM events, json_each(events.data, '$.abuse.detectors') j WHERE action IN ` + eventlog.StoppedSQL + ` GROUP BY 2, 3, 4`,
	`INSERT INTO event_counts (kind, minute, key, key2, n)
		SELECT 'c', ` + hourSQL + `, client_ip, '', COUNT(*) FROM events WHERE action IN ` + eventlog.StoppedSQL + ` GROUP BY 2, 3`,
	`INSERT INTO event_counts (kind, minute, key, key2, n)
		SELECT 'u', ` + hourSQL + `, client_user, '', COUNT(*) FROM events WHERE action IN ` + eventlog.StoppedSQL + ` AND client_user <> '' GROUP BY 2, 3`,
	`INSERT INTO event_counts (kind, minute, key, key2, n)
		SELECT 'r', ` + minuteSQL + `, route, '', COUNT(*) FROM events WHERE action IN ` + eventlog.StoppedSQL + ` GROUP BY 2, 3`,
}
