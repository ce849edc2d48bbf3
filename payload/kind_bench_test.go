package payload

import "testing"

// BenchmarkClassify is the cost of telling a value's kind: a sentence in
// a field that is not a text field (the common case in JSON APIs), a
// question in a chat-like text field, and a short name.
func BenchmarkClassify(b *testing.B) {
	for _, c := range []struct{ name, field, v string }{
		{"description", "description", "Lightweight running shoes for daily training, with a breathable mesh upper."},
		{"note", "note", "Prices include tax. Delivery within three working days. Prices include tax. Delivery within three working days. Prices include tax. Delivery within three working days."},
		{"name", "name", "Item number 12"},
	} {
		b.Run(c.name, func(b *testing.B) {
			v, n := []byte(c.v), []byte(c.field)
			for b.Loop() {
				classify(v, charMask(v), "json", n)
			}
		})
	}
}
