package warden_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// benchOnly are the modules only bench/ (its own module) needs: the peers
// it measures Warden against and what they pull in. None may come back
// into Warden's module graph, which every user downloads.
var benchOnly = []string{
	"github.com/corazawaf/coraza/v3",
	"github.com/corazawaf/coraza-coreruleset/v4",
	"github.com/go-redis/redis_rate/v10",
	"github.com/goccy/go-json",
	"github.com/goccy/go-yaml",
	"github.com/gotnospirit/makeplural",
	"github.com/gotnospirit/messageformat",
	"github.com/kaptinlin/go-i18n",
	"github.com/kaptinlin/jsonschema",
	"github.com/magefile/mage",
	"github.com/petar-dambovaliev/aho-corasick",
	"github.com/valllabh/ocsf-schema-golang",
	"rsc.io/binaryregexp",
}

func TestBenchOnlyModulesStayOut(t *testing.T) {
	tests := []struct {
		name    string
		modules func(t *testing.T) map[string]bool
	}{
		{"go.mod", goModRequires},
		{"go mod graph", modGraph},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.modules(t)
			if len(got) == 0 {
				t.Fatal("no modules read; the check would pass vacuously")
			}
			for _, m := range benchOnly {
				if got[m] {
					t.Errorf("%s lists %s, which only bench/ needs: import it from the bench module (bench/go.mod) and run go mod tidy here", tt.name, m)
				}
			}
		})
	}
}

// goModRequires returns the module paths go.mod requires, direct or not.
func goModRequires(t *testing.T) map[string]bool {
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mods := map[string]bool{}
	inBlock := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if fields := strings.Fields(line); len(fields) >= 2 {
			mods[fields[0]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return mods
}

// modGraph returns every module in `go mod graph`, which also holds what
// the requirements require, even when go.mod does not list it.
func modGraph(t *testing.T) map[string]bool {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH; go.mod is still checked")
	}
	out, err := exec.CommandContext(t.Context(), goBin, "mod", "graph").Output()
	if err != nil {
		t.Fatalf("go mod graph: %v", err)
	}
	mods := map[string]bool{}
	for _, field := range strings.Fields(string(out)) {
		path, _, _ := strings.Cut(field, "@")
		mods[path] = true
	}
	return mods
}
