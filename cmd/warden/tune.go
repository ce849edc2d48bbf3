package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/warden-dev/warden/server"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/sqlite"
	"github.com/warden-dev/warden/tune"
)

func runTune(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("tune", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "YAML config file: the data dir and PostgreSQL to read, the policy")
	since := fs.Duration("since", 24*time.Hour, "read the decisions of this long before now (store; a FILE only when given)")
	data := fs.String("data", "", "data directory holding warden.db (default: the config's, ./warden-data)")
	minClients := fs.Int("min-clients", 5, "distinct ordinary clients a group of findings needs to be proposed")
	maxConf := fs.Float64("max-confidence", 0.95, "mean confidence at or above which findings look like attacks")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: warden tune [--config FILE] [--since DURATION] [--data DIR] [FILE|-]\n\n"+
			"Reads a monitor-mode run's decisions (the event store, or a JSON Lines decision log\n"+
			"FILE, - for stdin) and prints proposed payload exclusions and per-route detector\n"+
			"modes as YAML, with counts and a report of what enforce mode would have stopped.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(e.stderr, "tune: unexpected argument %q: give at most one FILE\n", fs.Arg(1))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *since <= 0 {
		fmt.Fprintf(e.stderr, "tune: --since: must be a positive duration such as 24h, got %v\n", *since)
		return 2
	}
	if *minClients < 1 {
		fmt.Fprintf(e.stderr, "tune: --min-clients: must be at least 1, got %d\n", *minClients)
		return 2
	}
	if *maxConf <= 0 || *maxConf > 1 {
		fmt.Fprintf(e.stderr, "tune: --max-confidence: must be in (0, 1], got %v\n", *maxConf)
		return 2
	}
	if fs.NArg() == 1 && set["data"] {
		fmt.Fprintln(e.stderr, "tune: --data: reads the event store, not a FILE: give one or the other")
		return 2
	}
	cfg, err := offlineConfig(*cfgPath, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	t := tune.New(tune.Options{MinClients: *minClients, MaxConfidence: *maxConf})
	now := time.Now()
	var source string
	if fs.NArg() == 1 {
		in, done, err := openInput(fs.Args(), e)
		if err != nil {
			fmt.Fprintf(e.stderr, "tune: FILE: %v\n", err)
			return 1
		}
		defer done()
		var from time.Time
		if set["since"] {
			from = now.Add(-*since)
		}
		skipped, err := tune.FromLines(ctx, in, from, t)
		if err != nil {
			fmt.Fprintf(e.stderr, "tune: %v\n", err)
			return 1
		}
		source = fs.Arg(0)
		if source == "-" {
			source = "stdin"
		}
		if skipped > 0 {
			fmt.Fprintf(e.stderr, "tune: skipped %d lines that are not decision lines\n", skipped)
		}
	} else {
		dir := cfg.DataDir
		if *data != "" {
			dir = *data
		}
		src, err := readStore(ctx, dir, cfg.Store.Postgres, now.Add(-*since), now, t)
		if err != nil {
			fmt.Fprintf(e.stderr, "tune: %v\n", err)
			var missing *missingStoreError
			if errors.As(err, &missing) {
				return 2
			}
			return 1
		}
		source = src
	}
	r := t.Result()
	if err := r.WriteYAML(e.stdout, source); err != nil {
		fmt.Fprintf(e.stderr, "tune: %v\n", err)
		return 1
	}
	return 0
}

// missingStoreError is a data dir without an event store: a usage error,
// since tune must not create an empty one.
type missingStoreError struct{ path string }

func (m *missingStoreError) Error() string {
	return fmt.Sprintf("--data: no event store at %s (run warden serve with this data dir, or give a FILE)", m.path)
}

// readStore streams the window's events into t from PostgreSQL when a DSN
// is configured, else from the data dir's SQLite database, and returns a
// name for the source (never the DSN: it may hold a password).
func readStore(ctx context.Context, dir, dsn string, from, to time.Time, t *tune.Tuner) (string, error) {
	if dsn != "" {
		pc := postgres.DefaultConfig()
		pc.DSN = dsn
		ps, err := postgres.Open(ctx, pc, postgres.Options{})
		if err != nil {
			return "", fmt.Errorf("store.postgres: %w", err)
		}
		defer ps.Close()
		if err := tune.FromStore(ctx, ps, from, to, t); err != nil {
			return "", err
		}
		return "PostgreSQL", nil
	}
	path := filepath.Join(dir, server.DBFile)
	if _, err := os.Stat(path); err != nil {
		return "", &missingStoreError{path}
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	if err := tune.FromStore(ctx, db, from, to, t); err != nil {
		return "", err
	}
	return path, nil
}
