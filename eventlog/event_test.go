package eventlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/warden-dev/warden/abuse"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)

func sampleRequest() *abuse.Request {
	return &abuse.Request{
		ID:       "req-1",
		Time:     t0,
		Client:   abuse.Client{IP: netip.MustParseAddr("203.0.113.7"), User: "42"},
		Method:   "POST",
		Path:     "/api/search",
		RawQuery: "q=%27%20OR%201%3D1--SECRETPAYLOAD",
		Route:    "POST /api/search",
	}
}

func blocked() abuse.Outcome {
	return abuse.Outcome{
		Status: 403,
		Action: abuse.Block,
		Verdicts: []abuse.Verdict{
			{Detector: "payload", Confidence: 0.95, Violation: "sqli", Messages: []string{"sql injection in query parameter q"}},
			{Detector: "bot", Confidence: 0.3},
		},
	}
}

func keys(t *testing.T, m map[string]any) []string {
	t.Helper()
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sub(t *testing.T, m map[string]any, k string) map[string]any {
	t.Helper()
	v, ok := m[k].(map[string]any)
	if !ok {
		t.Fatalf("%q is %T, want an object", k, m[k])
	}
	return v
}

// checkContractKeys asserts the exact field names of the contract's
// decision log line.
func checkContractKeys(t *testing.T, line []byte, withAbuse bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("line is not one JSON object: %v\n%s", err, line)
	}
	want := []string{"action", "client", "method", "mode", "path", "request_id", "route", "status", "time"}
	if withAbuse {
		want = append(want, "abuse")
		slices.Sort(want)
	}
	if got := keys(t, m); !slices.Equal(got, want) {
		t.Fatalf("top-level keys = %v, want %v\n%s", got, want, line)
	}
	if got := keys(t, sub(t, m, "client")); !slices.Equal(got, []string{"ip", "user"}) {
		t.Errorf("client keys = %v", got)
	}
	if !withAbuse {
		return
	}
	a := sub(t, m, "abuse")
	if got := keys(t, a); !slices.Equal(got, []string{"confidence", "detectors"}) {
		t.Errorf("abuse keys = %v", got)
	}
	ds, ok := a["detectors"].([]any)
	if !ok || len(ds) == 0 {
		t.Fatalf("abuse.detectors = %v, want a non-empty list", a["detectors"])
	}
	for _, d := range ds {
		dm, _ := d.(map[string]any)
		if got := keys(t, dm); !slices.Equal(got, []string{"confidence", "messages", "name", "violation"}) {
			t.Errorf("detector keys = %v", got)
		}
	}
}

func TestLineFieldNames(t *testing.T) {
	tests := []struct {
		name      string
		outcome   abuse.Outcome
		withAbuse bool
	}{
		{"block", blocked(), true},
		{"allow with high confidence", abuse.Outcome{Status: 200, Verdicts: []abuse.Verdict{{Detector: "bot", Confidence: 0.8}}}, true},
		{"throttle without verdict confidence", abuse.Outcome{Status: 429, Action: abuse.Throttle, Verdicts: []abuse.Verdict{{Detector: "ratelimit", Action: abuse.Throttle}}}, true},
		{"allow at threshold", abuse.Outcome{Status: 200, Verdicts: []abuse.Verdict{{Detector: "bot", Confidence: 0.5}}}, false},
		{"plain allow", abuse.Outcome{Status: 200}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(sampleRequest(), tt.outcome, "enforce")
			var buf bytes.Buffer
			if err := WriteLine(context.Background(), NewJSONHandler(&buf), &e); err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 {
				t.Fatalf("wrote %d lines, want 1", n)
			}
			checkContractKeys(t, buf.Bytes(), tt.withAbuse)

			// The struct's own JSON has the same shape, so stored events
			// and the admin API match the line.
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			checkContractKeys(t, b, tt.withAbuse)

			// And the line decodes back into the same Event.
			var back Event
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if !back.Time.Equal(e.Time) || back.RequestID != e.RequestID || back.Action != e.Action || back.Status != e.Status {
				t.Errorf("line decodes to %+v, want %+v", back, e)
			}
		})
	}
}

func TestNewValues(t *testing.T) {
	e := New(sampleRequest(), blocked(), "monitor")
	if e.Action != "block" || e.Mode != "monitor" || e.Status != 403 {
		t.Errorf("action/mode/status = %q/%q/%d", e.Action, e.Mode, e.Status)
	}
	if e.Client.IP != "203.0.113.7" || e.Client.User != "42" {
		t.Errorf("client = %+v", e.Client)
	}
	if e.Abuse == nil || e.Abuse.Confidence != 0.95 || len(e.Abuse.Detectors) != 2 {
		t.Fatalf("abuse = %+v", e.Abuse)
	}
	if d := e.Abuse.Detectors[1]; d.Messages == nil {
		t.Errorf("messages of a detector without messages should be [], got nil")
	}
	b, _ := json.Marshal(e)
	if bytes.Contains(b, []byte("SECRETPAYLOAD")) || bytes.Contains(b, []byte("q=")) {
		t.Errorf("event leaks the query string: %s", b)
	}
}

func TestNewBounds(t *testing.T) {
	r := sampleRequest()
	r.Path = "/" + strings.Repeat("é", 600) // 2-byte runes: a cut can fall mid-rune
	r.Client.User = strings.Repeat("u", 1000)
	r.ID = strings.Repeat("i", 1000)
	var vs []abuse.Verdict
	for range 40 {
		vs = append(vs, abuse.Verdict{
			Detector:   strings.Repeat("d", 200),
			Confidence: math.NaN(),
			Violation:  strings.Repeat("v", 200),
			Messages:   slices.Repeat([]string{strings.Repeat("m", 1000)}, 30),
			Action:     abuse.Block,
		})
	}
	vs[0].Confidence = math.Inf(1)
	e := New(r, abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: vs}, "enforce")
	if len(e.Path) > MaxPathBytes || !utf8.ValidString(e.Path) {
		t.Errorf("path: %d bytes, valid UTF-8 %v", len(e.Path), utf8.ValidString(e.Path))
	}
	if len(e.Client.User) > MaxUserBytes || len(e.RequestID) > MaxRequestIDBytes {
		t.Errorf("user %d bytes, request id %d bytes", len(e.Client.User), len(e.RequestID))
	}
	if len(e.Abuse.Detectors) != MaxDetectors {
		t.Errorf("%d detectors, want %d", len(e.Abuse.Detectors), MaxDetectors)
	}
	if e.Abuse.Confidence != 1 || e.Abuse.Detectors[1].Confidence != 0 {
		t.Errorf("confidences not clamped: %v, %v", e.Abuse.Confidence, e.Abuse.Detectors[1].Confidence)
	}
	for _, d := range e.Abuse.Detectors {
		if len(d.Name) > MaxNameBytes || len(d.Violation) > MaxNameBytes || len(d.Messages) > MaxMessages {
			t.Fatalf("detector not bounded: name %d, violation %d, %d messages", len(d.Name), len(d.Violation), len(d.Messages))
		}
		for _, m := range d.Messages {
			if len(m) > MaxMessageBytes {
				t.Fatalf("message of %d bytes", len(m))
			}
		}
	}
	if _, err := json.Marshal(e); err != nil {
		t.Errorf("bounded event does not encode: %v", err)
	}
}

func TestWanted(t *testing.T) {
	tests := []struct {
		o    abuse.Outcome
		want bool
	}{
		{abuse.Outcome{}, false},
		{abuse.Outcome{Verdicts: []abuse.Verdict{{Confidence: 0.5}}}, false},
		{abuse.Outcome{Verdicts: []abuse.Verdict{{Confidence: 0.51}}}, true},
		{abuse.Outcome{Action: abuse.Log}, true},
		{abuse.Outcome{Action: abuse.Ban}, true},
	}
	for i, tt := range tests {
		if got := Wanted(tt.o); got != tt.want {
			t.Errorf("%d: Wanted(%+v) = %v, want %v", i, tt.o, got, tt.want)
		}
	}
}

func FuzzNew(f *testing.F) {
	f.Add("/api/search", "42", "sql injection", 0.9)
	f.Add("/"+strings.Repeat("é", 300), "\xff\xfe", "\x00<script>", 2.0)
	f.Fuzz(func(t *testing.T, path, user, msg string, conf float64) {
		r := sampleRequest()
		r.Path, r.Client.User = path, user
		o := abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: []abuse.Verdict{{Detector: "x", Confidence: conf, Messages: []string{msg}}}}
		e := New(r, o, "enforce")
		if len(e.Path) > MaxPathBytes || len(e.Client.User) > MaxUserBytes {
			t.Fatalf("unbounded: path %d, user %d", len(e.Path), len(e.Client.User))
		}
		var buf bytes.Buffer
		if err := WriteLine(context.Background(), NewJSONHandler(&buf), &e); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("invalid JSON line: %q", buf.Bytes())
		}
	})
}

func ExampleWriteLine() {
	r := &abuse.Request{
		ID:     "7f3a",
		Time:   time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Client: abuse.Client{IP: netip.MustParseAddr("203.0.113.7")},
		Method: "GET",
		Path:   "/api/users/8",
		Route:  "GET /api/users/{id}",
	}
	o := abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: []abuse.Verdict{
		{Detector: "behavior", Confidence: 0.9, Violation: "enumeration", Messages: []string{"sequential ids 1..8 in 4s"}},
	}}
	e := New(r, o, "enforce")
	var buf bytes.Buffer
	_ = WriteLine(context.Background(), NewJSONHandler(&buf), &e)
	fmt.Print(buf.String())
	// Output:
	// {"time":"2026-11-23T12:00:00Z","request_id":"7f3a","client":{"ip":"203.0.113.7","user":""},"method":"GET","route":"GET /api/users/{id}","path":"/api/users/8","status":403,"action":"block","mode":"enforce","abuse":{"confidence":0.9,"detectors":[{"name":"behavior","confidence":0.9,"violation":"enumeration","messages":["sequential ids 1..8 in 4s"]}]}}
}

func BenchmarkNew(b *testing.B) {
	r, o := sampleRequest(), blocked()
	b.ReportAllocs()
	for b.Loop() {
		_ = New(r, o, "enforce")
	}
}

func BenchmarkWriteLine(b *testing.B) {
	e := New(sampleRequest(), blocked(), "enforce")
	h := NewJSONHandler(io.Discard)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = WriteLine(ctx, h, &e)
	}
}

func BenchmarkMarshal(b *testing.B) {
	e := New(sampleRequest(), blocked(), "enforce")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(e)
	}
}

// An event must not pin the memory its strings were cut from: a 600-byte
// path sliced from a 64 KiB URI would otherwise keep the URI alive while the
// event waits in the queue.
func TestNewCopiesStrings(t *testing.T) {
	big := "/" + strings.Repeat("a", 64<<10)
	r := sampleRequest()
	r.Path = big[:600]
	o := blocked()
	o.Verdicts[0].Messages = []string{big[:40]}
	e := New(r, o, "enforce")
	inBig := func(s string) bool {
		if s == "" {
			return false
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		b := uintptr(unsafe.Pointer(unsafe.StringData(big)))
		return p >= b && p < b+uintptr(len(big))
	}
	if inBig(e.Path) || inBig(e.Abuse.Detectors[0].Messages[0]) {
		t.Error("event strings alias the request's memory")
	}
	if e.Path != big[:MaxPathBytes] || e.Abuse.Detectors[0].Messages[0] != big[:40] {
		t.Error("copied strings differ from their source")
	}
}

func TestNewCapsAllMessages(t *testing.T) {
	var vs []abuse.Verdict
	for i := range MaxDetectors {
		vs = append(vs, abuse.Verdict{Detector: fmt.Sprint("d", i), Confidence: 0.9,
			Messages: slices.Repeat([]string{strings.Repeat("m", MaxMessageBytes)}, MaxMessages)})
	}
	e := New(sampleRequest(), abuse.Outcome{Status: 403, Action: abuse.Block, Verdicts: vs}, "enforce")
	total := 0
	for _, d := range e.Abuse.Detectors {
		for _, m := range d.Messages {
			total += len(m)
		}
		if d.Messages == nil {
			t.Fatal("a detector past the budget has nil messages; want []")
		}
	}
	if total > MaxMessagesBytes || total < MaxMessagesBytes-MaxMessageBytes {
		t.Errorf("messages total %d bytes, want just under %d", total, MaxMessagesBytes)
	}
	if len(e.Abuse.Detectors) != MaxDetectors {
		t.Errorf("%d detectors kept, want all %d (names survive the message budget)", len(e.Abuse.Detectors), MaxDetectors)
	}
	b, _ := json.Marshal(e)
	if len(b) > 6<<10 {
		t.Errorf("worst-case event encodes to %d bytes", len(b))
	}
}

func TestFromDecisionRedacts(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
	for _, tc := range []struct {
		name, path, msg, secret string
	}{
		{"json key in a message", "/users", `sqli: libinjection sqli in json "password": "9/u%cA^Us/*d^M'l?H%U"`, "9/u%cA"},
		{"jwt in a message", "/", "xss: in header \"X-Odd\": \"" + jwt + "\"", jwt[:30]},
		{"jwt in the path", "/reset/" + jwt, "traversal: x", jwt[:30]},
		{"card in a message", "/", "sqli: in json \"note\": \"4111 1111 1111 1111' or 1=1\"", "4111 1111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &abuse.Request{Method: "POST", Path: tc.path}
			e := FromDecision(r, 403, abuse.Block, "enforce", []abuse.Verdict{{Detector: "payload", Confidence: 0.9, Violation: "sqli", Messages: []string{tc.msg}}})
			b := e.AppendJSON(nil)
			if strings.Contains(string(b), tc.secret) {
				t.Errorf("the event holds the secret %q: %s", tc.secret, b)
			}
			if !strings.Contains(string(b), "[redacted]") {
				t.Errorf("the event does not say [redacted]: %s", b)
			}
		})
	}
}

// An AI request's measured tokens go into the line as the contract's
// optional tokens object, model bounded and redacted; a request without
// tokens has no such key.
func TestNewTokens(t *testing.T) {
	long := strings.Repeat("x", 2*MaxNameBytes)
	for _, tc := range []struct {
		name   string
		tokens abuse.Tokens
		want   *Tokens
	}{
		{"none", abuse.Tokens{Model: "gpt-4o"}, nil},
		{"measured", abuse.Tokens{Model: "gpt-4o", Prompt: 12, Completion: 30}, &Tokens{Prompt: 12, Completion: 30, Model: "gpt-4o"}},
		{"estimated", abuse.Tokens{Model: "m", Prompt: 7, Estimated: true}, &Tokens{Prompt: 7, Model: "m", Estimated: true}},
		{"long model", abuse.Tokens{Model: long, Completion: 1}, &Tokens{Completion: 1, Model: long[:MaxNameBytes]}},
		{"secret in model", abuse.Tokens{Model: "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", Prompt: 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleRequest()
			r.Tokens = tc.tokens
			e := New(r, abuse.Outcome{Status: 200}, "enforce")
			line := e.AppendJSON(nil)
			if tc.name == "secret in model" {
				if e.Tokens == nil || strings.Contains(string(line), "abcdefghijklmnop") {
					t.Fatalf("secret model name logged: %s", line)
				}
				return
			}
			if !reflect.DeepEqual(e.Tokens, tc.want) {
				t.Fatalf("tokens %+v, want %+v", e.Tokens, tc.want)
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			if _, ok := m["tokens"]; ok != (tc.want != nil) {
				t.Fatalf("tokens key present %v, want %v: %s", ok, tc.want != nil, line)
			}
		})
	}
}
