package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeJSONL writes lines to a file in a test directory.
func writeJSONL(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A set read by category keeps each benign row's category as its class
// and still marks it benign; other sets fold benign rows into "benign".
func TestLoadKeepsDevtextCategories(t *testing.T) {
	path := writeJSONL(t,
		`{"id":"a","method":"POST","uri":"/v1/chat/completions","headers":{"Content-Type":"application/json"},"body":"{}","expect":"benign","category":"chat_code"}`,
		`{"id":"b","method":"GET","uri":"/search?q=ls","expect":"benign","category":"search_code"}`,
		`{"id":"c","method":"GET","uri":"/?id=1","expect":"attack","category":"sqli"}`,
	)
	tests := []struct {
		name       string
		byCategory bool
		want       []key
	}{
		{"by category", true, []key{{"t", "chat_code", false}, {"t", "search_code", false}, {"t", "sqli", true}}},
		{"benign folded", false, []key{{"t", "benign", false}, {"t", "benign", false}, {"t", "sqli", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := load(source{path: path, set: "t", byCategory: tt.byCategory}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("loaded %d samples, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if k := got[i].key(); k != tt.want[i] {
					t.Errorf("sample %s: key %+v, want %+v", got[i].id, k, tt.want[i])
				}
			}
		})
	}
}

// A CRS attack stage documented upstream as its rule's false positive
// counts as benign; an attack stage that only mentions legitimate parts
// stays an attack, and a benign stage that names one rule is skipped.
func TestLoadCRSKnownFalsePositives(t *testing.T) {
	path := writeJSONL(t,
		`{"id":"1-1","method":"GET","uri":"/?a=1","expect":"attack","category":"rce","rule":1,"desc":"Known false positive with `+"`Cut`"+` at start of string"}`,
		`{"id":"1-2","method":"GET","uri":"/?a=1","expect":"attack","category":"xss","rule":1,"desc":"Expected (rare) false positive: Stripe webhook signature header"}`,
		`{"id":"1-3","method":"GET","uri":"/?a=1","expect":"attack","category":"sqli","rule":1,"desc":"False-positive: Detects or-based authentication bypass"}`,
		`{"id":"1-4","method":"GET","uri":"/?a=1","expect":"attack","category":"multipart","rule":1,"desc":"illegal charset in middle part between two legitimate parts"}`,
		`{"id":"1-5","method":"GET","uri":"/?a=1","expect":"attack","category":"xss","rule":1,"desc":"XSS in a parameter, no false positive expected"}`,
		`{"id":"1-6","method":"GET","uri":"/?a=1","expect":"benign","category":"xss","rule":1,"desc":"rule must not fire"}`,
	)
	got, skipped, err := load(source{path: path, set: "crs", crs: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"1-1": false, "1-2": false, "1-3": false, "1-4": true, "1-5": true}
	if skipped != 1 || len(got) != len(want) {
		t.Fatalf("loaded %d, skipped %d; want %d and 1", len(got), skipped, len(want))
	}
	for _, s := range got {
		if s.attack != want[s.id] {
			t.Errorf("stage %s: attack %v, want %v", s.id, s.attack, want[s.id])
		}
	}
}

// Devtext rows are benign in every total and per category, whatever
// their class name, and doc_attack_catalog is left out of the devtext
// total without it.
func TestDevtextAccounting(t *testing.T) {
	s := func(set, class string, attack bool) sample { return sample{set: set, class: class, attack: attack} }
	samples := []sample{
		s("crs", "sqli", true),
		s("crs", "benign", false),
		s("modsec-learn/legitimate_test", "benign", false),
		s(devtextSet, "chat_code", false),
		s(devtextSet, "chat_code", false),
		s(devtextSet, "search_code", false),
		s(devtextSet, attackCatalog, false),
		s("prompts", "prompt_injection", true),
	}
	// One engine: blocks samples 0, 3, 6 and 7, flags 4 too.
	d := func(block, flag bool) decision { return decision{block, flag} }
	all := [][]decision{{d(true, true), d(false, false), d(false, false), d(true, true), d(false, true), d(false, false), d(true, true), d(true, true)}}
	table := tally(samples, all)
	row := func(set, class string) summary {
		return summary{set + "/" + class, func(k key) bool { return k == key{set, class, false} }}
	}
	tests := []struct {
		sum                 summary
		n, blocked, flagged int
	}{
		{allAttacks, 2, 2, 2},
		{payloadAttacks, 1, 1, 1},
		{allBenign, 6, 2, 3},
		{benignButDevtext, 2, 0, 0},
		{allDevtext, 4, 2, 3},
		{devtextButCatalog, 3, 1, 2},
		{row(devtextSet, "chat_code"), 2, 1, 2},
		{row(devtextSet, "search_code"), 1, 0, 0},
		{row(devtextSet, attackCatalog), 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.sum.name, func(t *testing.T) {
			c := sumRows(table, 1, tt.sum.in)
			if c.n != tt.n || c.block[0] != tt.blocked || c.flagd[0] != tt.flagged {
				t.Errorf("n %d blocked %d flagged %d, want %d %d %d", c.n, c.block[0], c.flagd[0], tt.n, tt.blocked, tt.flagged)
			}
		})
	}
}

func TestDocsRequests(t *testing.T) {
	dir := t.TempDir()
	doc := "# Title\n\nIntro line one.\nUse `go test ./...` to run it.\n\n## Install\n\nRun `go get example.com/x` first.\nThen import it.\n\n## Tiny\nx\n"
	doc += strings.Repeat("\nMore prose to pass the size floor of a document worth reading.", 30)
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	// A payload project's documentation is left out.
	if err := os.MkdirAll(filepath.Join(dir, "coraza"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "coraza", "README.md"), []byte(strings.Repeat("# x\n<script>alert(1)</script>\n\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n, err := writeDocsRequests(dir, &b)
	if err != nil {
		t.Fatal(err)
	}
	cats := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var r row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Expect != "benign" || strings.Contains(r.Body, "alert(1)") {
			t.Fatalf("bad row %+v", r)
		}
		cats[r.Category]++
	}
	// Three sections of 3+ lines (post, comment, chat) and two code spans.
	want := map[string]int{"post_markdown": 1, "comment": 1, "chat": 1, "search_code": 2}
	if n != 5 || len(cats) != len(want) {
		t.Fatalf("got %d requests %v, want %v", n, cats, want)
	}
	for k, v := range want {
		if cats[k] != v {
			t.Errorf("%s: %d, want %d", k, cats[k], v)
		}
	}
}

// A missing corpus is reported with the flag to set, before any loading;
// sets given as files do not need it.
func TestLoadAllMissingCorpus(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "corpus")
	file := filepath.Join(dir, "crs.jsonl")
	if err := os.WriteFile(file, []byte(`{"method":"GET","uri":"/?q=1","expect":"benign"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		o       options
		wantErr string // "" for success
	}{
		{"default sets read from a missing corpus",
			options{corpus: missing, crs: filepath.Join(missing, "crs", "requests.jsonl"), fromCorpus: []string{"crs"}, every: 1},
			"corpus not found at " + missing + " (set -corpus DIR)"},
		{"only a set given as a file",
			options{corpus: missing, crs: file, modsec: filepath.Join(missing, "m.jsonl"), fromCorpus: []string{"modsec-learn"}, only: "crs", every: 1},
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadAll(tt.o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("loadAll: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("loadAll error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
