package postgres

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.DSN = "postgres://warden:pw@db.internal:5432/warden?sslmode=require&pool_max_conns=4"
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" means valid
	}{
		{"defaults with a DSN", func(*Config) {}, ""},
		{"key=value DSN", func(c *Config) { c.DSN = "host=/run/postgresql dbname=warden" }, ""},
		{"no DSN", func(c *Config) { c.DSN = "" }, "dsn: required"},
		{"bad port", func(c *Config) { c.DSN = "postgres://u:pw@h:notaport/db" }, "dsn: not a valid"},
		{"bad pool setting", func(c *Config) { c.DSN = "postgres://h/db?pool_max_conns=many" }, "dsn: not a valid"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "timeout:"},
		{"huge timeout", func(c *Config) { c.Timeout = time.Hour }, "timeout:"},
		{"no retry", func(c *Config) { c.RetryAfter = 0 }, "retry_after:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

// ParseDSN's errors never show the password, however the string is
// malformed.
func TestParseDSNHidesPassword(t *testing.T) {
	const pw = "hunter2secret"
	for _, dsn := range []string{
		"postgres://u:hunter2secret@host:notaport/db",
		"postgresql://u:hunter2secret@host/db?sslmode=bogus",
		"postgres://u:hunter2secret@[::1/db",
		"postgres://u:hunter2%73ecret@host:bad/db",
		"postgres://u:hunter2secret@ho%zzst/db",
		"postgres://u:hunter2\"secret@host:bad/db",
		"postgres://u@host/db?password=hunter2secret&port=bad",
		"postgres://u@host/db?sslpassword=hunter2secret&sslmode=nope",
		"host=h password=hunter2secret port=x",
		"host=h password='hunter2secret' port=x",
		"host=h password = hunter2secret sslmode=nope",
		"host=h password='hunter2secret",
	} {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Errorf("ParseDSN(%q) succeeded", dsn)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, pw) || strings.Contains(msg, "hunter2") || !strings.HasPrefix(msg, "not a valid PostgreSQL connection string") {
			t.Errorf("ParseDSN(%q) error = %q", dsn, msg)
		}
	}
}

func FuzzParseDSNHidesPassword(f *testing.F) {
	f.Add("hunter2", "h:bad", uint8(0))
	f.Add("a\"b\\c", "[::1", uint8(1))
	f.Add("p%41ss", "h", uint8(2))
	f.Add("with space", "h", uint8(3))
	f.Fuzz(func(t *testing.T, pw, host string, form uint8) {
		// Too short or overlapping the mask: masking cannot be checked.
		if len(pw) < 4 || strings.Contains(pw, "x") {
			return
		}
		// Each form is built only with passwords its syntax delimits: in
		// "password=a&b" the password is "a", b another parameter.
		var dsn string
		switch form % 4 {
		case 0:
			dsn = "postgres://u:" + pw + "@" + host + "/db"
		case 1:
			if strings.ContainsAny(pw, "&#") {
				return
			}
			dsn = "postgres://u@" + host + "/db?password=" + pw + "&sslmode=bogus"
		case 2:
			if strings.ContainsAny(pw, " \t\n\r\v\f'") {
				return
			}
			dsn = "host=" + host + " password=" + pw + " port=bad"
		case 3:
			if strings.ContainsAny(pw, "'\\") {
				return
			}
			dsn = "host=" + host + " password='" + pw + "' port=bad"
		}
		_, err := ParseDSN(dsn)
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Fatalf("ParseDSN(%q) error shows the password: %v", dsn, err)
		}
	})
}

func TestMergeNewest(t *testing.T) {
	// at is an event as a store lists it; its line stands for the JSON
	// line, which is what tells two copies of one event apart.
	at := func(id string, sec int, line string) listed {
		return listed{ns: int64(sec) * 1e9, data: line, ev: eventlog.Event{RequestID: id, Time: time.Unix(int64(sec), 0)}}
	}
	a := []listed{at("a9", 9, "a9"), at("a5", 5, "a5"), at("a5b", 5, "a5b"), at("a1", 1, "a1")}
	b := []listed{at("b7", 7, "b7"), at("b5", 5, "b5"), at("b0", 0, "b0")}
	// c holds copies of a's events (lost replies, a backfill in flight),
	// and events that only look like them.
	c := []listed{at("a9-copy", 9, "a9"), at("c7", 7, "c7"), at("a5b-copy", 5, "a5b"), at("a5-other-time", 4, "a5"),
		at("unknown-line", 1, ""), at("a1-copy", 1, "a1")}
	tests := []struct {
		name  string
		a, b  []listed
		limit int
		want  []string
	}{
		{"interleaved", a, b, 100, []string{"a9", "b7", "a5", "a5b", "b5", "a1", "b0"}},
		{"limit", a, b, 3, []string{"a9", "b7", "a5"}},
		{"nothing from PostgreSQL", nil, b, 2, []string{"b7", "b5"}},
		{"nothing local", a, nil, 100, []string{"a9", "a5", "a5b", "a1"}},
		{"copies dropped", a, c, 100, []string{"a9", "c7", "a5", "a5b", "a5-other-time", "a1", "unknown-line"}},
		{"copies dropped, limit", a, c, 5, []string{"a9", "c7", "a5", "a5b", "a5-other-time"}},
		{"copies of each other", c, c, 100, []string{"a9-copy", "c7", "a5b-copy", "a5-other-time", "unknown-line", "a1-copy", "unknown-line"}},
	}
	for _, tt := range tests {
		if got := ids(mergeNewest(tt.a, tt.b, tt.limit)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEventID(t *testing.T) {
	line := []byte(`{"time":"2026-11-01T00:00:00Z","request_id":"x"}`)
	id := eventID(5, line)
	if id != eventID(5, slices.Clone(line)) {
		t.Error("the same event got two keys")
	}
	for name, other := range map[string][16]byte{
		"other time": eventID(6, line),
		"other line": eventID(5, append(slices.Clone(line), ' ')),
	} {
		if other == id {
			t.Errorf("%s: same key", name)
		}
	}
	// Keys sort by time, negative times included.
	times := []int64{math.MinInt64, -1, 0, 1, math.MaxInt64}
	for i := 1; i < len(times); i++ {
		lo, hi := eventID(times[i-1], line), eventID(times[i], line)
		if bytes.Compare(lo[:], hi[:]) >= 0 {
			t.Errorf("key of %d does not sort before key of %d", times[i-1], times[i])
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       "plain",
		"é😀":          "é😀",
		"a\x00b":      "a\uFFFDb",
		"bad\xff\xfe": "bad\uFFFD",
	} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetectorsText(t *testing.T) {
	for _, tc := range []struct {
		name string
		dets []eventlog.Detector
		want string
	}{
		{"none", nil, ""},
		{"two", []eventlog.Detector{{Name: "payload", Violation: "sqli"}, {Name: "bot"}}, "payload\x1fsqli\x1ebot\x1f"},
		{"separators and NUL replaced", []eventlog.Detector{{Name: "a\x1eb", Violation: "c\x1fd\x00"}}, "a\uFFFDb\x1fc\uFFFDd\uFFFD"},
	} {
		e := eventlog.Event{Abuse: &eventlog.Abuse{Detectors: tc.dets}}
		if got := detectorsText(&e); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := detectorsText(&eventlog.Event{}); got != "" {
		t.Errorf("no abuse: %q", got)
	}
}

func TestWriteNothing(t *testing.T) {
	// An empty batch touches nothing (the Store is never dialed).
	var s Store
	if err := s.WriteEvents(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkEventID is the key's share of a write: one per event.
func BenchmarkEventID(b *testing.B) {
	e := eventlog.Event{Time: time.Now(), RequestID: "wd7f3a-1k2j", Action: "block", Mode: "enforce", Status: 403,
		Route: "POST /api/search", Path: "/api/search", Method: "POST",
		Abuse: &eventlog.Abuse{Confidence: 0.95, Detectors: []eventlog.Detector{{Name: "payload", Confidence: 0.95, Violation: "sqli", Messages: []string{"sql injection in q"}}}}}
	line := e.AppendJSON(nil)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		_ = eventID(5, line)
	}
}
