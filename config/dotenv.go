package config

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/warden-dev/warden/internal/suggest"
)

// maxEnvFileBytes bounds a .env file; LibreChat's example is ~30 KiB.
const maxEnvFileBytes = 1 << 20

// ReadEnvFile reads a .env file as LibreChat reads its own (the dotenv
// package): KEY=VALUE lines, an optional "export " prefix, # comments,
// values in single, double or back quotes (double quotes expand \n),
// unquoted values cut at " #" and trimmed. Values are left as written:
// arithmetic such as BAN_DURATION=1000 * 60 * 60 * 2 is evaluated where
// the variable is read, as LibreChat does.
func ReadEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	if len(data) > maxEnvFileBytes {
		return nil, fmt.Errorf("env file %s: larger than %d bytes", path, maxEnvFileBytes)
	}
	return ParseEnvFile(data)
}

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// ParseEnvFile is ReadEnvFile on the file's bytes.
func ParseEnvFile(data []byte) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !envKeyRE.MatchString(key) {
			return nil, fmt.Errorf("env file line %d: want KEY=VALUE", i+1)
		}
		val = strings.TrimSpace(val)
		if val != "" && strings.ContainsRune(`"'`+"`", rune(val[0])) {
			q := val[:1]
			// A quoted value may span lines, as dotenv allows.
			for !strings.Contains(val[1:], q) && i+1 < len(lines) {
				i++
				val += "\n" + lines[i]
			}
			end := strings.Index(val[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("env file line %d: %s has no closing %s", i+1, key, q)
			}
			val = val[1 : 1+end]
			if q == `"` {
				val = strings.NewReplacer(`\n`, "\n", `\r`, "\r").Replace(val)
			}
		} else if j := strings.Index(val, "#"); j >= 0 {
			val = strings.TrimSpace(val[:j])
		}
		out[key] = val
	}
	return out, nil
}

// WithEnvFile returns a lookup that reads lookup first and the file's
// variables after: as with dotenv, the process environment wins.
func WithEnvFile(lookup func(string) (string, bool), file map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if lookup != nil {
			if v, ok := lookup(k); ok {
				return v, true
			}
		}
		v, ok := file[k]
		return v, ok
	}
}

// looksLikeOurs matches names an operator may set for Warden: ours, and
// LibreChat's ban, limit and score variables.
var looksLikeOurs = regexp.MustCompile(`^(WARDEN_|BAN_|LIMIT_|OPENAI_MODERATION)|_VIOLATION_SCORE$|_REQ_SCORE$|_(IP|USER)_(MAX|WINDOW)$|^(LOGIN|REGISTER|MESSAGE|IMPORT|FORK|TTS|STT|FILE_UPLOAD|TOOL_CALL)_(MAX|WINDOW)$`)

// EnvReport says which of names (the variables set) the configuration
// read, and warns about those that look meant for Warden, or LibreChat
// variables it reads, but that it does not read: a typo there is
// otherwise silent.
func EnvReport(lookup func(string) (string, bool), names []string) (applied, warnings []string) {
	queried := map[string]bool{}
	rec := func(k string) (string, bool) {
		queried[k] = true
		return lookup(k)
	}
	c := Default()
	_ = c.ApplyEnv(rec) // errors are Load's to report
	known := slices.Sorted(maps.Keys(queried))
	for _, n := range slices.Compact(slices.Sorted(slices.Values(names))) {
		if _, set := lookup(n); !set {
			continue
		}
		switch {
		case queried[n]:
			applied = append(applied, n)
		case looksLikeOurs.MatchString(n):
			warnings = append(warnings, fmt.Sprintf("%s is set but Warden does not read it%s", n, suggest.Hint(n, known)))
		}
	}
	return applied, warnings
}
