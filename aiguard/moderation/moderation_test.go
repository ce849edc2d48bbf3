package moderation

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/llm/openaitest"
)

func TestModerationDetector(t *testing.T) {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.APIKey = "sk-mod"
	cfg := DefaultConfig()
	env := map[string]string{"OPENAI_MODERATION": "true", "OPENAI_MODERATION_API_KEY": "sk-mod", "OPENAI_MODERATION_REVERSE_PROXY": srv.BaseURL}
	if err := cfg.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, class, body string
		block             bool
	}{
		{"flagged librechat", "message", `{"text":"I will kill him tomorrow","conversationId":"c"}`, true},
		{"flagged openai", "message", `{"messages":[{"role":"user","content":"you idiot"}]}`, true},
		{"clean", "message", `{"text":"hello there"}`, false},
		{"other class", "login", `{"text":"I will kill him"}`, false},
		{"not chat", "message", `not json kill`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(context.Background(), &abuse.Request{Class: tc.class, Body: []byte(tc.body), ContentType: "application/json"})
			if (v.Action == abuse.Block) != tc.block {
				t.Fatalf("verdict %+v, want block=%v", v, tc.block)
			}
			if tc.block && (v.Violation != "moderation" || v.Action.Status() != 403 || strings.Contains(v.Reason, "kill")) {
				t.Fatalf("verdict %+v", v)
			}
		})
	}
	if st := d.Stats(); st.Calls != 3 || st.Flagged != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestModerationFailOpen(t *testing.T) {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Status = 503
	cfg := DefaultConfig()
	cfg.Enabled, cfg.APIKey, cfg.BaseURL = true, "k", srv.BaseURL
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v := d.Detect(context.Background(), &abuse.Request{Class: "message", Body: []byte(`{"text":"kill"}`)}); v.Found() {
		t.Fatalf("verdict %+v, want fail open", v)
	}
	if d.Stats().Failures != 1 {
		t.Fatalf("stats %+v", d.Stats())
	}
	cfg.FailClosed = true
	d, _ = NewDetector(cfg)
	if v := d.Detect(context.Background(), &abuse.Request{Class: "message", Body: []byte(`{"text":"kill"}`)}); v.Action != abuse.Block {
		t.Fatalf("verdict %+v, want fail closed", v)
	}
}

func TestModerationConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.ApplyEnv(func(k string) (string, bool) { return "maybe", k == "OPENAI_MODERATION" }); err == nil || !strings.HasPrefix(err.Error(), "OPENAI_MODERATION:") {
		t.Fatalf("err = %v", err)
	}
	c.Enabled = true
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "api_key:") {
		t.Fatalf("err = %v", err)
	}
}

func ExampleDetector() {
	srv := openaitest.NewServer() // stands in for the OpenAI moderation API
	defer srv.Close()
	cfg := DefaultConfig()
	env := map[string]string{"OPENAI_MODERATION": "true", "OPENAI_MODERATION_API_KEY": "sk-example", "OPENAI_MODERATION_REVERSE_PROXY": srv.BaseURL}
	_ = cfg.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	d, _ := NewDetector(cfg)
	v := d.Detect(context.Background(), &abuse.Request{Class: "message", Body: []byte(`{"text":"I will kill you"}`)})
	fmt.Println(v.Action.Status(), v.Violation, v.Messages[0])
	// Output: 403 moderation moderation flagged: violence
}
