package chat

import (
	"testing"

	"github.com/warden-dev/warden/aiguard/internal/chattest"
)

func BenchmarkParse4KB(b *testing.B) {
	body := chattest.Body4K(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Parse(body, Limits{}); !ok {
			b.Fatal("not parsed")
		}
	}
}
