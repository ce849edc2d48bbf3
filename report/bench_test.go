package report_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-dev/warden/aiguard/budget"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/cputime"
	"github.com/warden-dev/warden/report"
	"github.com/warden-dev/warden/usage"
)

// millionDay returns n events spread over the reported day: 70% plain
// allows (the request log on), the rest findings of payload, rate-limit,
// bot and ban from 2,000 offending addresses among 50,000 clients.
func millionDay(n int) func(yield func(eventlog.Event) bool) {
	return func(yield func(eventlog.Event) bool) {
		step := 24 * time.Hour / time.Duration(n)
		classes := []string{"sqli", "xss", "path_traversal", "command_injection", "ssrf"}
		for i := range n {
			at := day.Add(time.Duration(i) * step)
			ip := "10." + strconv.Itoa(i%50000/250) + "." + strconv.Itoa(i%250) + ".1"
			e := ev(at, ip, "user"+strconv.Itoa(i%20000), "GET /api/items/{id}", "allow")
			switch k := i % 10; {
			case k < 7:
			case k == 7:
				off := "172.16." + strconv.Itoa(i%2000/250) + "." + strconv.Itoa(i%250)
				e = ev(at, off, "", "POST /api/login", "block", det("payload", classes[i%len(classes)], 0.95))
			case k == 8:
				off := "172.16." + strconv.Itoa(i%2000/250) + "." + strconv.Itoa(i%250)
				e = ev(at, off, "user"+strconv.Itoa(i%300), "POST /api/ask/{rest...}", "throttle", det("ratelimit", "message_limit", 1))
			default:
				if i%3 == 0 {
					e = ev(at, "172.16.9."+strconv.Itoa(i%100), "", "GET /api/items/{id}", "ban", det("ban", "", 1))
				} else {
					e = ev(at, ip, "", "GET /api/items/{id}", "log", det("bot", "non_browser", 0.6))
				}
			}
			if !yield(e) {
				return
			}
		}
	}
}

// peakSampler records the highest heap in use while it runs.
type peakSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak atomic.Uint64
}

func samplePeak() *peakSampler {
	s := &peakSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > s.peak.Load() {
				s.peak.Store(m.HeapInuse)
			}
			select {
			case <-s.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *peakSampler) done() uint64 {
	close(s.stop)
	s.wg.Wait()
	return s.peak.Load()
}

// procStatus returns a /proc/self/status field in bytes (VmHWM, the
// peak resident set; VmRSS, the current one), 0 where there is none.
// SQLite's page cache and sort buffers live outside the Go heap, so the
// resident set is reported besides the heap.
func procStatus(field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM to the current resident set (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// usageDay is a day of the token rollup with more route × model rows
// than a report reads one by one (24 hours × 4 routes × 150 models), each
// of 10 requests, 1,000 prompt and 500 completion tokens.
func usageDay() []usage.Row {
	var rows []usage.Row
	for h := range 24 {
		for r := range 4 {
			for m := range 150 {
				rows = append(rows, usage.Row{Hour: day.Add(time.Duration(h) * time.Hour), Route: "POST /v1/route" + strconv.Itoa(r),
					Model: "model-" + strconv.Itoa(m), Requests: 10, Prompt: 1000, Completion: 500})
			}
		}
	}
	return rows
}

func fill(n int) []eventlog.Event {
	var out []eventlog.Event
	for e := range millionDay(n) {
		out = append(out, e)
	}
	return out
}

// BenchmarkBuildDay builds the report of a day of one million events
// (set REPORT_BENCH_EVENTS for another size) from SQLite and from
// PostgreSQL, and reports the Go heap's peak during the build and how far
// the process's resident set grew above where it started (PostgreSQL's
// own memory is its server's, not counted here).
func BenchmarkBuildDay(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("REPORT_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	for _, store := range []struct {
		name string
		open func(testing.TB, []eventlog.Event, ...usage.Row) *report.Source
		// serverCPU reads the CPU time of the database server's
		// processes, when it runs apart from Warden.
		serverCPU func() time.Duration
	}{{"sqlite", sqliteSource, nil}, {"postgres", postgresSource, func() time.Duration { return clusterCPU(b) }}} {
		b.Run(fmt.Sprintf("%s/events=%d", store.name, n), func(b *testing.B) {
			events := fill(n)
			rows := usageDay()
			src := store.open(b, events, rows...)
			events, rows = nil, nil
			debug.FreeOSMemory() // the generated events are garbage: give their memory back before measuring
			bl, err := report.New(report.Options{Source: src, Config: report.DefaultConfig(), RequestLog: true,
				Prices: map[string]budget.Price{"*": {Input: 1, Output: 2}}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			resetPeakRSS()
			base := procStatus("VmRSS")
			s := samplePeak()
			cpu := cputime.Process()
			var server time.Duration
			if store.serverCPU != nil {
				server = store.serverCPU()
			}
			b.ResetTimer()
			var r *report.Report
			for range b.N {
				if r, err = bl.Build(context.Background(), day); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cputime.Report(b, cpu)
			if store.serverCPU != nil {
				b.ReportMetric(float64(store.serverCPU()-server)/float64(b.N), "server-cpu-ns/op")
			}
			b.ReportMetric(float64(s.done())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(procStatus("VmHWM")-min(base, procStatus("VmHWM")))/(1<<20), "RSS-growth-MiB")
			if r.Today.Requests != int64(n) {
				b.Fatalf("requests = %d, want %d", r.Today.Requests, n)
			}
			// 14,400 rows × 1,500 tokens; cost 14,400 × (1,000 × 1 + 500 × 2) / 1e6.
			if r.Today.Tokens != 21_600_000 || r.Today.CostUSD != 28.8 || r.Usage.Requests != 144_000 {
				b.Fatalf("tokens %d cost %v requests %d, want 21600000, 28.8, 144000", r.Today.Tokens, r.Today.CostUSD, r.Usage.Requests)
			}
		})
	}
}

// clusterCPU is the CPU time the test PostgreSQL cluster's processes have
// used: the postmaster's own and its exited children's (parallel workers,
// closed backends), plus its live children's. Linux only; 0 elsewhere.
func clusterCPU(b *testing.B) time.Duration {
	// A backend's parent is the postmaster.
	conn, err := pgx.Connect(context.Background(), pg.Server(b).DSN())
	if err != nil {
		b.Fatal(err)
	}
	var backend int
	err = conn.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&backend)
	conn.Close(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ticks := func(p int, children bool) (int64, int) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		if err != nil {
			return 0, 0
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from state (3rd) on
		ppid, _ := strconv.Atoi(f[1])
		var t int64
		for i, idx := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
			if i >= 2 && !children {
				break
			}
			v, _ := strconv.ParseInt(f[idx], 10, 64)
			t += v
		}
		return t, ppid
	}
	_, pid := ticks(backend, false)
	total, _ := ticks(pid, true)
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		if t, ppid := ticks(p, false); ppid == pid {
			total += t
		}
	}
	return time.Duration(total) * time.Second / 100 // USER_HZ is 100 on Linux
}
