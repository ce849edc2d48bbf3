package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/report"
	"github.com/warden-dev/warden/server"
	"github.com/warden-dev/warden/store/sqlite"
)

// runReport prints the daily report of a date from the event store.
func runReport(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "YAML config file: the data dir or PostgreSQL to read, report and llm sections")
	date := fs.String("date", "yesterday", "the day to report, YYYY-MM-DD in report.time_zone (or today, yesterday)")
	format := fs.String("format", "text", "output format: "+strings.Join(report.Formats(), ", "))
	data := fs.String("data", "", "data directory holding warden.db (default: the config's, ./warden-data)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: warden report [--config FILE] [--date YYYY-MM-DD] [--format text|json|html|md] [--data DIR]\n\n"+
			"Builds the daily report of a day from the event store (SQLite in the data dir, or\n"+
			"store.postgres) and prints it. With llm configured, a model writes the summary and\n"+
			"every number in it is checked against the report's figures; otherwise, or when the\n"+
			"check fails, the summary comes from a template.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "report: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	known := false
	for _, f := range report.Formats() {
		known = known || f == *format
	}
	if !known {
		fmt.Fprintf(e.stderr, "report: --format: %q is not one of %s\n", *format, strings.Join(report.Formats(), ", "))
		return 2
	}
	cfg, err := offlineConfig(*cfgPath, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	opts := report.Options{Config: cfg.Report, RequestLog: cfg.Log.Requests, Prices: cfg.AI.Budget.Prices}
	if cfg.Store.Postgres != "" {
		if opts.Source, err = report.OpenPostgres(cfg.Store.Postgres); err != nil {
			fmt.Fprintf(e.stderr, "report: %v\n", err)
			return 2
		}
	} else {
		path := filepath.Join(cfg.DataDir, server.DBFile)
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(e.stderr, "report: --data: no event store at %s (run warden serve or warden demo --data with this data dir)\n", path)
			return 2
		}
		if opts.Source, err = report.OpenSQLite(path); err != nil {
			fmt.Fprintf(e.stderr, "report: %v\n", err)
			return 1
		}
		if cfg.Store.Redis == "" { // with Redis, bans live there
			opts.Bans = sqliteBans{path}
		}
	}
	defer opts.Source.Close()
	// The alert history serve keeps; without one the report says so.
	if ob, closeLog, err := openAlertLog(ctx, cfg.Store.Postgres, filepath.Join(cfg.DataDir, server.DBFile)); err == nil {
		defer closeLog()
		opts.Alerts = server.AlertHistory(ob)
	}
	if opts.Model, err = llm.New(cfg.LLMSection()); err != nil {
		fmt.Fprintf(e.stderr, "report: %v\n", err)
		return 2
	}
	b, err := report.New(opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "report: %v\n", err)
		return 2
	}
	var day time.Time
	switch *date {
	case "yesterday":
		day = b.Yesterday()
	case "today":
		day = time.Now().In(b.Location())
	default:
		if day, err = b.ParseDate(*date); err != nil {
			fmt.Fprintf(e.stderr, "report: --date: %q is not a date like 2026-11-23 (or today, yesterday)\n", *date)
			return 2
		}
	}
	r, err := b.Build(ctx, day)
	if err != nil {
		fmt.Fprintf(e.stderr, "report: %v\n", err)
		return 1
	}
	out, _, err := r.Render(*format)
	if err != nil {
		fmt.Fprintf(e.stderr, "report: %v\n", err)
		return 1
	}
	if _, err := e.stdout.Write(out); err != nil {
		return 1
	}
	if r.Summary.Rejected != "" {
		fmt.Fprintf(e.stderr, "report: the model's summary was not used: %s\n", r.Summary.Rejected)
	}
	return 0
}

// sqliteBans lists the bans kept in the data dir's database.
type sqliteBans struct{ path string }

func (s sqliteBans) List(ctx context.Context, now time.Time) ([]ban.Ban, error) {
	db, err := sqlite.Open(ctx, s.path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	bans, err := db.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := bans[:0]
	for _, b := range bans {
		if b.Active(now) {
			out = append(out, b)
		}
	}
	return out, nil
}
