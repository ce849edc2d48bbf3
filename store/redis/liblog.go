package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis logs through one package-level logger (redis.SetLogger), by
// default straight to stderr, and its connection pool prints a line for
// every dial that fails: an outage of a minute printed dozens of lines
// next to the Store's one warning. Those lines say nothing the warning
// does not (Redis is away; Warden decides locally until it is back), and
// go-redis' pool dials on its own goroutines, so a line cannot be tied to
// the Store or the call it concerns. New therefore makes libLogger
// go-redis' logger, once per process for every client in it, and
// libLogger writes each line to slog.Default() at debug level: there for
// whoever debugs the connection, never more than the Store's own
// once-per-outage warning at the default level.

var installLib sync.Once

// installLibLogger makes libLogger go-redis' logger, once per process.
// An application embedding Warden that wants go-redis' lines elsewhere
// can call redis.SetLogger after New: the last call wins.
func installLibLogger() {
	installLib.Do(func() { goredis.SetLogger(libLogger{}) })
}

// libLogger is go-redis' logger while Warden runs: each line goes to
// slog.Default() at debug level.
type libLogger struct{}

func (libLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	log := slog.Default()
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	log.DebugContext(ctx, "go-redis", "line", fmt.Sprintf(format, v...))
}
