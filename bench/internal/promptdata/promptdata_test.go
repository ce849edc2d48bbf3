package promptdata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGroup(t *testing.T) {
	for _, tt := range []struct {
		r    Record
		want string
	}{
		{Record{Source: "github:JailbreakBench/artifacts@909e68c01d94:attack-artifacts/PAIR/black_box/gpt-4.json"}, "jailbreakbench/PAIR"},
		{Record{Source: "github:leolee99/InjecGuard@588f555cbc2d:datasets/NotInject_two.json"}, "injecguard/NotInject"},
		{Record{Source: "github:leolee99/InjecGuard@588f555cbc2d:datasets/BIPIA_code.json"}, "injecguard/BIPIA"},
		{Record{Source: "github:defog-ai/sql-eval@b83332416ea2:data/q.csv", Category: "sql_code"}, "devtext/sql"},
		{Record{Source: "github:Arcanum-Sec/arc_pi_taxonomy@1:x", Category: "arcanum/technique/t1"}, "devtext/arcanum"},
		{Record{Source: requestSource + "github:x/y@1:z", Category: "chat_code"}, "devtext-requests/chat_code"},
		{Record{Source: SeedSource, Category: "fr/secret"}, "seed"},
		{Record{Source: ChatSource, Category: "en/chat"}, "chat"},
		{Record{Source: FramingSource, Category: "de/leak"}, "framing"},
	} {
		if got := Group(tt.r); got != tt.want {
			t.Errorf("Group(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestChat(t *testing.T) {
	recs, err := Chat()
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string]bool{}
	for _, r := range recs {
		if r.Attack() || r.Source != ChatSource {
			t.Errorf("chat record %q: label %s, source %s; want benign from %s", r.Text, r.Label, r.Source, ChatSource)
		}
		lang, _, _ := strings.Cut(r.Category, "/")
		langs[lang] = true
	}
	if len(recs) < 100 || len(langs) < 10 {
		t.Errorf("%d chat records in %d languages, want at least 100 in 10", len(recs), len(langs))
	}
}

func TestFraming(t *testing.T) {
	recs, err := Framing()
	if err != nil {
		t.Fatal(err)
	}
	// Each of the ten most used languages has framed prompts on both
	// sides, and benign framing is the larger part: the set is there to
	// teach the goal, not the framing.
	langs := map[string][2]int{}
	var tot [2]int
	for _, r := range recs {
		if r.Source != FramingSource {
			t.Errorf("framing record %q: source %s, want %s", r.Text, r.Source, FramingSource)
		}
		lang, _, _ := strings.Cut(r.Category, "/")
		c := langs[lang]
		c[b2i(r.Attack())]++
		langs[lang] = c
		tot[b2i(r.Attack())]++
	}
	for _, l := range []string{"en", "zh", "es", "hi", "ar", "fr", "pt", "ru", "ja", "de"} {
		if c := langs[l]; c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: %d benign, %d attacks: want both", l, c[0], c[1])
		}
	}
	if tot[0] < 150 || tot[1] < 60 || tot[0] <= tot[1] {
		t.Errorf("%d benign, %d attacks: want at least 150 and 60, benign the larger part", tot[0], tot[1])
	}
}

func TestOwnGroup(t *testing.T) {
	recs, err := Own()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs {
		g := Group(r)
		if !OwnGroup(g) {
			t.Errorf("own record %q in group %q, which OwnGroup does not name", r.Text, g)
		}
		got[g]++
	}
	for _, g := range []string{"seed", "chat", "framing"} {
		if got[g] == 0 {
			t.Errorf("Own has no %s records", g)
		}
	}
	if OwnGroup("injecguard/wildguard") {
		t.Error("OwnGroup(injecguard/wildguard) = true, want false")
	}
}

func TestSeed(t *testing.T) {
	recs, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string][2]int{}
	for _, r := range recs {
		lang, _, _ := strings.Cut(r.Category, "/")
		c := langs[lang]
		if r.Attack() {
			c[1]++
		} else {
			c[0]++
		}
		langs[lang] = c
	}
	// At least ten languages, each with attacks and benign counterparts.
	if len(langs) < 10 {
		t.Errorf("%d languages in the seed, want at least 10", len(langs))
	}
	for l, c := range langs {
		if c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: %d benign, %d attacks: want both", l, c[0], c[1])
		}
	}
}

func TestLoadRequests(t *testing.T) {
	lines := []string{
		`{"method":"POST","uri":"/v1/chat/completions","body":"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Fix this query\"}]}","category":"chat_code","source":"s"}`,
		`{"method":"POST","uri":"/wp-comments-post.php","body":"comment=Learn+basic+Bash.&format=markdown","category":"comment_code","source":"s"}`,
		`{"method":"GET","uri":"/search?q=man+7+signal&scope=blobs","body":"","category":"search_code","source":"s"}`,
		`{"method":"GET","uri":"/","body":"","category":"empty","source":"s"}`,
	}
	name := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := LoadRequests(name)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Fix this query", "Learn basic Bash.", "man 7 signal"}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, r := range recs {
		if r.Text != want[i] || r.Attack() {
			t.Errorf("record %d = %q (attack %v), want benign %q", i, r.Text, r.Attack(), want[i])
		}
	}
}

func TestExamplesBalanceClasses(t *testing.T) {
	recs := []Record{
		{Text: "a", Label: "injection", Source: SeedSource},
		{Text: "b", Label: "benign", Source: "github:x/y@1:datasets/wildguard.json"},
		{Text: "c", Label: "benign", Source: "github:x/y@1:datasets/wildguard.json"},
		{Text: "d", Label: "benign", Source: "github:x/y@1:datasets/wildguard.json"},
		{Text: strings.Repeat("x", 3*trainBytes), Label: "benign", Source: "github:x/y@1:datasets/NotInject_one.json"},
	}
	var tot [2]float64
	for _, e := range Examples(recs) {
		tot[b2i(e.Attack)] += e.Weight
		if len(e.Text) > trainBytes+1 {
			t.Errorf("training text of %d bytes, want at most %d", len(e.Text), trainBytes+1)
		}
	}
	if d := tot[0] - tot[1]; d > 1e-9 || d < -1e-9 {
		t.Errorf("class weights %v, want equal", tot)
	}
}
