package prompt

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// hostileBodies are chat bodies built to make the parse or the scan work
// hard; docs/performance.md gives their cost per request.
func hostileBodies(tb testing.TB) map[string][]byte {
	tb.Helper()
	text := func(s string) []byte {
		b, err := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": s}}})
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	msgs := make([]map[string]string, 30000)
	for i := range msgs {
		msgs[i] = map[string]string{"role": "user", "content": "hey"}
	}
	many, _ := json.Marshal(map[string]any{"messages": msgs})
	return map[string][]byte{
		"words":    text(strings.Repeat("a ", 32<<10)),
		"base64":   text(strings.Repeat("QUJD", 16<<10)),
		"escapes":  []byte(`{"messages":[{"role":"user","content":"` + strings.Repeat(`\n\u00e9`, 48<<10/8) + `"}]}`),
		"30kmsgs":  many,
		"brackets": []byte(`{"messages":` + strings.Repeat("[", 1<<20-16)),
	}
}

func BenchmarkPromptDetectorHostile(b *testing.B) {
	d, err := NewDetector(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for name, body := range hostileBodies(b) {
		b.Run(name, func(b *testing.B) {
			r := &abuse.Request{Body: body, ContentType: "application/json"}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				d.Detect(context.Background(), r)
			}
		})
	}
}
