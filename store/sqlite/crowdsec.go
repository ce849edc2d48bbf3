package sqlite

import (
	"context"
	"fmt"

	"github.com/warden-dev/warden/crowdsec"
)

// crowdsecSchema is created on first use by CrowdSecDecisions: a
// database that never followed a CrowdSec LAPI has no such table.
const crowdsecSchema = `CREATE TABLE IF NOT EXISTS crowdsec_decisions (
	value    TEXT NOT NULL,
	type     TEXT NOT NULL,
	scope    TEXT NOT NULL,
	origin   TEXT NOT NULL,
	scenario TEXT NOT NULL,
	until    INTEGER NOT NULL,
	PRIMARY KEY (value, type)
);`

// CrowdSecDecisions keeps the CrowdSec decisions Warden enforces
// (crowdsec.Store), so that a restart with the LAPI unreachable keeps
// enforcing them. It is safe for concurrent use.
type CrowdSecDecisions struct{ d *DB }

// CrowdSecDecisions returns the database's CrowdSec decision table,
// creating it.
func (d *DB) CrowdSecDecisions(ctx context.Context) (*CrowdSecDecisions, error) {
	if _, err := d.db.ExecContext(ctx, crowdsecSchema); err != nil {
		return nil, fmt.Errorf("sqlite: crowdsec decisions: %w", err)
	}
	return &CrowdSecDecisions{d: d}, nil
}

// Load returns every decision kept.
func (c *CrowdSecDecisions) Load(ctx context.Context) ([]crowdsec.Decision, error) {
	rows, err := c.d.db.QueryContext(ctx, `SELECT value, type, scope, origin, scenario, until FROM crowdsec_decisions`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: crowdsec decisions: %w", err)
	}
	defer rows.Close()
	var out []crowdsec.Decision
	for rows.Next() {
		var d crowdsec.Decision
		var until int64
		if err := rows.Scan(&d.Value, &d.Type, &d.Scope, &d.Origin, &d.Scenario, &until); err != nil {
			return nil, fmt.Errorf("sqlite: crowdsec decisions: %w", err)
		}
		d.Until = fromNanos(until)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: crowdsec decisions: %w", err)
	}
	return out, nil
}

// Save removes drop by value and type, then writes put, replacing the
// decision of the same value and type, in one transaction.
func (c *CrowdSecDecisions) Save(ctx context.Context, put, drop []crowdsec.Decision) error {
	tx, err := c.d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: crowdsec decisions: %w", err)
	}
	defer tx.Rollback()
	for _, d := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM crowdsec_decisions WHERE value = ? AND type = ?`, d.Value, d.Type); err != nil {
			return fmt.Errorf("sqlite: crowdsec decisions: delete: %w", err)
		}
	}
	for _, d := range put {
		_, err := tx.ExecContext(ctx, `INSERT INTO crowdsec_decisions (value, type, scope, origin, scenario, until) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (value, type) DO UPDATE SET scope = excluded.scope, origin = excluded.origin, scenario = excluded.scenario, until = excluded.until`,
			d.Value, d.Type, d.Scope, d.Origin, d.Scenario, UnixNanos(d.Until))
		if err != nil {
			return fmt.Errorf("sqlite: crowdsec decisions: save: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: crowdsec decisions: %w", err)
	}
	return nil
}

var _ crowdsec.Store = (*CrowdSecDecisions)(nil)
