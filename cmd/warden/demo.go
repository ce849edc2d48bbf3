package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/warden-dev/warden/demo"
)

// runDemo starts the demo app on a free loopback port, Warden in front of
// it (proxy and admin listener, as serve does), and the traffic generator
// of normal users and attackers; it prints the URLs, then a live summary of
// what was stopped and why, until Ctrl-C.
func runDemo(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address of Warden's proxy")
	adminAddr := fs.String("admin", "127.0.0.1:9090", "admin listener address (dashboard)")
	data := fs.String("data", "", "data directory (default: a temporary one, removed at exit)")
	every := fs.Duration("every", 2*time.Second, "how often to print the summary")
	noTraffic := fs.Bool("no-traffic", false, "do not run the traffic generator")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 || *every <= 0 {
		fmt.Fprintln(e.stderr, "usage: warden demo [--listen ADDR] [--admin ADDR] [--data DIR] [--every 2s] [--no-traffic]")
		return 2
	}
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "warden-demo-")
		if err != nil {
			fmt.Fprintf(e.stderr, "demo: data dir: %v\n", err)
			return 1
		}
		defer os.RemoveAll(d)
		dir = d
	}

	appL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(e.stderr, "demo: app listen: %v\n", err)
		return 1
	}
	app := &http.Server{Handler: demo.App(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = app.Serve(appL) }()
	defer app.Close()

	// Alerts go to a local mailbox over plain SMTP on loopback, through the
	// same mail channel a real deployment uses.
	mailbox := demo.NewMailbox()
	mailL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(e.stderr, "demo: mailbox listen: %v\n", err)
		return 1
	}
	go func() { _ = mailbox.Serve(mailL) }()
	defer mailbox.Close()

	cfg := demo.WardenConfig("http://"+appL.Addr().String(), dir)
	cfg.Listen, cfg.Admin.Listen = *listen, *adminAddr
	cfg.Alerts.SMTP.Host = "127.0.0.1"
	cfg.Alerts.SMTP.Port = mailL.Addr().(*net.TCPAddr).Port
	cfg.Alerts.SMTP.StartTLS, cfg.Alerts.SMTP.TLS = false, false // loopback only
	cfg.Alerts.SMTP.From, cfg.Alerts.SMTP.To = demo.MailFrom, []string{demo.MailTo}
	cfg.Alerts.GroupWait = 5 * time.Second // a livelier demo than 30s
	if err := cfg.Validate(); err != nil {
		printConfigError(e, err)
		return 2
	}
	// The live summary replaces the proxy's logs; ban lines logged through
	// slog.Default would interleave with it, so they are muted too.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	slog.SetDefault(quiet)
	inst, err := start(ctx, cfg, quiet)
	if err != nil {
		fmt.Fprintf(e.stderr, "demo: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.stdout, "demo app (unprotected): http://%s\n", appL.Addr())
	fmt.Fprintf(e.stdout, "through Warden:         http://%s\n", inst.proxyAddr)
	fmt.Fprintf(e.stdout, "dashboard and admin:    http://%s/#token=%s  (token in %s)\n", inst.adminAddr, readToken(inst.tokenSource), inst.tokenSource)
	fmt.Fprintf(e.stdout, "alert mailbox:          smtp://%s (%s; mails print below)\n", mailL.Addr(), demo.MailTo)
	fmt.Fprintf(e.stdout, "demo logins: alice@example.com / alice-demo-pass, bob@example.com / bob-demo-pass\n")
	fmt.Fprintln(e.stdout, "Ctrl-C stops everything.")

	tr, err := demo.NewTraffic(demo.DefaultConfig())
	if err != nil {
		fmt.Fprintf(e.stderr, "demo: %v\n", err)
		_ = inst.shutdown(cfg.Proxy.ShutdownTimeout)
		return 1
	}
	done := make(chan error, 1)
	if *noTraffic {
		done <- nil
	} else {
		go func() { done <- tr.Run(ctx, "http://"+inst.proxyAddr) }()
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	seen := 0
	live := &liveBlock{w: e.stdout, tty: isTerminal(e.stdout)}
	for {
		select {
		case <-tick.C:
			var fresh []demo.Mail
			fresh, seen = mailbox.Since(seen)
			sum := ""
			if !*noTraffic {
				sum = tr.Stats().Summary()
			}
			live.show(demo.MailLines(fresh), sum)
		case err := <-inst.errc:
			if err != nil {
				fmt.Fprintf(e.stderr, "demo: %v\n", err)
				_ = inst.shutdown(cfg.Proxy.ShutdownTimeout)
				return 1
			}
		case <-ctx.Done():
			<-done // the generator stops promptly on ctx
			if !*noTraffic {
				fmt.Fprint(e.stdout, "\nfinal count:\n", tr.Stats().Summary())
			}
			if err := inst.shutdown(cfg.Proxy.ShutdownTimeout); err != nil {
				fmt.Fprintf(e.stderr, "demo: shutdown: %v\n", err)
				return 1
			}
			if *data != "" { // a temporary data dir is gone by now
				fmt.Fprintf(e.stdout, "\ntoday's report of this run: warden report --data %s --date today\n", *data)
			}
			return 0
		}
	}
}

// readToken returns the token in the file at path, or "" when there is none
// (a configured token is not printed).
func readToken(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// liveBlock prints the demo's summary. On a terminal it redraws one block
// in place (new mails are printed above it and stay), instead of a new
// table every tick; anywhere else (a pipe, a file, a test) it appends.
type liveBlock struct {
	w     io.Writer
	tty   bool
	lines int // lines of the block on screen
}

func (l *liveBlock) show(mails, summary string) {
	if !l.tty {
		if summary != "" {
			fmt.Fprint(l.w, "\n", summary)
		}
		fmt.Fprint(l.w, mails)
		return
	}
	if l.lines > 0 {
		fmt.Fprintf(l.w, "\x1b[%dA\x1b[J", l.lines) // up over the old block, clear to the end
	}
	fmt.Fprint(l.w, mails, "\n", summary)
	l.lines = 1 + strings.Count(summary, "\n")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
