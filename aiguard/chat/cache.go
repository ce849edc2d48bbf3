package chat

import (
	"slices"
	"sync"

	"github.com/warden-dev/warden/abuse"
)

// Cache lets the detectors of an aiguard.Set that parse chat bodies with
// the same limits (prompt, budget, moderation, judge) share one parse per
// request.
// It remembers the last few parsed bodies, keyed by request ID and
// checked against the body bytes, so a hit is always the parse of the
// very same body with the same limits: a wrong ID or a reused request
// can cost a parse, never give another body's text. Only chat bodies
// (ok parses) of at most maxCachedBody bytes are kept, which bounds the
// memory held to cacheSize such bodies. Safe for concurrent use.
type Cache struct {
	lim Limits

	mu      sync.Mutex
	entries [cacheSize]cacheEntry
	next    int
}

const (
	cacheSize     = 8
	maxCachedBody = 256 << 10
)

type cacheEntry struct {
	id   string
	raw  string // the parsed body, followed by its closer when truncated
	n    int    // body length: raw[:n] is the body
	chat Chat
}

func NewCache(lim Limits) *Cache {
	return &Cache{lim: lim}
}

// parse returns Parse(r.Body, lim). The segments of a shared Chat
// must not be modified.
func (cc *Cache) parse(r *abuse.Request) (Chat, bool) {
	body := r.Body
	if len(body) > maxCachedBody {
		return Parse(body, cc.lim)
	}
	cc.mu.Lock()
	for i := range cc.entries {
		e := &cc.entries[i]
		if e.n == len(body) && e.id == r.ID && e.raw != "" && e.raw[:e.n] == string(body) {
			c := e.chat
			cc.mu.Unlock()
			return c, true
		}
	}
	cc.mu.Unlock()
	c, raw, ok := parseChat(body, cc.lim, true)
	if !ok {
		return c, false
	}
	cc.mu.Lock()
	cc.entries[cc.next] = cacheEntry{id: r.ID, raw: raw, n: len(body), chat: c}
	cc.next = (cc.next + 1) % cacheSize
	cc.mu.Unlock()
	return c, true
}

// SameLimits reports whether a and b parse every body alike.
func SameLimits(a, b Limits) bool {
	a, b = a.withDefaults(), b.withDefaults()
	return a.MaxBodyBytes == b.MaxBodyBytes && a.MaxMessages == b.MaxMessages && a.MaxTextBytes == b.MaxTextBytes &&
		a.MaxDepth == b.MaxDepth && slices.Equal(a.Paths, b.Paths)
}

// Parse parses r.Body with lim, through the cache when cc is not nil (its
// limits, which sharing requires to be the same as lim); a nil *Cache
// parses every time.
func (cc *Cache) Parse(r *abuse.Request, lim Limits) (Chat, bool) {
	if cc != nil {
		return cc.parse(r)
	}
	return Parse(r.Body, lim)
}
