package aiguard

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

func TestSetSharesChatParses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		share bool
	}{
		{"same limits", func(*Config) {}, true},
		{"defaults spelled out and left zero", func(c *Config) { c.Budget.Chat = ChatLimits{} }, true},
		{"different limits", func(c *Config) { c.Budget.Chat.MaxTextBytes = 1000 }, false},
		{"different paths", func(c *Config) { c.Budget.Chat.Paths = []PathSpec{{Path: "q"}} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			s, err := NewSet(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			p := s.Prompt.(*PromptDetector)
			if shared := p.chats != nil && p.chats == s.Budget.chats; shared != tc.share {
				t.Fatalf("prompt and budget share a chat cache = %v, want %v", shared, tc.share)
			}
		})
	}
}

func TestChatCache(t *testing.T) {
	cc := newChatCache(ChatLimits{})
	text := func(c Chat) string { return fmt.Sprint(c.Segments) }
	r1 := &abuse.Request{ID: "a", Body: []byte(`{"text":"first"}`)}
	c, ok := cc.parse(r1)
	if !ok || text(c) != "[{user first}]" {
		t.Fatalf("parse = %v %v", ok, text(c))
	}
	// Same ID, other body of the same length: parsed again, not served
	// the cached text.
	r2 := &abuse.Request{ID: "a", Body: []byte(`{"text":"other"}`)}
	if c, ok := cc.parse(r2); !ok || text(c) != "[{user other}]" {
		t.Fatalf("same id, other body: %v %v", ok, text(c))
	}
	if c, ok := cc.parse(r1); !ok || text(c) != "[{user first}]" {
		t.Fatalf("hit: %v %v", ok, text(c))
	}
	if _, ok := cc.parse(&abuse.Request{ID: "b", Body: []byte(`{"user":"x"}`)}); ok {
		t.Fatal("non-chat body parsed as chat")
	}
	// Eviction keeps the cache bounded and results right.
	for i := range 3 * chatCacheSize {
		body := []byte(`{"text":"m` + strconv.Itoa(i) + `"}`)
		if c, ok := cc.parse(&abuse.Request{ID: strconv.Itoa(i), Body: body}); !ok || text(c) != "[{user m"+strconv.Itoa(i)+"}]" {
			t.Fatalf("entry %d: %v %v", i, ok, text(c))
		}
	}
}

func TestChatCacheConcurrent(t *testing.T) {
	cc := newChatCache(ChatLimits{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := (i + g) % 12
				want := "[{user m" + strconv.Itoa(n) + "}]"
				r := &abuse.Request{ID: strconv.Itoa(n), Body: []byte(`{"text":"m` + strconv.Itoa(n) + `"}`)}
				if c, ok := cc.parse(r); !ok || fmt.Sprint(c.Segments) != want {
					t.Errorf("got %v %v, want %s", ok, c.Segments, want)
					return
				}
			}
		}()
	}
	wg.Wait()
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
				s.Prompt.(*PromptDetector).chats, s.Budget.chats = nil, nil
			}
			body := chatBody4K(b)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				r := &abuse.Request{ID: strconv.Itoa(i), Class: "message", Body: body, ContentType: "application/json", Client: abuse.Client{User: "u1"}}
				s.Budget.Detect(context.Background(), r)
				s.Prompt.Detect(context.Background(), r)
			}
		})
	}
}

// TestJudgeSharesChatParse checks that the judge reads the parse of the
// prompt detector it wraps instead of parsing the body again.
func TestJudgeSharesChatParse(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Judge.Enabled = true
	s, err := NewSet(cfg, &fakeJudge{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Judge.inner.(*PromptDetector)
	if s.Judge.chats == nil || s.Judge.chats != p.chats {
		t.Fatalf("judge cache %p, prompt cache %p: want one shared cache", s.Judge.chats, p.chats)
	}
	r := &abuse.Request{ID: "j1", Body: []byte(`{"messages":[{"role":"user","content":"hi there"}]}`), ContentType: "application/json"}
	p.Detect(context.Background(), r)
	if got := s.Judge.content(r); got != "[user] hi there\n" {
		t.Fatalf("judge content %q", got)
	}
}
