package payload

import (
	"context"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// Attack families and their look-alikes, one table per decision:
// familyBlock must block (>= 0.8), familyGrey may be logged but must not
// block (< 0.8), familyBenign must not even be logged (<= 0.5). The
// cases are written for these tests, one or two per family, not taken
// from an evaluation corpus.

var familyBlock = []struct {
	name string
	req  *abuse.Request
}{
	// PHP: calls of functions that run code, read files or disclose
	// the environment, in the shapes that hide them from "name(".
	{"php dangerous call", get("/p?v=get_defined_vars%28%29%5B1%5D")},
	{"php eval on a variable", post("application/x-www-form-urlencoded", "x=eval%28%24_x%29%3B")},
	{"php posix family", get("/p?v=posix_getppid%28%29")},
	{"php call with comment", get("/p?v=readfile%2F%2A%2A%2F%28%27x%27%29")},
	{"php call with newline", get("/p?v=shell_exec%0A%28%27id%27%29")},
	{"php name cut by comment in text", get("/p?v=we+use+gzinflate%2F%2Ax%2A%2F%28%24d%29+here")},
	{"php quoted callee", get("/p?v=return%22passthru%22%28%24c%29.x")},
	{"php parenthesised callee", post("application/x-www-form-urlencoded", "c=%28%27exec%27%29%28%27ls%27%29")},
	{"php variable call", get("/p?v=%24fn%2842%29")},
	{"php static variable call", get("/p?v=Klass%3A%3A%24m%28%29")},
	{"php nested subscript call", get("/p?v=%24a%5B%24b%5B0%5D%5D%281%29")},
	{"php short tag statement", get("/p?v=%3C%3F+%09print+%24x")},
	{"php stream wrapper", get("/p?file=phar%3A%2F%2Fuploads%2Favatar.jpg%2Fx")},
	{"php data wrapper", get("/p?file=data%3A%2F%2Ftext%2Fplain%3Bbase64%2CPD9waHA%3D")},
	{"js sink call", get("/p?v=setInterval%28x%2C9%29")},
}

var familyGrey = []struct {
	name string
	req  *abuse.Request
}{
	{"generic function call", get("/p?v=printf%28name%29")},
	{"word include in parentheses", get("/p?q=Include+%28optional%29")},
	{"php prose", post("application/json", `{"t":"php is a language; <? starts a tag in it"}`)},
	{"xml declaration", post("application/json", `{"doc":"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>"}`)},
	{"variable before a parenthesis", post("application/json", `{"v":"$total (approx)"}`)},
}

var familyBenign = []struct {
	name string
	req  *abuse.Request
}{
	{"file copy name", post("application/json", `{"name":"Copy (2)"}`)},
	{"markdown link named like a function", post("application/json", `{"body":"See [system](https://example.com/docs/system) and [copy](/copy)."}`)},
	{"quoted word before parenthesis", post("application/json", `{"t":"the \"copy\" (2) button"}`)},
}

func TestFamilies(t *testing.T) {
	d := newTestDetector(t)
	ctx := context.Background()
	for _, tc := range familyBlock {
		t.Run("block/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence < 0.8 {
				t.Errorf("not blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
	for _, tc := range familyGrey {
		t.Run("grey/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence >= 0.8 {
				t.Errorf("blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
	for _, tc := range familyBenign {
		t.Run("benign/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence > 0.5 {
				t.Errorf("flagged: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
}
