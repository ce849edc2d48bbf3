package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/server"
	"github.com/warden-dev/warden/store/postgres"
	"github.com/warden-dev/warden/store/sqlite"
)

func runAlerts(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "test") {
		fmt.Fprintln(e.stderr, "usage: warden alerts list|test [--config FILE] [--since DURATION] [--limit N]\n\n"+
			"list prints the alert history (incident log) from the data dir; test sends a\n"+
			"sample alert through every configured channel and says what happened to each.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("alerts "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "YAML config file: the channels (alerts:) and the data dir")
	data := fs.String("data", "", "data directory holding warden.db (default: the config's, ./warden-data)")
	since := fs.Duration("since", 7*24*time.Hour, "list: alerts of this long before now")
	limit := fs.Int("limit", alert.DefaultLimit, fmt.Sprintf("list: at most this many (1..%d)", alert.MaxLimit))
	if err := fs.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "alerts %s: unexpected argument %q\n", sub, fs.Arg(0))
		return 2
	}
	cfg, err := offlineConfig(*cfgPath, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	if sub == "test" {
		return alertsTest(ctx, cfg.Alerts, e)
	}
	if *limit < 1 || *limit > alert.MaxLimit {
		fmt.Fprintf(e.stderr, "alerts list: --limit: must be 1..%d, got %d\n", alert.MaxLimit, *limit)
		return 2
	}
	dir := cfg.DataDir
	if *data != "" {
		dir = *data
	}
	ob, closeAll, err := openAlertLog(ctx, cfg.Store.Postgres, filepath.Join(dir, server.DBFile))
	if err != nil {
		fmt.Fprintf(e.stderr, "alerts list: %v\n", err)
		return 1
	}
	defer closeAll()
	ds, err := ob.Deliveries(ctx, time.Now().Add(-*since), *limit)
	if err != nil {
		fmt.Fprintf(e.stderr, "alerts list: %v\n", err)
		return 1
	}
	if len(ds) == 0 {
		fmt.Fprintf(e.stdout, "no alerts in the last %v\n", *since)
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSTATE\tCHANNEL\tDELIVERY\tTITLE")
	for _, d := range ds {
		delivery := d.Status
		if d.Attempts > 1 || d.Error != "" {
			delivery = fmt.Sprintf("%s (%d attempts)", d.Status, d.Attempts)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Created.UTC().Format(time.RFC3339), d.Notification.Status,
			d.Channel, delivery, d.Notification.Title)
	}
	_ = tw.Flush()
	return 0
}

// openAlertLog opens the incident log `warden serve` keeps: in
// PostgreSQL when store.postgres is set (with what this instance's data
// dir kept while PostgreSQL was down), else in the data dir's database.
func openAlertLog(ctx context.Context, dsn, path string) (alert.Outbox, func(), error) {
	var local alert.Outbox
	closers := []func() error{}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i]()
		}
	}
	if _, err := os.Stat(path); err == nil {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, closeAll, err
		}
		closers = append(closers, db.Close)
		if local, err = db.AlertOutbox(ctx); err != nil {
			closeAll()
			return nil, func() {}, err
		}
	} else if dsn == "" {
		return nil, closeAll, fmt.Errorf("no database at %s (--data DIR, or data_dir in --config): %w", path, errors.Unwrap(err))
	}
	if dsn == "" {
		return local, closeAll, nil
	}
	pc := postgres.DefaultConfig()
	pc.DSN = dsn
	ps, err := postgres.Open(ctx, pc, postgres.Options{})
	if err != nil {
		closeAll()
		return nil, func() {}, err
	}
	closers = append(closers, ps.Close)
	if local == nil {
		return ps.AlertOutbox(), closeAll, nil
	}
	return &alert.Failover{Shared: ps.AlertOutbox(), Local: local}, closeAll, nil
}

// alertsTest sends a sample through each channel of cfg and reports each
// outcome; it fails when any channel did.
func alertsTest(ctx context.Context, cfg alert.Config, e env) int {
	chans, err := alert.Channels(cfg, nil)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	if len(chans) == 0 {
		fmt.Fprintln(e.stderr, "alerts test: no channel configured (alerts.smtp.host, alerts.slack.webhook_url or alerts.webhook.url)")
		return 2
	}
	n := alert.Sample(time.Now())
	code := 0
	for _, ch := range chans {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := ch.Send(sctx, n)
		cancel()
		if err != nil {
			fmt.Fprintf(e.stdout, "%-8s failed: %v\n", ch.Name(), err)
			code = 1
			continue
		}
		fmt.Fprintf(e.stdout, "%-8s sent (%s)\n", ch.Name(), describe(ch.Name(), cfg, n))
	}
	return code
}

func describe(channel string, cfg alert.Config, n alert.Notification) string {
	switch channel {
	case "email":
		return fmt.Sprintf("to %s via %s:%d", strings.Join(cfg.SMTP.To, ", "), cfg.SMTP.Host, cfg.SMTP.Port)
	case "webhook":
		return "signed, webhook-id " + n.ID
	}
	return "incoming webhook"
}
