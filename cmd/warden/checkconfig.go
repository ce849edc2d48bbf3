package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/server"
)

func runCheckConfig(_ context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	print := fs.Bool("print", false, "print the effective configuration (defaults, file and environment; secrets masked)")
	envPath := fs.String("env-file", "", "LibreChat-style .env file read as if exported (exported variables win)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: warden check-config [--env-file FILE] [--print] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	e, envFile, err := withEnvFile(e, *envPath)
	if err != nil {
		fmt.Fprintf(e.stderr, "config error: --env-file: %v\n", err)
		return 2
	}
	cfg, err := config.Load(fs.Arg(0), e.lookup)
	if err := errors.Join(err, server.CheckStores(cfg)); err != nil {
		printConfigError(e, err)
		return 2
	}
	reportEnv(e, cfg, envFile)
	if *print {
		b, err := config.Explain(fs.Arg(0), e.lookup)
		if err != nil {
			fmt.Fprintf(e.stderr, "check-config: %v\n", err)
			return 1
		}
		e.stdout.Write(b)
		return 0
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", fs.Arg(0))
	return 0
}

// printConfigError prints each joined error on its own line.
func printConfigError(e env, err error) {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) && !strings.HasPrefix(err.Error(), "read config") {
		for _, one := range flatten(err) {
			fmt.Fprintf(e.stderr, "config error: %v\n", one)
		}
		return
	}
	fmt.Fprintf(e.stderr, "config error: %v\n", err)
}

func flatten(err error) []error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
