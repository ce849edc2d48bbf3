package args

import (
	"slices"
	"strings"
	"testing"
)

// kept collects the pairs a Set returned and the ones after them.
func kept(k []Pair, rest string) [][2]string {
	var out [][2]string
	for _, p := range k {
		out = append(out, [2]string{p.Name(), p.Value()})
	}
	return append(out, pairs(Rest(rest))...)
}

// pairs collects what it yields, as name and value.
func pairs(it Iter) [][2]string {
	var out [][2]string
	for {
		p, ok := it.Next()
		if !ok {
			return out
		}
		out = append(out, [2]string{p.Name(), p.Value()})
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		want      [][2]string
	}{
		{"empty", "", nil},
		{"two", "a=1&b=2", [][2]string{{"a", "1"}, {"b", "2"}}},
		{"empty pairs skipped", "&&a=1&&", [][2]string{{"a", "1"}}},
		{"lone token", "flag", [][2]string{{"flag", ""}}},
		{"first = splits", "a=b=c", [][2]string{{"a", "b=c"}}},
		{"empty name", "=x", [][2]string{{"", "x"}}},
		{"kept encoded", "q=a%20b+c", [][2]string{{"q", "a%20b+c"}}},
		{"semicolon is not a separator", "a=1;b=2", [][2]string{{"a", "1;b=2"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s Set
			if got := kept(s.Query(c.raw)); !slices.Equal(got, c.want) {
				t.Errorf("Set.Query(%q) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestCookies(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		want      [][2]string
	}{
		{"two", "a=1; b=2", [][2]string{{"a", "1"}, {"b", "2"}}},
		{"no space", "a=1;b=2", [][2]string{{"a", "1"}, {"b", "2"}}},
		{"empty ones skipped", ";; a=1;  ;", [][2]string{{"a", "1"}}},
		{"trailing space kept", "a=1 ; b", [][2]string{{"a", "1 "}, {"b", ""}}},
		{"ampersand is not a separator", "a=1&b=2", [][2]string{{"a", "1&b=2"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := pairs(Cookies(c.raw)); !slices.Equal(got, c.want) {
				t.Errorf("Cookies(%q) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestPairHasEq(t *testing.T) {
	for raw, want := range map[string]bool{"a": false, "a=": true, "=": true, "a=b": true} {
		p, _ := next(&raw, '&')
		if p.HasEq() != want {
			t.Errorf("%q: HasEq = %v, want %v", p.KV, p.HasEq(), want)
		}
	}
}

// TestSetKeepsSplit checks that the second reader gets the pairs the
// first one split, that another text is split afresh, and that a source
// with more than MaxKept pairs still yields every one of them.
func TestSetKeepsSplit(t *testing.T) {
	var s Set
	q := "a=1&b=2"
	if got := kept(s.Query(q)); len(got) != 2 {
		t.Fatalf("first read: %q", got)
	}
	if len(s.query.pairs) != 2 || s.query.rest != "" {
		t.Fatalf("kept %d pairs, rest %q; want 2 and none", len(s.query.pairs), s.query.rest)
	}
	if got := kept(s.Query(q)); !slices.Equal(got, [][2]string{{"a", "1"}, {"b", "2"}}) {
		t.Errorf("second read: %q", got)
	}
	if got := kept(s.Query("c=3")); !slices.Equal(got, [][2]string{{"c", "3"}}) {
		t.Errorf("another query: %q", got)
	}
	if got := kept(s.Form(q)); len(got) != 2 {
		t.Errorf("form kept apart from the query: %q", got)
	}

	long := strings.Repeat("k=v&", MaxKept+10) + "last=1"
	for read := range 2 {
		got := kept(s.Form(long))
		if len(got) != MaxKept+11 || got[len(got)-1] != [2]string{"last", "1"} {
			t.Fatalf("read %d of a long form: %d pairs ending %q, want %d ending last=1", read, len(got), got[len(got)-1], MaxKept+11)
		}
	}
	if len(s.form.pairs) != MaxKept {
		t.Errorf("kept %d pairs, want at most MaxKept (%d)", len(s.form.pairs), MaxKept)
	}
	s.Reset()
	if s.form.pairs != nil || s.query.done {
		t.Errorf("Reset kept a flood's buffer (%d) or the split", cap(s.form.pairs))
	}
}

// TestSetAllocs is the budget that makes sharing the split pay: a second
// reader allocates nothing, and neither does a request served from a
// pooled Set.
func TestSetAllocs(t *testing.T) {
	var s Set
	q := "page=2&sort=price&q=blue+shoes"
	n := 0
	read := func() {
		k, rest := s.Query(q)
		n += len(k) + len(rest)
	}
	read()
	if a := testing.AllocsPerRun(100, read); a != 0 {
		t.Errorf("second reader: %v allocations, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() { s.Reset(); read() }); a != 0 {
		t.Errorf("pooled request: %v allocations, want 0", a)
	}
	if n == 0 {
		t.Fatal("no pairs read")
	}
}

func TestParseMediaType(t *testing.T) {
	type param struct {
		name, value string
		quoted      bool
	}
	for _, c := range []struct {
		in        string
		ok        bool
		typ, sub  string
		params    []param
		bad, junk string
	}{
		{in: "application/json", ok: true, typ: "application", sub: "json"},
		{in: " Text/HTML ; charset=UTF-8", ok: true, typ: "Text", sub: "HTML", params: []param{{"charset", "UTF-8", false}}},
		{in: `multipart/form-data; boundary="a b"`, ok: true, typ: "multipart", sub: "form-data", params: []param{{"boundary", "a b", true}}},
		{in: `a/b; x="q\"r"`, ok: true, typ: "a", sub: "b", params: []param{{"x", `q\"r`, true}}},
		{in: "a/b;;; c=d;", ok: true, typ: "a", sub: "b", params: []param{{"c", "d", false}}},
		{in: "a/b; c", ok: true, typ: "a", sub: "b", bad: "y", junk: "c"},
		{in: `a/b; c="open`, ok: true, typ: "a", sub: "b", bad: "y", junk: `"open`},
		{in: "a/b x", ok: true, typ: "a", sub: "b", bad: "y", junk: "x"},
		{in: "json", ok: false},
		{in: "/json", ok: false},
		{in: "application/", ok: false},
		{in: "", ok: false},
	} {
		t.Run(c.in, func(t *testing.T) {
			mt, ok := ParseMediaType(c.in)
			if ok != c.ok || mt.Type != c.typ || mt.Sub != c.sub {
				t.Fatalf("ParseMediaType(%q) = %q/%q %v, want %q/%q %v", c.in, mt.Type, mt.Sub, ok, c.typ, c.sub, c.ok)
			}
			it := mt.Params()
			var got []param
			for {
				n, v, q, ok := it.Next()
				if !ok {
					break
				}
				got = append(got, param{n, v, q})
			}
			if !slices.Equal(got, c.params) {
				t.Errorf("params %v, want %v", got, c.params)
			}
			if it.Bad != (c.bad != "") || it.Junk != c.junk {
				t.Errorf("Bad %v, Junk %q; want %v, %q", it.Bad, it.Junk, c.bad != "", c.junk)
			}
		})
	}
}

func TestEssence(t *testing.T) {
	for _, c := range []struct{ in, mt, params string }{
		{"Application/JSON; charset=utf-8", "application/json", " charset=utf-8"},
		{"  text/plain  ", "text/plain", ""},
		{"application/json x", "application/json x", ""},
		{"", "", ""},
	} {
		if mt, params := Essence(c.in); mt != c.mt || params != c.params {
			t.Errorf("Essence(%q) = %q, %q; want %q, %q", c.in, mt, params, c.mt, c.params)
		}
	}
}
