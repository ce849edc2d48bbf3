package assess

import (
	"bytes"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/warden-dev/warden/config"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func load(t *testing.T, path string) config.Config {
	t.Helper()
	if path == "" {
		return config.Default()
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg
}

func assessFile(t *testing.T, path string) *Report {
	t.Helper()
	r, err := Assess(load(t, path), path, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func finding(t *testing.T, r *Report, id string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s", id)
	return Finding{}
}

func TestCatalogue(t *testing.T) {
	eds, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"owasp-llm-2025": {"LLM01", "LLM02", "LLM03", "LLM04", "LLM05", "LLM06", "LLM07", "LLM08", "LLM09", "LLM10"},
		"owasp-api-2023": {"API1", "API2", "API3", "API4", "API5", "API6", "API7", "API8", "API9", "API10"},
		"mitre-atlas":    {"AML.T0051", "AML.T0051.000", "AML.T0051.001", "AML.T0054", "AML.T0056", "AML.T0057", "AML.T0024", "AML.T0029", "AML.T0034", "AML.T0040"},
	}
	known := map[string]bool{}
	for _, c := range Inventory(config.Default()) {
		known[c.ID] = true
	}
	got := map[string][]string{}
	for _, e := range eds {
		for _, th := range e.Threats {
			got[e.ID] = append(got[e.ID], th.ID)
			for id := range th.Controls {
				if !known[id] {
					t.Errorf("%s %s: control %q is not in the inventory", e.ID, th.ID, id)
				}
			}
		}
	}
	for ed, ids := range want {
		for _, id := range ids {
			if !slices.Contains(got[ed], id) {
				t.Errorf("edition %s lacks %s", ed, id)
			}
		}
	}
	// Threats a front door cannot address are said so, with a reason.
	for _, id := range []string{"LLM03", "LLM04", "LLM09", "API10"} {
		f := finding(t, assessFile(t, ""), id)
		if f.Coverage != OutOfScope || f.Note == "" || f.Residual != 0 {
			t.Errorf("%s: %+v, want not in scope with a note", id, f)
		}
	}
}

func TestAssessConfigs(t *testing.T) {
	perm := assessFile(t, "testdata/permissive.yaml")
	def := assessFile(t, "")
	hard := assessFile(t, "testdata/hardened.yaml")
	if !(perm.Score > def.Score && def.Score > hard.Score) {
		t.Fatalf("scores permissive %.1f, defaults %.1f, hardened %.1f: want strictly decreasing", perm.Score, def.Score, hard.Score)
	}
	if perm.Score < 90 || perm.Score > 100 || hard.Score <= 0 {
		t.Errorf("scores out of range: permissive %.1f, hardened %.1f", perm.Score, hard.Score)
	}
	tests := []struct {
		r        *Report
		id       string
		coverage Coverage
		control  string // a control the finding names, with its state
		state    string
	}{
		{perm, "LLM01", NotCovered, "ai.prompt", "off"},
		{def, "LLM01", Covered, "ai.prompt", "enforce"},
		{hard, "LLM01", Covered, "ai.judge", "enforce"},
		{perm, "LLM10", NotCovered, "ratelimit.message", "off"},
		{def, "LLM10", Covered, "ai.budget", "enforce"},
		{def, "LLM07", Partly, "ai.response.canary", "off"},
		{hard, "LLM07", Covered, "ai.response.canary", "enforce"},
		{perm, "API8", Partly, "trusted_proxies", "partial"},
		{def, "AML.T0024", Partly, "ai.extraction", "off"},
		{hard, "AML.T0024", Covered, "ai.extraction", "enforce"},
		{def, "AML.T0043", NotCovered, "ai.input", "off"},
		{hard, "LLM03", OutOfScope, "", ""},
	}
	for _, tt := range tests {
		f := finding(t, tt.r, tt.id)
		if f.Coverage != tt.coverage {
			t.Errorf("%s %s: coverage %q, want %q", tt.r.Config, tt.id, f.Coverage, tt.coverage)
		}
		if tt.control == "" {
			continue
		}
		i := slices.IndexFunc(f.Controls, func(c ControlUse) bool { return c.ID == tt.control })
		if i < 0 || f.Controls[i].State != tt.state {
			t.Errorf("%s %s: controls %+v, want %s %s", tt.r.Config, tt.id, f.Controls, tt.control, tt.state)
		}
	}
	if len(hard.Recommendations) != 0 {
		t.Errorf("hardened config still gets recommendations: %+v", hard.Recommendations)
	}
	for _, want := range []string{"trusted_proxies", "admin.exposure", "mode", "ai.prompt", "ratelimit.message"} {
		if !slices.ContainsFunc(perm.Recommendations, func(r Recommendation) bool { return r.Control == want }) {
			t.Errorf("permissive: no recommendation for %s", want)
		}
	}
	for _, r := range []*Report{perm, def} {
		if !slices.IsSortedFunc(r.Recommendations, func(a, b Recommendation) int { return -cmpFloat(a.Gain, b.Gain) }) {
			t.Errorf("%s: recommendations not most valuable first", r.Config)
		}
		if len(r.Recommendations) == 0 || r.Recommendations[0].Gain <= 0 {
			t.Errorf("%s: first recommendation gains nothing", r.Config)
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// merge deep-merges the YAML mapping src into dst.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// TestDefaultRecommendationsStayValid applies every recommendation for the
// defaults: the result is a valid config, no threshold moves toward
// blocking more, and the assessment has nothing left to say.
func TestDefaultRecommendationsStayValid(t *testing.T) {
	def := assessFile(t, "")
	doc := map[string]any{}
	for _, rec := range def.Recommendations {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(rec.Snippet), &m); err != nil {
			t.Fatalf("%s: snippet is not YAML: %v", rec.Control, err)
		}
		merge(doc, m)
	}
	// The snippets name a system prompt file and keys in the environment.
	dir := t.TempDir()
	merge(doc, map[string]any{"ai": map[string]any{"response": map[string]any{"system_prompt_file": dir + "/p.txt"}}})
	if err := writeFile(dir+"/p.txt", "You are a helpful assistant."); err != nil {
		t.Fatal(err)
	}
	data, _ := yaml.Marshal(doc)
	env := map[string]string{"OPENAI_MODERATION_API_KEY": "k", "WARDEN_LLM_API_KEY": "k"}
	cfg, err := config.Parse(data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("defaults + recommendations do not load: %v\n%s", err, data)
	}
	d := config.Default()
	if cfg.Policy != d.Policy || cfg.AI.Prompt.ViolationAt != d.AI.Prompt.ViolationAt || cfg.AI.Prompt.ReportAt != d.AI.Prompt.ReportAt ||
		cfg.AI.Judge.ActAt != d.AI.Judge.ActAt || !maps.Equal(cfg.Behavior.Weights, d.Behavior.Weights) {
		t.Errorf("recommendations moved a threshold")
	}
	after, err := Assess(cfg, "after", now)
	if err != nil {
		t.Fatal(err)
	}
	if after.Score >= def.Score {
		t.Errorf("score %.1f after the recommendations, %.1f before", after.Score, def.Score)
	}
	for _, rec := range after.Recommendations {
		if rec.Gain > 0 {
			t.Errorf("recommendation left after applying them all: %+v", rec)
		}
	}
}

// TestSARIFStable checks that rule ids and fingerprints are the same
// across runs (sarif_test.go validates the log against the schema).
func TestSARIFStable(t *testing.T) {
	// Rule ids and fingerprints are the same across configs: a finding
	// stays one alert while the config changes.
	a, b := assessFile(t, "testdata/permissive.yaml").SARIF().(sarifLog), assessFile(t, "testdata/permissive.yaml").SARIF().(sarifLog)
	if a.Runs[0].Results[0].PartialFingerprints["wardenThreat/v1"] != b.Runs[0].Results[0].PartialFingerprints["wardenThreat/v1"] {
		t.Error("fingerprints differ between runs")
	}
}

func TestFormats(t *testing.T) {
	r := assessFile(t, "testdata/permissive.yaml")
	r.Probes = []ProbeResult{{Name: "burst", Expected: "429", Got: "200", Threats: []string{"API4"}}}
	tests := []struct {
		format string
		want   []string
	}{
		{"md", []string{"# Warden threat model", "Risk score: ", "| LLM01 | Prompt Injection | not covered |", "## Recommendations", "```yaml", "| burst | 429 | 200 | FAIL | API4 |", "not in scope"}},
		{"html", []string{"<h2>Coverage matrix</h2>", `class="not-covered"`, "<td>LLM01</td>", "<td>FAIL</td>"}},
		{"json", []string{`"risk_score"`, `"score_method"`, `"coverage": "not covered"`, `"snippet"`}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := r.Write(&buf, tt.format); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s output lacks %q", tt.format, w)
			}
		}
	}
	if err := r.Write(&bytes.Buffer{}, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestFailing(t *testing.T) {
	perm, hard := assessFile(t, "testdata/permissive.yaml"), assessFile(t, "testdata/hardened.yaml")
	tests := []struct {
		r     *Report
		level string
		fail  bool
	}{
		{perm, High, true},
		{hard, High, false},
		{hard, Low, false}, // what is left, no config change lowers
		{assessFile(t, ""), Medium, true},
	}
	for _, tt := range tests {
		if got := len(tt.r.Failing(tt.level)) > 0; got != tt.fail {
			t.Errorf("%s --fail-on %s: failing %v, want %v", tt.r.Config, tt.level, got, tt.fail)
		}
	}
	if _, err := ParseSeverity("critical"); err == nil {
		t.Error("critical accepted")
	}
}

func TestConcretePath(t *testing.T) {
	tests := []struct {
		pattern, want string
		ok            bool
	}{
		{"POST /api/ask/{rest...}", "/api/ask/assess-probe", true},
		{"/v1/chat/completions", "/v1/chat/completions", true},
		{"POST /api/{id}/chat/", "/api/assess-probe/chat/assess-probe", true},
		{"GET /api/ask", "", false},
		{"example.com/api", "", false},
	}
	for _, tt := range tests {
		got, ok := concretePath(tt.pattern, "POST")
		if got != tt.want || ok != tt.ok {
			t.Errorf("concretePath(%q) = %q, %v; want %q, %v", tt.pattern, got, ok, tt.want, tt.ok)
		}
	}
}

func BenchmarkAssess(b *testing.B) {
	cfg := config.Default()
	for b.Loop() {
		if _, err := Assess(cfg, "defaults", now); err != nil {
			b.Fatal(err)
		}
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func TestContradictions(t *testing.T) {
	def := assessFile(t, "")
	tests := []struct {
		probe ProbeResult
		want  int
	}{
		{ProbeResult{Name: "burst", Control: "ratelimit.message", Got: "200"}, 1},         // in force, yet not throttled
		{ProbeResult{Name: "burst", Control: "ratelimit.message", Pass: true}, 0},         // as claimed
		{ProbeResult{Name: "oversized-body", Control: "inspect.max_body", Got: "200"}, 0}, // the report says it is off
		{ProbeResult{Name: "spoofed-xff", Control: "trusted_proxies", Skipped: true}, 0},  // nothing observed
		{ProbeResult{Name: "prompt-injection", Control: "ai.prompt", Got: "200"}, 1},      // in force, yet passed
	}
	for _, tt := range tests {
		def.Probes = []ProbeResult{tt.probe}
		if got := def.Contradictions(); len(got) != tt.want {
			t.Errorf("%+v: %v, want %d", tt.probe, got, tt.want)
		}
	}
}

func TestInventoryLimits(t *testing.T) {
	tests := []struct {
		name, yaml string
		id, state  string
	}{
		{"defaults", "", "ratelimit.message", "enforce"},
		{"by route", "ratelimit:\n  policies:\n    - name: ask\n      algorithm: window\n      limit: 10\n      window: 1m\n      key: [ip]\n      routes: [\"POST /api/ask/{rest...}\"]\n", "ratelimit.message", "enforce"},
		{"other class only", "ratelimit:\n  policies:\n    - name: login\n      algorithm: window\n      limit: 5\n      window: 1m\n      key: [ip]\n      classes: [login]\n", "ratelimit.message", "off"},
		{"monitor", "mode: monitor\n", "ratelimit.message", "monitor"},
		{"wide proxies", "trusted_proxies: [\"10.0.0.0/8\"]\n", "trusted_proxies", "partial"},
		{"narrow proxies", "trusted_proxies: [\"10.0.0.5/32\", \"2001:db8::/64\"]\n", "trusted_proxies", "enforce"},
		{"public admin", "admin:\n  listen: 0.0.0.0:9090\n  token: \"0123456789abcdef0123456789abcdef\"\n", "admin.exposure", "partial"},
		{"judge without llm", "", "ai.judge", "off"},
		{"max body", "inspect:\n  max_body: 1048576\n", "inspect.max_body", "enforce"},
		{"payload off on a route", "detectors:\n  payload:\n    routes:\n      \"POST /wiki/{p...}\": monitor\n", "payload", "partial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tt.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(Inventory(cfg), func(c Control) bool { return c.ID == tt.id })
			if i < 0 {
				t.Fatalf("no control %s", tt.id)
			}
			if c := Inventory(cfg)[i]; c.State != tt.state {
				t.Errorf("%s: %s (%s), want %s", tt.id, c.State, c.Detail, tt.state)
			}
		})
	}
}
