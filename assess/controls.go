package assess

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/warden-dev/warden/aiguard/response"
	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/identity"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
	"github.com/warden-dev/warden/ratelimit"
)

// Levels of a control: the share of its protection it gives. A monitored
// detector logs what it would block, which helps an investigation but
// stops nothing.
const (
	levelOn      = 1.0
	levelMonitor = 0.2
	levelOff     = 0.0
)

// Control is one protection of the inventory, as the effective config sets
// it.
type Control struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	State  string  `json:"state"` // enforce, monitor, partial or off
	Level  float64 `json:"level"` // 0..1: share of the control's protection in force
	Detail string  `json:"detail"`
	// Fix is what to add to the config to bring the control to full
	// level; nil when it is full or when no config change can (the
	// recommendations never lower a threshold).
	Fix *Fix `json:"fix,omitempty"`
}

// Fix is a recommended config change.
type Fix struct {
	Title   string `json:"title"`
	Snippet string `json:"snippet"` // YAML to merge into the config
	// level is the control's level once the snippet is applied; 0 means
	// full (a snippet that only logs gives less).
	level float64
}

// Inventory lists the controls of cfg, by id, in a stable order.
func Inventory(cfg config.Config) []Control {
	in := inventory{cfg: cfg}
	in.detectors()
	in.limits()
	in.ai()
	in.deployment()
	slices.SortFunc(in.out, func(a, b Control) int { return strings.Compare(a.ID, b.ID) })
	return in.out
}

type inventory struct {
	cfg config.Config
	out []Control
}

func (in *inventory) add(c Control) { in.out = append(in.out, c) }

// mode returns the level and state of the detector name when enabled: the
// global mode, then detectors.<name>.mode, then per-route overrides (a
// route turned off or monitored makes the control partial).
func (in *inventory) mode(name string, enabled bool) (float64, string) {
	if !enabled {
		return levelOff, "off"
	}
	d := in.cfg.Detectors[name]
	switch {
	case d.Mode == config.Off:
		return levelOff, "off"
	case in.cfg.Mode == config.Monitor || d.Mode == config.Monitor:
		return levelMonitor, "monitor"
	}
	for _, m := range d.Routes {
		if m != config.Enforce {
			return 0.8, "partial"
		}
	}
	return levelOn, "enforce"
}

func (in *inventory) detectors() {
	c := in.cfg
	lvl, st := in.mode(payload.Name, c.Payload.Enabled)
	in.add(Control{ID: "payload", Name: "Payload detector (SQLi, XSS, SSRF, traversal, injection)", Level: lvl, State: st,
		Detail: fmt.Sprintf("body %v, base64 %v", c.Payload.Body, c.Payload.Base64),
		Fix:    fixIf(lvl, "Turn the payload detector on", "payload:\n  enabled: true\ndetectors:\n  payload:\n    mode: enforce")})
	lvl, st = in.mode(protocol.Name, c.Protocol.Enabled)
	in.add(Control{ID: "protocol", Name: "Protocol detector (smuggling, malformed requests)", Level: lvl, State: st,
		Fix: fixIf(lvl, "Turn the protocol detector on", "protocol:\n  enabled: true")})
	lvl, st = in.mode(bot.Name, c.Bot.Enabled)
	in.add(Control{ID: "bot", Name: "Bot detector", Level: lvl, State: st,
		Fix: fixIf(lvl, "Turn the bot detector on", "bot:\n  enabled: true")})

	b := c.Behavior
	lvl, st = in.mode(behavior.Name, b.Enabled)
	sub := func(id, name, detail string, on bool) {
		l, s := lvl, st
		if !on {
			l, s = levelOff, "off"
		}
		in.add(Control{ID: id, Name: name, Level: l, State: s, Detail: detail,
			Fix: fixIf(l, "Turn the behaviour detector on", "behavior:\n  enabled: true")})
	}
	sub("behavior.enumeration", "ID-walk (enumeration) detection",
		fmt.Sprintf("walk of %d IDs within %v", b.Enumeration.Sequential, b.Enumeration.SequentialWindow), b.Enumeration.Sequential > 0)
	sub("behavior.login", "Credential stuffing and brute force detection",
		fmt.Sprintf("%d failures per IP within %v; classes %s", b.Login.Failures.Max, b.Login.Failures.Window, list(b.Login.Classes)), b.Login.Failures.Max > 0)
	sub("behavior.scanning", "Scanning and discovery detection",
		fmt.Sprintf("%d distinct paths per %v", b.Scanning.Max, b.Scanning.Window), b.Scanning.Max > 0)
	sub("behavior.flood", "Flood detection", fmt.Sprintf("%d requests per %v", b.Flood.Max, b.Flood.Window), b.Flood.Max > 0)

	e := c.Enforce
	ban := Control{ID: "enforce.ban", Name: "Bans on repeated violations", Level: levelOff, State: "off"}
	if e.Ban {
		ban.Level, ban.State = levelOn, "enforce"
		ban.Detail = fmt.Sprintf("every %d points, %v, escalation %v", e.Interval, e.Duration, e.Escalation.Enabled)
		if c.Mode == config.Monitor {
			ban.Level, ban.State = levelMonitor, "monitor"
		}
	} else {
		ban.Fix = &Fix{Title: "Ban clients that keep violating", Snippet: "enforce:\n  ban: true"}
	}
	in.add(ban)

	m := Control{ID: "mode", Name: "Global mode", Level: levelOn, State: string(c.Mode), Detail: "mode: " + string(c.Mode)}
	if c.Mode == config.Monitor {
		m.Level = levelMonitor
		m.Fix = &Fix{Title: "Enforce once the monitor run is tuned (warden tune)", Snippet: "mode: enforce"}
	}
	in.add(m)
}

// classLimit returns the rate-limit policies that apply to class: by
// class, or by naming one of its route patterns.
func classLimit(rl ratelimit.Config, routes map[string][]string, class string, algo ratelimit.Algorithm) []string {
	var out []string
	for _, p := range rl.Policies {
		byRoute := slices.ContainsFunc(p.Routes, func(r string) bool { return slices.Contains(routes[class], r) })
		if (slices.Contains(p.Classes, class) || byRoute) && (algo == "" || p.Algorithm == algo) {
			out = append(out, fmt.Sprintf("%s %d/%v by %s", p.Name, p.Limit, p.Window, list(p.Key)))
		}
	}
	return out
}

func (in *inventory) limits() {
	c := in.cfg
	rl := c.RateLimit
	lvl := levelOff
	if rl.Enabled {
		lvl = levelOn
		if c.Mode == config.Monitor {
			lvl = levelMonitor
		}
	}
	classes := slices.Sorted(maps.Keys(c.Routes))
	for _, class := range []string{"login", "register", "message"} {
		ctl := Control{ID: "ratelimit." + class, Name: "Rate limit on the " + class + " class"}
		pols := classLimit(rl, c.Routes, class, "")
		pols = slices.DeleteFunc(pols, func(s string) bool { return strings.HasPrefix(s, ratelimit.PolicyConcurrent) })
		switch {
		case !slices.Contains(classes, class):
			ctl.State, ctl.Detail = "off", "no route class "+class+" (routes: "+list(classes)+")"
		case len(pols) == 0 || !rl.Enabled:
			ctl.State, ctl.Detail = "off", "no policy for the class"
			ctl.Fix = &Fix{Title: "Limit the " + class + " class", Snippet: fmt.Sprintf("ratelimit:\n  enabled: true\n  policies:\n    - name: %s_ip\n      algorithm: window\n      limit: 40\n      window: 1m\n      key: [ip]\n      classes: [%s]", class, class)}
		default:
			ctl.Level, ctl.State, ctl.Detail = lvl, stateOf(lvl), strings.Join(pols, "; ")
		}
		in.add(ctl)
	}
	conc := Control{ID: "ratelimit.concurrency", Name: "Concurrent requests per client on the message class", State: "off"}
	if pols := classLimit(rl, c.Routes, "message", ratelimit.Concurrency); len(pols) > 0 && rl.Enabled {
		conc.Level, conc.State, conc.Detail = lvl, stateOf(lvl), strings.Join(pols, "; ")
	} else {
		conc.Fix = &Fix{Title: "Cap concurrent message requests per client", Snippet: "ratelimit:\n  policies:\n    - name: concurrent_message\n      algorithm: concurrency\n      limit: 2\n      key: [ip]\n      classes: [message]"}
	}
	in.add(conc)

	mb := Control{ID: "inspect.max_body", Name: "Maximum request body", State: "off", Detail: "no limit: bodies past inspect.body_limit pass uninspected"}
	if c.Inspect.MaxBody > 0 {
		mb.Level, mb.State, mb.Detail = levelOn, "enforce", fmt.Sprintf("%d bytes (413 beyond)", c.Inspect.MaxBody)
	} else if c.Inspect.Oversize == "reject" {
		mb.Level, mb.State, mb.Detail = levelOn, "enforce", fmt.Sprintf("%d bytes (oversize: reject)", c.Inspect.BodyLimit)
	} else {
		// 10 MiB: far above any chat or API body a developer sends.
		mb.Fix = &Fix{Title: "Refuse bodies larger than any real request (413)", Snippet: "inspect:\n  max_body: 10485760"}
	}
	in.add(mb)
}

func stateOf(l float64) string {
	switch {
	case l >= levelOn:
		return "enforce"
	case l > 0:
		return "monitor"
	}
	return "off"
}

func (in *inventory) ai() {
	c := in.cfg
	a := c.AI
	lvl, st := in.mode("prompt_injection", a.Prompt.Enabled)
	in.add(Control{ID: "ai.prompt", Name: "Prompt injection detector", Level: lvl, State: st,
		Detail: fmt.Sprintf("sources %s, violation at %.2f, model %v", list(a.Prompt.Sources), a.Prompt.ViolationAt, a.Prompt.Model),
		Fix:    fixIf(lvl, "Screen prompts for injection", "ai:\n  prompt:\n    enabled: true")})
	ind := Control{ID: "ai.prompt.indirect", Name: "Prompt injection screening of tool and document content", Level: lvl, State: st}
	var indirect []string
	for _, s := range a.Prompt.Sources {
		if s == "tool" || s == "document" {
			indirect = append(indirect, s)
		}
	}
	switch {
	case lvl == 0:
		ind.Fix = fixIf(lvl, "Screen prompts for injection", "ai:\n  prompt:\n    enabled: true\n    sources: [user, tool, document]")
	case len(indirect) < 2:
		ind.Level, ind.State = lvl*0.5, "partial"
		ind.Fix = &Fix{Title: "Screen tool results and retrieved documents too", Snippet: "ai:\n  prompt:\n    sources: [user, tool, document]"}
	}
	ind.Detail = "sources " + list(indirect)
	in.add(ind)

	lvl, st = in.mode("token_budget", a.Budget.Enabled && (a.Budget.TokensPerHour > 0 || a.Budget.TokensPerDay > 0 || a.Budget.CostPerHour > 0 || a.Budget.CostPerDay > 0))
	in.add(Control{ID: "ai.budget", Name: "Token budget per client", Level: lvl, State: st,
		Detail: fmt.Sprintf("classes %s, %d tokens/h, %d tokens/day", list(a.Budget.Classes), a.Budget.TokensPerHour, a.Budget.TokensPerDay),
		Fix:    fixIf(lvl, "routes.message has no token budget: add one", "ai:\n  budget:\n    enabled: true\n    classes: [message]\n    tokens_per_hour: 200000\n    tokens_per_day: 1000000")})

	lvl, st = in.mode("moderation", a.Moderation.Enabled)
	mod := Control{ID: "ai.moderation", Name: "Moderation API", Level: lvl, State: st,
		Fix: fixIf(lvl, "Screen messages with a moderation API (needs a key)", "ai:\n  moderation:\n    enabled: true   # key in OPENAI_MODERATION_API_KEY")}
	if a.Moderation.Enabled {
		mod.Detail = fmt.Sprintf("classes %s, fail_closed %v", list(a.Moderation.Classes), a.Moderation.FailClosed)
	}
	in.add(mod)

	judgeOn := a.Judge.Enabled && c.LLM.Enabled()
	jl, js := in.mode("prompt_injection", judgeOn)
	judge := Control{ID: "ai.judge", Name: "LLM judge of the grey zone", Level: jl, State: js,
		Detail: "no llm.base_url: the judge never runs"}
	if judgeOn {
		// The judge fails open by design: beyond max_pending or on a
		// timeout the request passes on the detector's own verdict.
		judge.Detail = fmt.Sprintf("grey zone [%.2f, %.2f), fails open, waits on %d routes", a.Judge.GreyLow, a.Judge.GreyHigh, len(a.Judge.WaitRoutes))
	} else {
		judge.Fix = &Fix{Title: "Judge grey-zone prompts with a model", Snippet: "llm:\n  base_url: https://api.openai.com/v1   # key in WARDEN_LLM_API_KEY\n  model: gpt-4o-mini\nai:\n  judge:\n    enabled: true"}
	}
	in.add(judge)

	r := a.Response
	rl, rs := levelOff, "off"
	if r.Enabled {
		rl, rs = levelOn, "enforce"
		if c.Mode == config.Monitor {
			rl, rs = levelMonitor, "monitor"
		}
	}
	action := func(id, name string, act response.Action, fix *Fix) {
		ctl := Control{ID: id, Name: name, Detail: "action " + string(act)}
		switch {
		case !r.Enabled:
			ctl.State, ctl.Fix = "off", &Fix{Title: "Turn the response guard on", Snippet: "ai:\n  response:\n    enabled: true"}
		case act == response.Off:
			ctl.State, ctl.Fix = "off", fix
		case act == response.Log:
			ctl.Level, ctl.State, ctl.Fix = rl*levelMonitor, "monitor", fix
		default:
			ctl.Level, ctl.State = rl, rs
		}
		in.add(ctl)
	}
	action("ai.response.secrets", "Response guard: secrets in answers", r.Actions.Secrets,
		&Fix{Title: "Redact secrets from answers", Snippet: "ai:\n  response:\n    actions:\n      secrets: redact"})
	pii := r.Actions.Email
	if r.Actions.Card == response.Off || r.Actions.Phone == response.Off {
		pii = response.Off
	}
	// No fix for personal data and HTML: redacting or cutting them would
	// also hit the examples a developer asks for (test cards, onclick
	// handlers); the application encodes and decides.
	action("ai.response.pii", "Response guard: personal data in answers", pii, nil)
	action("ai.response.html", "Response guard: active HTML in answers", r.Actions.HTML, nil)
	can := r.Actions.Canary
	if r.Canary == "" {
		can = response.Off
	}
	action("ai.response.canary", "Response guard: canary token", can,
		&Fix{Title: "Put a canary in the system prompt and cut answers that echo it", Snippet: "ai:\n  response:\n    canary: \"wdn-canary-<random 16 chars>\"   # add the same string to your system prompt"})
	sp := r.Actions.SystemPrompt
	if r.SystemPrompt == "" && r.SystemPromptFile == "" {
		sp = response.Off
	}
	var spFix *Fix
	if sp == response.Off {
		// Log first: an answer may rightly paraphrase its instructions.
		spFix = &Fix{Title: "Give the response guard the system prompt to spot echoes (log, then cut after a monitor run)",
			Snippet: "ai:\n  response:\n    system_prompt_file: ./system-prompt.txt\n    actions:\n      system_prompt: log", level: levelMonitor}
	}
	action("ai.response.system_prompt", "Response guard: system prompt echo", sp, spFix)

	lvl, st = in.mode("model_extraction", a.Extraction.Enabled && len(a.Extraction.Routes) > 0)
	in.add(Control{ID: "ai.extraction", Name: "Model extraction detector", Level: lvl, State: st,
		Detail: fmt.Sprintf("%d inference routes", len(a.Extraction.Routes)),
		Fix:    fixIf(lvl, "Watch inference routes for model extraction", "ai:\n  extraction:\n    enabled: true\n    routes:\n      - route: POST /api/predict\n        path: inputs")})
	lvl, st = in.mode("model_input", a.Input.Enabled && len(a.Input.Routes) > 0)
	in.add(Control{ID: "ai.input", Name: "Model input validation", Level: lvl, State: st,
		Detail: fmt.Sprintf("%d inference routes", len(a.Input.Routes)),
		Fix:    fixIf(lvl, "Bound inference inputs (shape and range)", "ai:\n  input:\n    enabled: true\n    routes:\n      - route: POST /api/predict\n        path: inputs\n        max_elements: 4096")})
	red := Control{ID: "redact", Name: "Secret redaction in logs and judge input", Level: levelOn, State: "enforce", Detail: "fields " + list(c.Redact.Fields)}
	if len(c.Redact.Fields) == 0 {
		red.Level, red.State = 0.5, "partial"
		red.Detail = "built-in secret patterns only"
	}
	in.add(red)
}

func (in *inventory) deployment() {
	c := in.cfg
	adm := Control{ID: "admin.exposure", Name: "Admin API exposure and token", Level: levelOn, State: "enforce"}
	loop := loopback(c.Admin.Listen)
	token := "generated on start (data dir)"
	if c.Admin.Token != "" {
		token = fmt.Sprintf("configured, %d characters", len(c.Admin.Token))
	}
	adm.Detail = fmt.Sprintf("listen %s, token %s", c.Admin.Listen, token)
	switch {
	case c.Admin.Listen == "":
		adm.Detail = "admin API off"
	case !loop:
		adm.Level, adm.State = 0.5, "partial"
		adm.Fix = &Fix{Title: "Keep the admin API on loopback (reach it through SSH or a private network)", Snippet: "admin:\n  listen: 127.0.0.1:9090"}
	}
	in.add(adm)

	tp := Control{ID: "trusted_proxies", Name: "Trusted proxies (X-Forwarded-For)", Level: levelOn, State: "enforce"}
	// Wider than a /16 (IPv4) or a /48 (IPv6) trusts hosts that are not
	// proxies, and any of them can name any client.
	var widths []string
	wide := false
	for _, p := range c.TrustedProxies {
		pf, err := identity.ParsePrefix(p)
		if err != nil {
			continue // Validate refused it already
		}
		if pf.Addr().Is4() && pf.Bits() < 16 || !pf.Addr().Is4() && pf.Bits() < 48 {
			wide = true
		}
		widths = append(widths, pf.String())
	}
	tp.Detail = "none: the peer address is the client"
	if len(widths) > 0 {
		tp.Detail = strings.Join(widths, ", ")
	}
	if wide {
		tp.Level, tp.State = 0.3, "partial"
		tp.Fix = &Fix{Title: "Trust only the addresses of your own proxies", Snippet: "trusted_proxies:\n  - 10.0.0.5/32   # your load balancer"}
	}
	in.add(tp)

	al := c.Alerts
	var ch []string
	if al.SMTP.Host != "" {
		ch = append(ch, "email")
	}
	if al.Slack.WebhookURL != "" {
		ch = append(ch, "slack")
	}
	if al.Webhook.URL != "" {
		ch = append(ch, "webhook")
	}
	alerts := Control{ID: "alerts", Name: "Alert channels", Level: levelOn, State: "enforce", Detail: list(ch)}
	if len(ch) == 0 {
		alerts.Level, alerts.State = levelOff, "off"
		alerts.Fix = &Fix{Title: "Send alerts somewhere a person reads", Snippet: "alerts:\n  slack:\n    webhook_url: https://hooks.slack.com/services/…   # or smtp / webhook"}
	}
	in.add(alerts)

	st := Control{ID: "store", Name: "Shared state", Level: levelOn, State: "enforce"}
	switch {
	case c.Store.Redis != "" && c.Store.Postgres != "":
		st.Detail = "Redis (bans, limits, scores) and PostgreSQL (events): shared between instances"
	case c.Store.Redis != "":
		st.Detail = "Redis (bans, limits, scores) shared; events per instance (SQLite)"
	default:
		st.Detail = "per instance (memory and SQLite in " + c.DataDir + "): each instance counts limits alone"
		st.State = "partial"
	}
	in.add(st)
	ret := "events not stored"
	if c.Log.Store {
		ret = fmt.Sprintf("events kept %v", c.Log.Retention)
	}
	in.add(Control{ID: "log", Name: "Decision log", Level: levelOn, State: "enforce", Detail: ret})
}

// fixIf returns the fix for a control that is off. A monitored control
// is left to the "mode" control and to warden tune.
func fixIf(level float64, title, snippet string) *Fix {
	if level > levelOff {
		return nil
	}
	return &Fix{Title: title, Snippet: snippet}
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
