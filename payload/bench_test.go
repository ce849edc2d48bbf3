package payload

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/catalogue"
	"github.com/warden-dev/warden/internal/cputime"
)

func jsonBody8K() string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 8<<10; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"Product %d","description":"A sturdy, blue item for everyday use; ships in 2-3 days.","price":%d.99,"tags":["home","garden"],"url":"https://shop.example.com/p/%d?ref=list"}`, i, i, i%100, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// jsonProse8K returns the load harness's 8 KB catalogue document
// (bench/load): items with prose descriptions, SKUs and booleans, then a
// long note.
func jsonProse8K() string { return string(catalogue.JSON(8 << 10)) }

// guardGET is the request of the root package's BenchmarkGuardDecision as
// the Guard hands it to Detect.
func guardGET() *abuse.Request {
	r := withHeader(get("/api/products/42?fields=name"), "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
	r.Header.Set("Accept", "text/html")
	return r
}

// loadGET is the load harness's GET (bench/load): a five-parameter query
// and an X-Forwarded-For header, which the clean-value memo never keeps.
func loadGET() *abuse.Request {
	r := withHeader(get("/api/v1/items?page=3&per_page=20&sort=name&q=blue+running+shoes"), "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	r.Header.Set("X-Forwarded-For", "10.1.2.3")
	return r
}

func BenchmarkDetect(b *testing.B) {
	d := newTestDetector(b)
	cases := []struct {
		name string
		req  *abuse.Request
	}{
		{"clean GET", withHeader(get("/api/v1/products/42?page=2&sort=price&q=blue+shoes"), "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")},
		{"8KB JSON", post("application/json", jsonBody8K())},
		{"8KB JSON prose", post("application/json", jsonProse8K())},
		{"attack", get("/items?id=-1+UNION+ALL+SELECT+username,password+FROM+users--&q=<script>alert(1)</script>")},
		{"guard GET", guardGET()},
		{"load GET", loadGET()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			start := cputime.Process()
			for b.Loop() {
				// Each time as a new request: the Request keeps its
				// arguments' split for the next detector.
				c.req.Args().Reset()
				d.Detect(ctx, c.req)
			}
			cputime.Report(b, start)
		})
	}
}

// latencies returns the sorted wall and thread CPU times of n Detect
// calls on r, after a warm-up. The goroutine keeps its thread, so the CPU
// time is this call's alone (zero where the platform does not tell it): a
// preemption by another process stretches the wall time, not the CPU
// time.
func latencies(d *Detector, r *abuse.Request, n int) (wall, cpu []time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		d.Detect(ctx, r)
	}
	wall, cpu = make([]time.Duration, n), make([]time.Duration, n)
	for i := range wall {
		c := cputime.Thread()
		st := time.Now()
		d.Detect(ctx, r)
		wall[i] = time.Since(st)
		cpu[i] = cputime.Thread() - c
	}
	slices.Sort(wall)
	slices.Sort(cpu)
	return wall, cpu
}

// BenchmarkJSON8KLatency reports the median and p99 latency of Detect on
// 8 KB JSON bodies (issue 4's budget: p99 <= 100µs), over 5,000 single
// calls after the timed loop: wall time (p50-ns, p99-ns) and the
// calling thread's CPU time (p50-cpu-ns, p99-cpu-ns), which other
// processes on a shared machine do not stretch. "urls" is the catalogue
// of BenchmarkDetect's 8KB_JSON (a URL and a name per item), "prose" the
// load harness's document.
func BenchmarkJSON8KLatency(b *testing.B) {
	d := newTestDetector(b)
	for _, c := range []struct{ name, body string }{{"urls", jsonBody8K()}, {"prose", jsonProse8K()}} {
		b.Run(c.name, func(b *testing.B) {
			r := post("application/json", c.body)
			b.ReportAllocs()
			start := cputime.Process()
			for b.Loop() {
				d.Detect(context.Background(), r)
			}
			b.StopTimer()
			cputime.Report(b, start)
			wall, cpu := latencies(d, r, 5000)
			b.ReportMetric(float64(wall[len(wall)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(wall[len(wall)*99/100].Nanoseconds()), "p99-ns")
			if cpu[len(cpu)-1] > 0 {
				b.ReportMetric(float64(cpu[len(cpu)/2].Nanoseconds()), "p50-cpu-ns")
				b.ReportMetric(float64(cpu[len(cpu)*99/100].Nanoseconds()), "p99-cpu-ns")
			}
		})
	}
}

// BenchmarkAutomaton is the keyword automaton alone over English prose,
// the bulk of what a benign JSON body holds.
func BenchmarkAutomaton(b *testing.B) {
	text := []byte(strings.Repeat("Lightweight running shoes for daily training, with a breathable mesh upper. Item number 12, SKU-01011. ", 40))
	b.SetBytes(int64(len(text)))
	n := 0
	for b.Loop() {
		matcher.Scan(text, func(int, int) bool { n++; return true })
	}
}
