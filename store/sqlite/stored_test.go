package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

func storedIDs(rows []StoredEvent) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.RequestID)
	}
	return out
}

// A copier reads the events as stored in the order they were written, in
// batches, lists them as Events does, and deletes what it copied, and
// only that.
func TestStoredEvents(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// Written out of time order: reading follows the writes.
	var batch []eventlog.Event
	for _, i := range []int{3, 1, 4, 0, 2} {
		batch = append(batch, ev(fmt.Sprint(i), base.Add(time.Duration(i)*time.Second), "block"))
	}
	batch[2].Client.User = "nul\x00 and \xff"
	if err := db.WriteEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		after int64
		limit int
		want  string
	}{
		{0, 2, "[3 1]"},
		{2, 2, "[4 0]"},
		{4, 2, "[2]"},
		{5, 2, "[]"},
		{0, 0, "[3]"},               // a limit below 1 reads one
		{0, 1 << 30, "[3 1 4 0 2]"}, // clamped to MaxStoredEvents
	}
	for _, tt := range tests {
		got, err := db.StoredEventsAfter(ctx, tt.after, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(storedIDs(got)); s != tt.want {
			t.Errorf("StoredEventsAfter(%d, %d) = %s, want %s", tt.after, tt.limit, s, tt.want)
		}
	}

	all, err := db.StoredEventsAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Each row holds what was written: the columns, and the line as
	// AppendJSON made it (a copy keyed on it must match).
	for i, r := range all {
		e := batch[i]
		if r.Row != int64(i+1) || r.TimeNS != e.Time.UnixNano() || r.RequestID != e.RequestID || r.Action != e.Action ||
			r.ClientIP != e.Client.IP || r.ClientUser != e.Client.User || r.Route != e.Route || r.Status != e.Status ||
			r.Confidence != e.Abuse.Confidence || r.Data != string(e.AppendJSON(nil)) {
			t.Errorf("row %d = %+v, want event %+v", i, r, e)
		}
	}

	newest, err := db.StoredEvents(ctx, base.Add(2*time.Second), 2)
	if err != nil || fmt.Sprint(storedIDs(newest)) != "[4 3]" {
		t.Errorf("StoredEvents = %v, %v; want [4 3]", storedIDs(newest), err)
	}

	// A row whose time no longer matches (its id was reused) stays.
	stale := all[4]
	stale.TimeNS++
	n, err := db.DeleteStoredEvents(ctx, []StoredEvent{all[0], all[1], stale})
	if err != nil || n != 2 {
		t.Fatalf("DeleteStoredEvents = %d, %v; want 2", n, err)
	}
	if n, err := db.DeleteStoredEvents(ctx, nil); n != 0 || err != nil {
		t.Errorf("deleting nothing = %d, %v", n, err)
	}
	left, err := db.StoredEventsAfter(ctx, 0, 10)
	if err != nil || fmt.Sprint(storedIDs(left)) != "[4 0 2]" {
		t.Errorf("after the delete %v, %v; want [4 0 2]", storedIDs(left), err)
	}
}
