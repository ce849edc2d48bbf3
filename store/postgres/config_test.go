package postgres

import (
	"context"
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
	at := func(id string, sec int) eventlog.Event {
		return eventlog.Event{RequestID: id, Time: time.Unix(int64(sec), 0)}
	}
	a := []eventlog.Event{at("a9", 9), at("a5", 5), at("a5b", 5), at("a1", 1)}
	b := []eventlog.Event{at("b7", 7), at("b5", 5), at("b0", 0)}
	tests := []struct {
		limit int
		want  []string
	}{
		{100, []string{"a9", "b7", "a5", "a5b", "b5", "a1", "b0"}},
		{3, []string{"a9", "b7", "a5"}},
	}
	for _, tt := range tests {
		if got := ids(mergeNewest(a, b, tt.limit)); !slices.Equal(got, tt.want) {
			t.Errorf("limit %d: %v, want %v", tt.limit, got, tt.want)
		}
	}
	if got := ids(mergeNewest(nil, b, 2)); len(got) != 3 {
		t.Errorf("merge with nothing from PostgreSQL = %v, want the fallback's list as is", got)
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

func TestWriteNothing(t *testing.T) {
	// An empty batch touches nothing (the Store is never dialed).
	var s Store
	if err := s.WriteEvents(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}
