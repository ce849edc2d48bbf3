// Command warden runs Warden: the reverse proxy (serve), a self-contained
// demo, offline tools (inspect, replay, check-config) and ban management.
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or config error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command runs one subcommand and returns its exit code.
type command struct {
	run     func(ctx context.Context, args []string, env env) int
	summary string
}

// env is what a command may touch of the process, so tests can run
// commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

func commands() map[string]command {
	return map[string]command{
		"serve":        {runServe, "run the reverse proxy in front of an upstream"},
		"demo":         {runDemo, "run a sample app with Warden in front and simulated attackers"},
		"check-config": {runCheckConfig, "validate a config file"},
		"inspect":      {runInspect, "check JSON Lines requests with the stateless detectors"},
		"replay":       {runReplay, "replay an access log through the behaviour detectors"},
		"tune":         {runTune, "propose exclusions and per-route modes from a monitor-mode run"},
		"alerts":       {runAlerts, "list the alert history, or send a test alert through every channel"},
		"report":       {runReport, "print the daily report of a day from the event store"},
		"assess":       {runAssess, "print the threat model of a config (OWASP, MITRE ATLAS) and probe a running instance"},
		"bans":         {runBansCommand, "list, add or remove bans through the admin API"},
		"version":      {runVersion, "print the version"},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{os.Stdin, os.Stdout, os.Stderr, os.LookupEnv})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, e env) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "warden: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], e)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: warden <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'warden <command> -h' for a command's flags.")
}

// flagExit is the exit code for a flag parsing error: 0 when -h or
// --help asked for the usage (printed by the flag set), else 2.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
