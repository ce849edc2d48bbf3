package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-dev/warden/internal/catalogue"
)

// The benign request mix: every other request is a GET with a query, the
// others a POST with a JSON body of bodySize bytes, all with a browser's
// user agent. Each comes from the next address of a pool of client
// addresses, sent as X-Forwarded-For (Warden trusts 127.0.0.1 in the
// harness; the bare proxy passes it on). The whole load comes from
// 127.0.0.1: with Warden's default detectors on, a small pool would make
// each simulated client a flood (behaviour's flood and elevated-rate
// scenarios) and get it blocked and banned, so the pool is large and used
// evenly, and each address sends what one ordinary client would.
const (
	getPath  = "/api/v1/items?page=3&per_page=20&sort=name&q=blue+running+shoes"
	postPath = "/api/v1/documents"
	bodySize = 8 << 10
	userAg   = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
)

// client sends the mix to one base URL.
type client struct {
	http    *http.Client
	base    string
	body    []byte
	clients []string      // X-Forwarded-For values
	every   int           // every every-th request is the POST; 0: GETs only
	next    atomic.Uint64 // the next address to use, shared by all senders
}

func newClient(base string, conns, nclients, postEvery int) *client {
	ips := make([]string, nclients)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.%d.%d.%d", 1+i>>16&0xff, i>>8&0xff, i&0xff)
	}
	return &client{
		http: &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}, Timeout: 10 * time.Second},
		base:    base,
		body:    catalogue.JSON(bodySize),
		clients: ips,
		every:   postEvery,
	}
}

// do sends request number i of the mix and returns its status (0 on a
// transport error).
func (c *client) do(ctx context.Context, i int) int {
	var req *http.Request
	var err error
	if c.every == 0 || i%c.every != c.every-1 {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.base+getPath, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.base+postPath, bytes.NewReader(c.body))
		if req != nil {
			req.Header["Content-Type"] = []string{"application/json"}
		}
	}
	if err != nil {
		return 0
	}
	h := req.Header
	h["User-Agent"] = []string{userAg}
	h["Accept"] = []string{"application/json"}
	h["Accept-Language"] = []string{"en-GB,en;q=0.8"}
	h["X-Forwarded-For"] = []string{c.clients[c.next.Add(1)%uint64(len(c.clients))]}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// statuses counts answers by class; index 0 holds transport errors.
type statuses [6]atomic.Int64

func (s *statuses) add(code int) {
	if code < 100 || code > 599 {
		code = 0
	}
	s[code/100].Add(1)
}

func (s *statuses) failed() int64 {
	return s[0].Load() + s[3].Load() + s[4].Load() + s[5].Load()
}

func (s *statuses) String() string {
	var parts []string
	for i, name := range []string{"errors", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		if n := s[i].Load(); n > 0 && i != 2 {
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	if len(parts) == 0 {
		return "all 2xx"
	}
	return strings.Join(parts, ", ")
}

// closedLoop runs conns workers that each send the next request as soon as
// the previous one is answered, for d. It returns requests per second.
func (c *client) closedLoop(ctx context.Context, conns int, d time.Duration, st *statuses) float64 {
	ctx, cancel := context.WithCancel(ctx)
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := time.AfterFunc(d, cancel)
	defer stop.Stop()
	for w := range conns {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += conns {
				code := c.do(ctx, i)
				if ctx.Err() != nil {
					return // cut off by the end of the run, not counted
				}
				st.add(code)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// latencies of one open-loop run, in the order the requests were sent.
type latencies struct {
	service []time.Duration // from send to end of answer
	sched   []time.Duration // from scheduled send time to end of answer (includes generator lag)
	sent    int
	elapsed time.Duration // from the first scheduled send to the last dispatch
}

// openLoop sends rate requests per second to each of cs for d on a fixed
// schedule, whatever the answers' speed (no coordinated omission): a
// dispatcher releases every request whose time has come to a pool of
// workers. With several clients the schedule interleaves them (slot i goes
// to cs[i%len(cs)]), so all see the same moments of the machine's load.
// Timer granularity makes the dispatcher release small bursts; the service
// latency is measured from each request's actual send.
func openLoop(ctx context.Context, cs []*client, rate float64, d time.Duration, workers int, st []*statuses) []latencies {
	k := len(cs)
	n := int(rate * float64(k) * d.Seconds())
	interval := time.Duration(float64(time.Second) / (rate * float64(k)))
	service := make([]time.Duration, n)
	sched := make([]time.Duration, n)
	jobs := make(chan int, n)
	start := time.Now().Add(5 * time.Millisecond)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				at := start.Add(time.Duration(i) * interval)
				t0 := time.Now()
				code := cs[i%k].do(ctx, i/k)
				end := time.Now()
				st[i%k].add(code)
				service[i], sched[i] = end.Sub(t0), end.Sub(at)
			}
		})
	}
	next := 0
	for next < n && ctx.Err() == nil {
		now := time.Now()
		for next < n && !start.Add(time.Duration(next)*interval).After(now) {
			jobs <- next
			next++
		}
		if next < n {
			time.Sleep(time.Until(start.Add(time.Duration(next) * interval)))
		}
	}
	elapsed := time.Since(start)
	close(jobs)
	wg.Wait()
	out := make([]latencies, k)
	for i := range next {
		l := &out[i%k]
		l.service = append(l.service, service[i])
		l.sched = append(l.sched, sched[i])
		l.sent++
	}
	for i := range out {
		out[i].elapsed = elapsed
	}
	return out
}

// percentile returns the p-th percentile (0..100) of sorted ds, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p/100*float64(len(sorted)) + 0.5)
	k = min(max(k, 1), len(sorted))
	return sorted[k-1]
}

// dist summarises a set of latencies.
type dist struct{ p50, p90, p99, p999, max time.Duration }

func summarize(ds []time.Duration) dist {
	s := slices.Clone(ds)
	slices.Sort(s)
	return dist{percentile(s, 50), percentile(s, 90), percentile(s, 99), percentile(s, 99.9), percentile(s, 100)}
}

// us formats a duration in microseconds with one decimal.
func us(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + " µs"
}
