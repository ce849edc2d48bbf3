package args

import (
	"maps"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzQuery checks the split against net/url.ParseQuery: wherever that
// parses a query without error, the pairs here, unescaped as it
// unescapes them, are its values in its order; and a kept split reads
// the same as a fresh one.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "&&a", "a=b=c&a=d", "=x", "q=a%20b+c", "x=%zz", "a;b=1", strings.Repeat("k=v&", 5)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var s Set
		got := kept(s.Query(raw))
		if again := kept(s.Query(raw)); !slices.Equal(got, again) {
			t.Fatalf("kept split %q, fresh %q", again, got)
		}
		want, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		mine := url.Values{}
		for _, p := range got {
			k, err1 := url.QueryUnescape(p[0])
			v, err2 := url.QueryUnescape(p[1])
			if err1 != nil || err2 != nil {
				t.Fatalf("%q: net/url unescaped the query but not pair %q", raw, p)
			}
			mine[k] = append(mine[k], v)
		}
		if !maps.EqualFunc(mine, want, slices.Equal) {
			t.Fatalf("%q: split %v, net/url %v", raw, mine, want)
		}
	})
}

// FuzzCookies checks the cookie split against net/http.ParseCookie:
// wherever that reads a Cookie header, the cookies here are its cookies,
// once the whitespace around each cookie and the quotes it removes are
// removed.
func FuzzCookies(f *testing.F) {
	for _, s := range []string{"a=1; b=2", "a=1;b=2", `s="q"; t=`, " a=1 ;\tb=2\t", "a", ";;", "a=1; ; b=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got := pairs(Cookies(line))
		want, err := http.ParseCookie(line)
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d cookies, net/http %d", line, len(got), len(want))
		}
		for i, c := range want {
			// net/http trims each cookie, not its name and value.
			name, value, _ := strings.Cut(textproto.TrimString(got[i][0]+"="+got[i][1]), "=")
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if name != c.Name || value != c.Value {
				t.Fatalf("%q: cookie %d is %q=%q, net/http %q=%q", line, i, name, value, c.Name, c.Value)
			}
		}
	})
}

// FuzzMediaType checks ParseMediaType against mime.ParseMediaType:
// wherever both read a value without error, they find the same type and
// the same parameters (names compared in lower case, and values with the
// escapes mime removes removed: it keeps the backslash of "\s", which
// RFC 9110 drops, the parser differential protocol's filename check is
// about). RFC 2231 parameters
// ("name*") are mime's own extension and left out. Every parameter walk
// ends.
func FuzzMediaType(f *testing.F) {
	for _, s := range []string{"application/json", "Text/HTML; Charset=UTF-8", `multipart/form-data; boundary="a b"`,
		`a/b; x="q\"r"`, "a/b;;; c=d;", "a/b; c", "a/b x", "json", `a/b; c="d`, "a/b; c=d; c=e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, ok := ParseMediaType(s)
		if !ok {
			return
		}
		it := mt.Params()
		got := map[string]string{}
		dup := false
		for n := 0; ; n++ {
			if n > len(s) {
				t.Fatalf("%q: the parameter walk does not end", s)
			}
			name, value, quoted, ok := it.Next()
			if !ok {
				break
			}
			if strings.IndexByte(name, '*') >= 0 {
				return
			}
			if quoted {
				value = unquotePairs(value)
			}
			k := strings.ToLower(name)
			if _, seen := got[k]; seen {
				dup = true
			}
			got[k] = value
		}
		typ, params, err := mime.ParseMediaType(s)
		if err != nil || it.Bad || dup {
			return
		}
		if want := strings.ToLower(mt.Type + "/" + mt.Sub); typ != want {
			t.Fatalf("%q: type %q, mime %q", s, want, typ)
		}
		if !maps.Equal(got, params) {
			t.Fatalf("%q: params %q, mime %q", s, got, params)
		}
	})
}

// unquotePairs removes the backslash of each quoted-pair that escapes a
// tspecial (RFC 2045), as mime does.
func unquotePairs(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && strings.IndexByte(`()<>@,;:\"/[]?=`, v[i+1]) >= 0 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
