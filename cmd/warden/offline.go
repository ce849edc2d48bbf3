package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"time"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/inspect"
	"github.com/warden-dev/warden/logreplay"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/ratelimit"
)

// offlineConfig loads --config when given, else the defaults with the
// environment, for the offline commands.
func offlineConfig(path string, e env) (config.Config, error) {
	if path != "" {
		return config.Load(path, e.lookup)
	}
	return config.FromEnv(e.lookup)
}

// openInput opens FILE, or stdin for "-" or no argument.
func openInput(args []string, e env) (io.Reader, func(), error) {
	if len(args) == 0 || args[0] == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// statelessDetectors are what `warden inspect` runs: inspect.Detectors,
// with the protocol detector told that a JSON Lines request carries the
// headers its writer chose to write, so a missing Host or Accept says
// nothing about the client.
func statelessDetectors(cfg config.Config) ([]abuse.Detector, error) {
	if cfg.Protocol.Enabled {
		pc := &cfg.Protocol
		pc.Weights = maps.Clone(pc.Weights)
		if pc.Weights == nil {
			pc.Weights = map[string]float64{}
		}
		for _, k := range []string{"host_missing", "accept_missing"} {
			if _, set := pc.Weights[k]; !set {
				pc.Weights[k] = 0
			}
		}
	}
	return inspect.Detectors(cfg.DetectorSections())
}

func runInspect(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "YAML config file for detector settings")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: warden inspect [--config FILE] [FILE|-]\n\nReads JSON Lines requests {\"id\",\"method\",\"uri\",\"headers\":{},\"body\"} and writes one\nJSON line per request: {\"id\",\"action\",\"confidence\",\"detectors\",\"messages\"}.")
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	cfg, err := offlineConfig(*cfgPath, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	ds, err := statelessDetectors(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "inspect: %v\n", err)
		return 2
	}
	in, done, err := openInput(fs.Args(), e)
	if err != nil {
		fmt.Fprintf(e.stderr, "inspect: %v\n", err)
		return 1
	}
	defer done()
	opts := inspect.Options{
		Detectors:    ds,
		Decide:       func(vs []abuse.Verdict) abuse.Action { return warden.Decide(cfg.Policy, vs) },
		Now:          time.Now(),
		MaxBodyBytes: int(cfg.Inspect.BodyLimit),
	}
	sum, err := inspect.Run(ctx, in, e.stdout, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "inspect: %v\n", err)
		return 1
	}
	return malformedExit(e, "inspect", sum.Errors, sum.Requests+sum.Errors)
}

// malformedExit reports malformed input lines on stderr and is the exit
// code: 1 when any line was malformed, since results that silently skip
// input (540 of 540 lines, say) must not read as a clean run.
func malformedExit(e env, cmd string, malformed, lines int) int {
	if malformed == 0 {
		return 0
	}
	fmt.Fprintf(e.stderr, "%s: %d of %d input lines were malformed\n", cmd, malformed, lines)
	return 1
}

func runReplay(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "combined", "log format: combined, nginx or json")
	cfgPath := fs.String("config", "", "YAML config file for detector settings and route classes")
	noPayload := fs.Bool("no-payload", false, "do not run the payload detector on URLs (faster)")
	noSummary := fs.Bool("no-summary", false, "print no summary")
	summaryPath := fs.String("summary", "", "write the summary table to this file instead of stderr")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: warden replay [--format combined|nginx|json] [--config FILE] FILE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	cfg, err := offlineConfig(*cfgPath, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	opts := logreplay.DefaultOptions()
	opts.Format = logreplay.Format(*format)
	opts.Routes, opts.RouteMatching = cfg.Routes, cfg.RouteMatching
	opts.Behavior, opts.Bot = cfg.Behavior, cfg.Bot
	// stdout carries only JSON Lines, for jq; the summary goes apart.
	opts.NoSummary = true
	opts.Act = func(v *abuse.Verdict) abuse.Action { return warden.VerdictAction(cfg.Policy, v) }
	if cfg.Payload.Enabled && !*noPayload {
		d, err := payload.New(cfg.PayloadSection())
		if err != nil {
			fmt.Fprintf(e.stderr, "replay: payload: %v\n", err)
			return 2
		}
		opts.Detectors = append(opts.Detectors, d)
	}
	if cfg.RateLimit.Enabled {
		// Limits run on the log's own clock, in memory.
		lim, err := ratelimit.New(cfg.RateLimit, ratelimit.Options{})
		if err != nil {
			fmt.Fprintf(e.stderr, "replay: ratelimit: %v\n", err)
			return 2
		}
		opts.Detectors = append(opts.Detectors, lim)
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(e.stderr, "replay: %v\n", err)
		return 2
	}
	in, done, err := openInput(fs.Args(), e)
	if err != nil {
		fmt.Fprintf(e.stderr, "replay: %v\n", err)
		return 1
	}
	defer done()
	sum, err := logreplay.Run(ctx, in, e.stdout, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "replay: %v\n", err)
		return 1
	}
	if !*noSummary {
		if err := writeSummary(sum, *summaryPath, e); err != nil {
			fmt.Fprintf(e.stderr, "replay: summary: %v\n", err)
			return 1
		}
	}
	return malformedExit(e, "replay", sum.Malformed, sum.Lines)
}

// writeSummary writes the replay's summary table to path, or to stderr.
func writeSummary(sum logreplay.Summary, path string, e env) error {
	if path == "" {
		return sum.WriteTable(e.stderr)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sum.WriteTable(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func runBansCommand(ctx context.Context, args []string, e env) int {
	return runBansLookup(ctx, args, e.stdout, e.stderr, e.lookup)
}
