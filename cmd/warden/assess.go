package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/warden-dev/warden/assess"
	"github.com/warden-dev/warden/demo"
)

// runAssess prints the threat model of a config and, with --probe, the
// outcome of live probes of a running instance.
func runAssess(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("assess", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "YAML config file to assess (default: the defaults with the environment)")
	probeURL := fs.String("probe", "", "URL of a running Warden (its public listener) to probe; opt-in")
	adminURL := fs.String("admin", "", "URL of its admin API, to lift the bans the probes cause")
	token := fs.String("token", "", "admin API token (default: WARDEN_ADMIN_TOKEN, or admin.token in the data dir)")
	format := fs.String("format", "md", "output format: "+strings.Join(assess.Formats(), ", "))
	failOn := fs.String("fail-on", "", "exit 1 when a finding at or above this severity (low, medium or high) has a recommended fix, or a probe failed")
	demoCfg := fs.Bool("demo", false, "assess the config `warden demo` runs Warden with (instead of --config)")
	dryRun := fs.Bool("dry-run", false, "with --probe: list the probes and the requests they would send, send nothing")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: warden assess [--config FILE | --demo] [--probe URL] [--admin URL --token T] [--format md|json|sarif|html] [--fail-on low|medium|high] [--dry-run]\n\n"+
			"Builds the threat model of a deployment from its config: the controls in force, the\n"+
			"threats of OWASP Top 10 for LLM Applications 2025, OWASP API Security Top 10 2023 and\n"+
			"MITRE ATLAS each covered, partly covered or not, a risk score (0-100, lower is better)\n"+
			"and recommendations as config snippets. With --probe it also sends a bounded set of\n"+
			"attack-shaped requests to that URL and reports what each expected and got.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "assess: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if !slices.Contains(assess.Formats(), *format) {
		fmt.Fprintf(e.stderr, "assess: --format: %q is not one of %s\n", *format, strings.Join(assess.Formats(), ", "))
		return 2
	}
	if *failOn != "" {
		if _, err := assess.ParseSeverity(*failOn); err != nil {
			fmt.Fprintf(e.stderr, "assess: --fail-on: %v\n", err)
			return 2
		}
	}
	if *demoCfg && *cfgPath != "" {
		fmt.Fprintln(e.stderr, "assess: --demo and --config are exclusive")
		return 2
	}
	cfg, err := offlineConfig(*cfgPath, e)
	if err != nil {
		printConfigError(e, err)
		return 2
	}
	name := *cfgPath
	switch {
	case *demoCfg:
		cfg, name = demo.WardenConfig("http://127.0.0.1:8081", "./warden-data"), "warden demo"
	case name == "":
		name = "defaults"
	}
	rep, err := assess.Assess(cfg, name, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "assess: %v\n", err)
		return 1
	}
	if *probeURL != "" {
		if *adminURL != "" {
			// The token as `warden bans` finds it: flag, environment,
			// the data dir.
			if *token, err = adminToken(*token, cfg.DataDir, e.lookup); err != nil {
				fmt.Fprintf(e.stderr, "assess: --token: %v\n", err)
				return 2
			}
		}
		p, err := assess.NewProber(cfg, assess.ProbeOptions{Target: *probeURL, Admin: *adminURL, Token: *token})
		if err != nil {
			fmt.Fprintf(e.stderr, "assess: %v\n", err)
			return 2
		}
		if *dryRun {
			for _, line := range p.Plan() {
				fmt.Fprintln(e.stdout, line)
			}
			return 0
		}
		rep.Probes = p.Run(ctx)
	} else if *dryRun {
		fmt.Fprintln(e.stderr, "assess: --dry-run needs --probe")
		return 2
	}
	if err := rep.Write(e.stdout, *format); err != nil {
		fmt.Fprintf(e.stderr, "assess: %v\n", err)
		return 1
	}
	if *failOn != "" {
		failed := 0
		for _, p := range rep.Probes {
			if !p.Pass && !p.Skipped {
				failed++
			}
		}
		if bad := rep.Failing(*failOn); len(bad) > 0 || failed > 0 {
			fmt.Fprintf(e.stderr, "assess: %d findings at or above %s with a recommended fix, %d probes failed\n", len(bad), *failOn, failed)
			return 1
		}
	}
	return 0
}
