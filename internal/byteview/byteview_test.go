package byteview

import "testing"

func TestString(t *testing.T) {
	for _, in := range []string{"", "a", "data: {\"x\":1}\n\n"} {
		b := []byte(in)
		if got := String(b); got != in {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
	var nilSlice []byte
	if String(nilSlice) != "" {
		t.Error("a nil slice is not the empty string")
	}
	b := []byte("abc")
	s := String(b)
	b[0] = 'x'
	if s != "xbc" {
		t.Errorf("the view copied: %q", s)
	}
}
