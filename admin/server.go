package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/clip"
)

// EventSource answers decision-log queries; eventlog.Store (and so
// store/sqlite.DB and eventlog.MemoryStore) satisfies it.
type EventSource interface {
	Events(ctx context.Context, since time.Time, limit int) ([]eventlog.Event, error)
}

// Violations reports a target's violation scores and counts per violation
// type, for GET /api/v1/violations. The value is encoded as JSON under
// "violations". Adapt a function with ViolationsFunc.
type Violations interface {
	Violations(ctx context.Context, t ban.Target) (any, error)
}

// ViolationsFunc adapts a function to Violations.
type ViolationsFunc func(ctx context.Context, t ban.Target) (any, error)

// Violations calls f.
func (f ViolationsFunc) Violations(ctx context.Context, t ban.Target) (any, error) { return f(ctx, t) }

// Forgetter clears what Warden holds about a target besides its ban —
// violation scores and per-client detector state — when an admin lifts
// its ban (DELETE /api/v1/bans/{target} without keep_score=true), so the
// cause of the ban does not ban the client again. *warden.Guard
// implements it.
type Forgetter interface {
	Forget(ctx context.Context, t ban.Target) error
}

// Reports returns the stored daily report of a UTC date, for
// GET /api/v1/reports/{date}. The value is encoded as JSON. It returns an
// error matching ErrNotFound (or fs.ErrNotExist) when there is none. Adapt
// a function with ReportsFunc.
type Reports interface {
	Report(ctx context.Context, date time.Time) (any, error)
}

// ReportsFunc adapts a function to Reports.
type ReportsFunc func(ctx context.Context, date time.Time) (any, error)

// Report calls f.
func (f ReportsFunc) Report(ctx context.Context, date time.Time) (any, error) { return f(ctx, date) }

// AlertLog is the incident log for GET /api/v1/alerts: the alert
// messages created at or after since, newest first, at most limit. The
// value is encoded as JSON under "alerts". Adapt a function with
// AlertLogFunc.
type AlertLog interface {
	AlertHistory(ctx context.Context, since time.Time, limit int) (any, error)
}

// AlertLogFunc adapts a function to AlertLog.
type AlertLogFunc func(ctx context.Context, since time.Time, limit int) (any, error)

// AlertHistory calls f.
func (f AlertLogFunc) AlertHistory(ctx context.Context, since time.Time, limit int) (any, error) {
	return f(ctx, since, limit)
}

// ErrNotFound is matched by errors of Violations or Reports that mean
// "nothing stored": the API answers 404.
var ErrNotFound = errors.New("not found")

// Options wire a Server. Only Token is required; a route whose source is
// nil answers 501 with a JSON body saying what is not configured.
type Options struct {
	Token      string      // the Bearer token (see LoadOrCreateToken)
	Bans       ban.Store   // GET/POST/DELETE /api/v1/bans
	Events     EventSource // GET /api/v1/events; /overview and /decisions when it is an eventlog.Overviewer and Searcher
	Violations Violations  // GET /api/v1/violations
	Reports    Reports     // GET /api/v1/reports/{date}
	Alerts     AlertLog    // GET /api/v1/alerts
	Forget     Forgetter   // DELETE /api/v1/bans/{target} clears scores too; nil: only the ban is lifted
	Metrics    http.Handler
	// Scope is how much address space an IP ban covers, as enforcement
	// keys it (enforce.Config.Scope): a ban added on an IPv6 address
	// covers its network, and lifting it by the address or the network
	// both work. The zero Scope bans an IPv6 /64.
	Scope ban.Scope
	// Now is the clock for ban times; nil means time.Now.
	Now func() time.Time
	// OnBanAdded is called after an admin added a ban (e.g. to count it).
	OnBanAdded func(ban.Ban)
	// OnBanLifted is called after an admin lifted the ban on a target
	// (e.g. to remove it from an edge firewall, to record it), with
	// whether the target's scores were cleared too.
	OnBanLifted func(ban.Change)
	// OnPanic is called when a handler panicked (e.g. to count it).
	OnPanic func()
	// Log receives admin actions (bans added and lifted) and recovered
	// panics. Nil means slog.Default().
	Log *slog.Logger
}

// Limits of the admin API.
const (
	MaxBodyBytes   = 64 << 10
	MaxReasonBytes = 512
	MaxBanDuration = 10 * 365 * 24 * time.Hour
)

// Server is the admin API's http.Handler. It is safe for concurrent use.
// Every route except GET /healthz requires "Authorization: Bearer <token>";
// the token is compared in constant time (SHA-256 of both sides, then
// crypto/subtle), so neither its content nor its length leaks through
// timing.
type Server struct {
	opts      Options
	tokenHash [sha256.Size]byte
	mux       *http.ServeMux
	dashboard dashboard
}

// New returns the admin handler.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		return nil, errors.New("admin: no token: the admin API is never served without one")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	d, err := newDashboard()
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	s := &Server{opts: opts, tokenHash: sha256.Sum256([]byte(opts.Token)), dashboard: d}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleDashboard)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	mux.HandleFunc("GET /api/v1/bans", s.handleListBans)
	mux.HandleFunc("POST /api/v1/bans", s.handleAddBan)
	mux.HandleFunc("DELETE /api/v1/bans/{target...}", s.handleLiftBan)
	mux.HandleFunc("GET /api/v1/violations", s.handleViolations)
	mux.HandleFunc("GET /api/v1/events", s.handleEvents)
	mux.HandleFunc("GET /api/v1/overview", s.handleOverview)
	mux.HandleFunc("GET /api/v1/decisions", s.handleDecisions)
	mux.HandleFunc("GET /api/v1/reports/{date}", s.handleReport)
	mux.HandleFunc("GET /api/v1/alerts", s.handleAlerts)
	s.mux = mux
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.recover(w, r)
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	if !s.authorized(r) {
		h.Set("WWW-Authenticate", `Bearer realm="warden-admin"`)
		if r.Method == http.MethodGet && r.URL.Path == "/" && wantsHTML(r) {
			// A browser cannot send the Bearer header on navigation: it
			// gets the dashboard page, which holds no data, asks for the
			// token and sends it with every API call.
			s.dashboard.serve(w, http.StatusUnauthorized)
			return
		}
		writeError(w, http.StatusUnauthorized, "unauthorized", "", "missing or wrong Bearer token")
		return
	}
	handler, pattern := s.mux.Handler(r)
	if pattern == "" {
		// Not found or method not allowed: answer in JSON, keeping the
		// status and Allow header the mux chose.
		c := &statusCapture{header: http.Header{}}
		handler.ServeHTTP(c, r)
		if allow := c.header.Get("Allow"); allow != "" {
			h.Set("Allow", allow)
		}
		code := c.status
		switch {
		case code >= 300 && code < 400: // the mux cleaning the path
			h.Set("Location", c.header.Get("Location"))
			w.WriteHeader(code)
			return
		case code == http.StatusMethodNotAllowed:
			writeError(w, code, "method_not_allowed", "", "method not allowed on this route")
		default:
			writeError(w, http.StatusNotFound, "not_found", "", "no such route")
		}
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized reports whether r carries the token. The comparison takes the
// same time whatever the presented token is.
func (s *Server) authorized(r *http.Request) bool {
	// The scheme name is case-insensitive (RFC 9110, 11.1).
	auth := r.Header.Get("Authorization")
	ok := len(auth) > len("Bearer ") && strings.EqualFold(auth[:len("Bearer ")], "Bearer ")
	got := ""
	if ok {
		got = auth[len("Bearer "):]
	} // else still hash and compare, so a missing header costs the same
	sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
	return subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) == 1 && ok
}

func (s *Server) recover(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	if s.opts.OnPanic != nil {
		s.opts.OnPanic()
	}
	s.opts.Log.Error("admin: handler panicked", "method", r.Method, "path", clip.String(r.URL.Path, 64), "panic", fmt.Sprint(v))
	writeError(w, http.StatusInternalServerError, "internal", "", "internal error")
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// statusCapture records the status and headers of the mux's own 404/405
// answer and discards its text body.
type statusCapture struct {
	header http.Header
	status int
}

func (c *statusCapture) Header() http.Header         { return c.header }
func (c *statusCapture) Write(b []byte) (int, error) { return len(b), nil }
func (c *statusCapture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.opts.Metrics == nil {
		notConfigured(w, "metrics")
		return
	}
	s.opts.Metrics.ServeHTTP(w, r)
}

func (s *Server) handleDashboard(w http.ResponseWriter, _ *http.Request) {
	s.dashboard.serve(w, http.StatusOK)
}

var _ http.Handler = (*Server)(nil)

// HTTPServer returns an http.Server for the admin listener at addr serving
// s, with timeouts and header limits suited to a small API: slow or
// oversized clients cannot hold it open.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}
