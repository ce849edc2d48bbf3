package server

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-dev/warden/ban"
)

type historyStore struct {
	mu sync.Mutex
	cs []ban.Change
}

func (h *historyStore) AddBanChanges(_ context.Context, cs []ban.Change) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cs = append(h.cs, cs...)
	return nil
}

// Changes queued before close are written by close; one recorded after
// close (an admin call racing shutdown) is dropped and counted, never a
// panic.
func TestBanHistoryClose(t *testing.T) {
	st := &historyStore{}
	var dropped atomic.Int64
	h := newBanHistory(st, 0, time.Now, func() { dropped.Add(1) })
	b := ban.Ban{Target: ban.UserTarget("u"), Created: time.Now(), Until: time.Now().Add(time.Hour)}
	h.placed(b, ban.ByEnforce)
	h.record(ban.Change{Time: time.Now(), Lifted: true, Ban: ban.Ban{Target: b.Target}, By: ban.ByAdmin})
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	h.record(ban.Change{Time: time.Now(), Lifted: true, Ban: ban.Ban{Target: b.Target}, By: ban.ByAdmin})
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.cs) != 2 || st.cs[0].Lifted || !st.cs[1].Lifted || dropped.Load() != 1 {
		t.Fatalf("written %+v, dropped %d; want placed then lifted written, one dropped", st.cs, dropped.Load())
	}
}
