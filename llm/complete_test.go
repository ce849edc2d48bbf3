package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/warden-dev/warden/llm"
	"github.com/warden-dev/warden/llm/openaitest"
)

func TestComplete(t *testing.T) {
	off, err := llm.New(llm.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := off.Complete(context.Background(), "s", "u", 10); !errors.Is(err, llm.ErrDisabled) {
		t.Errorf("no endpoint: %v, want ErrDisabled", err)
	}
	for _, c := range []struct {
		name    string
		status  int
		want    string
		wantErr bool
	}{
		{"answer", 0, "a summary", false},
		{"server error", 500, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := openaitest.NewServer()
			defer srv.Close()
			srv.Status = c.status
			srv.Reply = func(openaitest.ChatRequest) string { return "  a summary\n" }
			cl := newJudge(t, srv, nil)
			got, err := cl.Complete(context.Background(), "system text", `{"token":"sk-live-abcdefghijklmnopqrstuvwx"}`, 50)
			if (err != nil) != c.wantErr || got != c.want {
				t.Fatalf("Complete = %q, %v; want %q (error %v)", got, err, c.want, c.wantErr)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d calls, want 1", len(reqs))
			}
			var body struct {
				Temperature *float64 `json:"temperature"`
				MaxTokens   int      `json:"max_tokens"`
				Messages    []struct{ Role, Content string }
			}
			if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Temperature == nil || *body.Temperature != 0 || body.MaxTokens != 50 || len(body.Messages) != 2 || body.Messages[0].Content != "system text" {
				t.Errorf("request = %s", reqs[0].Body)
			}
			if strings.Contains(body.Messages[1].Content, "sk-live") {
				t.Errorf("a secret reached the model: %s", body.Messages[1].Content)
			}
		})
	}
}
