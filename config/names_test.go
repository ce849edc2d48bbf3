package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBrokenConfigs loads each broken file and expects exactly these
// errors: file, line, field path and message, each once.
func TestBrokenConfigs(t *testing.T) {
	tests := []struct {
		yaml string
		want []string
	}{
		{"detectors:\n  paylod: {mode: off}", []string{
			"warden.yaml:2: detectors.paylod: unknown detector \"paylod\" (did you mean payload?)",
		}},
		{"detectors:\n  payload: {mode: monitr}", []string{
			"warden.yaml:2: detectors.payload.mode: must be enforce, monitor or off, got \"monitr\"",
		}},
		{"detectors:\n  behaviour: {mode: off}", []string{
			"warden.yaml:2: detectors.behaviour: unknown detector \"behaviour\" (did you mean behavior?)",
		}},
		{"routes:\n  loginn: [\"POST /api/auth/login\"]", []string{
			"warden.yaml:2: ratelimit.policies[0].classes[0]: the default route class \"login\" is not defined under routes (did you mean loginn? rename it to login, or set ratelimit.policies)",
		}},
		{"routes:\n  login: [\"POST /api/auth/login\"]\nratelimit:\n  policies:\n    - name: a\n      classes: [api]\n      limit: 3\n      window: 1m", []string{
			"warden.yaml:5: ratelimit.policies[0].algorithm: \"\" is not gcra, window, concurrency or quota",
			"warden.yaml:6: ratelimit.policies[0].classes[0]: route class \"api\" is not defined under routes (known: login)",
		}},
		{"routes:\n  login: [\"POST /api/auth/login\"]\nratelimit:\n  policies:\n    - name: a\n      classes: [logn]\n      limit: 3\n      window: 1m", []string{
			"warden.yaml:5: ratelimit.policies[0].algorithm: \"\" is not gcra, window, concurrency or quota",
			"warden.yaml:6: ratelimit.policies[0].classes[0]: route class \"logn\" is not defined under routes (did you mean login?)",
		}},
		{"lisen: \":8080\"", []string{
			"warden.yaml:1: lisen: unknown field (did you mean listen?)",
		}},
		{"ratelimit:\n  policies:\n    - name: a\n      classes: [login]\n      limit: 3\n      window: 1 minute", []string{
			"warden.yaml:6: ratelimit.policies[0].window: want a duration like 90s, 2h or 7d, got \"1 minute\"",
			"warden.yaml:3: ratelimit.policies[0].algorithm: \"\" is not gcra, window, concurrency or quota",
		}},
		{"enforce:\n  ban_duration: 2 days", []string{
			"warden.yaml:2: enforce.ban_duration: want a duration like 90s, 2h or 7d, got \"2 days\"",
		}},
		{"enforce:\n  scores:\n    login_limt: 3", []string{
			"warden.yaml:3: enforce.scores.login_limt: unknown violation type \"login_limt\" (did you mean login_limit?)",
		}},
		{"mode: monitr", []string{
			"warden.yaml:1: mode: must be enforce or monitor, got \"monitr\"",
		}},
		{"upstream: localhost:3000", []string{
			"warden.yaml:1: upstream: must be an http:// or https:// URL with a host, got \"localhost:3000\"",
		}},
		{"listen: 8080", []string{
			"warden.yaml:1: listen: must be host:port, got \"8080\"",
		}},
		{"trusted_proxies: [\"10.0.0.0/33\"]", []string{
			"warden.yaml:1: trusted_proxies[0]: not a CIDR: \"10.0.0.0/33\"",
		}},
		{"allow:\n  cidrs: [\"not-an-ip\"]", []string{
			"warden.yaml:2: allow.cidrs[0]: not an IP address or CIDR: \"not-an-ip\"",
		}},
		{"routes:\n  login: [\"POST /api/{\"]", []string{
			"warden.yaml:2: routes.login[0]: not a valid route pattern: parsing \"POST /api/{\": at offset 10: bad wildcard segment (must end with '}')",
		}},
		{"routes:\n  login: [\"POST /a\"]\n  other: [\"POST /a\"]", []string{
			"warden.yaml:1: routes: pattern \"POST /a\" is in both login and other",
		}},
		{"policy:\n  block_threshold: 2", []string{
			"warden.yaml:2: policy.block_threshold: must be in (0, 1], got 2",
		}},
		{"policy:\n  block_threshold: 0.5\n  log_threshold: 0.9", []string{
			"warden.yaml:3: policy.log_threshold: must be in [0, block_threshold], got 0.9",
		}},
		{"proxy:\n  read_timout: 5s", []string{
			"warden.yaml:2: proxy.read_timout: unknown field (did you mean read_timeout?)",
		}},
		{"proxy: [1, 2]", []string{
			"warden.yaml:1: proxy: must be a mapping, not a list",
		}},
		{"payload:\n  disable: [sqlii]", []string{
			"warden.yaml:2: payload.disable[0]: unknown class \"sqlii\" (did you mean sqli?)",
		}},
		{"payload:\n  exclusions:\n    - route: /a\n      classes: [xs]", []string{
			"warden.yaml:4: payload.exclusions[0].classes[0]: unknown class \"xs\" (did you mean xss?)",
		}},
		{"payload:\n  exclusions:\n    - route: /a\n      fieldz: [body]", []string{
			"warden.yaml:4: payload.exclusions[0].fieldz: unknown field (did you mean fields?)",
		}},
		{"payload:\n  exclusions:\n    - fields: [body]", []string{
			"warden.yaml:3: payload.exclusions[0].route: required (a ServeMux pattern such as \"POST /api/posts\")",
		}},
		{"ai:\n  budget:\n    classes: [mesage]", []string{
			"warden.yaml:3: ai.budget.classes[0]: route class \"mesage\" is not defined under routes (did you mean message?)",
		}},
		{"ai:\n  moderation:\n    enabled: true\n    api_key: k\n    classes: [chat]", []string{
			"warden.yaml:5: ai.moderation.classes[0]: route class \"chat\" is not defined under routes (known: login, message, register)",
		}},
		{"enforce:\n  ban_interval: many", []string{
			"warden.yaml:2: enforce.ban_interval: want an integer, got string many",
		}},
		{"ratelimit:\n  max_clients: 0", []string{
			"warden.yaml:2: ratelimit.max_clients: must be > 0",
		}},
		{"data_dir: \"\"", []string{
			"warden.yaml:1: data_dir: must not be empty",
		}},
		{"detectors:\n  payload:\n    routes:\n      \"GET /docs\": monitr", []string{
			"warden.yaml:4: detectors.payload.routes[\"GET /docs\"]: must be enforce, monitor or off, got \"monitr\"",
		}},
		{"upstream: http://a\nupstream: http://b", []string{
			"warden.yaml:2: upstream: given twice",
		}},
		{"ratelimit:\n  policies:\n    - name: a\n      classes: [login]\n      limit: 3\n      window: 1m\n      algoritm: window", []string{
			"warden.yaml:7: ratelimit.policies[0].algoritm: unknown field (did you mean algorithm?)",
			"warden.yaml:3: ratelimit.policies[0].algorithm: \"\" is not gcra, window, concurrency or quota",
		}},
		{"enforce:\n  escalation:\n    max: 1h\n  ban_duration: 2h", []string{
			"warden.yaml:3: enforce.escalation.max: must be >= ban_duration",
		}},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tc := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "warden.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, nil)
		var got []string
		for _, e := range flatten(err) {
			if e != nil {
				got = append(got, strings.ReplaceAll(e.Error(), dir+string(filepath.Separator), ""))
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q:\ngot  %q\nwant %q", tc.yaml, got, tc.want)
		}
	}
}

// TestNamesAcceptValidConfigs: what the name checks must not refuse.
func TestNamesAcceptValidConfigs(t *testing.T) {
	for _, y := range []string{
		// Classes replaced on purpose: the default policies simply do not apply.
		"routes:\n  api: [\"POST /api/{rest...}\"]",
		// A violation type of the operator's own detector.
		"enforce:\n  scores:\n    custom_abuse: 5",
		// A policy's own violation type may be scored.
		"routes:\n  api: [\"/api/\"]\nratelimit:\n  policies:\n    - {name: a, algorithm: window, limit: 3, window: 1m, classes: [api], violation: api_flood}\nenforce:\n  scores: {api_flood: 2}",
		"detectors:\n  payload: {mode: monitor}\n  ratelimit: {mode: off}\n  prompt_injection: {mode: monitor}",
		"enforce:\n  ban_duration: 2d\n  score_ttl: 1d12h",
		// A detector the application registers in Go (Guard.Detect).
		"detectors:\n  coupon_abuse: {mode: monitor}",
		"enforce:\n  ban_duration:\n", // null keeps the default
		"",
	} {
		if _, err := Parse([]byte(y), nil); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

func TestParseDurationDays(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"2d", 48 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"0d", 0, false},
		{"90s", 90 * time.Second, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"d", 0, true},
		{"2 days", 0, true},
		{"1.5d", 0, true},
		{"-1d", 0, true},
		{"2dx", 0, true},
		{"99999999999d", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
	cfg, err := Parse([]byte("enforce: {ban_duration: 2d}"), env(map[string]string{"WARDEN_RATELIMIT_QUOTA_TTL": "30d"}))
	if err != nil || cfg.Enforce.Duration != 48*time.Hour || cfg.RateLimit.QuotaTTL != 30*24*time.Hour {
		t.Fatalf("days in the file and the environment: %v, %v, %v", cfg.Enforce.Duration, cfg.RateLimit.QuotaTTL, err)
	}
}
