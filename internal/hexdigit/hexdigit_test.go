package hexdigit

import (
	"strconv"
	"testing"
)

func TestDigits(t *testing.T) {
	for c := 0; c < 256; c++ {
		v, err := strconv.ParseUint(string(rune(c)), 16, 8)
		want := err == nil && c < 0x80
		if got := Is(byte(c)); got != want {
			t.Fatalf("Is(%q) = %v, want %v", rune(c), got, want)
		}
		if want && Value(byte(c)) != byte(v) {
			t.Fatalf("Value(%q) = %d, want %d", rune(c), Value(byte(c)), v)
		}
	}
}
