package config

import (
	"os/exec"
	"strings"
	"testing"
)

// Sections belong to the packages that use them and config assembles
// them, never the other way round: a package that imported config back
// would take every other section (and what they import) with it.
func TestSectionOwnersDoNotImportConfig(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	const self = "github.com/warden-dev/warden/config"
	for _, pkg := range []string{"proxy", "identity", "inspect"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}", "github.com/warden-dev/warden/"+pkg).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 5 {
				t.Fatalf("go list listed %d packages: %q", len(deps), deps)
			}
			for _, d := range deps {
				if d == self {
					t.Errorf("%s imports %s: its section type belongs in %s, and config embeds it", pkg, self, pkg)
				}
			}
		})
	}
}
