package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/proxy"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseValid(t *testing.T) {
	cfg, err := Parse([]byte(`
upstream: http://127.0.0.1:3000
listen: 0.0.0.0:8080
mode: monitor
trusted_proxies: ["10.0.0.0/8", "192.168.0.1"]
routes:
  login: ["POST /api/auth/login"]
  chat: ["POST /v1/chat/completions"]
store:
  redis: redis://127.0.0.1:6379/0
llm:
  base_url: http://127.0.0.1:11434/v1
  model: judge
detectors:
  payload: {mode: enforce}
proxy:
  read_header_timeout: 5s
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != Monitor || cfg.Upstream != "http://127.0.0.1:3000" || len(cfg.TrustedProxies) != 2 ||
		cfg.Proxy.ReadHeaderTimeout != 5*time.Second || cfg.Detectors["payload"].Mode != Enforce {
		t.Fatalf("decoded %+v", cfg)
	}
	if _, ok := cfg.Routes["register"]; ok || len(cfg.Routes["chat"]) != 1 {
		t.Fatalf("routes from the file must replace the defaults: %v", cfg.Routes)
	}
	if cfg.Proxy.IdleTimeout != Default().Proxy.IdleTimeout {
		t.Fatal("defaults lost for keys the file does not set")
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown top-level key", "upstrem: http://x", []string{"upstrem: unknown field"}},
		{"unknown nested key", "proxy:\n  read_timout: 5s", []string{"proxy.read_timout: unknown field (did you mean read_timeout?)"}},
		{"payload exclusions", "payload:\n  chat_content: inspct\n  exclusions:\n    - route: \"POST /api/{\"\n    - rout: /x\n    - route: /a\n      fields: [\"a[0]\"]\n      classes: [xss, comand_injection]", []string{
			"payload.chat_content: unknown value \"inspct\" (did you mean inspect?)",
			"payload.exclusions[0].route: not a valid route pattern",
			"payload.exclusions[1].rout: unknown field (did you mean route?)",
			"payload.exclusions[2].fields[0]: malformed field path \"a[0]\"",
			"payload.exclusions[2].classes[1]: unknown class \"comand_injection\" (did you mean command_injection?)",
		}},
		{"wrong type", "proxy:\n  max_header_bytes: lots", []string{"proxy.max_header_bytes: want an integer"}},
		{"bad duration", "proxy:\n  dial_timeout: soon", []string{"proxy.dial_timeout:"}},
		{"bad mode", "mode: loud", []string{`mode: must be enforce or monitor, got "loud"`}},
		{"bad CIDR in list", `trusted_proxies: ["10.0.0.0/8", "nope"]`, []string{"trusted_proxies[1]: not an IP address or CIDR"}},
		{"bad route pattern", `routes: {login: ["POST /a/{x"]}`, []string{"routes.login[0]: not a valid route pattern"}},
		{"conflicting patterns", `routes: {a: ["GET /x/{id}/y"], b: ["GET /x/{name}/y"]}`, []string{"routes: conflicting patterns"}},
		{"per-detector mode", "detectors:\n  payload: {mode: sometimes}", []string{"detectors.payload.mode"}},
		{"unknown key in detector", "detectors:\n  payload: {mood: monitor}", []string{"detectors.payload.mood: unknown field"}},
		{"per-route detector mode", "detectors:\n  payload: {routes: {\"POST /wiki/{page}\": sometimes}}", []string{`detectors.payload.routes["POST /wiki/{page}"]: must be enforce, monitor or off`}},
		{"per-route detector pattern", "detectors:\n  payload: {routes: {\"POST wiki\": monitor}}", []string{`detectors.payload.routes["POST wiki"]`}},
		{"route matching unknown key", "route_matching: {case_insensitve: false}", []string{"route_matching.case_insensitve: unknown field (did you mean case_insensitive?)"}},
		{"route matching wrong type", "route_matching: {strip_path_params: sometimes}", []string{"route_matching.strip_path_params: want bool"}},
		{"route matching preset", "route_matching: express", []string{"route_matching: must be a mapping"}},
		{"patterns one route when case is ignored", `routes: {login: ["POST /api/auth/login"], other: ["POST /API/auth/login"]}`, []string{
			`route_matching.case_insensitive: routes.login[0] "POST /api/auth/login" and routes.other[0] "POST /API/auth/login" are one route when case is ignored`}},
		{"patterns one route when a trailing slash is ignored", `routes: {a: ["GET /docs/{$}"], b: ["GET /docs"]}`, []string{
			`route_matching.ignore_trailing_slash: routes.a[0] "GET /docs/{$}" and routes.b[0] "GET /docs" are one route when a trailing slash is ignored`}},
		{"patterns one route under both", `routes: {a: ["GET /Docs/{$}"], b: ["GET /docs"]}`, []string{
			`route_matching: routes.a[0] "GET /Docs/{$}" and routes.b[0] "GET /docs" are one route when case and a trailing slash are ignored`}},
		{"detector routes one route", "detectors:\n  payload: {routes: {\"GET /Wiki/{p}\": monitor, \"GET /wiki/{page}\": off}}", []string{
			`route_matching.case_insensitive: detectors.payload.routes["GET /Wiki/{p}"] "GET /Wiki/{p}" and detectors.payload.routes["GET /wiki/{page}"] "GET /wiki/{page}" are one route`}},
		{"section not a mapping", "proxy: 5", []string{"proxy: must be a mapping"}},
		{"list where mapping", "routes: [1, 2]", []string{"routes:"}},
		{"bad upstream", "upstream: ftp://x", []string{"upstream: must be an http"}},
		{"forward auth and upstream", "forward_auth: true\nupstream: http://x\ntrusted_proxies: [10.0.0.0/8]", []string{"forward_auth: Warden is either"}},
		{"forward auth untrusted", "forward_auth: true", []string{"forward_auth: needs trusted_proxies"}},
		{"bad redis url", "store: {redis: 'localhost:6379'}", []string{"store.redis"}},
		{"several errors at once", "mode: x\nlisten: nope", []string{"mode:", "listen:"}},
		{"duplicate key", "mode: enforce\nmode: monitor", []string{"mode"}},
		{"not YAML", "{{{", []string{"not valid YAML"}},
		{"thresholds", "policy: {block_threshold: 1.5}", []string{"policy.block_threshold"}},
		{"detector sample", "metrics: {detector_sample: -1}", []string{"metrics.detector_sample: must be between 0 (off) and 1048576"}},
		{"short JWT key", "identity: {jwt: {hs256_key: short}}", []string{"identity.jwt.hs256_key: must be at least 32 bytes"}},
		{"IPv6 ban prefix", "enforce: {ipv6_prefix: 8}", []string{"enforce.ipv6_prefix: must be 32..128"}},
		{"h2c upgrade", "proxy: {upgrades: [websocket, H2C]}", []string{"proxy.upgrades[1]: h2c is never allowed: HTTP/2 over Upgrade was removed in RFC 9113"}},
		{"unknown upgrade", "proxy: {upgrades: [websockets, tls/1.3]}", []string{
			`proxy.upgrades[0]: unknown upgrade "websockets" (did you mean websocket?); known: websocket`,
			`proxy.upgrades[1]: unknown upgrade "tls/1.3"; known: websocket`,
		}},
		{"client IP header", `proxy: {client_ip_headers: [X-Real-IP, "CF Connecting IP", ""]}`, []string{
			`proxy.client_ip_headers[1]: not a header name: "CF Connecting IP"`,
			`proxy.client_ip_headers[2]: not a header name: ""`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRouteMatching(t *testing.T) {
	d := Default()
	if v := d.RouteMatching.Variants(); v != route.All {
		t.Fatalf("default route matching %+v, want every variant", v)
	}
	// Patterns the variants make one route are fine once the variant is
	// off, and so is an exact configuration.
	cfg, err := Parse([]byte("routes: {login: [\"POST /api/auth/login\"], other: [\"POST /API/auth/login\"]}\nroute_matching: {case_insensitive: false}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := cfg.RouteMatching.Variants(); v != (route.Variants{TrailingSlash: true, PathParams: true, FormatSuffix: true}) {
		t.Fatalf("partial section: %+v", v)
	}
	strict := "route_matching: {case_insensitive: false, ignore_trailing_slash: false, strip_path_params: false, strip_format_suffix: false}\n"
	if cfg, err = Parse([]byte(strict), nil); err != nil || cfg.RouteMatching.Variants() != route.Exact {
		t.Fatalf("strict: %+v %v", cfg.RouteMatching, err)
	}
	cfg, err = FromEnv(env(map[string]string{"WARDEN_ROUTE_MATCHING_STRIP_FORMAT_SUFFIX": "false"}))
	if err != nil || cfg.RouteMatching.StripFormatSuffix || !cfg.RouteMatching.CaseInsensitive {
		t.Fatalf("env: %+v %v", cfg.RouteMatching, err)
	}
	if _, err = FromEnv(env(map[string]string{"WARDEN_ROUTE_MATCHING_CASE_INSENSITIVE": "perhaps"})); err == nil ||
		!strings.HasPrefix(err.Error(), "WARDEN_ROUTE_MATCHING_CASE_INSENSITIVE:") {
		t.Fatalf("env error %v does not name the variable", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	cfg, err := Parse([]byte("mode: monitor\n"), env(map[string]string{
		"WARDEN_MODE":               "enforce",
		"WARDEN_REDIS_URL":          "redis://10.0.0.1:6379/1",
		"WARDEN_LLM_BASE_URL":       "http://127.0.0.1:9999/v1",
		"WARDEN_LLM_MODEL":          "judge",
		"WARDEN_TRUSTED_PROXIES":    "10.0.0.0/8, 172.16.0.0/12",
		"WARDEN_PROXY_IDLE_TIMEOUT": "3m",
		"WARDEN_ADMIN_TOKEN":        "s3cret-s3cret-s3cret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != Enforce || cfg.Store.Redis != "redis://10.0.0.1:6379/1" || cfg.LLM.BaseURL != "http://127.0.0.1:9999/v1" ||
		len(cfg.TrustedProxies) != 2 || cfg.Proxy.IdleTimeout != 3*time.Minute || cfg.Admin.Token != "s3cret-s3cret-s3cret" {
		t.Fatalf("env not applied: %+v", cfg)
	}
}

func TestProxyLists(t *testing.T) {
	d := Default().Proxy
	if len(d.Upgrades) != 1 || d.Upgrades[0] != proxy.UpgradeWebSocket || len(d.ClientIPHeaders) == 0 {
		t.Fatalf("defaults: upgrades %q, client IP headers %q", d.Upgrades, d.ClientIPHeaders)
	}
	cfg, err := Parse([]byte("proxy: {upgrades: [], client_ip_headers: [X-My-Client]}\n"), nil)
	if err != nil || cfg.Proxy.Upgrades == nil || len(cfg.Proxy.Upgrades) != 0 || len(cfg.Proxy.ClientIPHeaders) != 1 {
		t.Fatalf("lists from the file must replace the defaults: %q %q %v", cfg.Proxy.Upgrades, cfg.Proxy.ClientIPHeaders, err)
	}
	cfg, err = FromEnv(env(map[string]string{"WARDEN_PROXY_UPGRADES": "", "WARDEN_PROXY_CLIENT_IP_HEADERS": "X-Real-IP, X-Client-IP"}))
	if err != nil || len(cfg.Proxy.Upgrades) != 0 || len(cfg.Proxy.ClientIPHeaders) != 2 {
		t.Fatalf("env: %q %q %v", cfg.Proxy.Upgrades, cfg.Proxy.ClientIPHeaders, err)
	}
	if _, err := FromEnv(env(map[string]string{"WARDEN_PROXY_UPGRADES": "websocket,h2c"})); err == nil || !strings.Contains(err.Error(), "proxy.upgrades[1]: h2c is never allowed") {
		t.Fatalf("h2c from the environment: %v", err)
	}
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	for name, val := range map[string]string{
		"WARDEN_PROXY_IDLE_TIMEOUT":     "abc",
		"WARDEN_PROXY_MAX_HEADER_BYTES": "-x",
		"WARDEN_LOG_STDERR":             "perhaps",
	} {
		_, err := FromEnv(env(map[string]string{name: val}))
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s=%s: error %v does not name the variable", name, val, err)
		}
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.yaml")
	os.WriteFile(path, []byte("upstream: http://127.0.0.1:3000\n"), 0o600)
	if _, err := Load(path, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Fatal("missing file accepted")
	}
	if _, err := Parse(nil, nil); err != nil {
		t.Fatalf("empty file must give defaults: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"mode: enforce", "routes: {a: [x]}", "proxy: {dial_timeout: 1s}", "- 1\n- 2", "a: &x 1\nb: *x", "detectors: {x: {mode: off}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse([]byte(s), nil) // must not panic
	})
}

func TestRedactFields(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want string // "" for valid
	}{
		{"redact:\n  fields: [pin_code, X-Session-Key]\n", ""},
		{"redact:\n  fields: [\"pin code\"]\n", "redact.fields[0]"},
		{"redact:\n  fields: [password]\n", "redact.fields[0]"},
		{"redact:\n  feilds: [pin]\n", "fields"},
	} {
		cfg, err := Parse([]byte(tc.yaml), nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one naming %s", tc.yaml, err, tc.want)
		case tc.want == "":
			if got := cfg.PayloadSection().SecretFields; len(got) != 2 || got[0] != "pin_code" {
				t.Errorf("payload section's secret fields = %q", got)
			}
			if got := cfg.LLMSection().SecretFields; len(got) != 2 {
				t.Errorf("llm section's secret fields = %q", got)
			}
		}
	}
}

func TestEscalationConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string // substring of the error; "" for valid
	}{
		{"token from the documented variable", "escalation:\n  cloudflare:\n    zone_id: z1\n", map[string]string{"WARDEN_CLOUDFLARE_API_TOKEN": "tok"}, ""},
		{"no token", "escalation:\n  cloudflare:\n    zone_id: z1\n", nil, "escalation.cloudflare.api_token"},
		{"bad mode named with its section", "escalation:\n  cloudflare: {zone_id: z1, api_token: t, mode: challenge}\n", nil, "escalation.cloudflare.mode"},
		{"crowdsec bouncer key from the documented variable", "crowdsec:\n  lapi_url: http://127.0.0.1:8080\n", map[string]string{"WARDEN_CROWDSEC_BOUNCER_KEY": "k"}, ""},
		{"crowdsec watcher password from the documented variable", "crowdsec:\n  lapi_url: http://127.0.0.1:8080\n  machine_id: warden\n", map[string]string{"WARDEN_CROWDSEC_PASSWORD": "pw"}, ""},
		{"crowdsec without credentials", "crowdsec:\n  lapi_url: http://127.0.0.1:8080\n", nil, "crowdsec.bouncer_key"},
		{"crowdsec captcha_action named with its section", "crowdsec: {lapi_url: http://127.0.0.1:8080, bouncer_key: k, captcha_action: captcha}\n", nil, "crowdsec.captcha_action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			_, err := Parse([]byte(tt.yaml), lookup)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
