package report

import (
	"fmt"
	"html/template"
	"io"
)

// chartBar is one hour's stacked bar in the SVG chart.
type chartBar struct {
	X, Width float64
	Label    string
	ShowTick bool
	Title    string
	Parts    []chartPart
}

type chartPart struct {
	Y, Height float64
	Color     string
}

// chart geometry, in SVG user units.
const (
	chartW, chartH   = 720.0, 220.0
	chartLeft        = 8.0
	chartTop, chartB = 10.0, 190.0 // plot area top and bottom
)

// series are the stacked parts, bottom up, with their colours (also in
// the legend).
var series = []struct {
	name, color string
	get         func(Hour) int64
}{
	{"allowed", "#9ca3af", func(h Hour) int64 { return h.Allowed }},
	{"logged", "#60a5fa", func(h Hour) int64 { return h.Logged }},
	{"throttled", "#f59e0b", func(h Hour) int64 { return h.Throttled }},
	{"blocked", "#ef4444", func(h Hour) int64 { return h.Blocked }},
	{"banned", "#7f1d1d", func(h Hour) int64 { return h.Banned }},
}

func chartBars(hours []Hour) []chartBar {
	var peak int64
	for _, h := range hours {
		peak = max(peak, h.Total())
	}
	n := float64(max(len(hours), 1))
	slot := (chartW - chartLeft) / n
	bars := make([]chartBar, 0, len(hours))
	for i, h := range hours {
		b := chartBar{X: chartLeft + float64(i)*slot + 1, Width: slot - 2, Label: h.Label[:2], ShowTick: i%3 == 0,
			Title: fmt.Sprintf("%s: %s events", h.Label, num(h.Total()))}
		y := chartB
		for _, s := range series {
			v := s.get(h)
			if v == 0 || peak == 0 {
				continue
			}
			ht := float64(v) * (chartB - chartTop) / float64(peak)
			y -= ht
			b.Parts = append(b.Parts, chartPart{Y: y, Height: ht, Color: s.color})
		}
		bars = append(bars, b)
	}
	return bars
}

type legendItem struct {
	X           float64
	Name, Color string
}

func legend() []legendItem {
	out := make([]legendItem, len(series))
	for i, s := range series {
		out[i] = legendItem{X: chartLeft + float64(i)*100, Name: s.name, Color: s.color}
	}
	return out
}

// htmlTmpl is mail-safe: inline styles, inline SVG, no script, no
// external resources. html/template escapes every value.
var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": num, "change": changeText, "issued": issued, "usd": usd, "changeF": changeTextF, "rowCost": rowCost,
	"f": func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Warden daily report {{.R.Date}}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111827;max-width:760px;margin:0 auto;padding:16px">
<h1 style="font-size:22px;margin:0 0 4px">Warden daily report: {{.R.Date}} ({{.R.TimeZone}})</h1>
<p style="color:#6b7280;margin:0 0 16px">Source: {{.R.Source}}, generated {{.R.Generated.Format "2006-01-02 15:04 MST"}}.</p>
<h2 style="font-size:17px">Summary</h2>
<p style="color:#6b7280;font-size:13px;margin:0"><em>{{.SummaryLabel}}</em></p>
<p style="background:#f3f4f6;padding:10px;border-radius:6px">{{.R.Summary.Text}}</p>
<h2 style="font-size:17px">Headline</h2>
<table style="border-collapse:collapse;font-size:14px" cellpadding="4">
<tr style="border-bottom:1px solid #d1d5db"><th align="left"></th><th align="right">today</th><th align="right">previous day</th><th align="right">change</th></tr>
{{range .Headline}}<tr><td>{{.label}}</td><td align="right">{{num .today}}</td><td align="right">{{num .before}}</td><td align="right">{{change .today .before}}</td></tr>
{{end}}<tr><td>new offenders</td><td align="right">{{num .R.Today.NewOffenders}}</td><td></td><td></td></tr>
<tr><td>repeat offenders</td><td align="right">{{num .R.Today.RepeatOffenders}}</td><td></td><td></td></tr>
{{if .Priced}}<tr><td>estimated cost</td><td align="right">{{usd .R.Today.CostUSD}}</td><td align="right">{{usd .R.Yesterday.CostUSD}}</td><td align="right">{{changeF .R.Today.CostUSD .R.Yesterday.CostUSD}}</td></tr>
{{end}}</table>
<h2 style="font-size:17px">Actions per hour</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="720" height="240" viewBox="0 0 720 240" role="img" aria-label="actions per hour">
<line x1="8" y1="190" x2="720" y2="190" stroke="#9ca3af" stroke-width="1"/>
{{range .Bars}}<g><title>{{.Title}}</title>{{$b := .}}{{range .Parts}}<rect x="{{f $b.X}}" y="{{f .Y}}" width="{{f $b.Width}}" height="{{f .Height}}" fill="{{.Color}}"/>{{end}}</g>{{if .ShowTick}}<text x="{{f .X}}" y="204" font-size="10" fill="#6b7280">{{.Label}}</text>{{end}}
{{end}}{{range .Legend}}<rect x="{{f .X}}" y="222" width="10" height="10" fill="{{.Color}}"/><text x="{{f .X}}" dx="14" y="231" font-size="11" fill="#374151">{{.Name}}</text>
{{end}}</svg>
{{range .Sections}}<h2 style="font-size:17px">{{.Title}}</h2>
{{if .Rows}}<table style="border-collapse:collapse;font-size:14px" cellpadding="4">
<tr style="border-bottom:1px solid #d1d5db"><th align="left">{{.Col}}</th><th align="right">events</th><th align="right">stopped</th><th></th></tr>
{{range .Rows}}<tr><td style="font-family:monospace">{{.Name}}</td><td align="right">{{num .Events}}</td><td align="right">{{num .Stopped}}</td><td><svg xmlns="http://www.w3.org/2000/svg" width="160" height="10" role="img" aria-label="{{num .Events}} events, {{num .Stopped}} stopped"><rect width="{{f .Width}}" height="10" fill="#9ca3af"/><rect width="{{f .StoppedWidth}}" height="10" fill="#ef4444"/></svg></td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}
{{end}}<h2 style="font-size:17px">AI usage</h2>
{{with .R.Usage}}{{if .Models}}<table style="border-collapse:collapse;font-size:14px" cellpadding="4">
<tr style="border-bottom:1px solid #d1d5db"><th align="left">model</th><th align="right">requests</th><th align="right">prompt tokens</th><th align="right">completion tokens</th>{{if .Priced}}<th align="right">estimated cost</th>{{end}}</tr>
{{$p := .Priced}}{{range .Models}}<tr><td style="font-family:monospace">{{.Name}}</td><td align="right">{{num .Requests}}</td><td align="right">{{num .PromptTokens}}</td><td align="right">{{num .CompletionTokens}}</td>{{if $p}}<td align="right">{{rowCost .}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{else}}<p>None.</p>{{end}}
<h2 style="font-size:17px">Bans</h2>
<p>Issued: {{issued .R.Bans.Issued}}. Lifted: {{num .R.Bans.Lifted}} (scores cleared: {{num .R.Bans.LiftedCleared}}). Expired: {{num .R.Bans.Expired}}. Refused requests: {{num .R.Bans.Refused}}. Banned clients seen: {{num .R.Bans.Clients}}.</p>
<h2 style="font-size:17px">Alerts</h2>
{{if .R.Alerts}}<p>Sent: {{num .R.Alerts.Sent}}.</p>{{else}}<p>Not recorded (see notes).</p>{{end}}
<h2 style="font-size:17px">Health</h2>
{{with .R.Health}}<p>Dropped events: {{.DroppedEvents}}. Store fallbacks: {{.StoreFallbacks}}. Judge failures: {{.JudgeFailures}}.</p>{{else}}<p>Not recorded (see notes).</p>{{end}}
{{if .R.Notes}}<h2 style="font-size:17px">Notes</h2><ul style="color:#374151;font-size:13px">{{range .R.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteHTML writes the report as one self-contained HTML page: inline
// styles and an inline SVG chart, no JavaScript and nothing fetched, so
// mail clients render it.
func (r *Report) WriteHTML(w io.Writer) error {
	type bar struct {
		Row
		Width, StoppedWidth float64 // of 160 units, against the list's first row
	}
	type sec struct {
		Title, Col string
		Rows       []bar
	}
	var secs []sec
	for _, s := range r.sections() {
		x := sec{Title: s.title, Col: s.col}
		for _, row := range s.rows {
			b := bar{Row: row}
			if peak := s.rows[0].Events; peak > 0 {
				b.Width = 160 * float64(row.Events) / float64(peak)
				b.StoppedWidth = 160 * float64(row.Stopped) / float64(peak)
			}
			x.Rows = append(x.Rows, b)
		}
		secs = append(secs, x)
	}
	var hl []map[string]any
	for _, f := range headlineFields(r) {
		hl = append(hl, map[string]any{"label": f.label, "today": f.today, "before": f.before})
	}
	return htmlTmpl.Execute(w, map[string]any{
		"R": r, "SummaryLabel": r.Summary.label(), "Headline": hl, "Priced": r.priced(),
		"Bars": chartBars(r.Hours), "Legend": legend(), "Sections": secs,
	})
}
