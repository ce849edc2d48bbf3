package budget

import (
	"bytes"
	"net/http"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// usageWriter passes a response through unchanged and reads the token
// usage it reports: the "usage" object of an OpenAI or Anthropic JSON
// answer, or of the events of a streamed one (OpenAI's final chunk with
// stream_options.include_usage, Responses' response.completed, Anthropic's
// message_start and message_delta). Memory is bounded: JSON bodies keep
// their first 256 KiB and a 64 KiB tail, SSE lines above 64 KiB are
// skipped.
type usageWriter struct {
	http.ResponseWriter

	mu      sync.Mutex
	sse     bool
	decided bool
	head    []byte // JSON: first bytes
	tail    []byte // JSON: rolling tail once head is full
	over    bool
	line    []byte // SSE: current line
	skip    bool   // SSE: current line too long, skipped
	in, out int64
	found   bool
}

const (
	usageHeadMax = 256 << 10
	usageTailMax = 64 << 10
	usageLineMax = 64 << 10
)

func (u *usageWriter) Write(p []byte) (int, error) {
	u.mu.Lock()
	u.observe(p)
	u.mu.Unlock()
	return u.ResponseWriter.Write(p)
}

// Flush passes through so streamed answers keep streaming.
func (u *usageWriter) Flush() {
	if f, ok := u.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (u *usageWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func (u *usageWriter) observe(p []byte) {
	if !u.decided {
		u.decided = true
		u.sse = strings.HasPrefix(u.Header().Get("Content-Type"), "text/event-stream")
	}
	if u.sse {
		for len(p) > 0 {
			i := bytes.IndexByte(p, '\n')
			chunk := p
			if i >= 0 {
				chunk = p[:i]
			}
			if !u.skip {
				if len(u.line)+len(chunk) > usageLineMax {
					u.skip, u.line = true, u.line[:0]
				} else {
					u.line = append(u.line, chunk...)
				}
			}
			if i < 0 {
				return
			}
			if !u.skip {
				u.sseLine(u.line)
			}
			u.line, u.skip = u.line[:0], false
			p = p[i+1:]
		}
		return
	}
	if !u.over {
		n := min(len(p), usageHeadMax-len(u.head))
		u.head = append(u.head, p[:n]...)
		p = p[n:]
		if len(p) == 0 {
			return
		}
		u.over = true
	}
	u.tail = append(u.tail, p...)
	if len(u.tail) > usageTailMax {
		u.tail = append(u.tail[:0], u.tail[len(u.tail)-usageTailMax:]...)
	}
}

func (u *usageWriter) sseLine(line []byte) {
	line = bytes.TrimRight(line, "\r")
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' || !bytes.Contains(data, []byte(`"usage"`)) {
		return
	}
	for _, path := range [...]string{"usage", "message.usage", "response.usage"} {
		if v := gjson.GetBytes(data, path); v.IsObject() {
			u.take(v)
		}
	}
}

// take records the counts of a usage object, keeping the largest seen
// (streamed counts are cumulative).
func (u *usageWriter) take(v gjson.Result) {
	in := v.Get("prompt_tokens").Int() + v.Get("input_tokens").Int() +
		v.Get("cache_creation_input_tokens").Int() + v.Get("cache_read_input_tokens").Int()
	out := v.Get("completion_tokens").Int() + v.Get("output_tokens").Int()
	if in == 0 && out == 0 {
		return
	}
	u.found = true
	u.in, u.out = max(u.in, in), max(u.out, out)
}

// usage returns the tokens the upstream reported, ok=false when none.
func (u *usageWriter) usage() (in, out int64, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.sse && !u.found {
		body := u.head
		if u.over {
			body = u.tail
		}
		if !u.over && gjson.ValidBytes(body) {
			for _, path := range [...]string{"usage", "response.usage"} {
				if v := gjson.GetBytes(body, path); v.IsObject() {
					u.take(v)
				}
			}
		} else if i := bytes.LastIndex(body, []byte(`"usage"`)); i >= 0 {
			if j := bytes.IndexByte(body[i:], '{'); j >= 0 {
				u.take(gjson.ParseBytes(body[i+j:]))
			}
		}
	}
	return u.in, u.out, u.found
}
