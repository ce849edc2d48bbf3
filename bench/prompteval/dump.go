package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/chat"
	"github.com/warden-dev/warden/aiguard/prompt"
)

// dump writes, for every corpus text, everything the detector concludes
// about it: the analysis as user and as document text, and the verdict
// on chat bodies of three formats that carry it (as the last user turn;
// as an Anthropic tool result and document; as a Responses function
// output), bodies escaped as encoding/json escapes them (<, >, & as
// \u003c…) and not. Two builds that dump the same file detect alike; it
// is how a speed change shows it changed no result.
func dump(w io.Writer, det *prompt.Detector, recs []record) error {
	bw := bufio.NewWriter(w)
	for i, rec := range recs {
		for _, src := range []chat.Source{chat.SourceUser, chat.SourceDocument} {
			a := det.AnalyzeSource(rec.Text, src)
			fmt.Fprintf(bw, "%d %s %.9f", i, src, a.Confidence)
			for _, f := range a.Findings {
				fmt.Fprintf(bw, " | %s %.6f %s %s %q", f.Family, f.Weight, f.What, f.Source, f.Excerpt)
			}
			bw.WriteByte('\n')
		}
		for _, body := range chatBodies(rec.Text) {
			for _, escape := range []bool{true, false} {
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetEscapeHTML(escape)
				if err := enc.Encode(body); err != nil {
					return fmt.Errorf("encoding a chat body: %w", err)
				}
				v := det.Detect(context.Background(), &abuse.Request{Method: "POST", Path: "/v1/chat/completions", Body: b.Bytes(), ContentType: "application/json"})
				fmt.Fprintf(bw, "%d chat %.9f %s %s\n", i, v.Confidence, v.Violation, strings.Join(v.Messages, " | "))
			}
		}
	}
	return bw.Flush()
}

func chatBodies(text string) []any {
	return []any{
		map[string]any{"model": "m", "messages": []any{
			map[string]any{"role": "system", "content": "You are a helpful assistant."},
			map[string]any{"role": "user", "content": "Hello, can you help me with something?"},
			map[string]any{"role": "assistant", "content": "Of course. What do you need?"},
			map[string]any{"role": "user", "content": text},
		}},
		map[string]any{"model": "m", "system": "be brief", "messages": []any{
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "text", "text": "Summarise the results."},
				map[string]any{"type": "tool_result", "tool_use_id": "t1", "content": []any{map[string]any{"type": "text", "text": text}}},
				map[string]any{"type": "document", "source": map[string]any{"type": "text", "media_type": "text/plain", "data": text}},
			}},
		}},
		map[string]any{"model": "m", "instructions": "be brief", "input": []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "input_text", "text": "What did the tool say?"}}},
			map[string]any{"type": "function_call_output", "call_id": "c1", "output": text},
		}},
	}
}
