package aiguard

import (
	"context"
	"strconv"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/internal/chattest"
	"github.com/warden-dev/warden/aiguard/prompt"
	"github.com/warden-dev/warden/llm"
)

func TestSetSharesChatParses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		share bool
	}{
		{"same limits", func(*Config) {}, true},
		{"defaults spelled out and left zero", func(c *Config) { c.Budget.Chat = chat.Limits{} }, true},
		{"different limits", func(c *Config) { c.Budget.Chat.MaxTextBytes = 1000 }, false},
		{"different paths", func(c *Config) { c.Budget.Chat.Paths = []chat.PathSpec{{Path: "q"}} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			s, err := NewSet(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if shared := s.chats["prompt"] != nil && s.chats["prompt"] == s.chats["budget"]; shared != tc.share {
				t.Fatalf("prompt and budget share a chat cache = %v, want %v", shared, tc.share)
			}
		})
	}
}

// BenchmarkSetChat4KB runs the budget and prompt detectors of one Set on
// a 4 KB chat request, a new request ID each time, as the pipeline does
// on a chat route: shared parses the body once, separate (the cache
// removed, as before it existed) twice.
func BenchmarkSetChat4KB(b *testing.B) {
	for _, shared := range []bool{true, false} {
		name := "shared"
		if !shared {
			name = "separate"
		}
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Budget.TokensPerHour, cfg.Budget.TokensPerDay = 0, 0
			s, err := NewSet(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if !shared {
				s.prompt.(*prompt.Detector).UseChatCache(nil)
				s.budget.UseChatCache(nil)
			}
			body := chattest.Body4K(b)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				r := &abuse.Request{ID: strconv.Itoa(i), Class: "message", Body: body, ContentType: "application/json", Client: abuse.Client{User: "u1"}}
				s.budget.Detect(context.Background(), r)
				s.prompt.Detect(context.Background(), r)
			}
		})
	}
}

// TestJudgeSharesChatParse checks that the judge reads the parse of the
// prompt detector it wraps instead of parsing the body again.
func TestJudgeSharesChatParse(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Judge.Enabled = true
	s, err := NewSet(cfg, judgeFunc(func(context.Context, llm.Input) (llm.Judgement, error) { return llm.Judgement{}, nil }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.chats["judge"] == nil || s.chats["judge"] != s.chats["prompt"] {
		t.Fatalf("judge cache %p, prompt cache %p: want one shared cache", s.chats["judge"], s.chats["prompt"])
	}
}

// judgeFunc is a judge.Client answering with a function.
type judgeFunc func(context.Context, llm.Input) (llm.Judgement, error)

func (f judgeFunc) Judge(ctx context.Context, in llm.Input) (llm.Judgement, error) { return f(ctx, in) }
