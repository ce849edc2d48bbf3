package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/eventlog"
	"github.com/warden-dev/warden/internal/clip"
)

// apiError is every error body of the admin API:
// {"error":"bad_request","field":"duration","message":"…"}.
type apiError struct {
	Error   string `json:"error"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal","message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, apiError{Error: code, Field: field, Message: msg})
}

// badRequest answers 400. Client-supplied text in the message is bounded
// by the caller (bounded, or the ban package's errors); the whole message
// is bounded too.
func badRequest(w http.ResponseWriter, field, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "bad_request", field, clip.String(fmt.Sprintf(format, args...), 256))
}

func notConfigured(w http.ResponseWriter, what string) {
	writeError(w, http.StatusNotImplemented, "not_configured", "", what+" is not configured on this Warden")
}

func (s *Server) internal(w http.ResponseWriter, op string, err error) {
	s.opts.Log.Error("admin: "+op+" failed", "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "", op+" failed")
}

func (s *Server) banView(b ban.Ban, now time.Time) Ban {
	return Ban{Ban: b, SecondsLeft: int64(math.Ceil(b.Until.Sub(now).Seconds()))}
}

func (s *Server) handleListBans(w http.ResponseWriter, r *http.Request) {
	if s.opts.Bans == nil {
		notConfigured(w, "the ban store")
		return
	}
	now := s.opts.Now()
	bans, err := s.opts.Bans.List(r.Context(), now)
	if err != nil {
		s.internal(w, "listing bans", err)
		return
	}
	out := make([]Ban, 0, len(bans))
	for _, b := range bans {
		out = append(out, s.banView(b, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"bans": out, "count": len(out)})
}

// addBanRequest is the body of POST /api/v1/bans.
type addBanRequest struct {
	Target    string `json:"target"`
	Duration  string `json:"duration"`
	Reason    string `json:"reason"`
	Violation string `json:"violation"`
}

func (s *Server) handleAddBan(w http.ResponseWriter, r *http.Request) {
	if s.opts.Bans == nil {
		notConfigured(w, "the ban store")
		return
	}
	var req addBanRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Target == "" {
		badRequest(w, "target", `target: required, "ip:<address>" or "user:<id>"`)
		return
	}
	// A plain IPv6 address stands for its network (enforce.ipv6_prefix):
	// the ban, and the answer's target, cover the client's whole /64.
	t, err := s.opts.Scope.Parse(req.Target)
	if err != nil {
		badRequest(w, "target", "target: %v", err)
		return
	}
	if req.Duration == "" {
		badRequest(w, "duration", `duration: required, e.g. "2h"`)
		return
	}
	d, err := time.ParseDuration(req.Duration)
	if err != nil {
		badRequest(w, "duration", `duration: %q is not a duration like "90m" or "2h"`, clip.String(req.Duration, 64))
		return
	}
	if d <= 0 || d > MaxBanDuration {
		badRequest(w, "duration", "duration: must be > 0 and at most %s", MaxBanDuration)
		return
	}
	if len(req.Reason) > MaxReasonBytes || !utf8.ValidString(req.Reason) {
		badRequest(w, "reason", "reason: must be valid UTF-8 of at most %d bytes", MaxReasonBytes)
		return
	}
	if len(req.Violation) > 64 || !utf8.ValidString(req.Violation) {
		badRequest(w, "violation", "violation: must be valid UTF-8 of at most 64 bytes")
		return
	}
	if req.Reason == "" {
		req.Reason = "banned by an admin"
	}
	now := s.opts.Now()
	b := ban.Ban{Target: t, Reason: req.Reason, Violation: req.Violation, Created: now, Until: now.Add(d)}
	if err := s.opts.Bans.Add(r.Context(), b); err != nil {
		s.internal(w, "adding the ban", err)
		return
	}
	if s.opts.OnBanAdded != nil {
		s.opts.OnBanAdded(b)
	}
	s.opts.Log.Info("admin: ban added", "target", t.String(), "until", b.Until, "reason", b.Reason)
	writeJSON(w, http.StatusCreated, s.banView(b, now))
}

func (s *Server) handleLiftBan(w http.ResponseWriter, r *http.Request) {
	if s.opts.Bans == nil {
		notConfigured(w, "the ban store")
		return
	}
	raw := r.PathValue("target")
	t, err := s.opts.Scope.Parse(raw)
	if err != nil {
		badRequest(w, "target", "target: %v", err)
		return
	}
	keep := false
	if v := r.URL.Query().Get("keep_score"); v != "" {
		if keep, err = strconv.ParseBool(v); err != nil {
			badRequest(w, "keep_score", "keep_score: %q is not true or false", clip.String(v, 64))
			return
		}
	}
	removed, err := s.opts.Bans.Remove(r.Context(), t)
	if err != nil {
		s.internal(w, "lifting the ban", err)
		return
	}
	if exact, _ := ban.ParseTarget(raw); !removed && exact != t && exact.Kind == ban.KindIP {
		// A plain IPv6 address names its network, and also the ban on
		// that one address when there is one (placed with /128, or
		// before IPv6 bans covered networks), as the listing shows it.
		if removed, err = s.opts.Bans.Remove(r.Context(), exact); err != nil {
			s.internal(w, "lifting the ban", err)
			return
		}
		if removed {
			t = exact
		}
	}
	if !removed {
		writeError(w, http.StatusNotFound, "not_found", "target", "no ban on "+clip.String(t.String(), 64))
		return
	}
	// Lifting a ban forgives its cause: without this, a client whose
	// behaviour windows still held the findings that banned it was
	// blocked and banned again by its next ordinary requests.
	cleared := false
	var ferr error
	if !keep && s.opts.Forget != nil {
		ferr = s.opts.Forget.Forget(r.Context(), t)
		cleared = ferr == nil
	}
	if s.opts.OnBanLifted != nil { // also when clearing failed: the ban is gone
		s.opts.OnBanLifted(ban.Change{Time: s.opts.Now(), Lifted: true, Ban: ban.Ban{Target: t}, By: ban.ByAdmin, ScoreCleared: cleared})
	}
	if ferr != nil {
		s.internal(w, "the ban was lifted, but clearing its scores", ferr)
		return
	}
	s.opts.Log.Info("admin: ban lifted", "target", t.String(), "score_cleared", cleared)
	writeJSON(w, http.StatusOK, map[string]any{"target": t.String(), "removed": true, "score_cleared": cleared})
}

func (s *Server) handleViolations(w http.ResponseWriter, r *http.Request) {
	if s.opts.Violations == nil {
		notConfigured(w, "violation tracking")
		return
	}
	raw := r.URL.Query().Get("target")
	if raw == "" {
		badRequest(w, "target", `target: required, "ip:<address>" or "user:<id>"`)
		return
	}
	t, err := s.opts.Scope.Parse(raw)
	if err != nil {
		badRequest(w, "target", "target: %v", err)
		return
	}
	v, err := s.opts.Violations.Violations(r.Context(), t)
	if isNotFound(err) {
		writeError(w, http.StatusNotFound, "not_found", "target", "no violations recorded for "+clip.String(t.String(), 64))
		return
	}
	if err != nil {
		s.internal(w, "reading violations", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"target": t.String(), "violations": v})
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.opts.Events == nil {
		notConfigured(w, "the event store")
		return
	}
	since, limit, ok := sinceLimit(w, r)
	if !ok {
		return
	}
	events, err := s.opts.Events.Events(r.Context(), since, limit)
	if err != nil {
		s.internal(w, "querying events", err)
		return
	}
	if events == nil {
		events = []eventlog.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events, "count": len(events)})
}

// sinceLimit reads the since (RFC 3339) and limit (1..eventlog.MaxLimit)
// query parameters, answering 400 when one is wrong.
func sinceLimit(w http.ResponseWriter, r *http.Request) (since time.Time, limit int, ok bool) {
	q := r.URL.Query()
	if v := q.Get("since"); v != "" {
		t, err := parseTime(v)
		if err != nil {
			badRequest(w, "since", `since: %q is not an RFC 3339 time like "2026-11-23T12:00:00Z"`, clip.String(v, 64))
			return since, 0, false
		}
		since = t
	}
	limit = eventlog.DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > eventlog.MaxLimit {
			badRequest(w, "limit", "limit: must be an integer from 1 to %d", eventlog.MaxLimit)
			return since, 0, false
		}
		limit = n
	}
	return since, limit, true
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	if s.opts.Alerts == nil {
		notConfigured(w, "the alert log")
		return
	}
	since, limit, ok := sinceLimit(w, r)
	if !ok {
		return
	}
	alerts, err := s.opts.Alerts.AlertHistory(r.Context(), since, limit)
	if err != nil {
		s.internal(w, "querying alerts", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": alerts})
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("date")
	date, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		badRequest(w, "date", "date: %q is not a date like 2026-11-23", clip.String(raw, 64))
		return
	}
	if s.opts.Reports == nil {
		notConfigured(w, "report storage")
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "html", "text", "md":
	default:
		badRequest(w, "format", "format: %q is not one of json, html, text, md", clip.String(format, 64))
		return
	}
	rep, err := s.opts.Reports.Report(r.Context(), date)
	if isNotFound(err) {
		writeError(w, http.StatusNotFound, "not_found", "date", "no report stored for "+date.Format(time.DateOnly))
		return
	}
	if err != nil {
		s.internal(w, "reading the report", err)
		return
	}
	if format == "" || format == "json" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	rr, ok := rep.(ReportRenderer)
	if !ok {
		badRequest(w, "format", "format: this report is only available as json")
		return
	}
	body, ctype, err := rr.Render(format)
	if err != nil {
		s.internal(w, "rendering the report", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	// The HTML report is self-contained: nothing to fetch, nothing to run.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// ReportRenderer is a report that renders itself in the formats
// GET /api/v1/reports/{date}?format= offers besides JSON (html, text,
// md), returning the body and its Content-Type; *report.Report is one.
type ReportRenderer interface {
	Render(format string) ([]byte, string, error)
}

func isNotFound(err error) bool {
	return err != nil && (errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist))
}

// decodeBody decodes one JSON object of at most MaxBodyBytes into v,
// rejecting unknown fields and trailing data. It answers the error itself
// and reports whether decoding succeeded.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "", "send application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			badRequest(w, "body", "body: must hold one JSON object and nothing after it")
			return false
		}
		return true
	}
	var (
		maxErr  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
		synErr  *json.SyntaxError
	)
	switch {
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "body", fmt.Sprintf("body: larger than %d bytes", MaxBodyBytes))
	case errors.As(err, &typeErr) && typeErr.Field != "":
		badRequest(w, typeErr.Field, "%s: must be a JSON %s", typeErr.Field, "string")
	case errors.As(err, &typeErr):
		badRequest(w, "body", "body: must be a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		badRequest(w, clip.String(field, 64), "%s: unknown field", clip.String(field, 64))
	case errors.As(err, &synErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		badRequest(w, "body", "body: not valid JSON")
	default:
		badRequest(w, "body", "body: %v", err)
	}
	return false
}
