package eventlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/overviewtest"
)

func TestMemorySearch(t *testing.T) {
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := eventlog.NewMemoryStore(1000)
	if err := m.WriteEvents(context.Background(), overviewtest.Events(base)); err != nil {
		t.Fatal(err)
	}
	overviewtest.CheckSearch(t, m, base)
}

func TestCursor(t *testing.T) {
	for _, c := range []eventlog.Cursor{{}, {TimeNS: 1, Row: 2}, {TimeNS: -5, Row: 1 << 40}} {
		got, err := eventlog.ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
	for _, bad := range []string{"!!", "MTI", "YS5i"} { // not base64, "12", "a.b"
		if _, err := eventlog.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q): no error", bad)
		}
	}
}
