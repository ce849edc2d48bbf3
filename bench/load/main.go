// Command load compares, in one run, a bare httputil.ReverseProxy and
// Warden's proxy in front of the same fast local upstream: closed-loop
// throughput, open-loop latency at a fixed offered rate, and a wrk
// cross-check when wrk is installed. Progress goes to stderr, a Markdown
// report to stdout.
//
//	go run ./bench/load                      # defaults: 3 rounds of 3 s per measurement, about a minute
//	go run ./bench/load -rate 5000 -conns 32 -duration 3s -rounds 3 -wrk wrk
//
// The servers run in a child process (the same binary with -serve) so the
// load generator's work and garbage do not share a Go runtime with the
// proxies; -inprocess runs everything in one process. The two proxies are
// measured alternately (bare first in odd rounds, Warden first in even
// ones) so that drift in the machine's load falls on both.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type options struct {
	duration, warmup time.Duration
	rounds           int
	conns            int
	rates            []float64
	pairedRates      []float64
	workers          int
	clients          int
	wrk              string
	wrkThreads       int
	config           string
	inprocess        bool
	cpuprofile       string
	postEvery        int
	peerPool         bool
}

func main() {
	var o options
	var serve bool
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "length of each measured run")
	flag.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each run")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each measures both proxies, alternating which goes first")
	flag.IntVar(&o.conns, "conns", 32, "concurrent connections of the closed-loop throughput runs")
	rates := flag.String("rate", "5000", "offered requests per second of the open-loop latency runs; a comma-separated list runs each")
	paired := flag.String("paired-rate", "1000", "offered requests per second to EACH proxy of an interleaved open-loop run of both (list; empty to skip)")
	flag.IntVar(&o.workers, "workers", 256, "senders of the open-loop runs (bounds requests in flight)")
	flag.IntVar(&o.clients, "clients", 65536, "distinct client addresses sent as X-Forwarded-For, used in turn (few make each one a flood)")
	flag.StringVar(&o.wrk, "wrk", "wrk", "wrk binary for the cross-check; empty to skip")
	flag.IntVar(&o.wrkThreads, "wrk-threads", 2, "wrk threads")
	flag.StringVar(&o.config, "config", "", "Warden YAML config (default: Warden's defaults, 127.0.0.1 trusted)")
	flag.BoolVar(&o.inprocess, "inprocess", false, "run the servers in this process instead of a child")
	flag.IntVar(&o.postEvery, "post-every", 2, "every N-th request is the 8 KB JSON POST, the others the GET (2: alternate; 0: GETs only)")
	flag.BoolVar(&o.peerPool, "peer-pool", false, "give the bare peer Warden's copy-buffer pool, so that the ratio isolates the guard")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the servers' CPU profile (both proxies and the upstream) to this file")
	flag.BoolVar(&serve, "serve", false, "internal: run the servers and print their addresses")
	flag.Parse()

	if serve {
		if err := serveChild(o.config, o.cpuprofile, o.peerPool, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "load -serve:", err)
			os.Exit(1)
		}
		return
	}
	var err error
	if o.rates, err = parseRates(*rates); err != nil {
		fmt.Fprintln(os.Stderr, "load: -rate:", err)
		os.Exit(2)
	}
	if *paired != "" {
		if o.pairedRates, err = parseRates(*paired); err != nil {
			fmt.Fprintln(os.Stderr, "load: -paired-rate:", err)
			os.Exit(2)
		}
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	fmt.Print(rep.markdown(o))
}

func (o options) validate() error {
	switch {
	case o.duration < 100*time.Millisecond:
		return errors.New("-duration: must be >= 100ms")
	case o.warmup < 0:
		return errors.New("-warmup: must be >= 0")
	case o.postEvery < 0:
		return errors.New("-post-every: must be >= 0")
	case o.rounds < 1:
		return errors.New("-rounds: must be >= 1")
	case o.conns < 1 || o.conns > 4096:
		return errors.New("-conns: must be 1..4096")
	case len(o.rates) == 0:
		return errors.New("-rate: at least one rate needed")
	case o.workers < 1 || o.workers > 65536:
		return errors.New("-workers: must be 1..65536")
	case o.clients < 1 || o.clients > 1<<20:
		return errors.New("-clients: must be 1..1048576")
	}
	for _, r := range o.rates {
		if r <= 0 || r > 1e6 {
			return errors.New("-rate: each must be > 0 and <= 1e6")
		}
	}
	for _, r := range o.pairedRates {
		if r <= 0 || r > 1e6 {
			return errors.New("-paired-rate: each must be > 0 and <= 1e6")
		}
	}
	return nil
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", f, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// target is one proxy under test.
type target struct {
	name, base string
}

// latRun holds the open-loop runs at one offered rate, per target name.
type latRun struct {
	rate   float64
	paired bool // both proxies in one interleaved schedule, rate each
	lat    map[string]*latencies
	status map[string]*statuses
}

// report holds everything measured, per target name.
type report struct {
	env      string
	variant  string
	rps      map[string][]float64
	cpu      map[string][]time.Duration // server process CPU per request, per throughput round
	tpStatus map[string]*statuses
	latRuns  []latRun
	wrk      map[string][]wrkResult
	wrkNote  string
	elapsed  time.Duration
}

func run(ctx context.Context, o options, log io.Writer) (*report, error) {
	begin := time.Now()
	var s *servers
	var err error
	if o.inprocess {
		s, err = startServers(o.config, o.peerPool)
	} else {
		s, err = startChild(o.config, o.cpuprofile, o.peerPool)
	}
	if err != nil {
		return nil, err
	}
	defer s.close()
	targets := []target{{"bare", s.Bare}, {"warden", s.Warden}}
	rep := &report{
		env: environment(), variant: wardenVariant,
		rps: map[string][]float64{}, cpu: map[string][]time.Duration{}, tpStatus: map[string]*statuses{},
		wrk: map[string][]wrkResult{},
	}
	clients := map[string]*client{}
	for _, t := range targets {
		c := newClient(t.base, max(o.conns, o.workers), o.clients, o.postEvery)
		clients[t.name] = c
		for i := range 2 {
			if code := c.do(ctx, i); code/100 != 2 {
				return nil, fmt.Errorf("%s proxy answered %d to a benign request %d: the comparison would be meaningless", t.name, code, i)
			}
		}
		rep.tpStatus[t.name] = new(statuses)
	}
	order := func(round int) []target {
		if round%2 == 1 {
			return []target{targets[1], targets[0]}
		}
		return targets
	}
	fmt.Fprintf(log, "servers: upstream %s, bare %s, warden %s (%s)\n", s.Upstream, s.Bare, s.Warden, rep.variant)

	for r := range o.rounds {
		for _, t := range order(r) {
			c := clients[t.name]
			c.closedLoop(ctx, o.conns, o.warmup, new(statuses))
			cpu0, cpuErr := cpuTime(s.pid)
			t0 := time.Now()
			rps := c.closedLoop(ctx, o.conns, o.duration, rep.tpStatus[t.name])
			cpu1, cpuErr1 := cpuTime(s.pid)
			rep.rps[t.name] = append(rep.rps[t.name], rps)
			perReq := time.Duration(-1)
			if cpuErr == nil && cpuErr1 == nil && rps > 0 {
				perReq = time.Duration(float64(cpu1-cpu0) / (rps * time.Since(t0).Seconds()))
				rep.cpu[t.name] = append(rep.cpu[t.name], perReq)
			}
			fmt.Fprintf(log, "throughput round %d %-6s %8.0f req/s, server CPU %s per request (%s)\n", r+1, t.name, rps, us(perReq), rep.tpStatus[t.name])
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	for _, rate := range o.rates {
		lr := latRun{rate: rate, lat: map[string]*latencies{}, status: map[string]*statuses{}}
		for _, t := range targets {
			lr.lat[t.name], lr.status[t.name] = &latencies{}, new(statuses)
		}
		for r := range o.rounds {
			for _, t := range order(r) {
				c := clients[t.name]
				openLoop(ctx, []*client{c}, rate, o.warmup, o.workers, []*statuses{new(statuses)})
				l := openLoop(ctx, []*client{c}, rate, o.duration, o.workers, []*statuses{lr.status[t.name]})[0]
				acc := lr.lat[t.name]
				acc.service = append(acc.service, l.service...)
				acc.sched = append(acc.sched, l.sched...)
				acc.sent += l.sent
				acc.elapsed += l.elapsed
				d := summarize(l.service)
				fmt.Fprintf(log, "latency round %d %-6s %.0f req/s offered, %.0f sent/s: p50 %s p99 %s (%s)\n",
					r+1, t.name, rate, float64(l.sent)/l.elapsed.Seconds(), us(d.p50), us(d.p99), lr.status[t.name])
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
		}
		rep.latRuns = append(rep.latRuns, lr)
	}
	for _, rate := range o.pairedRates {
		lr := latRun{rate: rate, paired: true, lat: map[string]*latencies{}, status: map[string]*statuses{}}
		cs := []*client{clients["bare"], clients["warden"]}
		st := []*statuses{new(statuses), new(statuses)}
		openLoop(ctx, cs, rate, o.warmup, o.workers, []*statuses{new(statuses), new(statuses)})
		ls := openLoop(ctx, cs, rate, time.Duration(o.rounds)*o.duration, o.workers, st)
		for i, t := range targets {
			lr.lat[t.name], lr.status[t.name] = &ls[i], st[i]
			d := summarize(ls[i].service)
			fmt.Fprintf(log, "paired latency %-6s %.0f req/s offered to each, interleaved: p50 %s p99 %s (%s)\n",
				t.name, rate, us(d.p50), us(d.p99), st[i])
		}
		rep.latRuns = append(rep.latRuns, lr)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if err := runWrk(ctx, o, rep, order, log); err != nil {
		return nil, err
	}
	rep.elapsed = time.Since(begin)
	return rep, nil
}

func runWrk(ctx context.Context, o options, rep *report, order func(int) []target, log io.Writer) error {
	if o.wrk == "" {
		rep.wrkNote = "skipped (-wrk \"\")"
		return nil
	}
	bin, err := exec.LookPath(o.wrk)
	if err != nil {
		rep.wrkNote = fmt.Sprintf("skipped: %s not found (apt-get install wrk)", o.wrk)
		fmt.Fprintln(log, "wrk:", rep.wrkNote)
		return nil
	}
	w, cleanup, err := newWrkRunner(bin, o.wrkThreads, o.conns, o.clients, o.postEvery)
	if err != nil {
		return err
	}
	defer cleanup()
	rep.wrkNote = "wrk " + strings.Join(w.args("URL", o.duration), " ")
	rep.wrkNote = strings.ReplaceAll(rep.wrkNote, w.script, "bench/load/mix.lua")
	rep.wrkNote = strings.ReplaceAll(rep.wrkNote, w.body, "body.json")
	for r := range o.rounds {
		for _, t := range order(r) {
			res, err := w.run(ctx, t.base, o.duration)
			if err != nil {
				return err
			}
			rep.wrk[t.name] = append(rep.wrk[t.name], res)
			fmt.Fprintf(log, "wrk round %d %-6s %8.0f req/s p50 %s p99 %s non-2xx %d %s\n",
				r+1, t.name, res.rps, us(res.p50), us(res.p99), res.non2xx, res.errors)
		}
	}
	return nil
}

// startChild runs this binary with -serve and reads the servers' addresses.
func startChild(configPath, cpuprofile string, peerPool bool) (*servers, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	args := []string{"-serve"}
	if configPath != "" {
		args = append(args, "-config", configPath)
	}
	if cpuprofile != "" {
		args = append(args, "-cpuprofile", cpuprofile)
	}
	if peerPool {
		args = append(args, "-peer-pool")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("child stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("child stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start servers: %w", err)
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		stop()
		return nil, fmt.Errorf("servers did not start: %w", err)
	}
	var a addrs
	if err := json.Unmarshal(line, &a); err != nil {
		stop()
		return nil, fmt.Errorf("servers' addresses %q: %w", truncate(string(line), 100), err)
	}
	return &servers{addrs: a, close: stop, pid: cmd.Process.Pid}, nil
}

// environment describes the machine for the report.
func environment() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d CPUs (GOMAXPROCS %d), %s %s/%s%s", cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

func meanDur(xs []time.Duration) time.Duration {
	var s time.Duration
	for _, x := range xs {
		s += x
	}
	return s / time.Duration(max(1, len(xs)))
}

// cpuTime returns the user+system CPU time process pid has used, from
// /proc/pid/stat (Linux, clock ticks of 10 ms: USER_HZ is 100 on every
// Linux architecture Go supports). pid 0 is an error: in-process runs
// cannot tell the servers' CPU from the generator's.
func cpuTime(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("no server process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/pid/stat
// line; the command name in parentheses may itself hold spaces.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("cpu time: malformed stat line")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, errors.New("cpu time: short stat line")
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu time: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(1, len(xs)))
}

// mixName describes the traffic of -post-every n.
func mixName(n int) string {
	switch n {
	case 0:
		return "GETs with a query only"
	case 1:
		return "8 KB JSON POSTs only"
	case 2:
		return "GETs with a query and 8 KB JSON POSTs, alternating"
	}
	return fmt.Sprintf("GETs with a query, every %d-th request an 8 KB JSON POST", n)
}

func (rep *report) markdown(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s. Loopback, load generator and servers on the same machine.\n", rep.env)
	peer := "a bare httputil.ReverseProxy"
	if o.peerPool {
		peer += " with Warden's copy-buffer pool (-peer-pool)"
	}
	fmt.Fprintf(&b, "Warden variant: %s. Peer: %s. Traffic: %s. Whole run: %s.\n\n", rep.variant, peer, mixName(o.postEvery), rep.elapsed.Round(time.Second))

	bare, wd := mean(rep.rps["bare"]), mean(rep.rps["warden"])
	fmt.Fprintf(&b, "Throughput, closed loop, %d connections, %d × %s per proxy (Go generator):\n\n", o.conns, o.rounds, o.duration)
	b.WriteString("| proxy | req/s (mean) | per round | failed |\n|---|---:|---|---:|\n")
	for _, n := range []string{"bare", "warden"} {
		var per []string
		for _, v := range rep.rps[n] {
			per = append(per, fmt.Sprintf("%.0f", v))
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %d |\n", n, mean(rep.rps[n]), strings.Join(per, ", "), rep.tpStatus[n].failed())
	}
	fmt.Fprintf(&b, "\nRatio Warden / bare: **%.2f×** (target ≥ 0.90×).\n\n", wd/max(bare, 1))
	if len(rep.cpu["bare"]) > 0 && len(rep.cpu["warden"]) > 0 {
		cb, cw := meanDur(rep.cpu["bare"]), meanDur(rep.cpu["warden"])
		fmt.Fprintf(&b, "CPU of the server process (upstream + the proxy under test) per request, from /proc, during the same runs: bare %s, Warden %s; **Warden adds %s of CPU per request** (%s). Less sensitive to the neighbours' load than req/s.\n\n",
			us(cb), us(cw), us(cw-cb), mixName(o.postEvery))
	}

	for _, lr := range rep.latRuns {
		if lr.paired {
			fmt.Fprintf(&b, "Latency, paired: one open-loop schedule interleaving both proxies, %.0f req/s offered to each (%.0f in all), %s, service time:\n\n",
				lr.rate, 2*lr.rate, time.Duration(o.rounds)*o.duration)
		} else {
			fmt.Fprintf(&b, "Latency, open loop at %.0f req/s offered, %d × %s per proxy, service time (send → end of answer):\n\n", lr.rate, o.rounds, o.duration)
		}
		b.WriteString("| proxy | sent/s | p50 | p90 | p99 | p99.9 | max | p99 from schedule | failed |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		ds := map[string]dist{}
		for _, n := range []string{"bare", "warden"} {
			l := lr.lat[n]
			d := summarize(l.service)
			ds[n] = d
			sd := summarize(l.sched)
			fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %d |\n", n, float64(l.sent)/max(l.elapsed.Seconds(), 1e-9),
				us(d.p50), us(d.p90), us(d.p99), us(d.p999), us(d.max), us(sd.p99), lr.status[n].failed())
		}
		kind := ""
		if lr.paired {
			kind = " (paired)"
		}
		fmt.Fprintf(&b, "\nAdded by Warden at %.0f req/s%s: p50 **%s**, p99 **%s** (target p99 ≤ 1 ms).\n\n",
			lr.rate, kind, us(ds["warden"].p50-ds["bare"].p50), us(ds["warden"].p99-ds["bare"].p99))
	}

	fmt.Fprintf(&b, "wrk cross-check: %s\n", rep.wrkNote)
	if len(rep.wrk["bare"]) > 0 {
		b.WriteString("\n| proxy | req/s (mean) | per round | p50 | p99 | non-2xx |\n|---|---:|---|---:|---:|---:|\n")
		means := map[string]float64{}
		for _, n := range []string{"bare", "warden"} {
			var per []string
			var rps []float64
			var non2xx int64
			for _, r := range rep.wrk[n] {
				per = append(per, fmt.Sprintf("%.0f", r.rps))
				rps = append(rps, r.rps)
				non2xx += r.non2xx
			}
			last := rep.wrk[n][len(rep.wrk[n])-1]
			means[n] = mean(rps)
			fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %d |\n", n, means[n], strings.Join(per, ", "), us(last.p50), us(last.p99), non2xx)
		}
		fmt.Fprintf(&b, "\nwrk ratio Warden / bare: **%.2f×** (p50/p99 from the last round; wrk's latencies are closed-loop).\n", means["warden"]/max(means["bare"], 1))
	}
	return b.String()
}
