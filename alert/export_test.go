package alert

import (
	"log/slog"
	"time"
)

// What the external tests (hour_test.go, which imports the stores that
// import this package) use of the internal ones.

type FakeClock = fakeClock
type Recorder = recorder

func NewFakeClock(t time.Time) *FakeClock   { return &fakeClock{t: t} }
func NewRecorder(name string) *Recorder     { return &recorder{name: name} }
func (r *recorder) Sent() []Notification    { return r.sent() }
func ClaimKey(a Alert, state string) string { return claimKey(a, state) }
func Quiet() *slog.Logger                   { return quiet() }
