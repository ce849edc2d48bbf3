package aiguard

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportDirection keeps the split: aiguard assembles its subpackages,
// never the other way round, and each subpackage imports only the Warden
// packages listed (besides the standard library and gjson).
func TestImportDirection(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	const mod = "github.com/warden-dev/warden/"
	common := []string{"abuse", "internal/args", "internal/clip", "internal/redact", "aiguard/chat", "internal/lru", "internal/route", "internal/hexdigit", "aiguard/internal/airoute", "aiguard/internal/fold"}
	for _, tc := range []struct {
		pkg     string
		allowed []string // Warden packages it may depend on, besides common
	}{
		{"aiguard/chat", nil},
		{"aiguard/prompt", []string{"aiguard/promptmodel"}},
		{"aiguard/budget", nil},
		{"aiguard/input", nil},
		{"aiguard/extraction", []string{"aiguard/input", "internal/stats"}},
		{"aiguard/judge", []string{"llm"}},
		{"aiguard/moderation", []string{"llm"}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}", mod+tc.pkg).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 5 {
				t.Fatalf("go list listed %d packages: %q", len(deps), deps)
			}
			for _, d := range deps {
				rel, ours := strings.CutPrefix(d, mod)
				if !ours || rel == tc.pkg || slices.Contains(common, rel) || slices.Contains(tc.allowed, rel) || strings.HasPrefix(rel, "llm/") && slices.Contains(tc.allowed, "llm") {
					continue
				}
				t.Errorf("%s depends on %s", tc.pkg, rel)
			}
		})
	}
}
