package eventlog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// plain has Event's fields and tags and no methods, so encoding/json
// encodes it by reflection whatever methods Event gains: the reference
// AppendJSON must match byte for byte.
type plain Event

func reference(t testing.TB, e *Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode((*plain)(e)); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func encodeCases() []Event {
	blockedEv := New(sampleRequest(), blocked(), "enforce")
	allowEv := New(sampleRequest(), abuse.Outcome{Status: 200}, "monitor")
	odd := blockedEv
	odd.Path = "/a\"b\\c\n\r\t\x00\x1f\x7f<>&\u2028\u2029\xff\xfeé😀"
	odd.Client.User = "\xed\xa0\x80" // a UTF-16 surrogate encoded in UTF-8: invalid
	odd.Abuse = &Abuse{Confidence: 1e-7, Detectors: []Detector{
		{Name: "x", Confidence: 0.123456789, Messages: nil},
		{Name: "y", Confidence: 1, Messages: []string{"", "m"}},
		{Name: "z", Confidence: 1e21},
	}}
	empty := Event{Abuse: &Abuse{}}
	monitored := New(sampleRequest(), abuse.Outcome{Status: 200, Action: abuse.Log, Verdicts: blocked().Verdicts}, "monitor")
	monitored.Would = "block"
	ai := sampleRequest()
	ai.Tokens = abuse.Tokens{Model: "gpt-4o\"mini\u2028", Prompt: 120, Completion: 34}
	withTokens := New(ai, abuse.Outcome{Status: 200}, "enforce")
	ai.Tokens = abuse.Tokens{Model: "m", Prompt: 9, Estimated: true}
	estimated := New(ai, blocked(), "enforce")
	return []Event{blockedEv, allowEv, withTokens, estimated, odd, empty, {}, monitored}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for i, e := range encodeCases() {
		got := e.AppendJSON(nil)
		if want := reference(t, &e); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
		var back Event
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("case %d does not decode: %v", i, err)
		}
	}
}

// The fast path of WriteLine and the generic slog path write the same
// object.
func TestLinePathsAgree(t *testing.T) {
	for i, e := range encodeCases()[:4] {
		var fast, slow bytes.Buffer
		if err := WriteLine(context.Background(), NewJSONHandler(&fast), &e); err != nil {
			t.Fatal(err)
		}
		if err := WriteLine(context.Background(), NewJSONHandler(&slow).json, &e); err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		if err := json.Unmarshal(fast.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(slow.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("case %d:\nfast %s\nslog %s", i, fast.Bytes(), slow.Bytes())
		}
	}
}

func TestAppendFloatNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := string(appendFloat(nil, f)); got != "0" {
			t.Errorf("appendFloat(%v) = %s", f, got)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("/api/search", "42", "sql injection", 0.9)
	f.Add("/a\"\\\n\x00\u2028\xff", "\xed\xa0\x80", "<script>", 1e-9)
	f.Fuzz(func(t *testing.T, path, user, msg string, conf float64) {
		if math.IsNaN(conf) || math.IsInf(conf, 0) {
			conf = 0
		}
		e := Event{Path: path, Client: Client{User: user}, Abuse: &Abuse{Confidence: conf,
			Detectors: []Detector{{Name: msg, Confidence: conf, Messages: []string{msg, path}}}}}
		if got, want := e.AppendJSON(nil), reference(t, &e); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

func TestWriteLineFastPathAllocs(t *testing.T) {
	e := New(sampleRequest(), blocked(), "enforce")
	h := NewJSONHandler(io.Discard)
	ctx := context.Background()
	_ = WriteLine(ctx, h, &e)
	if n := testing.AllocsPerRun(100, func() { _ = WriteLine(ctx, h, &e) }); n != 0 {
		t.Errorf("WriteLine to a LineHandler: %v allocs, want 0", n)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	e := New(sampleRequest(), blocked(), "enforce")
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendJSON(buf[:0])
	}
}

// BenchmarkWriteLineSlog is the peer of BenchmarkWriteLine: the same line
// through slog.JSONHandler's attribute path.
func BenchmarkWriteLineSlog(b *testing.B) {
	e := New(sampleRequest(), blocked(), "enforce")
	h := NewJSONHandler(io.Discard).json
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = WriteLine(ctx, h, &e)
	}
}
