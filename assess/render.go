package assess

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// Formats lists the output formats of Write.
func Formats() []string { return []string{"md", "json", "sarif", "html"} }

// Write renders r in format to w.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "md":
		return r.markdown(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*Report
			Method string `json:"score_method"`
		}{r, ScoreMethod})
	case "sarif":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r.SARIF())
	case "html":
		return htmlReport.Execute(w, r)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats(), ", "))
}

func (r *Report) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Warden threat model: %s\n\n", r.Config)
	fmt.Fprintf(&b, "**Risk score: %.1f / 100** (lower is better)\n\n%s\n\n", r.Score, ScoreMethod)
	b.WriteString("## Recommendations\n\n")
	if len(r.Recommendations) == 0 {
		b.WriteString("None.\n\n")
	}
	for i, rec := range r.Recommendations {
		fmt.Fprintf(&b, "%d. **%s** (`%s`, −%.1f points; %s)\n\n   ```yaml\n", i+1, rec.Title, rec.Control, rec.Gain, list(rec.Threats))
		for _, l := range strings.Split(rec.Snippet, "\n") {
			fmt.Fprintf(&b, "   %s\n", l)
		}
		b.WriteString("   ```\n\n")
	}
	for _, e := range r.Editions {
		fmt.Fprintf(&b, "## %s\n\n| Id | Threat | Coverage | Residual / inherent | Severity | Controls |\n|---|---|---|---|---|---|\n", e.Name)
		for _, f := range r.Findings {
			if f.Edition != e.ID {
				continue
			}
			var ctl []string
			for _, c := range f.Controls {
				ctl = append(ctl, fmt.Sprintf("%s %s (%.2f)", c.ID, c.State, c.Share))
			}
			if f.Note != "" {
				ctl = append(ctl, "*"+f.Note+"*")
			}
			risk := fmt.Sprintf("%.1f / %.0f", f.Residual, f.Inherent)
			if f.Coverage == OutOfScope {
				risk = "–"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", f.ID, f.Name, f.Coverage, risk, f.Severity, strings.Join(ctl, "; "))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Controls\n\n| Control | State | Detail |\n|---|---|---|\n")
	for _, c := range r.Controls {
		fmt.Fprintf(&b, "| `%s` %s | %s | %s |\n", c.ID, c.Name, c.State, strings.ReplaceAll(c.Detail, "|", "\\|"))
	}
	if len(r.Probes) > 0 {
		b.WriteString("\n## Probes\n\n| Probe | Expected | Got | Result | Threats |\n|---|---|---|---|---|\n")
		for _, p := range r.Probes {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", p.Name, p.Expected, p.Got, p.Result(), strings.Join(p.Threats, ", "))
		}
		if bad := r.Contradictions(); len(bad) > 0 {
			b.WriteString("\n**The probes contradict the assessment:**\n\n")
			for _, c := range bad {
				fmt.Fprintf(&b, "- %s\n", c)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SARIF 2.1.0, the subset code scanning reads.
type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	ShortDescription sarifMessage `json:"shortDescription"`
	HelpURI          string       `json:"helpUri,omitempty"`
	Properties       struct {
		Tags []string `json:"tags"`
	} `json:"properties"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine int `json:"startLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

// SARIF returns the findings with a residual risk as SARIF 2.1.0 results:
// one rule per threat (its catalogue id, stable across runs), located on
// the config file.
func (r *Report) SARIF() any {
	drv := sarifDriver{Name: "warden-assess", InformationURI: "https://github.com/warden-dev/warden"}
	index := map[string]int{}
	url := map[string]string{}
	for _, e := range r.Editions {
		url[e.ID] = e.URL
	}
	for _, f := range r.Findings {
		rule := sarifRule{ID: f.ID, Name: strings.ReplaceAll(f.Name, " ", ""), ShortDescription: sarifMessage{f.Name}, HelpURI: url[f.Edition]}
		rule.Properties.Tags = []string{"security", f.Edition}
		index[f.ID] = len(drv.Rules)
		drv.Rules = append(drv.Rules, rule)
	}
	uri := r.Config
	if uri == "" || uri == "defaults" {
		uri = "warden.yaml"
	}
	results := []sarifResult{}
	for _, f := range r.Findings {
		if f.Severity == None {
			continue
		}
		res := sarifResult{RuleID: f.ID, RuleIndex: index[f.ID], Level: sarifLevel(f.Severity),
			Message: sarifMessage{fmt.Sprintf("%s %s is %s: residual risk %.1f of %.0f.%s", f.ID, f.Name, f.Coverage, f.Residual, f.Inherent, r.fixFor(f))}}
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = uri
		loc.PhysicalLocation.Region.StartLine = 1
		res.Locations = []sarifLocation{loc}
		// The fingerprint names the threat and the file, not the score:
		// a finding stays one alert while the config improves.
		sum := sha256.Sum256([]byte(f.ID + "\x00" + uri))
		res.PartialFingerprints = map[string]string{"wardenThreat/v1": hex.EncodeToString(sum[:16])}
		results = append(results, res)
	}
	return sarifLog{Version: "2.1.0", Schema: "https://json.schemastore.org/sarif-2.1.0.json",
		Runs: []sarifRun{{Tool: sarifTool{drv}, Results: results}}}
}

func (r *Report) fixFor(f Finding) string {
	for _, rec := range r.Recommendations {
		for _, t := range rec.Threats {
			if t == f.ID {
				return " Recommended: " + rec.Title + " (" + rec.Control + ")."
			}
		}
	}
	return ""
}

func sarifLevel(sev string) string {
	switch sev {
	case High:
		return "error"
	case Medium:
		return "warning"
	}
	return "note"
}

var htmlReport = template.Must(template.New("assess").Funcs(template.FuncMap{
	"method": func() string { return ScoreMethod },
	"cls":    func(s string) string { return strings.ReplaceAll(s, " ", "-") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warden threat model: {{.Config}}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.covered{background:#d9f2d9}.partly{background:#fff3c4}.not-covered{background:#f8d0d0}.not-in-scope{background:#eee;color:#555}
pre{background:#f6f6f6;padding:.5em}</style></head><body>
<h1>Warden threat model: {{.Config}}</h1>
<p><strong>Risk score: {{printf "%.1f" .Score}} / 100</strong> (lower is better). {{method}}</p>
<h2>Coverage matrix</h2>
{{range $e := .Editions}}<h3>{{$e.Name}}</h3>
<table><tr><th>Id</th><th>Threat</th><th>Coverage</th><th>Residual / inherent</th><th>Severity</th><th>Controls</th></tr>
{{range $.Findings}}{{if eq .Edition $e.ID}}<tr class="{{.Coverage | printf "%s" | cls}}"><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Coverage}}</td><td>{{printf "%.1f" .Residual}} / {{printf "%.0f" .Inherent}}</td><td>{{.Severity}}</td>
<td>{{range .Controls}}{{.ID}} {{.State}} ({{printf "%.2f" .Share}})<br>{{end}}{{with .Note}}<em>{{.}}</em>{{end}}</td></tr>
{{end}}{{end}}</table>
{{end}}<h2>Recommendations</h2><ol>
{{range .Recommendations}}<li><strong>{{.Title}}</strong> ({{.Control}}, −{{printf "%.1f" .Gain}} points)<pre>{{.Snippet}}</pre></li>
{{end}}</ol>
<h2>Controls</h2><table><tr><th>Control</th><th>State</th><th>Detail</th></tr>
{{range .Controls}}<tr><td><code>{{.ID}}</code> {{.Name}}</td><td>{{.State}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
{{if .Probes}}<h2>Probes</h2><table><tr><th>Probe</th><th>Expected</th><th>Got</th><th>Result</th><th>Threats</th></tr>
{{range .Probes}}<tr><td>{{.Name}}</td><td>{{.Expected}}</td><td>{{.Got}}</td><td>{{.Result}}</td><td>{{range .Threats}}{{.}} {{end}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))
