package tune

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/warden-dev/warden/eventlog"
)

// Scanner is an event store that streams a window of events, oldest
// first: store/sqlite.DB and store/postgres.Store.
type Scanner interface {
	ScanEvents(ctx context.Context, from, to time.Time, fn func(eventlog.Event) error) error
}

// FromStore adds to t every event of s with from <= time < to.
func FromStore(ctx context.Context, s Scanner, from, to time.Time, t *Tuner) error {
	return s.ScanEvents(ctx, from, to, func(e eventlog.Event) error {
		t.Add(&e)
		return ctx.Err()
	})
}

// maxLine bounds one line of a log file; longer lines are skipped. A
// decision line is bounded by eventlog's limits to well under this.
const maxLine = 64 << 10

// FromLines adds to t the decision lines of r (JSON Lines, as `warden
// serve` writes them to stderr) whose time is at or after since (zero:
// all). Lines that are not decision lines — the server's own log lines
// interleaved with them, lines too long — are skipped and counted.
func FromLines(ctx context.Context, r io.Reader, since time.Time, t *Tuner) (skipped int, err error) {
	br := bufio.NewReaderSize(r, maxLine)
	var line []byte
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return skipped, ctx.Err()
		}
		chunk, isPrefix, err := br.ReadLine()
		if err == io.EOF {
			return skipped, nil
		}
		if err != nil {
			return skipped, fmt.Errorf("read line %d: %w", n+1, err)
		}
		line = append(line[:0], chunk...)
		if isPrefix {
			for isPrefix && err == nil { // too long: skip the rest of it
				_, isPrefix, err = br.ReadLine()
			}
			skipped++
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var e eventlog.Event
		if line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Time.IsZero() || e.Action == "" {
			skipped++
			continue
		}
		if !since.IsZero() && e.Time.Before(since) {
			continue
		}
		t.Add(&e)
	}
}
