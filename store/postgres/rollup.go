package postgres

import "github.com/warden-dev/warden/eventlog"

// countsTable is the overview's rollup (see eventlog.RollupStep), as in
// store/sqlite: events per action and, for the events that stopped a
// request, per detector and violation, route (per minute), client and
// user (per hour).
// Triggers keep it: every statement that inserts, deletes or truncates
// events changes it in the same transaction by the rows it changed, so
// it stays equal to the events whichever way they were written (COPY,
// the insert that skips duplicates, another Warden instance, an older
// Warden during a rolling upgrade) and whatever retention removes. A
// row whose count falls to zero is removed.
const countsTable = "warden_event_counts"

// minuteSQL is eventlog.Minute of the column time_ns, hourSQL
// eventlog.RollupBucket of the kinds counted per hour.
const (
	minuteSQL = `(time_ns / 60000000000 - CASE WHEN time_ns % 60000000000 < 0 THEN 1 ELSE 0 END)`
	hourSQL   = `(` + minuteSQL + ` - (` + minuteSQL + ` % 60 + 60) % 60)`
)

// countsSQL is the rollup rows of the events in rel, one per key, in key
// order (concurrent writers then lock shared rows in one order, so they
// wait for each other instead of deadlocking).
func countsSQL(rel string) string {
	const stopped = ` WHERE action IN ` + eventlog.StoppedSQL
	return `SELECT k, m, k1, k2, SUM(n)::bigint FROM (SELECT 'a', ` + minuteSQL + `, action, '', COUNT(*) FROM ` + rel + ` GROUP BY 2, 3
		UNION ALL SELECT 'd', ` + minuteSQL + `, split_part(d, E'\x1f', 1), split_part(d, E'\x1f', 2), COUNT(*)
			FROM ` + rel + `, unnest(string_to_array(detectors, E'\x1e')) AS d` + stopped + ` AND detectors IS NOT NULL GROUP BY 2, 3, 4
		UNION ALL SELECT 'd', ` + minuteSQL + `, COALESCE(d->>'name', ''), COALESCE(d->>'violation', ''), COUNT(*)
			FROM ` + rel + `, ` + detectorsSQL + ` AS d` + stopped + ` AND detectors IS NULL GROUP BY 2, 3, 4
		UNION ALL SELECT 'c', ` + hourSQL + `, client_ip, '', COUNT(*) FROM ` + rel + stopped + ` GROUP BY 2, 3
		UNION ALL SELECT 'u', ` + hourSQL + `, client_user, '', COUNT(*) FROM ` + rel + stopped + ` AND client_user <> '' GROUP BY 2, 3
		UNION ALL SELECT 'r', ` + minuteSQL + `, route, '', COUNT(*) FROM ` + rel + stopped + ` GROUP BY 2, 3
		) AS t (k, m, k1, k2, n) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`
}

// rollupSchema creates the rollup and its triggers, then fills it from
// the events already stored: one pass over them in the schema's
// transaction (a few seconds per million events, once; meanwhile the
// schema step holds writes back and they go to the fallback, as for any
// schema upgrade). The triggers are created first: that locks out
// writers until the transaction ends, so the pass sees every event and
// each later one is counted by a trigger. The pass only fills an empty
// rollup, so an instance that upgrades after another counts nothing
// twice.
var rollupSchema = []string{
	`CREATE TABLE IF NOT EXISTS ` + countsTable + ` (
		kind   TEXT NOT NULL,   -- eventlog.Kind*
		minute BIGINT NOT NULL, -- the bucket's first minute: eventlog.RollupBucket
		key    TEXT NOT NULL,
		key2   TEXT NOT NULL,   -- the violation type for detectors, else ''
		n      BIGINT NOT NULL,
		PRIMARY KEY (kind, minute, key, key2)
	)`,
	`CREATE OR REPLACE FUNCTION ` + countsTable + `_change() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'TRUNCATE' THEN
			DELETE FROM ` + countsTable + `;
			RETURN NULL;
		END IF;
		INSERT INTO ` + countsTable + ` AS c (kind, minute, key, key2, n)
			SELECT k, m, k1, k2, CASE TG_OP WHEN 'INSERT' THEN n ELSE -n END
			FROM (` + countsSQL("changed") + `) AS t (k, m, k1, k2, n)
			ON CONFLICT (kind, minute, key, key2) DO UPDATE SET n = c.n + EXCLUDED.n;
		IF TG_OP = 'DELETE' THEN
			DELETE FROM ` + countsTable + ` WHERE n = 0 AND kind IN ('a', 'd', 'c', 'u', 'r')
				AND minute IN (SELECT ` + minuteSQL + ` FROM changed UNION SELECT ` + hourSQL + ` FROM changed);
		END IF;
		RETURN NULL;
	END $$`,
	`DROP TRIGGER IF EXISTS ` + table + `_count_insert ON ` + table,
	`CREATE TRIGGER ` + table + `_count_insert AFTER INSERT ON ` + table + `
		REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ` + countsTable + `_change()`,
	`DROP TRIGGER IF EXISTS ` + table + `_count_delete ON ` + table,
	`CREATE TRIGGER ` + table + `_count_delete AFTER DELETE ON ` + table + `
		REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ` + countsTable + `_change()`,
	`DROP TRIGGER IF EXISTS ` + table + `_count_truncate ON ` + table,
	`CREATE TRIGGER ` + table + `_count_truncate AFTER TRUNCATE ON ` + table + `
		FOR EACH STATEMENT EXECUTE FUNCTION ` + countsTable + `_change()`,
	`INSERT INTO ` + countsTable + ` (kind, minute, key, key2, n)
		SELECT * FROM (` + countsSQL(table) + `) AS t WHERE NOT EXISTS (SELECT 1 FROM ` + countsTable + `)`,
}
