package eventlog

import (
	"context"
	"io"
	"log/slog"
	"sync"
)

// LineMessage is the slog message of a decision-log record. Handlers made by
// NewJSONHandler drop it, with the level, so the line holds exactly the
// contract's fields.
const LineMessage = "decision"

// LineHandler is the slog handler for the decision log: JSON, one object
// per line, whose top-level keys are exactly the Event's (slog's "level"
// and "msg" keys are dropped; the record time is the event time). Events
// given to WriteLine take a fast path that encodes with Event.AppendJSON
// and writes one line in one Write call; other records go through
// slog.JSONHandler. It is safe for concurrent use.
type LineHandler struct {
	json slog.Handler

	mu  sync.Mutex // guards w and buf on the fast path
	w   io.Writer
	buf []byte
}

// NewJSONHandler returns the decision-log handler writing to w, usually
// os.Stderr.
func NewJSONHandler(w io.Writer) *LineHandler {
	return &LineHandler{
		w: w,
		json: slog.NewJSONHandler(w, &slog.HandlerOptions{
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
					return slog.Attr{}
				}
				return a
			},
		}),
	}
}

// Enabled implements slog.Handler.
func (h *LineHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.json.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *LineHandler) Handle(ctx context.Context, r slog.Record) error { return h.json.Handle(ctx, r) }

// WithAttrs implements slog.Handler.
func (h *LineHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.json.WithAttrs(as) }

// WithGroup implements slog.Handler.
func (h *LineHandler) WithGroup(name string) slog.Handler { return h.json.WithGroup(name) }

// maxKeptBuf bounds the encode buffer kept between lines.
const maxKeptBuf = 64 << 10

func (h *LineHandler) writeEvent(e *Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf = append(e.AppendJSON(h.buf[:0]), '\n')
	_, err := h.w.Write(h.buf)
	if cap(h.buf) > maxKeptBuf {
		h.buf = nil
	}
	return err
}

// WriteLine writes e as one decision-log record to h. With a LineHandler
// it is encoded directly (no reflection, no allocation); any other
// slog.Handler gets a record whose time is e.Time and whose attributes are
// the Event's fields under the contract's names (such a handler adds its
// own level and msg).
func WriteLine(ctx context.Context, h slog.Handler, e *Event) error {
	if lh, ok := h.(*LineHandler); ok {
		if !lh.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		return lh.writeEvent(e)
	}
	if !h.Enabled(ctx, slog.LevelInfo) {
		return nil
	}
	rec := slog.NewRecord(e.Time, slog.LevelInfo, LineMessage, 0)
	rec.AddAttrs(
		slog.String("request_id", e.RequestID),
		slog.Group("client", slog.String("ip", e.Client.IP), slog.String("user", e.Client.User)),
		slog.String("method", e.Method),
		slog.String("route", e.Route),
		slog.String("path", e.Path),
		slog.Int("status", e.Status),
		slog.String("action", e.Action),
		slog.String("mode", e.Mode),
	)
	if e.Would != "" {
		rec.AddAttrs(slog.String("would", e.Would))
	}
	if e.Abuse != nil {
		rec.AddAttrs(slog.Group("abuse",
			slog.Float64("confidence", e.Abuse.Confidence),
			slog.Any("detectors", e.Abuse.Detectors),
		))
	}
	if t := e.Tokens; t != nil {
		attrs := []any{slog.Int64("prompt", t.Prompt), slog.Int64("completion", t.Completion), slog.String("model", t.Model)}
		if t.Estimated {
			attrs = append(attrs, slog.Bool("estimated", true))
		}
		rec.AddAttrs(slog.Group("tokens", attrs...))
	}
	return h.Handle(ctx, rec)
}

var _ slog.Handler = (*LineHandler)(nil)
