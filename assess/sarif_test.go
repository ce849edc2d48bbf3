package assess

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The SARIF 2.1.0 JSON schema is not available offline here, so
// sarifSchema restates the part of it that covers every property the
// reports emit, with its types, enums, minimums, required properties,
// uniqueItems and additionalProperties: false (the schema's default for
// its objects), so a property misspelt or added without a schema rule
// fails as a validator would fail it.
type sarifCheck func(path string, v any) []string

func sObject(required []string, props map[string]sarifCheck) sarifCheck {
	return func(path string, v any) []string {
		m, ok := v.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		var errs []string
		for _, k := range required {
			if _, ok := m[k]; !ok {
				errs = append(errs, fmt.Sprintf("%s: %s required", path, k))
			}
		}
		for k, x := range m {
			c, ok := props[k]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: property %q not in the schema", path, k))
				continue
			}
			errs = append(errs, c(path+"."+k, x)...)
		}
		slices.Sort(errs)
		return errs
	}
}

func sString(ok func(string) bool, want string) sarifCheck {
	return func(path string, v any) []string {
		s, isStr := v.(string)
		if !isStr || ok != nil && !ok(s) {
			return []string{fmt.Sprintf("%s: %v, want %s", path, v, want)}
		}
		return nil
	}
}

func sEnum(vals ...string) sarifCheck {
	return sString(func(s string) bool { return slices.Contains(vals, s) }, "one of "+strings.Join(vals, "|"))
}

func sURI(absolute bool) sarifCheck {
	return sString(func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && s != "" && (!absolute || u.IsAbs())
	}, "a URI")
}

func sInt(minimum int) sarifCheck {
	return func(path string, v any) []string {
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) || int(f) < minimum {
			return []string{fmt.Sprintf("%s: %v, want an integer >= %d", path, v, minimum)}
		}
		return nil
	}
}

// sArray checks items; unique is the schema's uniqueItems.
func sArray(unique bool, minItems int, item sarifCheck) sarifCheck {
	return func(path string, v any) []string {
		a, ok := v.([]any)
		if !ok || len(a) < minItems {
			return []string{fmt.Sprintf("%s: want an array of at least %d", path, minItems)}
		}
		var errs []string
		seen := map[string]bool{}
		for i, x := range a {
			errs = append(errs, item(fmt.Sprintf("%s[%d]", path, i), x)...)
			b, _ := json.Marshal(x)
			if unique && seen[string(b)] {
				errs = append(errs, fmt.Sprintf("%s[%d]: repeated (uniqueItems)", path, i))
			}
			seen[string(b)] = true
		}
		return errs
	}
}

func sStringMap(path string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{path + ": not an object"}
	}
	var errs []string
	for k, x := range m {
		if s, ok := x.(string); !ok || s == "" {
			errs = append(errs, fmt.Sprintf("%s.%s: %v, want a string", path, k, x))
		}
	}
	return errs
}

func sarifSchema() sarifCheck {
	message := sObject([]string{"text"}, map[string]sarifCheck{"text": sString(nil, "a string")})
	rule := sObject([]string{"id"}, map[string]sarifCheck{
		"id":               sString(func(s string) bool { return s != "" }, "an id"),
		"name":             sString(nil, "a string"),
		"shortDescription": message,
		"helpUri":          sURI(true),
		"properties": sObject(nil, map[string]sarifCheck{
			"tags": sArray(true, 0, sString(nil, "a string")),
		}),
	})
	location := sObject(nil, map[string]sarifCheck{
		"physicalLocation": sObject([]string{"artifactLocation"}, map[string]sarifCheck{
			"artifactLocation": sObject(nil, map[string]sarifCheck{"uri": sURI(false)}),
			"region":           sObject(nil, map[string]sarifCheck{"startLine": sInt(1)}),
		}),
	})
	result := sObject([]string{"message"}, map[string]sarifCheck{
		"ruleId":              sString(nil, "a string"),
		"ruleIndex":           sInt(-1),
		"level":               sEnum("none", "note", "warning", "error"),
		"kind":                sEnum("notApplicable", "pass", "fail", "review", "open", "informational"),
		"message":             message,
		"locations":           sArray(true, 0, location),
		"partialFingerprints": sStringMap,
	})
	run := sObject([]string{"tool"}, map[string]sarifCheck{
		"tool": sObject([]string{"driver"}, map[string]sarifCheck{
			"driver": sObject([]string{"name"}, map[string]sarifCheck{
				"name":           sString(func(s string) bool { return s != "" }, "a name"),
				"informationUri": sURI(true),
				"rules":          sArray(true, 0, rule),
			}),
		}),
		"results": sArray(false, 0, result),
	})
	return sObject([]string{"version", "runs"}, map[string]sarifCheck{
		"version": sEnum("2.1.0"),
		"$schema": sURI(true),
		"runs":    sArray(false, 0, run),
	})
}

// sarifRefs checks what the schema cannot: each result's ruleIndex points
// at the rule its ruleId names (SARIF §3.27.6), and fingerprints differ.
func sarifRefs(log map[string]any) []string {
	var errs []string
	for _, x := range log["runs"].([]any) {
		run := x.(map[string]any)
		rules, _ := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
		fps := map[string]bool{}
		results, _ := run["results"].([]any)
		for i, y := range results {
			res := y.(map[string]any)
			idx, _ := res["ruleIndex"].(float64)
			if int(idx) < 0 || int(idx) >= len(rules) || rules[int(idx)].(map[string]any)["id"] != res["ruleId"] {
				errs = append(errs, fmt.Sprintf("results[%d]: ruleIndex %v is not rule %v", i, res["ruleIndex"], res["ruleId"]))
			}
			fp := fmt.Sprint(res["partialFingerprints"])
			if fps[fp] {
				errs = append(errs, fmt.Sprintf("results[%d]: fingerprint repeated", i))
			}
			fps[fp] = true
		}
	}
	return errs
}

func sarifOf(t *testing.T, path string) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := assessFile(t, path).Write(&buf, "sarif"); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return log
}

// TestSARIFSchema validates the reports of a permissive, a hardened and
// the default config against the schema subset, and checks the subset
// rejects what the schema rejects.
func TestSARIFSchema(t *testing.T) {
	for _, path := range []string{"testdata/permissive.yaml", "testdata/hardened.yaml", ""} {
		log := sarifOf(t, path)
		if res, _ := log["runs"].([]any)[0].(map[string]any)["results"].([]any); path == "testdata/permissive.yaml" && len(res) == 0 {
			t.Errorf("%s: no results", path)
		}
		if errs := append(sarifSchema()("$", log), sarifRefs(log)...); len(errs) > 0 {
			t.Errorf("%q: %s", path, strings.Join(errs, "\n"))
		}
	}
	result := func(log map[string]any) map[string]any {
		return log["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
	}
	tests := []struct {
		name   string
		mutate func(log map[string]any)
		want   string
	}{
		{"level", func(l map[string]any) { result(l)["level"] = "critical" }, ".level: critical"},
		{"kind", func(l map[string]any) { result(l)["kind"] = "bad" }, ".kind: bad"},
		{"ruleIndex type", func(l map[string]any) { result(l)["ruleIndex"] = "0" }, ".ruleIndex: 0, want an integer"},
		{"ruleIndex target", func(l map[string]any) { result(l)["ruleIndex"] = float64(100000) }, "is not rule"},
		{"startLine", func(l map[string]any) {
			result(l)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["region"].(map[string]any)["startLine"] = float64(0)
		}, ".startLine: 0"},
		{"uri", func(l map[string]any) {
			result(l)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"] = 7.0
		}, ".uri: 7"},
		{"fingerprint value", func(l map[string]any) { result(l)["partialFingerprints"].(map[string]any)["x"] = 1.0 }, ".partialFingerprints.x: 1"},
		{"unknown property", func(l map[string]any) { result(l)["severity"] = "high" }, `property "severity" not in the schema`},
		{"message", func(l map[string]any) { delete(result(l), "message") }, "message required"},
		{"version", func(l map[string]any) { l["version"] = "2.0.0" }, "$.version: 2.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := sarifOf(t, "testdata/permissive.yaml")
			tt.mutate(log)
			errs := strings.Join(append(sarifSchema()("$", log), sarifRefs(log)...), "\n")
			if !strings.Contains(errs, tt.want) {
				t.Fatalf("want an error with %q, got %q", tt.want, errs)
			}
		})
	}
}

func TestChatText(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"plain", `{"choices":[{"message":{"role":"assistant","content":"a sk-proj-X b"}}]}`, "a sk-proj-X b"},
		{"stream split", "data: {\"choices\":[{\"delta\":{\"content\":\"a sk-pr\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"oj-X b\"}}]}\n\ndata: [DONE]\n\n", "a sk-proj-X b"},
		{"neither", "<html>nope</html>", "<html>nope</html>"},
	}
	for _, tt := range tests {
		if got := chatText(tt.body); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
