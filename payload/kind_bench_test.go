package payload

import "testing"

// BenchmarkClassify is the cost of telling a value's kind: one line of a
// text field (decided without reading its words), a sentence in a field
// that is not a text field and a markdown post (read word by word), and
// a short name.
func BenchmarkClassify(b *testing.B) {
	for _, c := range []struct{ name, field, v string }{
		{"description", "description", "Lightweight running shoes for daily training, with a breathable mesh upper."},
		{"note", "note", "Prices include tax. Delivery within three working days. Prices include tax. Delivery within three working days. Prices include tax. Delivery within three working days."},
		{"name", "name", "Item number 12"},
		{"sentence elsewhere", "info", "Lightweight running shoes for daily training, with a breathable mesh upper."},
		{"markdown post", "body", "## Install\n\nRun `go get example.com/x` first, then import it:\n\n```go\nimport \"example.com/x\"\n```\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			v, n := []byte(c.v), []byte(c.field)
			for b.Loop() {
				classify(v, charMask(v), "json", textField(n))
			}
		})
	}
}
