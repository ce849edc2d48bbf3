package logreplay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/route"
)

var parseTests = []struct {
	name   string
	line   string
	ok     bool
	ip     string
	method string
	target string
	status int
	ua     string
	user   string
}{
	{"combined", `203.0.113.7 - - [20/Nov/2026:06:00:02 +0100] "GET /a?b=1 HTTP/1.1" 200 11 "https://x/" "Mozilla/5.0 (X11)"`, true, "203.0.113.7", "GET", "/a?b=1", 200, "Mozilla/5.0 (X11)", ""},
	{"common log format", `172.17.0.1 - - [29/Sep/2021:12:37:05 +0000] "GET /start.php HTTP/1.1" 404 196`, true, "172.17.0.1", "GET", "/start.php", 404, "", ""},
	{"nginx main with xff", `127.0.0.2 - - [08/Aug/2022:21:18:26 +0000] "GET http://x.com:80/ip4.php HTTP/1.0" 400 255 "-" "-" "-"`, true, "127.0.0.2", "GET", "http://x.com:80/ip4.php", 400, "", ""},
	{"remote user", `127.0.0.1 - test [06/Mar/2022:16:14:13 +0000] "POST /client HTTP/1.1" 401 141 "-" "curl/8"`, true, "127.0.0.1", "POST", "/client", 401, "curl/8", "test"},
	{"syslog prefix", `Sep 15 16:13:46 host nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "Mozilla/5.0"`, true, "81.150.104.130", "POST", "/wp-login.php", 200, "Mozilla/5.0", ""},
	{"vhost prefix", `example.com:443 198.51.100.1 - - [15/Sep/2021:16:13:46 +0000] "GET / HTTP/2.0" 200 1 "-" "Mozilla/5.0"`, true, "198.51.100.1", "GET", "/", 200, "Mozilla/5.0", ""},
	{"ipv6 with zeros", `2001:0db8:85a3:0000:0000:8a2e:0370:7334 - - [29/Sep/2021:14:11:34 +0200] "HEAD / HTTP/1.1" 200 0 "-" "Nikto"`, true, "2001:db8:85a3::8a2e:370:7334", "HEAD", "/", 200, "Nikto", ""},
	{"binary request line", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x01 \x02" 400 226 "-" "-"`, true, "1.2.3.4", "", `\x16\x03\x01\x01 \x02`, 400, "", ""},
	{"escaped quote in ua", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "GET / HTTP/1.1" 200 1 "-" "a \"b\" c"`, true, "1.2.3.4", "GET", "/", 200, `a \"b\" c`, ""},
	{"empty request", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "-" 400 0 "-" "-"`, true, "1.2.3.4", "", "", 400, "", ""},
	{"no timestamp", `1.2.3.4 - - "GET / HTTP/1.1" 200 1`, false, "", "", "", 0, "", ""},
	{"absurd year", `1.2.3.4 - - [17/Oct/9999:05:57:49 +1100] "GET / HTTP/1.1" 200 1 "-" "-"`, false, "", "", "", 0, "", ""},
	{"bad month", `1.2.3.4 - - [17/Foo/2023:05:57:49 +1100] "GET / HTTP/1.1" 200 1 "-" "-"`, false, "", "", "", 0, "", ""},
	{"bad ip", `not-an-ip - - [17/Oct/2023:05:57:49 +1100] "GET / HTTP/1.1" 200 1 "-" "-"`, false, "", "", "", 0, "", ""},
	{"bad status", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "GET / HTTP/1.1" abc 1 "-" "-"`, false, "", "", "", 0, "", ""},
	{"unterminated quote", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "GET / HTTP/1.1 200 1`, false, "", "", "", 0, "", ""},
	{"nginx error log", `2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/etc/nginx/a.htpasswd", client: 127.0.0.1`, false, "", "", "", 0, "", ""},
}

func TestParseCombined(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			var p parser
			var rec Record
			err := p.parseCombined([]byte(tt.line), &rec)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if rec.IP.String() != tt.ip || rec.Method != tt.method || rec.Target != tt.target || rec.Status != tt.status || rec.UserAgent != tt.ua || rec.User != tt.user {
				t.Fatalf("got %+v", rec)
			}
		})
	}
}

func TestParseTimeZone(t *testing.T) {
	var p parser
	var rec Record
	if err := p.parseCombined([]byte(`1.2.3.4 - - [20/Nov/2026:06:00:02 +0130] "GET / HTTP/1.1" 200 1`), &rec); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 20, 4, 30, 2, 0, time.UTC); !rec.Time.Equal(want) {
		t.Fatalf("time %v, want %v", rec.Time, want)
	}
}

var jsonTests = []struct {
	name, line string
	ok         bool
	target     string
	status     int
}{
	{"nginx json", `{"time_iso8601":"2026-11-20T06:00:02+00:00","remote_addr":"1.2.3.4","request_method":"GET","request_uri":"/a?b=1","status":"404","http_user_agent":"curl/8"}`, true, "/a?b=1", 404},
	{"caddy nested", `{"ts":1763618402.5,"request":{"remote_ip":"1.2.3.4","method":"POST","uri":"/login","headers":{"User-Agent":["x"]}},"status":401}`, true, "/login", 401},
	{"request line", `{"time":"20/Nov/2026:06:00:02 +0000","ip":"1.2.3.4","request":"GET /x HTTP/1.1","status":200}`, true, "/x", 200},
	{"split query", `{"time":"2026-11-20T06:00:02Z","ip":"1.2.3.4","path":"/s","query":"q=1","status":200}`, true, "/s?q=1", 200},
	{"not json", `hello`, false, "", 0},
	{"no time", `{"ip":"1.2.3.4","uri":"/","status":200}`, false, "", 0},
	{"absurd time", `{"time":"3026-11-20T06:00:02Z","ip":"1.2.3.4","uri":"/","status":200}`, false, "", 0},
	{"bad status", `{"time":"2026-11-20T06:00:02Z","ip":"1.2.3.4","uri":"/","status":true}`, false, "", 0},
}

func TestParseJSON(t *testing.T) {
	f := DefaultJSONFields()
	idx := newJSONIndex(&f)
	for _, tt := range jsonTests {
		t.Run(tt.name, func(t *testing.T) {
			var rec, ref Record
			err := parseJSON([]byte(tt.line), idx, &rec)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (rec.Target != tt.target || rec.Status != tt.status || rec.IP.String() != "1.2.3.4") {
				t.Fatalf("got %+v", rec)
			}
			// the scanner agrees with encoding/json on these lines
			refErr := parseJSONReference([]byte(tt.line), &f, &ref)
			if (refErr == nil) != (err == nil) || (err == nil && rec != ref) {
				t.Fatalf("scanner %+v (%v), encoding/json %+v (%v)", rec, err, ref, refErr)
			}
		})
	}
}

func TestParseJSONMatchesReference(t *testing.T) {
	f := DefaultJSONFields()
	idx := newJSONIndex(&f)
	lines := []string{
		`{"time":"2026-11-20T06:00:02Z","remote_addr":"::ffff:1.2.3.4","request_method":"GET","request_uri":"/a\u00e9\"b","status":200,"http_user_agent":"x\ty","extra":{"a":[1,2,{"b":null}]},"n":-1.5e3,"t":true}`,
		` {"ts":1763618402,"ip":"10.0.0.1","uri":"/","status":"302"} `,
		`{"time":"2026-11-20T06:00:02Z","ip":"1.2.3.4","uri":"/","status":200} x`,
		`{"time":"2026-11-20T06:00:02Z","ip":"1.2.3.4","uri":"/","status":200`,
		`{"time":"2026-11-20T06:00:02Z","ip":"1.2.3.4","uri":"/","status":[200]}`,
	}
	var r Record
	if err := parseJSON([]byte(`{"time":"2026-11-20T06:00:02Z","ip":"1.2.3.4","uri":"/","status":200.5}`), idx, &r); err == nil {
		t.Error("fractional status accepted")
	}
	for _, l := range lines {
		var a, b Record
		ea := parseJSON([]byte(l), idx, &a)
		eb := parseJSONReference([]byte(l), &f, &b)
		if (ea == nil) != (eb == nil) || (ea == nil && a != b) {
			t.Errorf("%s:\nscanner %+v (%v)\nencoding/json %+v (%v)", l, a, ea, b, eb)
		}
	}
}

func TestRoutes(t *testing.T) {
	rt, err := newRouteTable(map[string][]string{
		"login":   {"POST /api/auth/login"},
		"message": {"POST /api/ask/{rest...}"},
		"record":  {"GET /api/records/{id}", "/static/"},
	}, route.Exact)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ method, path, pattern, class string }{
		{"POST", "/api/auth/login", "POST /api/auth/login", "login"},
		{"GET", "/api/auth/login", "", ""},
		{"POST", "/api/ask/openAI", "POST /api/ask/{rest...}", "message"},
		{"GET", "/api/records/7", "GET /api/records/{id}", "record"},
		{"HEAD", "/api/records/7", "GET /api/records/{id}", "record"},
		{"GET", "/api/records/7/x", "", ""},
		{"GET", "/static/app.js", "/static/", "record"},
		{"GET", "/other", "", ""},
		{"POST", "/api/auth/%6Cogin", "POST /api/auth/login", "login"}, // decoded, as URL.Path is online
		{"POST", "/API/Auth/Login", "", ""},
	}
	for _, tt := range tests {
		p, c := rt.match(tt.method, "", tt.path)
		if p != tt.pattern || c != tt.class {
			t.Errorf("%s %s: got %q %q, want %q %q", tt.method, tt.path, p, c, tt.pattern, tt.class)
		}
	}
	// Under the default route_matching, as online: other spellings of the
	// login path are the login route.
	rt, err = newRouteTable(map[string][]string{"login": {"POST /api/auth/login"}}, DefaultOptions().RouteMatching.Variants())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/API/Auth/Login", "/api/auth/login/", "/api/auth/login;jsessionid=x", "/api/auth/login.json", "/x/..;/api/auth/login", "/api/auth/%2e/login"} {
		if pat, c := rt.match("POST", "", p); c != "login" || pat != "POST /api/auth/login" {
			t.Errorf("%s: got %q %q, want the login route", p, pat, c)
		}
	}
	if _, err := newRouteTable(map[string][]string{"x": {"GET nopath"}}, route.Exact); err == nil || !strings.HasPrefix(err.Error(), "routes.x[0]:") {
		t.Fatalf("bad pattern error: %v", err)
	}
}

// attackLog is a log we wrote: a human, a scanner, an enumerator, a
// credential stuffer, junk lines and a clock jump.
func attackLog() string {
	var b strings.Builder
	t := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	line := func(at time.Duration, ip, method, target string, status int, ua string) {
		fmt.Fprintf(&b, "%s - - [%s] \"%s %s HTTP/1.1\" %d 100 \"-\" \"%s\"\n", ip, t.Add(at).Format("02/Jan/2006:15:04:05 -0700"), method, target, status, ua)
	}
	ff := "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
	for i := range 30 {
		line(time.Duration(i)*17*time.Second, "198.51.100.10", "GET", fmt.Sprintf("/products/%d", (i*37)%500), 200, ff)
	}
	b.WriteString("garbage line\n")
	for i := range 40 {
		line(time.Duration(i)*300*time.Millisecond, "203.0.113.66", "GET", fmt.Sprintf("/api/invoices/%d", 5000+i), 200, ff)
	}
	for i, p := range []string{"/.env", "/.git/config", "/backup.sql", "/phpmyadmin/", "/wp-login.php"} {
		line(time.Duration(i)*time.Second, "203.0.113.99", "GET", p, 404, "curl/8.5.0")
	}
	b.WriteString(`1.2.3.4 - - [20/Nov/1970:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"` + "\n")
	for i := range 12 {
		line(time.Duration(i)*2*time.Second, "192.0.2.50", "POST", "/api/auth/login", 401, ff)
	}
	line(80*365*24*time.Hour, "198.51.100.10", "GET", "/products/1", 200, ff) // clock jump forward
	return b.String()
}

func runLog(t *testing.T, log string, mod func(*Options)) (Summary, []Alert) {
	t.Helper()
	o := DefaultOptions()
	o.Routes = map[string][]string{"login": {"POST /api/auth/login"}}
	if mod != nil {
		mod(&o)
	}
	var out bytes.Buffer
	sum, err := Run(context.Background(), strings.NewReader(log), &out, o)
	if err != nil {
		t.Fatal(err)
	}
	var alerts []Alert
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			continue
		}
		var a Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("alert line %q: %v", sc.Text(), err)
		}
		alerts = append(alerts, a)
	}
	return sum, alerts
}

func TestRun(t *testing.T) {
	sum, alerts := runLog(t, attackLog(), nil)
	flagged := map[string]map[string]bool{}
	for _, a := range alerts {
		if flagged[a.Client] == nil {
			flagged[a.Client] = map[string]bool{}
		}
		flagged[a.Client][a.Scenario] = true
		if a.Time.IsZero() || len(a.Messages) == 0 || a.Confidence < 0.5 {
			t.Errorf("incomplete alert %+v", a)
		}
	}
	for client, want := range map[string]string{
		"ip:203.0.113.66": "id_enumeration",
		"ip:203.0.113.99": "sensitive_path",
		"ip:192.0.2.50":   "brute_force",
	} {
		if !flagged[client][want] {
			t.Errorf("%s not flagged %s; got %v", client, want, flagged[client])
		}
	}
	if len(flagged["ip:198.51.100.10"]) > 0 {
		t.Errorf("human flagged: %v", flagged["ip:198.51.100.10"])
	}
	if sum.Malformed != 2 || len(sum.MalformedLines) != 2 || sum.MalformedLines[0] != 31 || sum.MalformedLines[1] != 77 {
		t.Errorf("malformed %d at %v, want lines 31 and 77", sum.Malformed, sum.MalformedLines)
	}
	if sum.Flagged["id_enumeration"] != 1 {
		t.Errorf("summary %+v", sum.Flagged)
	}
}

func TestSummaryTable(t *testing.T) {
	o := DefaultOptions()
	var out bytes.Buffer
	if _, err := Run(context.Background(), strings.NewReader(attackLog()), &out, o); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"malformed 2", "sensitive_path", "malformed lines: 31, 77"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestMalformedBounded(t *testing.T) {
	log := strings.Repeat("junk\n", 500) + strings.Repeat("x", 100_000) + "\n"
	sum, _ := runLog(t, log, func(o *Options) { o.MaxMalformedLines = 10 })
	if sum.Malformed != 501 || len(sum.MalformedLines) != 10 || sum.Lines != 501 {
		t.Fatalf("summary %+v", sum)
	}
}

type countingDetector struct{ seen, observed int }

func (c *countingDetector) Name() string { return "counting" }
func (c *countingDetector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	c.seen++
	if strings.Contains(r.RawQuery, "union") {
		return abuse.Verdict{Confidence: 0.9, Violation: "sqli", Messages: []string{"sql: " + r.RawQuery}}
	}
	return abuse.Verdict{}
}
func (c *countingDetector) Observe(*abuse.Request, abuse.Outcome) { c.observed++ }

func TestInjectedDetector(t *testing.T) {
	c := &countingDetector{}
	log := ""
	for i := range 5 {
		log += fmt.Sprintf("10.0.0.1 - - [20/Nov/2026:06:00:0%d +0000] \"GET /s?q=union+select+%d HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"\n", i, i)
	}
	_, alerts := runLog(t, log, func(o *Options) {
		o.Detectors = append(o.Detectors, c)
		o.Behavior.PayloadDetectors = []string{"counting"}
		o.Act = func(v *abuse.Verdict) abuse.Action { // the default policy's block threshold
			if v.Confidence >= 0.8 {
				return abuse.Block
			}
			return abuse.Log
		}
	})
	if c.seen != 5 || c.observed != 5 {
		t.Fatalf("detector saw %d, observed %d", c.seen, c.observed)
	}
	got := map[string]bool{}
	for _, a := range alerts {
		got[a.Scenario] = true
	}
	if !got["sqli"] || !got["payload_probing"] {
		t.Fatalf("alerts %v", got)
	}
}

func TestJSONRun(t *testing.T) {
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, `{"time":"2026-11-20T06:00:%02dZ","remote_addr":"10.9.9.9","request_method":"GET","request_uri":"/x%d","status":404,"http_user_agent":"Mozilla/5.0"}`+"\n", i, i)
	}
	sum, alerts := runLog(t, b.String(), func(o *Options) { o.Format = JSON })
	if sum.Parsed != 60 || len(alerts) == 0 {
		t.Fatalf("parsed %d, alerts %d", sum.Parsed, len(alerts))
	}
}

func TestValidateOptions(t *testing.T) {
	o := DefaultOptions()
	o.Format = "apache"
	if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), "format:") {
		t.Fatalf("err %v", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, strings.NewReader(attackLog()), io.Discard, DefaultOptions()); err == nil {
		t.Fatal("cancelled run succeeded")
	}
}

// TestStreaming checks that memory does not grow with the file: a replay
// of 10× more lines does not hold 10× more heap.
func TestStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	small := benchLog(20_000)
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	o := DefaultOptions()
	o.NoSummary = true
	o.Behavior.MaxClients = 2000 // both runs fill the client table
	peak := func(r io.Reader) uint64 {
		var m MemSampler
		o.OnAlert = nil
		m.Start()
		if _, err := Run(context.Background(), r, io.Discard, o); err != nil {
			t.Fatal(err)
		}
		return m.Stop()
	}
	a := peak(bytes.NewReader(small))
	b := peak(&repeatReader{data: small, n: 10})
	t.Logf("peak heap growth: %d KB for 20k lines, %d KB for 200k lines", a>>10, b>>10)
	if b > 2*a+4<<20 {
		t.Fatalf("heap grows with the file: %d vs %d", b, a)
	}
}

// repeatReader reads data n times without holding n copies.
type repeatReader struct {
	data []byte
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.data[r.off:])
	r.off += k
	if r.off == len(r.data) {
		r.off = 0
		r.n--
	}
	return k, nil
}

func ExampleRun() {
	log := `203.0.113.99 - - [20/Nov/2026:06:00:00 +0000] "GET /.git/config HTTP/1.1" 404 0 "-" "Mozilla/5.0"
this line is not a log line
`
	o := DefaultOptions()
	sum, _ := Run(context.Background(), strings.NewReader(log), os.Stdout, o)
	fmt.Println(sum.Malformed, sum.MalformedLines)
	// Output:
	// {"time":"2026-11-20T06:00:00Z","client":"ip:203.0.113.99","scenario":"sensitive_path","confidence":0.6,"messages":["vcs path \"/.git/config\" (1 sensitive hits in 10m0s)"]}
	//
	// lines 2  parsed 1  malformed 1  alerts 1  clients flagged 1  log time 2026-11-20T06:00:00Z .. 2026-11-20T06:00:00Z
	// scenario                  clients
	// sensitive_path                  1
	// malformed lines: 2
	// 1 [2]
}

func FuzzParseCombined(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var p parser
		var rec Record
		if err := p.parseCombined([]byte(line), &rec); err == nil {
			if !saneTime(rec.Time) || rec.Status > 999 || len(rec.Target) > 8192 {
				t.Fatalf("accepted bad record %+v", rec)
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, tt := range jsonTests {
		f.Add(tt.line)
	}
	fields := DefaultJSONFields()
	idx := newJSONIndex(&fields)
	f.Fuzz(func(t *testing.T, line string) {
		var rec Record
		if err := parseJSON([]byte(line), idx, &rec); err == nil {
			if !saneTime(rec.Time) || rec.Status > 999 {
				t.Fatalf("accepted bad record %+v", rec)
			}
		}
	})
}

func FuzzRun(f *testing.F) {
	f.Add(attackLog())
	f.Add("")
	f.Add("\n\n\r\n")
	f.Fuzz(func(t *testing.T, log string) {
		o := DefaultOptions()
		sum, err := Run(context.Background(), strings.NewReader(log), io.Discard, o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Parsed+sum.Malformed != sum.Lines {
			t.Fatalf("counts %+v", sum)
		}
	})
}

// TestScenarioFile replays testdata/mixed.log, a log written for this test:
// who must be flagged for what, and who must not be flagged at all.
func TestScenarioFile(t *testing.T) {
	raw, err := os.ReadFile("testdata/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	_, alerts := runLog(t, string(raw), nil)
	got := map[string]map[string]bool{}
	for _, a := range alerts {
		if got[a.Client] == nil {
			got[a.Client] = map[string]bool{}
		}
		got[a.Client][a.Scenario] = true
	}
	tests := []struct {
		client string
		want   []string // nil: must not be flagged
	}{
		{"ip:203.0.113.66", []string{"id_enumeration"}},
		{"ip:198.51.100.23", nil},
		{"ip:192.0.2.77", []string{"credential_stuffing"}},
		{"ip:203.0.113.250", []string{"bad_user_agent", "sensitive_path"}},
		{"ip:203.0.113.5", []string{"non_browser"}},
	}
	for _, tt := range tests {
		t.Run(tt.client, func(t *testing.T) {
			if tt.want == nil && len(got[tt.client]) > 0 {
				t.Fatalf("flagged %v", got[tt.client])
			}
			for _, w := range tt.want {
				if !got[tt.client][w] {
					t.Errorf("not flagged %s; got %v", w, got[tt.client])
				}
			}
		})
	}
}

// FuzzParseJSONMatchesReference checks the scanner against encoding/json on
// flat objects with unique keys.
func FuzzParseJSONMatchesReference(f *testing.F) {
	for _, tt := range jsonTests {
		f.Add(tt.line)
	}
	fields := DefaultJSONFields()
	idx := newJSONIndex(&fields)
	f.Fuzz(func(t *testing.T, line string) {
		if !flatUnique([]byte(line)) {
			return
		}
		var a, b Record
		ea := parseJSON([]byte(line), idx, &a)
		eb := parseJSONReference([]byte(line), &fields, &b)
		if (ea == nil) != (eb == nil) || (ea == nil && a != b) {
			t.Fatalf("scanner %+v (%v), encoding/json %+v (%v)", a, ea, b, eb)
		}
	})
}

var nginxErrorTests = []struct {
	name, line string
	ok         bool
	user       string
	status     int
	event      string
}{
	{"user not found", `2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/etc/nginx/a.htpasswd", client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "localhost"`, true, "foo", 401, ""},
	{"password mismatch", `2021/09/30 09:23:53 [error] 1#1: *18 user "bar": password mismatch, client: 10.0.0.1, server: _, request: "GET /x HTTP/1.1", host: "h"`, true, "bar", 401, ""},
	{"limit_req", `2021/12/02 11:53:15 [error] 4065777#4065777: *42952950 limiting requests, excess: 5.428 by zone "z", client: ::1, server: , request: "GET / HTTP/1.1", host: "la03.d.sb"`, true, "", 503, EventLimitReq},
	{"other error", `2021/12/02 11:53:15 [error] 1#1: *4 open() "/x" failed (2: No such file or directory), client: ::1, server: , request: "GET / HTTP/1.1"`, false, "", 0, ""},
	{"no client", `2021/12/02 11:53:15 [error] 1#1: *4 limiting requests, excess: 1 by zone "z"`, false, "", 0, ""},
}

func TestParseNginxError(t *testing.T) {
	for _, tt := range nginxErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			if !looksLikeNginxError([]byte(tt.line)) {
				t.Fatal("not recognised as an nginx error line")
			}
			var p parser
			var rec Record
			err := p.parseNginxError([]byte(tt.line), &rec)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (rec.User != tt.user || rec.Status != tt.status || rec.Event != tt.event || !rec.IP.IsValid()) {
				t.Fatalf("got %+v", rec)
			}
		})
	}
	// an nginx-format replay reads them next to access lines; five
	// rejections in a minute make an alert, the user agent is not judged
	log := nginxErrorTests[0].line + "\n" + strings.Repeat(nginxErrorTests[2].line+"\n", 5)
	sum, alerts := runLog(t, log, func(o *Options) { o.Format = Nginx })
	if sum.Parsed != 6 || len(alerts) != 1 || alerts[0].Scenario != "rate_limited" {
		t.Fatalf("summary %+v alerts %+v", sum, alerts)
	}
}

func FuzzParseNginxError(f *testing.F) {
	for _, tt := range nginxErrorTests {
		f.Add(tt.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if !looksLikeNginxError([]byte(line)) {
			return
		}
		var p parser
		var rec Record
		if err := p.parseNginxError([]byte(line), &rec); err == nil && !saneTime(rec.Time) {
			t.Fatalf("accepted bad record %+v", rec)
		}
	})
}

// TestSlowScanLog replays testdata/slowscan.log, an hour of a site's
// access log (combined format, the log's own timestamps):
//
//   - 198.51.100.30 tries 100 words of a content-discovery list, one
//     every 1.5 s, all 404;
//   - 198.51.100.31 tries 100 more, one every 10 s: under every
//     per-minute limit, so content discovery never sees it;
//   - 198.51.100.32 reads articles for an hour, with their assets, a
//     missing favicon and 20 missing pages (old bookmarks) spread over it;
//   - 198.51.100.33's pages ask for 120 avatars never uploaded, all 404.
//
// Both scanners raise slow_scan; the slow one nothing else; the reader
// and the avatars nothing at all.
func TestSlowScanLog(t *testing.T) {
	raw, err := os.ReadFile("testdata/slowscan.log")
	if err != nil {
		t.Fatal(err)
	}
	sum, alerts := runLog(t, string(raw), nil)
	got := map[string]map[string]bool{}
	for _, a := range alerts {
		if got[a.Client] == nil {
			got[a.Client] = map[string]bool{}
		}
		got[a.Client][a.Scenario] = true
	}
	if !got["ip:198.51.100.30"]["slow_scan"] {
		t.Errorf("scanner at 1.5 s: %v, want slow_scan", got["ip:198.51.100.30"])
	}
	if slow := got["ip:198.51.100.31"]; !slow["slow_scan"] || len(slow) != 1 {
		t.Errorf("scanner at 10 s: %v, want slow_scan alone", slow)
	}
	for _, c := range []string{"ip:198.51.100.32", "ip:198.51.100.33"} {
		if len(got[c]) > 0 {
			t.Errorf("%s flagged %v", c, got[c])
		}
	}
	if sum.Malformed != 0 || sum.Flagged["slow_scan"] != 2 {
		t.Errorf("summary %+v", sum)
	}
}
