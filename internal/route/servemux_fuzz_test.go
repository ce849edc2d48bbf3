package route

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// gen turns fuzz bytes into choices; past the end it chooses 0.
type gen struct{ b []byte }

func (g *gen) pick(n int) int {
	if len(g.b) == 0 {
		return 0
	}
	c := int(g.b[0])
	g.b = g.b[1:]
	return c % n
}

func (g *gen) of(xs []string) string { return xs[g.pick(len(xs))] }

var (
	fuzzMethods     = []string{"", "GET ", "HEAD ", "POST ", "DELETE "}
	fuzzHosts       = []string{"", "", "", "h.test", "H.test"}
	fuzzPatternSegs = []string{"a", "b", "A", "{x}", "{y}", "a.json", "%61", "b%2Fc", "caf%C3%A9", "..."}
	fuzzPathSegs    = []string{"a", "b", "A", "B", "%61", "%41", "%2F", "%2f", "b%2Fc", "b%2fc", "a%2Fb", ".", "..", "%2e%2e", "", "a;x", "a.json", "caf%C3%A9", "CAF%C3%89", "%62"}
	fuzzReqHosts    = []string{"a.test", "h.test", "h.test:8080", "H.TEST", "[::1]:80", "h.test:"}
	fuzzReqMethods  = []string{"GET", "HEAD", "POST", "DELETE", "PUT"}
)

// genPattern returns a ServeMux pattern, often an invalid or conflicting
// one (both must be refused as ServeMux refuses them).
func genPattern(g *gen) string {
	var b strings.Builder
	b.WriteString(g.of(fuzzMethods))
	b.WriteString(g.of(fuzzHosts))
	n := g.pick(4)
	for i := 0; i < n; i++ {
		s := g.of(fuzzPatternSegs)
		if s == "..." {
			b.WriteString("/{r...}")
			return b.String()
		}
		b.WriteString("/" + s)
	}
	switch g.pick(4) {
	case 1:
		b.WriteString("/")
	case 2:
		b.WriteString("/{$}")
	default:
		if n == 0 {
			b.WriteString("/")
		}
	}
	return b.String()
}

func genPath(g *gen) string {
	var b strings.Builder
	n := 1 + g.pick(4)
	for i := 0; i < n; i++ {
		b.WriteString("/" + g.of(fuzzPathSegs))
	}
	if g.pick(3) == 0 {
		b.WriteString("/")
	}
	return b.String()
}

// FuzzServeMux checks Match against net/http.ServeMux on random patterns
// and requests, raw and escaped paths:
//
//   - with Exact, the pattern chosen is the one ServeMux.Handler reports:
//     the pattern it runs, or for a redirect (to the clean path, or from
//     "/tree" to "/tree/") the pattern where the client lands;
//   - with All, the pattern ServeMux chooses still matches the request
//     (alone in a table), and the pattern chosen is it or one at least as
//     specific: variants only add patterns a request matches, and the most
//     specific of those is chosen. A spelling can thus move a request to a
//     more specific pattern (with "/a/{x}" and "/a/b", "/a/B" is "/a/b"
//     when case is ignored), never to a less specific one.
func FuzzServeMux(f *testing.F) {
	for _, s := range [][]byte{
		{0, 1, 0, 2, 0, 3, 0, 0, 0, 0, 1, 0, 10, 1},         // "GET /a/{x}", GET /a/a%2Fb: one segment
		{1, 0, 0, 1, 9, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1},    // "/{r...}" and "/a/", GET /a: redirected to /a/
		{1, 1, 0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, // "GET /a" and "HEAD /a", HEAD /a
		{0, 1, 0, 1, 0, 2, 0, 0, 0, 1, 0, 6, 1},             // "GET /a/{$}", GET /a/%2F: ServeMux takes %2F for the slash
		{0, 4, 4, 0, 1, 0, 3, 1, 0, 0, 1},                   // "DELETE H.test/", DELETE h.test/a: hosts as sent
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{b: data}
		mux, exact := http.NewServeMux(), NewTable[string](Exact)
		varMux, all := http.NewServeMux(), NewTable[string](All)
		var pats []string
		for n := 1 + g.pick(6); n > 0; n-- {
			p := genPattern(g)
			muxErr := register(mux, p)
			if err := exact.Add(p, p); (err == nil) != (muxErr == nil) {
				t.Fatalf("Add(%q): %v, ServeMux: %v", p, err, muxErr)
			}
			if muxErr != nil {
				continue
			}
			pats = append(pats, p)
			var vc *VariantConflict
			if err := all.Add(p, p); err != nil {
				if !errors.As(err, &vc) {
					t.Fatalf("All.Add(%q): %v, accepted by ServeMux", p, err)
				}
				continue
			}
			if err := register(varMux, p); err != nil {
				t.Fatalf("ServeMux refuses %q after %v: %v", p, all.Len(), err)
			}
		}
		for n := 1 + g.pick(8); n > 0; n-- {
			method, host, raw := g.of(fuzzReqMethods), g.of(fuzzReqHosts), genPath(g)
			u, err := url.ParseRequestURI(raw)
			if err != nil {
				continue
			}
			r := &http.Request{Method: method, Host: host, URL: u}
			sent := u.EscapedPath()
			_, want := mux.Handler(r)
			if _, got, _ := exact.Match(method, host, sent); got != want {
				t.Fatalf("patterns %q\n%s %s%s: matched %q, ServeMux %q", pats, method, host, sent, got, want)
			}
			_, want = varMux.Handler(r)
			if want == "" {
				continue
			}
			alone := NewTable[string](All)
			if err := alone.Add(want, want); err != nil {
				t.Fatal(err)
			}
			if _, got, _ := alone.Match(method, host, sent); got != want {
				t.Fatalf("%s %s%s: %q alone under All matched %q, ServeMux routes it there", method, host, sent, want, got)
			}
			_, got, _ := all.Match(method, host, sent)
			if gi, _ := all.index(got); got == "" || all.scoreFor(gi, method) < all.scoreFor(mustIndex(t, all, want), method) {
				t.Fatalf("patterns %q\nAll %s %s%s: matched %q, less specific than ServeMux's %q", pats, method, host, sent, got, want)
			}
		}
	})
}

func register(mux *http.ServeMux, p string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New(strings.TrimSpace(strings.SplitN(toString(r), "\n", 2)[0]))
		}
	}()
	mux.Handle(p, http.NotFoundHandler())
	return nil
}

func toString(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	if s, ok := r.(string); ok {
		return s
	}
	return "panic"
}

func mustIndex(t *testing.T, tab *Table[string], p string) int {
	t.Helper()
	i, ok := tab.index(p)
	if !ok {
		t.Fatalf("%q not in the table", p)
	}
	return i
}

func (t *Table[T]) scoreFor(i int, method string) int {
	e := &t.entries[i]
	if e.method == http.MethodGet && method == http.MethodHead {
		return e.score - 1
	}
	return e.score
}

// FuzzDecodedReading checks that leaving out the path decoded whole when
// Variants.decodes says so changes nothing: every pattern matches the
// path segment by segment as it matches it decoded.
func FuzzDecodedReading(f *testing.F) {
	for _, s := range []string{"/api/auth/%6Cogin", "/API/%41uth/login.json", "/caf%C3%A9/menu;x", "/static/%25/x", "/a%3Bb"} {
		f.Add(s)
	}
	tab := variantTable(f, All)
	f.Fuzz(func(t *testing.T, sent string) {
		p := All.Normalize(sent)
		d, err := url.PathUnescape(p)
		if err != nil || All.decodes(p) {
			return
		}
		d = All.Normalize(d)
		for _, e := range tab.entries {
			if a, b := All.matchPath(e.segs, p, true, true), All.matchPath(e.segs, d, false, true); a != b {
				t.Fatalf("%q: %q matches %v by segment, %v decoded (%q)", sent, e.pattern, a, b, d)
			}
		}
	})
}
