package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {50, 50}, {99, 99}, {99.9, 100}, {100, 100}}
	for _, tt := range tests {
		if got := percentile(ds, tt.p); got != tt.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil) = %v, want 0", got)
	}
}

const wrkOutput = `Running 5s test @ http://127.0.0.1:40000
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    4.01ms  60.12ms   90.00%
    Req/Sec     5.50k   600.00     6.80k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.10ms
     90%    6.30ms
     99%   19.87ms
  54321 requests in 5.00s, 9.80MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:  10864.20
Transfer/sec:      1.96MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{rps: 10864.20, p50: 812 * time.Microsecond, p99: 19870 * time.Microsecond, non2xx: 17,
		errors: "connect 0, read 0, write 0, timeout 2"}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused"); err == nil {
		t.Error("parseWrk of a failed run: want an error")
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"812.00us", 812 * time.Microsecond, true},
		{"2.10ms", 2100 * time.Microsecond, true},
		{"1.50s", 1500 * time.Millisecond, true},
		{"1.00m", time.Minute, true},
		{"12", 0, false},
		{"xms", 0, false},
	}
	for _, tt := range tests {
		got, err := parseWrkDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseWrk(f *testing.F) {
	f.Add(wrkOutput)
	f.Add("Requests/sec: x\n50% 1e400us\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseWrk(s)
		if err == nil && r.rps == 0 {
			t.Fatalf("parseWrk(%q) accepted output without a rate", s)
		}
	})
}

// TestClientSpreadsAddresses: the generator uses its pool of client
// addresses in turn, from every sender, so that each address sends an
// even share of the load and none becomes a flood.
func TestClientSpreadsAddresses(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("X-Forwarded-For")]++
		mu.Unlock()
		if r.Header.Get("User-Agent") != userAg {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	const nclients, senders = 300, 4
	c := newClient(srv.URL, senders, nclients, 2)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for i := w; i < 2*nclients; i += senders {
				if code := c.do(t.Context(), i); code != 200 {
					t.Errorf("request %d: %d", i, code)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != nclients {
		t.Fatalf("%d addresses used, want %d", len(seen), nclients)
	}
	for a, n := range seen {
		if n != 2 || !strings.HasPrefix(a, "10.1.") {
			t.Fatalf("address %q sent %d requests, want 2", a, n)
		}
	}
}

// TestRunSmoke measures both proxies in-process for a fraction of a second
// each and checks that the report has numbers for both.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and sends load for about 2 s")
	}
	o := options{duration: 200 * time.Millisecond, warmup: 50 * time.Millisecond, rounds: 2, conns: 4,
		rates: []float64{400}, pairedRates: []float64{200}, workers: 16, clients: 4096, inprocess: true}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := run(t.Context(), o, io.Discard)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, n := range []string{"bare", "warden"} {
		if len(rep.rps[n]) != 2 || rep.rps[n][0] <= 0 {
			t.Errorf("%s throughput per round = %v, want 2 positive values", n, rep.rps[n])
		}
		if len(rep.latRuns) != 2 || !rep.latRuns[1].paired {
			t.Fatalf("%d latency runs, want 2, the second paired", len(rep.latRuns))
		}
		if l := rep.latRuns[1].lat[n]; l.sent < 60 || len(l.service) != l.sent {
			t.Errorf("%s paired: %d latencies of %d sent, want about 80", n, len(l.service), l.sent)
		}
		if f := rep.tpStatus[n].failed() + rep.latRuns[0].status[n].failed(); f != 0 {
			t.Errorf("%s: %d failed requests", n, f)
		}
		if l := rep.latRuns[0].lat[n]; l.sent < 100 || len(l.service) != l.sent {
			t.Errorf("%s: %d latencies of %d sent, want about 160", n, len(l.service), l.sent)
		}
	}
	md := rep.markdown(o)
	for _, want := range []string{"Ratio Warden / bare", "Added by Warden at 400 req/s", "Added by Warden at 200 req/s (paired)", "| bare |", "| warden |", "wrk cross-check: skipped"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	good := options{duration: time.Second, rounds: 1, conns: 1, rates: []float64{1}, workers: 1, clients: 1}
	if err := good.validate(); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	tests := []struct {
		name string
		edit func(*options)
		want string
	}{
		{"duration", func(o *options) { o.duration = time.Millisecond }, "-duration"},
		{"rounds", func(o *options) { o.rounds = 0 }, "-rounds"},
		{"conns", func(o *options) { o.conns = 0 }, "-conns"},
		{"no rate", func(o *options) { o.rates = nil }, "-rate"},
		{"rate", func(o *options) { o.rates = []float64{5000, 0} }, "-rate"},
		{"workers", func(o *options) { o.workers = 0 }, "-workers"},
		{"clients", func(o *options) { o.clients = 0 }, "-clients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.edit(&o)
			if err := o.validate(); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("validate() = %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

func TestParseRates(t *testing.T) {
	got, err := parseRates("2000, 5000")
	if err != nil || len(got) != 2 || got[0] != 2000 || got[1] != 5000 {
		t.Errorf("parseRates(\"2000, 5000\") = %v, %v", got, err)
	}
	if _, err := parseRates("5k"); err == nil {
		t.Error("parseRates(\"5k\"): want an error")
	}
}

func TestParseStatCPU(t *testing.T) {
	const stat = "4242 (load -serve) S 1 4242 4242 0 -1 4194560 1200 0 0 0 150 25 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615"
	got, err := parseStatCPU(stat)
	if want := 1750 * time.Millisecond; err != nil || got != want {
		t.Errorf("parseStatCPU = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "4242 (x", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 a b"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q): want an error", bad)
		}
	}
}

func TestCPUTimeOfChild(t *testing.T) {
	if _, err := cpuTime(0); err == nil {
		t.Error("cpuTime(0): want an error")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Errorf("cpuTime(own pid): %v", err)
	}
}
