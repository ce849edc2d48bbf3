package aiguard

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/aiguard/input"
	"go.yaml.in/yaml/v3"
)

const sampleYAML = `
prompt:
  enabled: true
  sources: [user, tool, document]
  report_at: 0.5
  chat:
    max_messages: 128
    paths:
      - path: inputs.#.text
        source: user
input:
  enabled: true
  routes:
    - route: POST /v1/models/{name}/predict
      path: instances
      max_elements: 4096
      min: 0
      max: 1
      shape: [-1, 4]
      max_gradient: 0.5
budget:
  enabled: true
  classes: [message]
  tokens_per_hour: 100000
  tokens_per_day: 500000
  cost_per_day: 5
  prices:
    gpt-4o: {input: 2.5, output: 10}
    "*": {input: 1, output: 4}
moderation:
  enabled: true
  api_key: sk-test
  base_url: http://127.0.0.1:9/v1
  timeout: 2s
judge:
  enabled: true
  grey_low: 0.3
  grey_high: 0.8
  wait_routes: ["POST /v1/chat/completions"]
  wait_timeout: 1500ms
extraction:
  enabled: true
  routes:
    - route: POST /v1/models/{name}/predict
      path: instances
  threshold: 0.85
`

func TestConfigYAML(t *testing.T) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(sampleYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Judge.WaitTimeout != 1500*time.Millisecond || cfg.Moderation.Timeout != 2*time.Second ||
		*cfg.Input.Routes[0].Max != 1 || cfg.Budget.Prices["*"].Output != 4 || cfg.Prompt.Chat.Paths[0].Path != "inputs.#.text" {
		t.Fatalf("decoded %+v", cfg)
	}
	set, err := NewSet(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var names []string
	for _, d := range set.Detectors() {
		names = append(names, d.Name())
	}
	if got := strings.Join(names, ","); got != "model_input,token_budget,prompt_injection,moderation,model_extraction" {
		t.Fatalf("detectors %s", got)
	}
}

func TestConfigValidatePaths(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Budget.TokensPerHour = -1
	cfg.Input.Routes = []input.Route{{Route: "/p", Shape: []int{0}}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"budget.tokens_per_hour: must be >= 0", "input.routes[0].shape[0]: must be > 0 or -1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	bad := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader([]byte("prompt:\n  enabeld: true\n")))
	dec.KnownFields(true)
	if err := dec.Decode(&bad); err == nil {
		t.Fatal("unknown key accepted")
	}
}

func ExampleNewSet() {
	cfg := DefaultConfig() // prompt injection and token budgets on; the rest needs routes or keys
	set, err := NewSet(cfg, nil)
	if err != nil {
		panic(err)
	}
	defer set.Close()
	for _, d := range set.Detectors() {
		fmt.Println(d.Name())
	}
	// Output:
	// token_budget
	// prompt_injection
}
