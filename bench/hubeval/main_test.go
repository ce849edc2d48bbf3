package main

import (
	"path/filepath"
	"testing"
)

func TestHubMissingCorpus(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "crowdsec-hub")
	err := hub(missing, false)
	if want := "corpus not found at " + missing + " (set -corpus DIR)"; err == nil || err.Error() != want {
		t.Fatalf("hub error = %v, want %q", err, want)
	}
}
