// Package catalogue makes the benign JSON document that benchmarks and the
// load harness send as a request body, so that a detector's benchmark and
// the harness measure the same bytes.
package catalogue

import (
	"bytes"
	"fmt"
)

// JSON returns a benign JSON document of exactly n bytes (n ≥ 512): a
// list of catalogue items with ordinary prose, SKUs and booleans, padded
// in a note field.
func JSON(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"title":"Spring catalogue update","author":"catalogue-team","tags":["shoes","spring","sale"],"items":[`)
	descs := []string{
		"Lightweight running shoes for daily training, with a breathable mesh upper.",
		"A warm wool jumper knitted in Scotland, machine washable at thirty degrees.",
		"Waterproof hiking jacket with taped seams and a packable hood.",
		"Cotton t-shirt in navy blue, regular fit, available in five sizes.",
	}
	for i := 0; b.Len() < n-400; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"sku":"SKU-%05d","name":"Item number %d","description":%q,"price":%d.99,"in_stock":%t}`,
			i+1, 1000+i, i+1, descs[i%len(descs)], 20+i%80, i%3 != 0)
	}
	b.WriteString(`],"note":"`)
	pad := "Prices include tax. Delivery within three working days. "
	for b.Len() < n-2 {
		b.WriteByte(pad[(b.Len())%len(pad)])
	}
	b.WriteString(`"}`)
	return b.Bytes()[:n:n]
}
