package main

import (
	"strings"
	"testing"
)

func TestAssessCommand(t *testing.T) {
	perm, hard := "../../assess/testdata/permissive.yaml", "../../assess/testdata/hardened.yaml"
	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{"defaults markdown", []string{"assess"}, 0, "| LLM01 | Prompt Injection | covered |", ""},
		{"sarif", []string{"assess", "--config", perm, "--format", "sarif"}, 0, `"version": "2.1.0"`, ""},
		{"fail-on high, permissive", []string{"assess", "--config", perm, "--fail-on", "high"}, 1, "Risk score", "with a recommended fix"},
		{"fail-on low, hardened", []string{"assess", "--config", hard, "--fail-on", "low"}, 0, "Risk score", ""},
		{"bad format", []string{"assess", "--format", "pdf"}, 2, "", "--format"},
		{"bad fail-on", []string{"assess", "--fail-on", "critical"}, 2, "", "--fail-on"},
		{"dry run needs probe", []string{"assess", "--dry-run"}, 2, "", "--dry-run needs --probe"},
		{"bad probe URL", []string{"assess", "--probe", "localhost:8080"}, 2, "", "--probe"},
		{"dry run", []string{"assess", "--probe", "http://127.0.0.1:1", "--dry-run"}, 0, "burst: 50 × POST /api/ask/assess-probe", ""},
		{"config error names the field", []string{"assess", "--config", writeConfig(t, "mode: loud\n")}, 2, "", "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Fatalf("exit %d (want %d)\nstdout: %.600s\nstderr: %s", code, tt.code, out, errs)
			}
		})
	}
}

