package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/warden-dev/warden/assess"
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
		{"demo config", []string{"assess", "--demo"}, 0, "# Warden threat model: warden demo", ""},
		{"demo and config", []string{"assess", "--demo", "--config", perm}, 2, "", "exclusive"},
		{"bad format", []string{"assess", "--format", "pdf"}, 2, "", "--format"},
		{"bad fail-on", []string{"assess", "--fail-on", "critical"}, 2, "", "--fail-on"},
		{"dry run needs probe", []string{"assess", "--dry-run"}, 2, "", "--dry-run needs --probe"},
		{"admin without a token", []string{"assess", "--config", writeConfig(t, ""), "--probe", "http://127.0.0.1:1", "--admin", "http://127.0.0.1:2"}, 2, "", "--token: no admin token"},
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

// TestAssessProbes runs the live probes through `warden serve` in front
// of a test app, with a permissive and a hardened config: the hardened
// one passes what the permissive one fails, and the bans the probes
// cause are lifted through the admin API.
func TestAssessProbes(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer up.Close()
	configs := []struct {
		name string
		yaml string
		want map[string]string // probe -> pass, FAIL or skipped
	}{
		{"permissive", "mode: monitor\ntrusted_proxies: [\"127.0.0.0/8\"]\nratelimit:\n  enabled: false\nbehavior:\n  enabled: false\nai:\n  prompt:\n    enabled: false\n",
			map[string]string{"baseline": "pass", "admin-on-public": "pass", "oversized-body": "FAIL", "prompt-injection": "FAIL", "system-prompt-extraction": "FAIL",
				"escalation": "FAIL", "id-walk": "FAIL", "burst": "FAIL", "spoofed-xff": "skipped", "secret-echo": "skipped", "cleanup": "pass"}},
		{"hardened", "inspect:\n  max_body: 1048576\n",
			map[string]string{"baseline": "pass", "admin-on-public": "pass", "oversized-body": "pass", "prompt-injection": "pass", "system-prompt-extraction": "pass",
				"escalation": "pass", "id-walk": "pass", "burst": "pass", "spoofed-xff": "pass", "secret-echo": "skipped", "cleanup": "pass"}},
		// Trusting every local address lets a client name itself.
		{"trusting", "trusted_proxies: [\"127.0.0.0/8\"]\n",
			map[string]string{"baseline": "pass", "burst": "pass", "spoofed-xff": "FAIL"}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			cfg := writeConfig(t, c.yaml)
			s := startServe(t, "--config", cfg, "--upstream", up.URL)
			tok, err := os.ReadFile(s.tokenPath)
			if err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "", "assess", "--config", cfg, "--format", "json",
				"--probe", "http://"+s.proxy, "--admin", "http://"+s.admin, "--token", strings.TrimSpace(string(tok)))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var rep assess.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range rep.Probes {
				got[p.Name] = p.Result()
				if p.Name != "cleanup" && p.Name != "baseline" && len(p.Threats) == 0 {
					t.Errorf("%s names no threat", p.Name)
				}
			}
			for name, want := range c.want {
				if got[name] != want {
					i := slices.IndexFunc(rep.Probes, func(p assess.ProbeResult) bool { return p.Name == name })
					t.Errorf("%s: %s, want %s (%+v)", name, got[name], want, rep.Probes[max(i, 0)])
				}
			}
			// The probes' own address is forgotten: its scores and
			// behaviour state go, as with a lifted ban.
			if i := slices.IndexFunc(rep.Probes, func(p assess.ProbeResult) bool { return p.Name == "cleanup" }); i < 0 || !strings.Contains(rep.Probes[i].Got, "cleared for ip:127.0.0.1") {
				t.Errorf("cleanup did not clear the prober's state: %+v", rep.Probes)
			}
			// What the config promised matches what the probes saw.
			if bad := rep.Contradictions(); len(bad) > 0 {
				t.Errorf("report contradicts the probes: %v", bad)
			}
			// The probes leave no ban behind (the burst's rate-limit window
			// runs its course: 429 until then).
			req, _ := http.NewRequest(http.MethodPost, "http://"+s.proxy+"/api/ask/x", strings.NewReader(`{"messages":[{"role":"user","content":"How do I parse JSON in Go?"}]}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusForbidden {
				t.Errorf("after cleanup, a benign message got %d", resp.StatusCode)
			}
		})
	}
}

// echoUpstream answers like an OpenAI chat-completions API that repeats
// the user's last message: streamed (SSE, a few bytes per event, so a key
// is split across events) when the request asks for a stream, plain JSON
// otherwise. With echo false it answers without repeating anything.
func echoUpstream(t *testing.T, echo bool) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream   bool                             `json:"stream"`
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true}`)
			return
		}
		text := "I can't help with that."
		if echo {
			text = req.Messages[len(req.Messages)-1].Content
			if _, line, ok := strings.Cut(text, "nothing else: "); ok {
				text = line
			}
		}
		if !req.Stream {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
				"choices": []map[string]any{{"index": 0, "message": map[string]string{"role": "assistant", "content": text}, "finish_reason": "stop"}}})
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < len(text); i += 9 {
			q, _ := json.Marshal(text[i:min(i+9, len(text))])
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", q)
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(up.Close)
	return up
}

// TestAssessSecretEcho runs the secret-echo probe through `warden serve`
// in front of a model that repeats what it is asked to: with the response
// guard on (the default) the test key comes back redacted, plain and
// streamed; with it off the key comes back in clear; in front of a model
// that repeats nothing the probe says so instead of passing.
func TestAssessSecretEcho(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		echo bool
		want string // pass, FAIL or skipped
		got  string // in the probe's "got"
	}{
		{"guard on", "", true, "pass", "plain: repeated, the key redacted; streamed: repeated, the key redacted"},
		{"guard off", "ai:\n  response:\n    enabled: false\n", true, "FAIL", "plain: the key came back in clear; streamed: the key came back in clear"},
		{"no echo", "", false, "skipped", "the upstream did not repeat the text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, tt.yaml)
			s := startServe(t, "--config", cfg, "--upstream", echoUpstream(t, tt.echo).URL)
			tok, err := os.ReadFile(s.tokenPath)
			if err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "", "assess", "--config", cfg, "--format", "json",
				"--probe", "http://"+s.proxy, "--admin", "http://"+s.admin, "--token", strings.TrimSpace(string(tok)))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var rep assess.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(rep.Probes, func(p assess.ProbeResult) bool { return p.Name == "secret-echo" })
			if i < 0 {
				t.Fatalf("no secret-echo probe in %+v", rep.Probes)
			}
			p := rep.Probes[i]
			t.Logf("%s: %s", p.Result(), p.Got)
			if p.Result() != tt.want || !strings.Contains(p.Got, tt.got) {
				t.Fatalf("%s: %q, want %s with %q", p.Result(), p.Got, tt.want, tt.got)
			}
			if !slices.Equal(p.Threats, []string{"LLM02", "LLM05", "AML.T0057"}) || p.Control != "ai.response.secrets" {
				t.Errorf("threats %v control %q", p.Threats, p.Control)
			}
			// The report agrees with the probe: on means in force, off
			// means off.
			if bad := rep.Contradictions(); len(bad) > 0 {
				t.Errorf("report contradicts the probes: %v", bad)
			}
		})
	}
}
