package ban

import (
	"context"
	"time"
)

// Change is a ban placed or lifted, as the ban history keeps it for the
// daily report ("bans issued and lifted"). A ban that runs out is no
// Change: its end is the Until of the Change that placed it.
type Change struct {
	Time   time.Time
	Lifted bool // false: the ban was placed
	Ban    Ban  // placed: the ban; lifted: Target only
	// By is who placed or lifted it: "enforce" (the violation scores) or
	// "admin" (the admin API).
	By string
	// ScoreCleared says a lift also cleared the target's violation scores
	// and behaviour state (DELETE /api/v1/bans/{target} without
	// keep_score=true).
	ScoreCleared bool
}

// Who placed or lifted a ban (Change.By).
const (
	ByEnforce = "enforce"
	ByAdmin   = "admin"
)

// History keeps ban changes; store/sqlite and store/postgres implement
// it. AddBanChanges stores a batch, all or none.
type History interface {
	AddBanChanges(ctx context.Context, cs []Change) error
}
