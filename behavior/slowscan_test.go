package behavior

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// words are names a content-discovery word list tries: none of them a
// sensitive path or a static file, so that only the slow-scan and
// discovery checks can see them.
func words(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("/%s%s", []string{"about", "archive", "blog", "careers", "docs", "events", "forum", "help", "legacy", "media"}[i%10],
			strings.Repeat("x", i/10))
	}
	return out
}

// guarded replays evs as the Guard runs them: a request the detector
// blocks is answered by Warden (403, never reaching the upstream); the
// others get the event's status. It returns, per scenario, the time of
// its first GREY and first BLACK finding.
func guarded(d *Detector, evs []ev) (grey, black map[string]time.Duration) {
	grey, black = map[string]time.Duration{}, map[string]time.Duration{}
	for _, e := range evs {
		r := e.request()
		v := d.Detect(context.Background(), r)
		for _, f := range d.Findings(r, nil) {
			m := grey
			if f.Confidence >= d.cfg.BlackConfidence {
				m = black
			}
			if _, ok := m[f.Scenario]; !ok {
				m[f.Scenario] = e.at
			}
		}
		o := abuse.Outcome{Status: e.status, Action: v.Action}
		if o.Status == 0 {
			o.Status = 200
		}
		if v.Action == abuse.Block {
			o.Status = 403
		}
		d.Observe(r, o)
	}
	return grey, black
}

// letters spells i in letters: names with digits may be taken for IDs.
func letters(i int) string {
	b := []byte{byte('a' + i%26)}
	for i /= 26; i > 0; i /= 26 {
		b = append(b, byte('a'+i%26))
	}
	return string(b)
}

func scan(n int, every time.Duration, ip string) []ev {
	w := words(n)
	return series(n, every, func(i int) ev { return ev{ip: ip, path: w[i], status: 404} })
}

// hourOfBrowsing is a person reading a site for an hour: pages, their
// assets and API calls, and missing distinct non-static paths (old
// bookmarks, mistyped addresses, links to removed pages) spread over it.
func hourOfBrowsing(seed uint64, ip string, missing int) []ev {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []ev
	at := time.Duration(0)
	for at < time.Hour {
		at += time.Duration(10+rng.IntN(50)) * time.Second
		out = append(out, ev{at: at, ip: ip, path: fmt.Sprintf("/articles/%d", rng.IntN(500))})
		for _, a := range []string{"/static/app.js", "/static/app.css", "/img/logo.png", "/favicon.ico"} {
			out = append(out, ev{at: at, ip: ip, path: a})
		}
		out = append(out, ev{at: at + time.Second, ip: ip, path: "/api/comments", query: fmt.Sprintf("article=%d", rng.IntN(500))})
	}
	// the missing paths, at random times within the hour, in order
	times := make([]time.Duration, missing)
	for i := range times {
		times[i] = time.Duration(rng.Int64N(int64(time.Hour)))
	}
	var merged []ev
	w := words(missing + 10)[10:] // other names than the scanner's
	j := 0
	for _, e := range out {
		for j < missing && times[j] <= e.at {
			merged = append(merged, ev{at: times[j], ip: ip, path: w[j] + "-old", status: 404})
			j++
		}
		merged = append(merged, e)
	}
	return merged
}

// scanKeys are fixed sketch keys, so that the tests are deterministic and
// still hold for more than one choice of bits.
var scanKeys = []uint64{1, 0x9e3779b97f4a7c15, 42, 0xdeadbeef, 7 << 40, 0x0123456789abcdef, 99, 1 << 63}

func newScanDet(t testing.TB, key uint64, mod func(*Config)) *Detector {
	d := newDet(t, mod)
	d.scanKey = key
	return d
}

// TestSlowScan replays scanners and people with the Guard's rules (a
// blocked request never reaches the upstream) and request times as the
// only clock.
func TestSlowScan(t *testing.T) {
	isolated := func(c *Config) { c.Weights = map[string]float64{ContentDiscovery: 0, ErrorStorm: 0} }
	for _, key := range scanKeys {
		t.Run(fmt.Sprintf("key %x", key), func(t *testing.T) {
			// One path every 1.5 s: 60 missing paths in 90 s log, then block.
			grey, black := guarded(newScanDet(t, key, isolated), scan(60, 1500*time.Millisecond, ""))
			g, gok := grey[SlowScan]
			b, bok := black[SlowScan]
			if !gok || !bok || g >= b || b >= 90*time.Second {
				t.Errorf("60 paths in 90 s: slow_scan grey at %v (%v), black at %v (%v); want grey, then black within 90 s", g, gok, b, bok)
			}

			// One path every 10 s, under every per-minute limit: only the
			// long window sees it, and blocks it.
			grey, black = guarded(newScanDet(t, key, nil), scan(100, 10*time.Second, ""))
			if _, ok := black[SlowScan]; !ok || len(black) != 1 || grey[ContentDiscovery] != 0 {
				t.Errorf("one path every 10 s: grey %v, black %v; want black slow_scan alone", grey, black)
			}

			// Missing answers that say nothing about a scan.
			for name, evs := range map[string][]ev{
				// pages asking for records that are gone, avatars never uploaded
				"missing records": series(120, 15*time.Second, func(i int) ev {
					if i%2 == 0 {
						return ev{path: fmt.Sprintf("/api/users/%d/avatar", 1000+i*7), status: 404}
					}
					return ev{path: fmt.Sprintf("/files/%08x-1c2d-4e5f-8a9b-%012x/preview", i*2654435761, i), status: 410}
				}),
				// an app whose build lost its assets
				"missing static files": series(120, 15*time.Second, func(i int) ev {
					return ev{path: fmt.Sprintf("/assets/chunk-%x.js", i*2654435761), status: 404}
				}),
				// a scan Warden itself blocked: nothing reached the upstream
				"answered by Warden": series(120, 15*time.Second, func(i int) ev { return ev{path: words(120)[i], status: 404} }),
			} {
				if name == "answered by Warden" {
					d := newScanDet(t, key, nil)
					for _, e := range evs {
						r := e.request()
						d.Observe(r, abuse.Outcome{Status: 404, Action: abuse.Block})
					}
					if fs := d.Findings(ev{at: time.Hour, path: "/x"}.request(), nil); len(fs) > 0 {
						t.Errorf("%s: %v", name, fs)
					}
					continue
				}
				grey, black := guarded(newScanDet(t, key, nil), evs)
				if _, ok := grey[SlowScan]; ok {
					t.Errorf("%s: slow_scan grey at %v", name, grey[SlowScan])
				}
				if _, ok := black[SlowScan]; ok {
					t.Errorf("%s: slow_scan black at %v", name, black[SlowScan])
				}
			}

			// 405 and 410 count as 404 does.
			w := words(60)
			evs := series(60, 20*time.Second, func(i int) ev { return ev{path: w[i], status: []int{404, 405, 410}[i%3]} })
			if _, black := guarded(newScanDet(t, key, nil), evs); black[SlowScan] == 0 {
				t.Errorf("404, 405 and 410: black %v, want slow_scan", black)
			}
		})
	}
}

// TestSlowScanSparesPeople: an hour of browsing with 20 missing paths
// raises nothing, nor does an address a hundred such people share, whose
// missing paths add up to twice the block threshold but are a small part
// of what the address asks for.
func TestSlowScanSparesPeople(t *testing.T) {
	for seed := range uint64(20) {
		d := newScanDet(t, scanKeys[seed%uint64(len(scanKeys))], nil)
		if grey, black := guarded(d, hourOfBrowsing(seed, "", 20)); len(grey)+len(black) > 0 {
			t.Fatalf("seed %d: a person with 20 missing paths in an hour: grey %v black %v", seed, grey, black)
		}
	}
	var evs []ev
	for p := range 100 {
		for _, e := range hourOfBrowsing(uint64(p), "", 1) {
			if e.status == 404 {
				e.path += "-" + letters(p) // each person's own typo
			}
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return cmp.Compare(a.at, b.at) })
	// only slow_scan: the address's volume trips the rate checks, whose
	// blocks would keep its missing paths from the upstream
	only := func(c *Config) {
		c.Weights = map[string]float64{}
		for _, n := range scenarioNames {
			c.Weights[n] = 0
		}
		c.Weights[SlowScan] = defaultWeights[SlowScan]
	}
	for _, key := range scanKeys {
		d := newScanDet(t, key, only)
		grey, black := guarded(d, evs)
		if _, ok := grey[SlowScan]; ok {
			t.Fatalf("shared address: slow_scan grey at %v", grey[SlowScan])
		}
		if _, ok := black[SlowScan]; ok {
			t.Fatalf("shared address: slow_scan black at %v", black[SlowScan])
		}
		k := keyOf(abuse.Client{IP: ev{}.request().Client.IP})
		c := d.shard[k.shard()].m.peek(k)
		if n, _ := c.scan.estimate(t0.Add(time.Hour).UnixNano(), time.Hour); n < 80 {
			t.Fatalf("shared address: %.0f distinct missing paths; the test needs them above block_paths", n)
		}
	}
}

// TestScanSketch holds the sketch to its error: over many keys, the
// estimate of n distinct shapes is within a few shapes of n on average;
// a shape repeated counts once, in either bucket; the previous bucket
// fades as window.count's does.
func TestScanSketch(t *testing.T) {
	const win = time.Hour
	start := t0.UnixNano()
	for _, n := range []int{10, 40, 50, 100, 300} {
		var sumErr, sumAbs float64
		const trials = 200
		for k := range trials {
			d := &Detector{scanKey: uint64(k)*0x9e3779b97f4a7c15 + 1}
			var s scanSketch
			for i := range n {
				bit := d.scanBit(scanShape("/word-" + letters(i)))
				s.add(start, win, true, bit)
				s.add(start+1, win, true, bit) // again: no new shape
			}
			est, ans := s.estimate(start+1, win)
			if ans != float64(2*n) {
				t.Fatalf("answers %v, want %d", ans, 2*n)
			}
			sumErr += est - float64(n)
			sumAbs += math.Abs(est - float64(n))
		}
		bias, mae := sumErr/trials, sumAbs/trials
		t.Logf("n=%d: bias %+.2f, mean error %.2f", n, bias, mae)
		if math.Abs(bias) > 0.02*float64(n)+0.5 || mae > 0.06*float64(n)+0.5 {
			t.Errorf("n=%d: bias %+.2f, mean error %.2f", n, bias, mae)
		}
	}

	d := &Detector{scanKey: 3}
	var s scanSketch
	for i := range 60 {
		s.add(start, win, true, d.scanBit(scanShape("/old-"+letters(i))))
	}
	full, _ := s.estimate(start, win)
	// Half a window into the next bucket, the same 60 again count once
	// (whole, being in the current bucket), 20 new ones on top.
	mid := start + int64(win) + int64(win)/2
	for i := range 80 {
		s.add(mid, win, true, d.scanBit(scanShape("/old-"+letters(i))))
	}
	both, _ := s.estimate(mid, win)
	var fresh scanSketch
	for i := range 80 {
		fresh.add(mid, win, true, d.scanBit(scanShape("/old-"+letters(i))))
	}
	want, _ := fresh.estimate(mid, win)
	if both != want {
		t.Errorf("shapes in both buckets: %.1f, want %.1f as if seen once", both, want)
	}
	var old scanSketch
	for i := range 60 {
		old.add(start, win, true, d.scanBit(scanShape("/old-"+letters(i))))
	}
	if half, _ := old.estimate(mid, win); math.Abs(half-full/2) > 0.5 {
		t.Errorf("previous bucket half a window on: %.1f, want %.1f", half, full/2)
	}
	if gone, ans := old.estimate(start+2*int64(win)+1, win); gone != 0 || ans != 0 {
		t.Errorf("two windows on: %.1f shapes, %.1f answers, want none", gone, ans)
	}
	if old.bits() == 0 || old.bits() < uint8(popcount(&old.cur)) {
		t.Errorf("bits() = %d", old.bits())
	}
}

// TestScanGate: the gate on a client's set bits lets through every sketch
// that may reach the threshold and no fewer bits.
func TestScanGate(t *testing.T) {
	for n := 5; n <= maxScanPaths; n++ {
		k := scanGateBits(n)
		if linearCount(int(k)) < float64(n) || (k > 0 && linearCount(int(k)-1) >= float64(n)) {
			t.Fatalf("gate for %d: %d bits (estimates %.1f and %.1f)", n, k, linearCount(int(k)-1), linearCount(int(k)))
		}
	}
}

func TestScanShape(t *testing.T) {
	same := [][2]string{
		{"/admin", "/Admin/"},
		{"/admin", "//admin"},
		{"/api/users/12/avatar", "/api/users/12345/avatar"},
		{"/files/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/files/6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
		{"/blog/2024-05-01-launch", "/blog/2023-11-30-review"},
		{"/commit/9fceb02d0ae598e95dc970b74767f19372d61af8", "/commit/0d1d7fc32e5a947fbd92ee598033d85bfc445a50"},
	}
	for _, p := range same {
		if scanShape(p[0]) != scanShape(p[1]) {
			t.Errorf("%q and %q: different shapes", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"/admin", "/backup"},
		{"/admin", "/admin/login"},
		{"/v1", "/v2"},
		{"/admin.php", "/admin.html"},
		{"/web1", "/web2"},
	}
	for _, p := range differ {
		if scanShape(p[0]) == scanShape(p[1]) {
			t.Errorf("%q and %q: one shape", p[0], p[1])
		}
	}
}
