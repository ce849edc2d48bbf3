package catalogue

import (
	"encoding/json"
	"testing"
)

func TestJSON(t *testing.T) {
	for _, n := range []int{1024, 8 << 10, 64 << 10} {
		b := JSON(n)
		if len(b) != n {
			t.Errorf("JSON(%d) has %d bytes", n, len(b))
		}
		if !json.Valid(b) {
			t.Errorf("JSON(%d) is not valid JSON: %.80s…", n, b)
		}
	}
}
