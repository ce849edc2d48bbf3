package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Find returns the path of the first of names found on PATH. When none
// is, it ends t through Missing, saying to install the Debian package pkg.
func Find(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	Missing(t, fmt.Sprintf("%s not found on PATH; apt-get install %s to run this test", strings.Join(names, " or "), pkg))
	return "" // only a fake t gets here: Skip and Fatal end the test
}

// Missing ends t because a program it needs is not installed; msg says
// which and how to install it. It skips t, or fails it when CI=true.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing program fails the test instead of skipping it)")
		return
	}
	t.Skip(msg)
}
