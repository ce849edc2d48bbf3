package behavior

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// ev is one request of a scripted client and the status it got.
type ev struct {
	at     time.Duration
	ip     string
	user   string
	method string
	path   string
	query  string
	class  string
	ua     string
	body   string
	status int
	payl   bool // a payload verdict that blocked was among the request's verdicts, quoting the query
}

func (e ev) request() *abuse.Request {
	m := e.method
	if m == "" {
		m = "GET"
	}
	ua := e.ua
	if ua == "" {
		ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
	}
	ip := e.ip
	if ip == "" {
		ip = "203.0.113.7"
	}
	return &abuse.Request{
		Time:      t0.Add(e.at),
		Client:    abuse.Client{IP: netip.MustParseAddr(ip), User: e.user},
		Method:    m,
		Path:      e.path,
		RawQuery:  e.query,
		Class:     e.class,
		UserAgent: ua,
		Body:      []byte(e.body),
	}
}

// replay runs events through d and returns, per violation, whether it was
// reported, and whether any verdict stopped a request (Block, or Throttle
// for a rate scenario).
func replay(t *testing.T, d *Detector, evs []ev) (map[string]bool, bool) {
	t.Helper()
	seen := map[string]bool{}
	blocked := false
	for _, e := range evs {
		r := e.request()
		v := d.Detect(context.Background(), r)
		for _, f := range d.Findings(r, nil) {
			seen[f.Scenario] = true
		}
		if v.Action > abuse.Log {
			blocked = true
		}
		o := abuse.Outcome{Status: e.status, Action: v.Action}
		if o.Status == 0 {
			o.Status = 200
		}
		if e.payl {
			o.Verdicts = []abuse.Verdict{{Detector: "payload", Confidence: 0.9, Violation: "sqli", Messages: []string{"sqli in query: " + e.query}}}
			o.Acts = []abuse.Action{abuse.Block}
		}
		d.Observe(r, o)
	}
	return seen, blocked
}

func newDet(t testing.TB, mod func(*Config)) *Detector {
	t.Helper()
	c := DefaultConfig()
	if mod != nil {
		mod(&c)
	}
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func series(n int, every time.Duration, f func(i int) ev) []ev {
	out := make([]ev, n)
	for i := range out {
		e := f(i)
		e.at = time.Duration(i) * every
		out[i] = e
	}
	return out
}

// browsing is a human: pages, assets, a few dozen records out of order,
// a 404 and a failed login, over 20 minutes.
func browsing(seed uint64) []ev {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []ev
	at := time.Duration(0)
	ids := rng.Perm(60)[:36]
	for i, id := range ids {
		at += time.Duration(5+rng.IntN(25)) * time.Second
		out = append(out, ev{at: at, path: fmt.Sprintf("/api/records/%d", id+1)})
		for _, a := range []string{"/static/app.js", "/static/app.css", "/img/logo.png"} {
			out = append(out, ev{at: at, path: a})
		}
		if i == 10 {
			out = append(out, ev{at: at, path: "/api/recordz", status: 404})
		}
		if i == 20 {
			out = append(out, ev{at: at, method: "POST", path: "/api/auth/login", class: "login", body: `{"email":"me@example.com","password":"x"}`, status: 401})
			out = append(out, ev{at: at + 5*time.Second, method: "POST", path: "/api/auth/login", class: "login", body: `{"email":"me@example.com","password":"y"}`, status: 200})
		}
	}
	return out
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		name      string
		evs       []ev
		want      []string // violations that must be reported
		wantBlock bool
	}{
		{"normal browsing stays clean", browsing(1), nil, false},
		{"flood", series(200, 40*time.Millisecond, func(i int) ev { return ev{path: "/api/search"} }), []string{Flood}, true},
		{"sequential enumeration, all 200", series(40, 500*time.Millisecond, func(i int) ev {
			return ev{path: fmt.Sprintf("/api/invoices/%d", 1000+i)}
		}), []string{IDEnumeration}, true},
		{"dense shuffled enumeration", func() []ev {
			p := rand.New(rand.NewPCG(7, 7)).Perm(30)
			return series(30, time.Second, func(i int) ev { return ev{path: fmt.Sprintf("/api/users/%d/profile", 500+p[i])} })
		}(), []string{IDEnumeration}, true},
		{"query id enumeration", series(20, time.Second, func(i int) ev {
			return ev{path: "/item", query: fmt.Sprintf("id=%d", i+1)}
		}), []string{IDEnumeration}, true},
		{"wordpress author enumeration", series(6, time.Second, func(i int) ev {
			return ev{path: "/", query: fmt.Sprintf("author=%d", []int{2, 23, 24, 14, 3, 12}[i])}
		}), []string{IDEnumeration}, false},
		{"one author page many times", series(6, time.Second, func(i int) ev {
			return ev{path: "/", query: "author=1"}
		}), nil, false},
		{"one sensitive path is grey", []ev{{path: "/.env"}}, []string{SensitivePath}, false},
		{"sensitive probing is black", []ev{{path: "/.git/config"}, {at: time.Second, path: "/backup.sql"}, {at: 2 * time.Second, path: "/phpMyAdmin/index.php"}}, []string{SensitivePath}, true},
		{"content discovery", series(60, 200*time.Millisecond, func(i int) ev {
			return ev{path: fmt.Sprintf("/dir%d/", i), status: 404}
		}), []string{ContentDiscovery, ErrorStorm}, true},
		{"endpoint scanning, all 200", series(200, 100*time.Millisecond, func(i int) ev {
			return ev{path: fmt.Sprintf("/api/v%d/things", i), at: 0}
		}), []string{EndpointScan}, true},
		{"credential stuffing", series(8, 2*time.Second, func(i int) ev {
			return ev{method: "POST", path: "/api/auth/login", class: "login", status: 401,
				body: fmt.Sprintf(`{"email":"victim%d@example.com","password":"hunter2"}`, i)}
		}), []string{CredentialStuffing}, true},
		{"brute force on one user", series(14, 3*time.Second, func(i int) ev {
			return ev{method: "POST", path: "/login", class: "login", status: 401, body: "username=admin&password=p" + fmt.Sprint(i)}
		}), []string{BruteForce}, true},
		{"distributed brute force against one user", series(14, 3*time.Second, func(i int) ev {
			return ev{ip: fmt.Sprintf("198.51.100.%d", i+1), method: "POST", path: "/login", class: "login", status: 401, body: "username=admin&password=p"}
		}), []string{BruteForce}, false},
		{"payload probing", series(5, time.Second, func(i int) ev { return ev{path: "/search", query: fmt.Sprintf("q=x%d", i), payl: true} }), []string{PayloadProbing}, true},
		{"burst after idle", append([]ev{{path: "/home"}, {at: time.Second, path: "/a"}, {at: 2 * time.Second, path: "/b"}, {at: 3 * time.Second, path: "/c"}, {at: 4 * time.Second, path: "/d"},
			{at: 5 * time.Second, path: "/e"}, {at: 6 * time.Second, path: "/f"}, {at: 7 * time.Second, path: "/g"}, {at: 8 * time.Second, path: "/h"}, {at: 9 * time.Second, path: "/i"}},
			series(25, time.Second, func(i int) ev { return ev{path: "/api/export"} })...), []string{BurstAfterIdle}, false},
		{"user agent rotation", series(20, time.Second, func(i int) ev { return ev{path: "/", ua: fmt.Sprintf("Mozilla/5.0 agent-%d", i)} }), []string{UARotation}, false},
		{"open proxy probe", []ev{{method: "CONNECT", path: "example.com:25"}}, []string{ProtocolProbe}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "burst after idle" {
				for i := 10; i < len(tt.evs); i++ {
					tt.evs[i].at += 20 * time.Minute
				}
			}
			d := newDet(t, nil)
			seen, blocked := replay(t, d, tt.evs)
			if tt.want == nil && len(seen) > 0 {
				t.Fatalf("want nothing, got %v", seen)
			}
			for _, w := range tt.want {
				if !seen[w] {
					t.Errorf("want %s, got %v", w, seen)
				}
			}
			if blocked != tt.wantBlock {
				t.Errorf("blocked = %v, want %v (findings %v)", blocked, tt.wantBlock, seen)
			}
		})
	}
}

func TestBrowsingManySeeds(t *testing.T) {
	for seed := range uint64(20) {
		d := newDet(t, nil)
		if seen, _ := replay(t, d, browsing(seed)); len(seen) > 0 {
			t.Fatalf("seed %d: human browsing flagged: %v", seed, seen)
		}
	}
}

// TestListPageNoFloodNoScan: a page that lists 50 items and then loads
// each one's comments and author, about 100 requests in two seconds, is
// neither a flood nor an endpoint scan (the IDs it walks are the ones the
// list showed: TestEnumerationShown).
func TestListPageNoFloodNoScan(t *testing.T) {
	evs := series(101, 20*time.Millisecond, func(i int) ev {
		switch {
		case i == 0:
			return ev{path: "/api/posts?page=1"}
		case i%2 == 1:
			return ev{path: fmt.Sprintf("/api/posts/%d/comments", i/2+1)}
		}
		return ev{path: fmt.Sprintf("/api/users/%d", i/2+1)}
	})
	seen, _ := replay(t, newDet(t, nil), evs)
	for _, s := range []string{Flood, ElevatedRate, EndpointScan} {
		if seen[s] {
			t.Errorf("a list page is %s: %v", s, seen)
		}
	}
}

func TestClockJumps(t *testing.T) {
	d := newDet(t, nil)
	evs := []ev{{path: "/a"}, {at: 80 * 365 * 24 * time.Hour, path: "/b"}, {at: -30 * 365 * 24 * time.Hour, path: "/c"}}
	evs = append(evs, browsing(3)...)
	if seen, _ := replay(t, d, evs); len(seen) > 0 {
		t.Fatalf("absurd timestamps made a human look bad: %v", seen)
	}
	// and a flood after a jump is still a flood
	fl := series(200, 20*time.Millisecond, func(int) ev { return ev{path: "/x"} })
	for i := range fl {
		fl[i].at += 50 * 365 * 24 * time.Hour
	}
	if seen, _ := replay(t, d, fl); !seen[Flood] {
		t.Fatalf("flood after a clock jump not seen: %v", seen)
	}
}

func TestWeightZeroDisables(t *testing.T) {
	d := newDet(t, func(c *Config) { c.Weights = map[string]float64{SensitivePath: 0} })
	if seen, _ := replay(t, d, []ev{{path: "/.env"}}); seen[SensitivePath] {
		t.Fatal("disabled scenario fired")
	}
}

func TestIgnoreSensitive(t *testing.T) {
	d := newDet(t, func(c *Config) { c.IgnoreSensitive = []string{"wordpress", "/cgi-bin/legacy"} })
	for _, p := range []string{"/wp-login.php", "/cgi-bin/legacy/app.cgi"} {
		if seen, _ := replay(t, d, []ev{{path: p}}); seen[SensitivePath] {
			t.Fatalf("%s: ignored path flagged", p)
		}
	}
	if seen, _ := replay(t, d, []ev{{ip: "192.0.2.9", path: "/cgi-bin/x.cgi"}}); !seen[SensitivePath] {
		t.Fatal("other cgi path not flagged")
	}
}

func TestSensitivePaths(t *testing.T) {
	m := newPathMatcher(DefaultConfig())
	tests := []struct {
		path, cat string
	}{
		{"/.env", catConfig},
		{"/.git/HEAD", catVCS},
		{"/.bash_history", catDotfile},
		{"/.well-known/security.txt", ""},
		{"/site.tar.gz", catBackup},
		{"/phpMyAdmin2017/index.php", catAdmin},
		{"/wp-content/plugins/x.php", catWordPress},
		{"/actuator/env", catActuator},
		{"/Worse_Linux_Shell.php", catWebshell},
		{"/%2Fetc%2Fpasswd", catTraversal},
		{"/unauth/%252e%252e/php/x", catTraversal},
		{"/api/users/42", ""},
		{"/static/app.js", ""},
		{"/administrators", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			cat, _ := m.sensitive(normalizePath(tt.path))
			if cat != tt.cat {
				t.Fatalf("category %q, want %q", cat, tt.cat)
			}
		})
	}
}

// TestCustomContains checks configured substrings at every position,
// the last byte included, past the byte-pair prefilter.
func TestCustomContains(t *testing.T) {
	c := DefaultConfig()
	c.SensitivePaths = []string{"~", "/Internal-Only"}
	m := newPathMatcher(c)
	tests := []struct {
		path, cat string
	}{
		{"/backup~", catCustom},
		{"/~x", catCustom},
		{"/a/internal-only/b", catCustom},
		{"/a/internal-onl", ""},
		{"/api/users/42", ""},
	}
	for _, tt := range tests {
		if cat, _ := m.sensitive(normalizePath(tt.path)); cat != tt.cat {
			t.Errorf("%s: category %q, want %q", tt.path, cat, tt.cat)
		}
	}
}

// TestPathMemo forces paths into one memo slot: a hit needs the same
// path, so a clean path never inherits a probe's class or the reverse.
func TestPathMemo(t *testing.T) {
	d := newDet(t, nil)
	for _, tt := range []struct {
		path, cat string
		static    bool
	}{
		{"/.env", catConfig, false},
		{"/api/users", "", false},
		{"/.env", catConfig, false},
		{"/static/app.js", "", true},
		{"/.git/config", catVCS, false},
	} {
		pc := d.pathClass(tt.path, 7)
		if pc.cat != tt.cat || pc.static != tt.static {
			t.Fatalf("%s: class %q static %v, want %q %v", tt.path, pc.cat, pc.static, tt.cat, tt.static)
		}
	}
}

func TestShape(t *testing.T) {
	s1, id1, ok1, _ := shapeOf("GET", "/users/7/orders", "")
	s2, id2, ok2, _ := shapeOf("GET", "/users/8/orders", "")
	if s1 != s2 || id1 != 7 || id2 != 8 || !ok1 || !ok2 {
		t.Fatalf("shapes %x %x ids %d %d", s1, s2, id1, id2)
	}
	for _, q := range []string{"page=3", "_page=2&_limit=20", "_start=20&_end=40"} {
		if _, _, ok, _ := shapeOf("GET", "/list", q); ok {
			t.Fatalf("pagination %q counted as an id", q)
		}
	}
	if s3, _, _, _ := shapeOf("POST", "/users/7/orders", ""); s3 == s1 {
		t.Fatal("method not in shape")
	}
}

func TestUsername(t *testing.T) {
	f := DefaultConfig().Login.UsernameFields
	a := usernameHash([]byte(`{"email": "A@x.io","password":"p"}`), "application/json", f)
	b := usernameHash([]byte(`email=a@x.io&password=q`), "application/x-www-form-urlencoded", f)
	if a == 0 || a != b {
		t.Fatalf("hashes %x %x", a, b)
	}
	if usernameHash([]byte(`{"password":"p"}`), "application/json", f) != 0 {
		t.Fatal("username invented")
	}
}

func TestEvictionBound(t *testing.T) {
	d := newDet(t, func(c *Config) { c.MaxClients = 160 })
	for i := range 5000 {
		r := ev{ip: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), path: "/"}.request()
		d.Observe(r, abuse.Outcome{Status: 200})
	}
	st := d.stats()
	if st.Clients > 160 || st.Evictions < 5000-160 {
		t.Fatalf("stats %+v", st)
	}
}

// TestClientMemory measures the heap per tracked client, keys and table
// overhead included, and holds it to 1,216 bytes (1 KB before the
// 192-byte sketch of shown IDs).
func TestClientMemory(t *testing.T) {
	const n = 50_000
	d := newDet(t, func(c *Config) { c.MaxClients = n })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		r := ev{ip: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), path: fmt.Sprintf("/api/items/%d", i)}.request()
		d.Observe(r, abuse.Outcome{Status: 200})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per tracked client (record %d bytes)", per, sizeofClient())
	if per > 1216 {
		t.Fatalf("%.0f bytes per client, budget 1216", per)
	}
	runtime.KeepAlive(d)
}

func TestValidate(t *testing.T) {
	c := DefaultConfig()
	c.Flood.Max = 0
	c.Weights = map[string]float64{"nope": 1}
	c.Login.FailureStatuses = []int{42}
	err := c.Validate()
	for _, want := range []string{"flood.max: must be > 0", "weights.nope: unknown", "login.failure_statuses[0]:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		edit func(c *Config)
		want string
	}{
		{func(c *Config) { c.SlowScan.Window = 0 }, "slow_scan.window: must be > 0"},
		{func(c *Config) { c.SlowScan.DistinctPaths = 2 }, "slow_scan.distinct_paths: must be in [5, 500]"},
		{func(c *Config) { c.SlowScan.DistinctPaths = 1000 }, "slow_scan.distinct_paths: must be in [5, 500]"},
		{func(c *Config) { c.SlowScan.BlockPaths = 30 }, "slow_scan.block_paths: must be in [distinct_paths (40), 500]"},
		{func(c *Config) { c.SlowScan.MinShare = 1.5 }, "slow_scan.min_share: must be in [0, 1]"},
		{func(c *Config) { c.Weights = map[string]float64{SlowScan: 2} }, "weights.slow_scan: must be in [0, 1]"},
	} {
		c := DefaultConfig()
		tt.edit(&c)
		if err := c.Validate(); err == nil || err.Error() != tt.want {
			t.Errorf("Validate = %v, want %q", err, tt.want)
		}
	}
}

func TestDetectAllocs(t *testing.T) {
	d := newDet(t, nil)
	r := ev{path: "/api/records/12"}.request()
	d.Observe(r, abuse.Outcome{Status: 200})
	allocs := testing.AllocsPerRun(1000, func() {
		r.Time = r.Time.Add(2 * time.Second)
		_ = d.Detect(context.Background(), r)
		d.Observe(r, abuse.Outcome{Status: 200})
	})
	if allocs > 0 {
		t.Fatalf("%v allocs per clean request", allocs)
	}
}

func BenchmarkDetectObserve(b *testing.B) {
	benchDetectObserve(b, 1024)
}

// BenchmarkDetectObserveColdClients has as many clients as the load test
// (bench/load), so that each request finds its client's state out of the
// CPU caches.
func BenchmarkDetectObserveColdClients(b *testing.B) {
	benchDetectObserve(b, 65536)
}

func benchDetectObserve(b *testing.B, clients int) {
	d := newDet(b, nil)
	reqs := make([]*abuse.Request, clients)
	for i := range reqs {
		reqs[i] = ev{ip: fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), path: fmt.Sprintf("/api/records/%d", i%97), at: time.Duration(i) * time.Millisecond}.request()
		d.Observe(reqs[i], abuse.Outcome{Status: 200}) // the table's growth is not the figure
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := reqs[i%len(reqs)]
		r.Time = r.Time.Add(time.Second)
		v := d.Detect(context.Background(), r)
		d.Observe(r, abuse.Outcome{Status: 200, Action: v.Action})
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"/.env", "/%2Fetc%2Fpasswd", "/users/7", "/?author=2", "/a/../b", "%", "/%25%32%65", "//..//"} {
		f.Add(s, "id=3&page=2", `{"email":"x"}`)
	}
	d := newDet(f, nil)
	f.Fuzz(func(t *testing.T, path, query, body string) {
		r := &abuse.Request{Time: t0, Method: "POST", Path: path, RawQuery: query, Class: "login", Body: []byte(body)}
		for _, fi := range d.Findings(r, nil) {
			if len(fi.Message) > 64*2+120 {
				t.Fatalf("message too long: %d", len(fi.Message))
			}
		}
		d.Observe(r, abuse.Outcome{Status: 401})
		n := normalizePath(path)
		if len(n) > maxPathScan {
			t.Fatal("normalised path not bounded")
		}
		_ = slices.Clone([]byte(n))
	})
}

func TestConcurrent(t *testing.T) {
	d := newDet(t, func(c *Config) { c.MaxClients = 64 })
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 2000 {
				r := ev{ip: fmt.Sprintf("10.0.%d.%d", g, i%100), path: fmt.Sprintf("/api/x/%d", i), at: time.Duration(i) * time.Millisecond,
					method: "POST", class: "login", body: `{"email":"a@b.c"}`}.request()
				v := d.Detect(context.Background(), r)
				d.Observe(r, abuse.Outcome{Status: 401, Action: v.Action})
			}
		}()
	}
	for range 8 {
		<-done
	}
	if st := d.stats(); st.Clients > 64 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGreyReportedOncePerMinute(t *testing.T) {
	d := newDet(t, nil)
	var got []string
	for i, p := range []string{"/.env", "/.env.bak", "/.git/config", "/x.sql"} {
		r := ev{at: time.Duration(i) * time.Second, path: p}.request()
		v := d.Detect(context.Background(), r)
		got = append(got, fmt.Sprintf("%s/%s", v.Violation, v.Action))
		d.Observe(r, abuse.Outcome{Status: 404, Action: v.Action})
	}
	want := []string{"sensitive_path/log", "/allow", "sensitive_path/block", "sensitive_path/block"}
	if !slices.Equal(got, want) {
		t.Fatalf("verdicts %v, want %v", got, want)
	}
}

// TestObserveLater: in a server, other requests are decided while one
// waits for its upstream, so Observe comes after other Findings and its
// remembered classification may have been pushed out. Every request still
// lands on its own client with its own classification: after the same
// traffic, a detector that observed in batches reports exactly what one
// that observed each request at once reports.
func TestObserveLater(t *testing.T) {
	var evs []ev
	for c := range 40 {
		ip := fmt.Sprintf("198.51.100.%d", c+1)
		for i := range 30 {
			e := ev{ip: ip, at: time.Duration(i) * 200 * time.Millisecond}
			switch c % 4 {
			case 0:
				e.path = fmt.Sprintf("/api/users/%d", i+1) // enumeration
			case 1:
				e.path, e.status = fmt.Sprintf("/wp-admin/%d.php", i), 404 // probing
			case 2:
				e.path = "/api/items/" + strings.Repeat("x", c%3+i%2) // same lengths, other paths
			default:
				e.path, e.ua = "/", fmt.Sprintf("agent-%d", i) // UA rotation
			}
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return int(a.at - b.at) })

	run := func(batch int) []string {
		d := newDet(t, nil)
		var out []string
		for i := 0; i < len(evs); i += batch {
			part := evs[i:min(i+batch, len(evs))]
			reqs := make([]*abuse.Request, len(part))
			for j, e := range part {
				reqs[j] = e.request()
				for _, f := range d.Findings(reqs[j], nil) {
					out = append(out, fmt.Sprintf("%d %s %s", i+j, part[j].ip, f.Scenario))
				}
			}
			for j, e := range part {
				st := e.status
				if st == 0 {
					st = 200
				}
				d.Observe(reqs[j], abuse.Outcome{Status: st})
			}
		}
		// The end state, probed from every client.
		for c := range 40 {
			r := ev{ip: fmt.Sprintf("198.51.100.%d", c+1), at: 10 * time.Second, path: "/api/users/31"}.request()
			for _, f := range d.Findings(r, nil) {
				out = append(out, fmt.Sprintf("end %d %s", c, f.Scenario))
			}
		}
		return out
	}
	want := run(1)
	if len(want) == 0 {
		t.Fatal("the traffic raised no findings: the test shows nothing")
	}
	for _, batch := range []int{1, 3, pendingSlots*shards + 7} {
		got := run(batch)
		// Findings inside a batch see fewer observed requests; the end
		// state must be the same.
		if !slices.Equal(endOf(got), endOf(want)) {
			t.Errorf("batch %d: end state differs:\n got %v\nwant %v", batch, endOf(got), endOf(want))
		}
	}
}

func endOf(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "end ") {
			out = append(out, l)
		}
	}
	return out
}
