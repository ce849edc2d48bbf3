package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/warden-dev/warden/admin"
	"github.com/warden-dev/warden/ban"
)

// runBans implements "warden bans list|add|remove" through the admin API.
// Exit codes: 0 done, 1 the API or the network failed, 2 usage error.
func runBans(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runBansLookup(ctx, args, stdout, stderr, os.LookupEnv)
}

// runBansLookup is runBans with the environment passed in (tests and the
// command table's env).
func runBansLookup(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	const usage = `usage:
  warden bans list   [--admin URL] [--token TOKEN] [--data DIR] [--json]
  warden bans add    TARGET --duration 2h [--reason TEXT] [flags]
  warden bans remove TARGET [--keep-score] [flags]

TARGET is ip:<address>, ip:<IPv6 network>/<bits> or user:<id>. A ban on an
IPv6 address covers its network (a /64 unless enforce.ipv6_prefix says
otherwise; the listing shows the network), and removing it by the address
or the network both work. Removing a ban also clears the target's
violation scores and behaviour state, so its next ordinary requests are
not banned again; --keep-score keeps them. Addresses with a zone
(fe80::1%<interface>) are refused. The token comes from --token, else WARDEN_ADMIN_TOKEN, else the
file <data dir>/admin.token.
`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("warden bans "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	adminURL := fs.String("admin", "http://127.0.0.1:9090", "admin API base URL")
	token := fs.String("token", "", "admin token (default: WARDEN_ADMIN_TOKEN, then <data>/admin.token)")
	dataDir := fs.String("data", "./warden-data", "data dir holding admin.token")
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	duration := fs.Duration("duration", 0, "ban duration for add, e.g. 2h")
	reason := fs.String("reason", "", "reason for add")
	violation := fs.String("violation", "", "violation type for add (optional)")
	keepScore := fs.Bool("keep-score", false, "for remove: keep the target's violation scores and behaviour state")

	// Flags may come before or after TARGET.
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "warden bans %s: "+format+"\n", append([]any{sub}, a...)...)
		return 2
	}

	var target ban.Target
	switch sub {
	case "list":
		if len(pos) != 0 {
			return fail("takes no arguments, got %q", pos[0])
		}
	case "add", "remove":
		if len(pos) != 1 {
			return fail("needs exactly one TARGET (ip:<address>, ip:<IPv6 network>/<bits> or user:<id>)")
		}
		t, err := ban.ParseTarget(pos[0])
		if err != nil {
			return fail("%v", err)
		}
		target = t
		if sub == "add" && *duration <= 0 {
			return fail("--duration: required and > 0, e.g. --duration 2h")
		}
	default:
		fmt.Fprintf(stderr, "warden bans: unknown subcommand %q\n\n%s", sub, usage)
		return 2
	}
	base, err := url.Parse(*adminURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fail("--admin: %q is not an http(s) URL", *adminURL)
	}
	tok, err := adminToken(*token, *dataDir, lookup)
	if err != nil {
		return fail("%v", err)
	}

	c := &admin.Client{BaseURL: base.String(), Token: tok, HTTP: &http.Client{Timeout: 15 * time.Second}}
	// answer is what --json prints: the API's answer, as the client read it.
	var answer any
	switch sub {
	case "list":
		var l []admin.Ban
		if l, err = c.Bans(ctx); err == nil {
			answer = map[string]any{"bans": l, "count": len(l)}
			if !*asJSON {
				printBans(stdout, l)
			}
		}
	case "add":
		var b admin.Ban
		req := admin.BanRequest{Target: target.String(), Duration: *duration, Reason: *reason, Violation: *violation}
		if b, err = c.AddBan(ctx, req); err == nil {
			answer = b
			if !*asJSON {
				fmt.Fprintf(stdout, "banned %s until %s (%s): %s\n", b.Target, b.Until.UTC().Format(time.RFC3339),
					time.Duration(b.SecondsLeft)*time.Second, b.Reason)
			}
		}
	case "remove":
		var l admin.Lifted
		if l, err = c.LiftBan(ctx, target.String(), *keepScore); err == nil {
			answer = l
			if !*asJSON {
				// The server names the ban it lifted: an IPv6 address's network.
				if l.Target == "" {
					l.Target = target.String()
				}
				what := "its scores kept"
				if l.ScoreCleared {
					what = "its scores and behaviour state cleared"
				}
				fmt.Fprintf(stdout, "lifted the ban on %s, %s\n", l.Target, what)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "warden bans %s: %s\n", sub, apiErrorText(err))
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(answer); err != nil {
			fmt.Fprintf(stderr, "warden bans %s: %v\n", sub, err)
			return 1
		}
	}
	return 0
}

// adminToken picks the token: the flag, the environment, the data dir file.
func adminToken(flagToken, dataDir string, lookup func(string) (string, bool)) (string, error) {
	if flagToken != "" {
		return flagToken, nil
	}
	if v, ok := lookup(admin.EnvToken); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v), nil
	}
	path := filepath.Join(dataDir, admin.TokenFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no admin token: pass --token, set %s, or point --data at the dir holding %s (%v)",
			admin.EnvToken, admin.TokenFile, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("no admin token: %s is empty", path)
	}
	return tok, nil
}

// apiErrorText renders an admin API error for the command line.
func apiErrorText(err error) string {
	var e *admin.APIError
	switch {
	case !errors.As(err, &e):
		return err.Error()
	case e.Status == http.StatusUnauthorized:
		return "unauthorized (HTTP 401): check --token, " + admin.EnvToken + " or --data"
	case e.Message != "":
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
	}
	return fmt.Sprintf("HTTP %d from the admin API", e.Status)
}

func printBans(stdout io.Writer, bans []admin.Ban) {
	if len(bans) == 0 {
		fmt.Fprintln(stdout, "no active bans")
		return
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tUNTIL\tLEFT\tVIOLATION\tREASON")
	for _, b := range bans {
		v := b.Violation
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Target, b.Until.UTC().Format(time.RFC3339),
			time.Duration(b.SecondsLeft)*time.Second, v, oneLine(b.Reason))
	}
	tw.Flush()
}

// oneLine keeps a reason on one bounded line of the table.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
