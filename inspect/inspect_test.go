package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/payload"
)

func payloadDetector(t testing.TB) abuse.Detector {
	t.Helper()
	d, err := payload.New(payload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func run(t *testing.T, in string, opts Options) ([]map[string]any, Summary) {
	t.Helper()
	var out bytes.Buffer
	sum, err := Run(context.Background(), strings.NewReader(in), &out, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var res []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line %q is not JSON: %v", line, err)
		}
		res = append(res, m)
	}
	return res, sum
}

func TestRun(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a1","method":"GET","uri":"/items?id=1'+UNION+SELECT+password+FROM+users--","headers":{"User-Agent":"curl/8"}}`,
		`{"id":2,"method":"POST","uri":"/c","headers":{"Content-Type":"application/json"},"body":"{\"q\":\"O'Reilly\"}","extra":"ignored"}`,
		`not json`,
		``,
		`{"id":"h","uri":"http://example.com/p?x=<script>alert(1)</script>#frag","headers":{"X-Multi":["a","b"]}}`,
		`{"id":"bad-header","uri":"/","headers":{"X":5}}`,
	}, "\n")
	res, sum := run(t, in, Options{Detectors: []abuse.Detector{payloadDetector(t)}})
	if len(res) != 5 {
		t.Fatalf("got %d output lines, want 5: %v", len(res), res)
	}
	tests := []struct {
		i      int
		id     any
		action string
		errSub string
	}{
		{0, "a1", "block", ""},
		{1, float64(2), "allow", ""},
		{2, nil, "", "line 3"},
		{3, "h", "block", ""},
		{4, "bad-header", "", "header"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.i), func(t *testing.T) {
			r := res[tc.i]
			if r["id"] != tc.id {
				t.Errorf("id = %v, want %v", r["id"], tc.id)
			}
			if tc.errSub != "" {
				if e, _ := r["error"].(string); !strings.Contains(e, tc.errSub) {
					t.Errorf("error = %q, want it to mention %q", e, tc.errSub)
				}
				return
			}
			if r["action"] != tc.action {
				t.Errorf("action = %v, want %v (%v)", r["action"], tc.action, r)
			}
			for _, k := range []string{"confidence", "detectors", "messages"} {
				if _, ok := r[k]; !ok {
					t.Errorf("field %q missing: %v", k, r)
				}
			}
			if tc.action == "block" {
				ds, _ := r["detectors"].([]any)
				if len(ds) != 1 || ds[0] != "payload" {
					t.Errorf("detectors = %v, want [payload]", ds)
				}
			}
		})
	}
	if sum.Requests != 3 || sum.Errors != 2 || sum.Actions["block"] != 2 || sum.Actions["allow"] != 1 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestRunLongLine(t *testing.T) {
	in := `{"id":"long","uri":"/?a=` + strings.Repeat("x", 5000) + `"}` + "\n" + `{"id":"next","uri":"/"}` + "\n"
	res, sum := run(t, in, Options{MaxLineBytes: 1024})
	if len(res) != 2 || res[0]["error"] == nil || res[1]["id"] != "next" || res[1]["action"] != "allow" {
		t.Fatalf("long line not skipped cleanly: %v", res)
	}
	if sum.Errors != 1 || sum.Requests != 1 {
		t.Fatalf("summary = %+v", sum)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, strings.NewReader(`{"id":1,"uri":"/"}`+"\n"), &bytes.Buffer{}, Options{})
	if err == nil {
		t.Fatal("Run on a cancelled context returned nil")
	}
}

func TestDefaultDecide(t *testing.T) {
	tests := []struct {
		name string
		vs   []abuse.Verdict
		want abuse.Action
	}{
		{"none", nil, abuse.Allow},
		{"weak", []abuse.Verdict{{Confidence: 0.5}}, abuse.Allow},
		{"grey", []abuse.Verdict{{Confidence: 0.6}}, abuse.Log},
		{"strong", []abuse.Verdict{{Confidence: 0.8}}, abuse.Block},
		{"own action wins", []abuse.Verdict{{Confidence: 0.1, Action: abuse.Throttle}, {Confidence: 0.6}}, abuse.Throttle},
		{"most severe", []abuse.Verdict{{Action: abuse.Reject}, {Confidence: 0.9}}, abuse.Block},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultDecide(tc.vs); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBuildRequest(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"ua"}}
	tests := []struct {
		uri, path, query, host string
	}{
		{"/a/b?x=1&y=2", "/a/b", "x=1&y=2", ""},
		{"https://api.example.com/v1?q=%27#frag", "/v1", "q=%27", "api.example.com"},
		{"http://h.example", "/", "", "h.example"},
		{"", "/", "", ""},
		{"/p%zz?bad=%", "/p%zz", "bad=%", ""},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			r, err := BuildRequest("", tc.uri, h.Clone(), []byte("0123456789"), 4, now)
			if err != nil {
				t.Fatal(err)
			}
			if r.Path != tc.path || r.RawQuery != tc.query || r.Host != tc.host || r.Method != "GET" {
				t.Errorf("got path %q query %q host %q method %q", r.Path, r.RawQuery, r.Host, r.Method)
			}
			if string(r.Body) != "0123" || !r.BodyTruncated || !r.Time.Equal(now) || r.ContentType != "application/json" || r.UserAgent != "ua" {
				t.Errorf("request fields wrong: %+v", r)
			}
		})
	}
	if _, err := BuildRequest("GE T", "/", nil, nil, 0, now); err == nil {
		t.Error("method with a space accepted")
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"id":"a1","method":"GET","uri":"/items?id=1","headers":{"A":"b","C":["d"]},"body":"x"}`))
	f.Add([]byte(`{"uri":"http://h/p?q#f"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		_, r, err := ParseLine(line, Options{})
		if err == nil && (r == nil || r.Path == "" || r.Path[0] == '?') {
			t.Fatalf("bad request from %q: %+v", line, r)
		}
	})
}

func ExampleRun() {
	d, _ := payload.New(payload.DefaultConfig())
	in := strings.NewReader(`{"id":"r1","method":"GET","uri":"/download?file=../../../../etc/passwd","headers":{}}
{"id":"r2","method":"GET","uri":"/search?q=O'Reilly","headers":{}}
`)
	var out bytes.Buffer
	sum, _ := Run(context.Background(), in, &out, Options{Detectors: []abuse.Detector{d}})
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r Result
		_ = json.Unmarshal([]byte(line), &r)
		fmt.Println(string(r.ID), r.Action, r.Detectors)
	}
	fmt.Println(sum.Requests, "requests,", sum.Actions["block"], "blocked")
	// Output:
	// "r1" block [payload]
	// "r2" allow []
	// 2 requests, 1 blocked
}

func TestParseLineBodyValue(t *testing.T) {
	tests := []struct {
		line, body string
		err        bool
	}{
		{`{"body":"a=1&b=2"}`, "a=1&b=2", false},
		{`{"body":{ "q" : "x", "n": [1, 2] }}`, `{"q":"x","n":[1,2]}`, false},
		{`{"body":[1,2]}`, `[1,2]`, false},
		{`{"body":42}`, `42`, false},
		{`{"body":true}`, `true`, false},
		{`{"body":null}`, ``, false},
		{`{}`, ``, false},
	}
	for _, tc := range tests {
		_, r, err := ParseLine([]byte(tc.line), Options{})
		if (err != nil) != tc.err {
			t.Errorf("%s: error %v", tc.line, err)
			continue
		}
		if err == nil && string(r.Body) != tc.body {
			t.Errorf("%s: body %q, want %q", tc.line, r.Body, tc.body)
		}
	}
}
