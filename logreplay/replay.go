package logreplay

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/config"
)

// Format is an access-log format. Nginx also understands the nginx
// error-log lines that carry abuse signals (failed HTTP Basic logins,
// limit_req rejections) when they are mixed into the same file.
type Format string

// Supported formats.
const (
	Combined Format = "combined"
	Nginx    Format = "nginx"
	JSON     Format = "json"
)

// Options configures a replay. The zero value is not usable; start from
// DefaultOptions.
type Options struct {
	Format Format
	// JSON names the fields of Format json.
	JSON JSONFields
	// Routes are the route classes and their ServeMux patterns, as in the
	// top-level "routes" config key; requests get Route and Class from them.
	Routes map[string][]string
	// RouteMatching is the route_matching config section: the spellings
	// of a path that Routes match as the path itself.
	RouteMatching config.RouteMatching
	// Behavior and Bot configure the built-in detectors (set Enabled false
	// to leave one out).
	Behavior behavior.Config
	Bot      bot.Config
	// Detectors are run too, e.g. the payload detector on the URL or rate
	// limiters. Those that implement abuse.Observer are told each outcome.
	Detectors []abuse.Detector
	// BasicAuthLogin treats a request that carried HTTP Basic credentials
	// (a logged remote user) as a login attempt when no route class
	// matched, so 401s on it count as failed logins for that user name.
	BasicAuthLogin bool
	// UserKey keys clients on the logged remote user when there is one.
	// Off by default: a logged user name is not authenticated.
	UserKey bool
	// MinConfidence is the lowest confidence that makes an alert.
	MinConfidence float64
	// Cooldown: after an alert, the same client and scenario stay quiet
	// for this long in log time (CrowdSec's blackhole).
	Cooldown time.Duration
	// MaxLineBytes: longer lines are malformed.
	MaxLineBytes int
	// MaxMalformedLines bounds the malformed line numbers kept.
	MaxMalformedLines int
	// MaxTracked bounds the alert-cooldown and flagged-client sets.
	MaxTracked int
	// NoSummary leaves the summary table out of the output.
	NoSummary bool
	// OnAlert, when set, is called with every alert (after it is written).
	OnAlert func(Alert)
	// Act is the action enforce mode takes for one verdict (the policy's:
	// warden.VerdictAction), which observers are told: behaviour's payload
	// probing counts only verdicts that acted. Nil: a verdict's own Action.
	Act func(v *abuse.Verdict) abuse.Action
}

// DefaultOptions returns options for the combined format with the default
// behaviour and bot configuration.
func DefaultOptions() Options {
	return Options{
		Format:            Combined,
		JSON:              DefaultJSONFields(),
		Behavior:          behavior.DefaultConfig(),
		Bot:               bot.DefaultConfig(),
		MinConfidence:     0.5,
		Cooldown:          5 * time.Minute,
		MaxLineBytes:      64 << 10,
		MaxMalformedLines: 100,
		MaxTracked:        100_000,
		BasicAuthLogin:    true,
		RouteMatching:     config.Default().RouteMatching,
	}
}

// Validate checks o.
func (o Options) Validate() error {
	switch o.Format {
	case Combined, Nginx:
	case JSON:
		if err := o.JSON.Validate(); err != nil {
			return fmt.Errorf("json.%w", err)
		}
	default:
		return fmt.Errorf("format: %q is not combined, nginx or json", o.Format)
	}
	if o.MinConfidence < 0 || o.MinConfidence > 1 {
		return errors.New("min_confidence: must be in [0, 1]")
	}
	if o.Cooldown < 0 {
		return errors.New("cooldown: must be >= 0")
	}
	if o.MaxLineBytes < 256 {
		return errors.New("max_line_bytes: must be >= 256")
	}
	if o.MaxMalformedLines < 0 || o.MaxTracked <= 0 {
		return errors.New("max_malformed_lines, max_tracked: must be >= 0 and > 0")
	}
	return nil
}

// Alert is one JSON line of replay output.
type Alert struct {
	Time       time.Time `json:"time"`
	Client     string    `json:"client"` // "ip:…" or "user:…", as ban targets
	Scenario   string    `json:"scenario"`
	Confidence float64   `json:"confidence"`
	Messages   []string  `json:"messages"`
}

// Summary is what a replay found.
type Summary struct {
	Lines          int            `json:"lines"`
	Parsed         int            `json:"parsed"`
	Malformed      int            `json:"malformed"`
	MalformedLines []int          `json:"malformed_lines"` // the first Options.MaxMalformedLines
	Alerts         int            `json:"alerts"`
	Flagged        map[string]int `json:"flagged"`         // scenario → distinct clients
	FlaggedClients int            `json:"flagged_clients"` // distinct clients with any alert
	Truncated      bool           `json:"truncated"`       // flagged sets hit MaxTracked
	First, Last    time.Time      // log time span of parsed lines
	Elapsed        time.Duration  // wall time of the replay
}

type alertKey struct {
	client   string
	scenario string
}

type engine struct {
	opts     Options
	routes   *routeTable
	beh      *behavior.Detector
	bot      *bot.Detector
	out      *bufio.Writer
	enc      *json.Encoder
	sum      Summary
	cool     map[alertKey]int64
	flagged  map[string]map[string]struct{}
	clients  map[string]struct{}
	findings []behavior.Finding
	verdicts []abuse.Verdict
	acts     []abuse.Action // acts[i]: what enforce mode does for verdicts[i] (Options.Act)
	header   http.Header    // reused for Basic credentials
	parser   parser
	jsonIdx  jsonIndex
	limitReq map[netip.Addr]limitCount // nginx limit_req rejections per client
}

// nginx limit_req rejections make a rate_limited alert from
// limitReqAlert rejections within limitReqWindow on.
const (
	limitReqAlert  = 5
	limitReqWindow = time.Minute
)

type limitCount struct {
	start int64
	n     int
}

// countLimitReq counts a limit_req rejection and returns the client's count
// in the current window. The table is bounded by MaxTracked.
func (e *engine) countLimitReq(rec *Record) int {
	if e.limitReq == nil {
		e.limitReq = make(map[netip.Addr]limitCount)
	}
	t := rec.Time.UnixNano()
	c, ok := e.limitReq[rec.IP]
	if !ok && len(e.limitReq) >= e.opts.MaxTracked {
		clear(e.limitReq)
	}
	if !ok || t < c.start || t-c.start > int64(limitReqWindow) {
		c = limitCount{start: t}
	}
	c.n++
	e.limitReq[rec.IP] = c
	return c.n
}

// Run replays the log read from in and writes JSON Lines alerts, then the
// summary table (unless Options.NoSummary), to out. Malformed lines are
// counted and skipped; only read and write failures and ctx end the run
// early, returning the summary so far and the error.
func Run(ctx context.Context, in io.Reader, out io.Writer, opts Options) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, fmt.Errorf("replay options: %w", err)
	}
	e := &engine{
		opts:    opts,
		cool:    make(map[alertKey]int64),
		flagged: make(map[string]map[string]struct{}),
		clients: make(map[string]struct{}),
	}
	e.sum.Flagged = map[string]int{}
	var err error
	e.jsonIdx = newJSONIndex(&opts.JSON)
	if e.routes, err = newRouteTable(opts.Routes, opts.RouteMatching.Variants()); err != nil {
		return Summary{}, err
	}
	if opts.Behavior.Enabled {
		if e.beh, err = behavior.New(opts.Behavior); err != nil {
			return Summary{}, err
		}
	}
	if opts.Bot.Enabled {
		if e.bot, err = bot.New(opts.Bot); err != nil {
			return Summary{}, err
		}
	}
	if out == nil {
		out = io.Discard
	}
	e.out = bufio.NewWriterSize(out, 64<<10)
	e.enc = json.NewEncoder(e.out)
	start := time.Now()
	err = e.run(ctx, in)
	e.sum.Elapsed = time.Since(start)
	if err == nil && !opts.NoSummary {
		err = e.sum.WriteTable(e.out)
	}
	if ferr := e.out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write alerts: %w", ferr)
	}
	return e.sum, err
}

func (e *engine) run(ctx context.Context, in io.Reader) error {
	br := bufio.NewReaderSize(in, 64<<10)
	var rec Record
	req := &abuse.Request{}
	lineNo := 0
	var long []byte
	for {
		if lineNo&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		tooLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			// keep reading to the end of the line, bounded
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				if len(long) < e.opts.MaxLineBytes+1 {
					long = append(long, line...)
				}
			}
			line = long
		}
		if len(line) > e.opts.MaxLineBytes {
			tooLong = true
		}
		if len(line) > 0 {
			lineNo++
			e.line(lineNo, line, tooLong, &rec, req)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log: %w", err)
		}
	}
}

func (e *engine) malformed(n int) {
	e.sum.Malformed++
	if len(e.sum.MalformedLines) < e.opts.MaxMalformedLines {
		e.sum.MalformedLines = append(e.sum.MalformedLines, n)
	}
}

func (e *engine) line(n int, line []byte, tooLong bool, rec *Record, req *abuse.Request) {
	e.sum.Lines++
	line = trimEOL(line)
	if len(line) == 0 {
		e.sum.Lines--
		return
	}
	if tooLong {
		e.malformed(n)
		return
	}
	var err error
	switch e.opts.Format {
	case JSON:
		err = parseJSON(line, e.jsonIdx, rec)
	case Nginx:
		if looksLikeNginxError(line) {
			err = e.parser.parseNginxError(line, rec)
		} else {
			err = e.parser.parseCombined(line, rec)
		}
	default:
		err = e.parser.parseCombined(line, rec)
	}
	if err != nil {
		e.malformed(n)
		return
	}
	e.sum.Parsed++
	if e.sum.First.IsZero() || rec.Time.Before(e.sum.First) {
		e.sum.First = rec.Time
	}
	if rec.Time.After(e.sum.Last) {
		e.sum.Last = rec.Time
	}
	e.request(rec, req)
	e.verdicts = e.verdicts[:0]
	if rec.Event == EventLimitReq {
		if n := e.countLimitReq(rec); n >= limitReqAlert {
			e.verdicts = append(e.verdicts, abuse.Verdict{Detector: "replay", Confidence: 0.6, Violation: "rate_limited",
				Messages: []string{fmt.Sprintf("nginx limit_req rejected %d requests within %s", n, limitReqWindow)}})
		}
	}
	if !validProto(rec.Proto) {
		// online, net/http refuses these before Warden sees them
		e.verdicts = append(e.verdicts, abuse.Verdict{Detector: "replay", Confidence: 0.7, Violation: behavior.ProtocolProbe,
			Messages: []string{fmt.Sprintf("invalid HTTP version %q", rec.Proto)}})
	}
	e.detect(req, rec.Status, rec.Event == "" && !rec.FromErrorLog)
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// request fills req from rec, reusing req's storage.
func (e *engine) request(rec *Record, req *abuse.Request) {
	*req = abuse.Request{
		Time:      rec.Time,
		Method:    rec.Method,
		Host:      rec.Host,
		UserAgent: rec.UserAgent,
	}
	req.Client.IP = rec.IP
	if e.opts.UserKey {
		req.Client.User = rec.User
	}
	path, query, _ := strings.Cut(rec.Target, "?")
	req.Path, req.RawQuery = path, query
	req.Route, req.Class = e.routes.match(req.Method, req.Host, req.Path)
	if e.opts.BasicAuthLogin && rec.User != "" {
		if req.Class == "" {
			req.Class = "login"
		}
		if e.header == nil {
			e.header = make(http.Header, 1)
		}
		e.header["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(rec.User+":"))}
		req.Header = e.header
	}
}

// validProto reports whether a logged protocol is a real HTTP version.
func validProto(p string) bool {
	switch p {
	case "", "HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3", "HTTP/3.0":
		return true
	}
	return false
}

// detect runs the detectors over req. Error-log records (access=false)
// carry no user agent or headers, so only behaviour sees them.
func (e *engine) detect(req *abuse.Request, status int, access bool) {
	ctx := context.Background()
	if e.bot != nil && access {
		if v := e.bot.Detect(ctx, req); v.Found() {
			e.verdicts = append(e.verdicts, v)
		}
	}
	for _, d := range e.opts.Detectors {
		if !access {
			break
		}
		if v := d.Detect(ctx, req); v.Found() {
			if v.Detector == "" {
				v.Detector = d.Name()
			}
			e.verdicts = append(e.verdicts, v)
		}
	}
	action := abuse.Allow
	for i := range e.verdicts {
		v := &e.verdicts[i]
		if v.Action > action {
			action = v.Action
		}
		if v.Confidence >= e.opts.MinConfidence {
			scen := v.Violation
			if scen == "" {
				scen = v.Detector
			}
			e.alert(req, scen, v.Confidence, v.Messages)
		}
	}
	e.acts = e.acts[:0]
	for i := range e.verdicts {
		a := e.verdicts[i].Action
		if e.opts.Act != nil {
			a = e.opts.Act(&e.verdicts[i])
		}
		e.acts = append(e.acts, a)
	}
	if e.beh != nil {
		e.findings = e.beh.Findings(req, e.findings[:0])
		for _, f := range e.findings {
			if f.Confidence >= e.opts.MinConfidence {
				e.alert(req, f.Scenario, f.Confidence, []string{f.Message})
			}
		}
		// the log's status stands: Warden did not answer these requests
		e.beh.Observe(req, abuse.Outcome{Status: status, Verdicts: e.verdicts, Acts: e.acts})
	}
	for _, d := range e.opts.Detectors {
		if o, ok := d.(abuse.Observer); ok && access {
			o.Observe(req, abuse.Outcome{Status: status, Verdicts: e.verdicts, Acts: e.acts})
		}
	}
}

func (e *engine) alert(req *abuse.Request, scenario string, conf float64, msgs []string) {
	t := req.Time.UnixNano()
	k := alertKey{scenario: scenario}
	if req.Client.User != "" {
		k.client = "user:" + req.Client.User
	} else {
		k.client = "ip:" + req.Client.IP.String()
	}
	if last, ok := e.cool[k]; ok && t >= last && t-last < int64(e.opts.Cooldown) {
		return
	}
	if len(e.cool) >= e.opts.MaxTracked {
		clear(e.cool) // bounded; forgetting only repeats an alert
	}
	e.cool[k] = t
	e.sum.Alerts++
	set := e.flagged[scenario]
	if set == nil {
		set = make(map[string]struct{})
		e.flagged[scenario] = set
	}
	if len(set) < e.opts.MaxTracked {
		set[k.client] = struct{}{}
		e.sum.Flagged[scenario] = len(set)
	} else {
		e.sum.Truncated = true
	}
	if len(e.clients) < e.opts.MaxTracked {
		e.clients[k.client] = struct{}{}
		e.sum.FlaggedClients = len(e.clients)
	} else {
		e.sum.Truncated = true
	}
	a := Alert{Time: req.Time, Client: k.client, Scenario: scenario, Confidence: round3(conf), Messages: msgs}
	if a.Messages == nil {
		a.Messages = []string{}
	}
	_ = e.enc.Encode(a) // write errors surface at Flush
	if e.opts.OnAlert != nil {
		e.opts.OnAlert(a)
	}
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// WriteTable writes the summary as a text table.
func (s Summary) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nlines %d  parsed %d  malformed %d  alerts %d  clients flagged %d", s.Lines, s.Parsed, s.Malformed, s.Alerts, s.FlaggedClients)
	if !s.First.IsZero() {
		fmt.Fprintf(&b, "  log time %s .. %s", s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339))
	}
	b.WriteString("\n")
	if len(s.Flagged) > 0 {
		names := make([]string, 0, len(s.Flagged))
		for k := range s.Flagged {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "%-24s %8s\n", "scenario", "clients")
		for _, n := range names {
			fmt.Fprintf(&b, "%-24s %8d\n", n, s.Flagged[n])
		}
	}
	if s.Truncated {
		b.WriteString("(flagged-client sets reached max_tracked; counts are lower bounds)\n")
	}
	if s.Malformed > 0 {
		nums := make([]string, len(s.MalformedLines))
		for i, n := range s.MalformedLines {
			nums[i] = fmt.Sprint(n)
		}
		more := ""
		if s.Malformed > len(s.MalformedLines) {
			more = fmt.Sprintf(" (and %d more)", s.Malformed-len(s.MalformedLines))
		}
		fmt.Fprintf(&b, "malformed lines: %s%s\n", strings.Join(nums, ", "), more)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
