package inspect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// Default limits.
const (
	DefaultMaxLineBytes = 4 << 20
	DefaultMaxBodyBytes = 1 << 20
)

// Options configures Run.
type Options struct {
	// Detectors run on every request, in order.
	Detectors []abuse.Detector
	// Decide turns a request's verdicts into an action; nil means
	// DefaultDecide.
	Decide func([]abuse.Verdict) abuse.Action
	// Now is the Time given to every request (detectors take time from
	// the request, never the clock). The zero value is fine for stateless
	// detectors.
	Now time.Time
	// MaxLineBytes bounds one input line (default DefaultMaxLineBytes);
	// longer lines produce an error line.
	MaxLineBytes int
	// MaxBodyBytes bounds the body handed to detectors (default
	// DefaultMaxBodyBytes); longer bodies are cut and marked truncated.
	MaxBodyBytes int
}

func (o *Options) defaults() {
	if o.Decide == nil {
		o.Decide = DefaultDecide
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
}

// Summary counts what Run saw.
type Summary struct {
	Requests int            // lines that held a request
	Errors   int            // malformed or oversized lines
	Actions  map[string]int // requests per action name
}

// DefaultDecide is the stand-alone policy: the most severe action a
// verdict asks for, else block at confidence >= 0.8, log above 0.5, allow
// otherwise.
func DefaultDecide(vs []abuse.Verdict) abuse.Action {
	act := abuse.Allow
	for i := range vs {
		a := vs[i].Action
		if a == abuse.Allow {
			switch c := vs[i].Confidence; {
			case c >= 0.8:
				a = abuse.Block
			case c > 0.5:
				a = abuse.Log
			}
		}
		if a > act {
			act = a
		}
	}
	return act
}

// Line is one input request.
type Line struct {
	ID      json.RawMessage            `json:"id"`
	Method  string                     `json:"method"`
	URI     string                     `json:"uri"`
	Headers map[string]json.RawMessage `json:"headers"`
	// Body is a string (the body as sent) or any other JSON value, which
	// stands for a JSON body and is inspected as its encoding.
	Body json.RawMessage `json:"body"`
}

// Result is one output line.
type Result struct {
	ID         json.RawMessage `json:"id"`
	Action     string          `json:"action,omitempty"`
	Confidence float64         `json:"confidence"`
	Detectors  []string        `json:"detectors"`
	Messages   []string        `json:"messages"`
	Error      string          `json:"error,omitempty"`
}

// ParseLine decodes one JSON line into its id and a request ready for
// detectors. Header values may be strings or arrays of strings.
func ParseLine(line []byte, opts Options) (json.RawMessage, *abuse.Request, error) {
	opts.defaults()
	var l Line
	if err := json.Unmarshal(line, &l); err != nil {
		return nil, nil, fmt.Errorf("decode line: %w", err)
	}
	h := make(http.Header, len(l.Headers))
	for k, raw := range l.Headers {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			h.Add(k, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return l.ID, nil, fmt.Errorf("header %q: want a string or an array of strings", k)
		}
		for _, v := range many {
			h.Add(k, v)
		}
	}
	body, err := lineBody(l.Body)
	if err != nil {
		return l.ID, nil, err
	}
	r, err := BuildRequest(l.Method, l.URI, h, body, opts.MaxBodyBytes, opts.Now)
	return l.ID, r, err
}

// lineBody is the body a line's "body" stands for: a string's text, null
// or absent for none, any other value as its compact JSON encoding.
func lineBody(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		return []byte(s), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	return b.Bytes(), nil
}

// BuildRequest makes the detectors' view of a request from its parts: uri
// may be origin-form ("/p?q") or absolute ("http://h/p?q"); the fragment
// is dropped. Bodies longer than maxBody are cut and marked truncated.
func BuildRequest(method, uri string, h http.Header, body []byte, maxBody int, now time.Time) (*abuse.Request, error) {
	if method == "" {
		method = http.MethodGet
	}
	if strings.ContainsAny(method, " \t\r\n") {
		return nil, errors.New("method: contains whitespace")
	}
	if h == nil {
		h = http.Header{}
	}
	host := h.Get("Host")
	rest := uri
	if i := strings.Index(rest, "://"); i > 0 && !strings.HasPrefix(rest, "/") {
		rest = rest[i+3:]
		hp := rest
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			hp, rest = rest[:j], rest[j:]
		} else {
			rest = ""
		}
		if host == "" {
			host = hp
		}
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		path = "/"
	}
	r := &abuse.Request{
		Time:        now,
		Method:      method,
		Host:        host,
		Path:        path,
		RawQuery:    query,
		UserAgent:   h.Get("User-Agent"),
		Header:      h,
		ContentType: h.Get("Content-Type"),
	}
	if len(body) > 0 {
		if maxBody > 0 && len(body) > maxBody {
			body = body[:maxBody]
			r.BodyTruncated = true
		}
		r.Body = body
	}
	return r, nil
}

// Run reads JSON Lines from in and writes one result line per input line
// to out. Malformed lines produce a line with an "error" field and do not
// stop the run; Run stops at the end of in, on a read or write error, or
// when ctx is done.
func Run(ctx context.Context, in io.Reader, out io.Writer, opts Options) (Summary, error) {
	opts.defaults()
	sum := Summary{Actions: map[string]int{}}
	br := bufio.NewReaderSize(in, 64<<10)
	bw := bufio.NewWriter(out)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var line []byte
	lineNo := 0
	for {
		if err := ctx.Err(); err != nil {
			_ = bw.Flush()
			return sum, err
		}
		var tooLong bool
		var err error
		line, tooLong, err = readLine(br, line[:0], opts.MaxLineBytes)
		if len(line) == 0 && !tooLong && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			_ = bw.Flush()
			return sum, fmt.Errorf("read input: %w", err)
		}
		lineNo++
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 && !tooLong {
			if err != nil {
				break
			}
			continue
		}
		res := Result{Detectors: []string{}, Messages: []string{}}
		if tooLong {
			sum.Errors++
			res.ID = json.RawMessage("null")
			res.Error = fmt.Sprintf("line %d: longer than %d bytes", lineNo, opts.MaxLineBytes)
		} else {
			res = evaluate(ctx, trimmed, lineNo, opts)
			if res.Error != "" {
				sum.Errors++
			} else {
				sum.Requests++
				sum.Actions[res.Action]++
			}
		}
		if werr := enc.Encode(res); werr != nil {
			return sum, fmt.Errorf("write result: %w", werr)
		}
		if err != nil {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("write result: %w", err)
	}
	return sum, nil
}

// evaluate runs the detectors on one line.
func evaluate(ctx context.Context, line []byte, lineNo int, opts Options) Result {
	res := Result{Detectors: []string{}, Messages: []string{}}
	id, r, err := ParseLine(line, opts)
	res.ID = id
	if len(res.ID) == 0 {
		res.ID = json.RawMessage("null")
	}
	if err != nil {
		res.Error = fmt.Sprintf("line %d: %v", lineNo, err)
		return res
	}
	verdicts := make([]abuse.Verdict, 0, len(opts.Detectors))
	for _, d := range opts.Detectors {
		v := d.Detect(ctx, r)
		if !v.Found() {
			continue
		}
		if v.Detector == "" {
			v.Detector = d.Name()
		}
		verdicts = append(verdicts, v)
		res.Detectors = append(res.Detectors, v.Detector)
		res.Messages = append(res.Messages, v.Messages...)
		if v.Confidence > res.Confidence {
			res.Confidence = v.Confidence
		}
	}
	res.Action = opts.Decide(verdicts).String()
	return res
}

// readLine reads one line (without its newline) into buf. When the line
// is longer than max it is consumed and tooLong is set.
func readLine(br *bufio.Reader, buf []byte, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+1 {
				tooLong = true
				buf = buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
		}
		return buf, tooLong, err
	}
}
