package payload

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/cputime"
)

// TestHostileInputBounded feeds inputs built to exhaust time or memory and
// checks each finishes quickly without panicking.
func TestHostileInputBounded(t *testing.T) {
	d := newTestDetector(t)
	var mp strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&mp, "--b\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nvalue %d\r\n", i, i)
	}
	mp.WriteString("--b--\r\n")
	tests := []struct {
		name string
		req  *abuse.Request
	}{
		{"deeply nested json", post("application/json", strings.Repeat(`{"a":[`, 100000)+`"x"`)},
		{"deeply nested json attack after limit", post("application/json", strings.Repeat(`[`, 200)+`"<script>alert(1)</script>"`+strings.Repeat(`]`, 200))},
		{"invalid utf8", post("application/json", "{\"a\":\"\xff\xfe\xc0\xaf\xe0\x80\"}")},
		{"invalid utf8 query", get("/p?a=%ff%fe%c0%af%e0%80%80&b=\xff\xff")},
		{"gigantic value", get("/p?a=" + strings.Repeat("%2527", 400000))},
		{"gigantic json string", post("application/json", `{"a":"`+strings.Repeat(`\u0027 or `, 200000)+`"}`)},
		{"thousands of multipart parts", post("multipart/form-data; boundary=b", mp.String())},
		{"many query params", get("/p?" + strings.Repeat("a=1'&", 100000))},
		{"xml bomb", post("application/xml", `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>`+strings.Repeat("<x a='1'>", 50000))},
		{"unterminated xml", post("application/xml", "<a b=\""+strings.Repeat("x", 100000))},
		{"truncated json", post("application/json", `{"a":"b","c":["d",{"e":"`)},
		{"template braces", get("/p?a=" + strings.Repeat("{{", 50000))},
		{"jndi dollar braces", get("/p?a=" + strings.Repeat("${", 50000))},
		{"many urls", get("/p?a=" + strings.Repeat("http://127.0.0.1/?", 20000))},
		{"batch words", get("/p?a=" + strings.Repeat("%26for+if+", 20000))},
		{"shell words", get("/p?a=" + strings.Repeat(";cat+", 30000))},
		{"sql tokens", get("/p?a=" + strings.Repeat("'or+1=1+", 30000))},
		{"php vars", get("/p?a=" + strings.Repeat("${x}", 30000))},
		// Text values: the text checks' own bounds.
		{"text: backtick runs that never close", post("application/json", jsonField("comment", "see "+backtickRuns(400)))},
		{"text: quotes and conditions", post("application/json", jsonField("comment", "it's "+strings.Repeat("a' or x ", 20000)))},
		{"text: tags and handlers", post("application/json", jsonField("body", "hello there "+strings.Repeat("<a onclick=x ", 20000)))},
		{"text: fences", post("application/json", jsonField("body", "# Title\n\n"+strings.Repeat("```\ncode\n", 20000)))},
		{"text: 1 MB code block", post("application/json", jsonField("content", "```js\n"+strings.Repeat("let x = a[0] + f(`${y}`);\n", 40000)+"```\n"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The bound is on this thread's CPU time, which other
			// processes on a busy machine do not stretch: a blow-up
			// (quadratic work on these inputs) costs minutes, a
			// linear scan milliseconds.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := cputime.Thread()
			v := d.Detect(context.Background(), tc.req)
			if el := cputime.Thread() - start; el > 2*time.Second {
				t.Errorf("took %v of CPU", el)
			}
			for _, m := range v.Messages {
				if len(m) > 300 {
					t.Errorf("message of %d bytes", len(m))
				}
			}
		})
	}
}

// backtickRuns returns runs of 1..n backticks, each once: none closes
// another.
func backtickRuns(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strings.Repeat("`", i))
		b.WriteString(" x ")
	}
	return b.String()
}

func TestDeepJSONAttackStillFound(t *testing.T) {
	d := newTestDetector(t)
	body := strings.Repeat(`{"a":`, 100) + `"1' or '1'='1' --"` + strings.Repeat(`}`, 100)
	v := d.Detect(context.Background(), post("application/json", body))
	if v.Violation != "sqli" {
		t.Fatalf("attack below max_depth missed: %+v", v)
	}
}

func TestCleanRequestNoAllocs(t *testing.T) {
	d := newTestDetector(t)
	r := withHeader(get("/api/v1/products/42?page=2&sort=price&q=blue+shoes"), "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
	d.Detect(context.Background(), r) // warm the pool
	allocs := testing.AllocsPerRun(200, func() { d.Detect(context.Background(), r) })
	if allocs > 0 {
		t.Fatalf("clean GET allocated %v times per request, want 0", allocs)
	}
}

func FuzzDetect(f *testing.F) {
	for _, tc := range attackCases {
		f.Add(tc.req.Path+"?"+tc.req.RawQuery, tc.req.ContentType, string(tc.req.Body))
	}
	for _, tc := range benignCases {
		f.Add(tc.req.Path+"?"+tc.req.RawQuery, tc.req.ContentType, string(tc.req.Body))
	}
	for _, tc := range recallBlock {
		f.Add(tc.req.Path+"?"+tc.req.RawQuery, tc.req.ContentType, string(tc.req.Body))
	}
	f.Add("/p?a=x'/*", "", "")
	f.Add("/p?a=/*/*", "", "")
	f.Add("/p?a=%27+%7C", "", "")
	f.Add("/p?u=http://[::1", "", "")
	// The structured-value checks: path segments, bare hosts, pairs in
	// names, JSON conditions, aliases.
	f.Add("/a/OR '[1]' ? '1'/b/7 OR 3=3", "", "")
	f.Add("/p?image_url=[::1]:80/x&feedSrc=127.1:6379", "", "")
	f.Add("/p", "application/x-www-form-urlencoded", "pay%3DAND+1%3D1%29&x%3D%3D=1")
	f.Add("/p?id=OR '{\"a\":1}'::jsonb @> '{\"a\":1}'&c=) AS t FROM&v=x_y()", "", "")
	f.Add("/p?q=<iframe></iframe>", "", "")
	f.Add("/", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--")
	f.Add("/", "application/xml", "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///\">]><a b='c'>&x;</a>")
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, target, ct, body string) {
		path, q, _ := strings.Cut(target, "?")
		r := &abuse.Request{Path: path, RawQuery: q, ContentType: ct, Body: []byte(body)}
		v := d.Detect(context.Background(), r)
		if v.Confidence < 0 || v.Confidence > 1 {
			t.Fatalf("confidence %v out of range", v.Confidence)
		}
		for _, m := range v.Messages {
			if len(m) > 300 {
				t.Fatalf("message of %d bytes", len(m))
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,"b",{"c":"\u003cscript"}],"$ne":null}`))
	f.Add([]byte(`[[[[`))
	f.Add([]byte(`{"a":"\ud83d\ude00"}`))
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		d.Detect(context.Background(), &abuse.Request{Path: "/", ContentType: "application/json", Body: b})
	})
}

func FuzzXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r a="1">&x;<![CDATA[<b>]]><!-- c --></r>`))
	f.Add([]byte(`<a b=c d='e' f="g"/>`))
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		d.Detect(context.Background(), &abuse.Request{Path: "/", ContentType: "application/xml", Body: b})
	})
}

func FuzzMultipart(f *testing.F) {
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"../x.php\"\r\nContent-Type: text/plain\r\n\r\n<?php system($_GET[1]); ?>\r\n--b--\r\n"))
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		d.Detect(context.Background(), &abuse.Request{Path: "/", ContentType: "multipart/form-data; boundary=b", Body: b})
	})
}

func FuzzParseIPv4Any(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "169.16689662", "1.2.3.4.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseIPv4Any([]byte(s))
	})
}
