package route

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in         string
		exact, all string
	}{
		{"/", "/", "/"},
		{"", "/", "/"},
		{"/api/auth/login", "/api/auth/login", "/api/auth/login"},
		{"/API/Auth/Login", "/API/Auth/Login", "/API/Auth/Login"}, // case is the matcher's
		{"/api/auth/login/", "/api/auth/login/", "/api/auth/login/"},
		{"/api//auth/login", "/api/auth/login", "/api/auth/login"},
		{"//api/auth/login", "/api/auth/login", "/api/auth/login"},
		{"/api/./auth/login", "/api/auth/login", "/api/auth/login"},
		{"/api/x/../auth/login", "/api/auth/login", "/api/auth/login"},
		{"/api/auth/login/.", "/api/auth/login", "/api/auth/login"},
		{"/../../api/auth/login", "/api/auth/login", "/api/auth/login"},
		{"/api/auth/login;jsessionid=x", "/api/auth/login;jsessionid=x", "/api/auth/login"},
		{"/api/auth/login;", "/api/auth/login;", "/api/auth/login"},
		{"/api;v=1/auth;x/login;y", "/api;v=1/auth;x/login;y", "/api/auth/login"},
		{"/api/auth/login;a=1;b=2/", "/api/auth/login;a=1;b=2/", "/api/auth/login/"},
		// Tomcat reads "..;" as "..": parameters go before dot segments.
		{"/static/..;/api/auth/login", "/static/..;/api/auth/login", "/api/auth/login"},
		{"/static/.;x/api", "/static/.;x/api", "/static/api"},
		{"/;x/api", "/;x/api", "/api"},
		{"/;", "/;", "/"},
		{"/a//;x//b", "/a/;x/b", "/a/b"},
		{"relative/path", "/relative/path", "/relative/path"},
		{"/caf\u00e9/menu", "/caf\u00e9/menu", "/caf\u00e9/menu"},
		// Escaped dots are the caller's: Match gets URL.Path, decoded.
		{"/api/%2e%2e/auth/login", "/api/%2e%2e/auth/login", "/api/%2e%2e/auth/login"},
	}
	for _, tc := range tests {
		if got := Exact.Normalize(tc.in); got != tc.exact {
			t.Errorf("Exact.Normalize(%q) = %q, want %q", tc.in, got, tc.exact)
		}
		if got := All.Normalize(tc.in); got != tc.all {
			t.Errorf("All.Normalize(%q) = %q, want %q", tc.in, got, tc.all)
		}
	}
}

func TestNormalizeDoesNotAllocateOnCleanPaths(t *testing.T) {
	for _, p := range []string{"/", "/api/auth/login", "/API/Auth/Login/", "/api/products/42", "/static/app.js"} {
		if n := testing.AllocsPerRun(100, func() { All.Normalize(p) }); n != 0 {
			t.Errorf("Normalize(%q): %v allocations", p, n)
		}
	}
}

// variantPatterns are the patterns of the variant tests: the default
// route classes, and neighbours that variants must not confuse with them.
var variantPatterns = []string{
	"POST /api/auth/login",
	"POST /api/auth/register",
	"POST /api/ask/{rest...}",
	"POST /api/auth/{action}",
	"GET /api/users/{id}",
	"GET /api/users/me",
	"/static/",
	"DELETE /api/items/{id}/{$}",
	"GET /feed",
	"GET /feed.xml",
	"/{$}",
	"/{path...}",
}

func variantTable(t testing.TB, v Variants) *Table[string] {
	t.Helper()
	tab := NewTable[string](v)
	for _, p := range variantPatterns {
		if err := tab.Add(p, p); err != nil {
			t.Fatalf("Add(%q): %v", p, err)
		}
	}
	return tab
}

func TestVariantsMatch(t *testing.T) {
	login, catchAll := "POST /api/auth/login", "/{path...}"
	tests := []struct {
		method, path string
		exact, all   string // pattern matched by the Exact and the All table
	}{
		{"POST", "/api/auth/login", login, login},
		{"POST", "/API/Auth/Login", catchAll, login},
		{"POST", "/api/auth/LOGIN", "POST /api/auth/{action}", login},
		{"POST", "/api/auth/login/", catchAll, login},
		{"POST", "/API/AUTH/LOGIN/", catchAll, login},
		{"POST", "/api/auth/login;jsessionid=x", "POST /api/auth/{action}", login},
		{"POST", "/api;x/auth/login", catchAll, login},
		{"POST", "/api/auth/login;jsessionid=x/", catchAll, login},
		{"POST", "/static/..;/api/auth/login", "/static/", login},
		{"POST", "/api/auth/login.json", "POST /api/auth/{action}", login},
		{"POST", "/api/auth/Login.JSON;x/", catchAll, login},
		{"POST", "/api//auth/./login", login, login},
		// Neighbours keep their own pattern.
		{"POST", "/api/auth/logout", "POST /api/auth/{action}", "POST /api/auth/{action}"},
		{"POST", "/api/auth/loginx", "POST /api/auth/{action}", "POST /api/auth/{action}"},
		{"POST", "/api/auth/login/x", catchAll, catchAll},
		{"POST", "/api/auth/register/", catchAll, "POST /api/auth/register"},
		{"POST", "/API/ASK/openAI", catchAll, "POST /api/ask/{rest...}"},
		{"GET", "/api/users/ME", "GET /api/users/{id}", "GET /api/users/me"},
		{"GET", "/api/users/me/", catchAll, "GET /api/users/me"},
		{"GET", "/api/users/42/", catchAll, "GET /api/users/{id}"},
		{"GET", "/api/users/", catchAll, catchAll}, // a wildcard never matches an empty segment
		{"HEAD", "/Api/Users/Me", catchAll, "GET /api/users/me"},
		{"GET", "/static", "/static/", "/static/"}, // ServeMux redirects it to /static/
		{"GET", "/STATIC/app.js", catchAll, "/static/"},
		{"DELETE", "/api/items/9", "DELETE /api/items/{id}/{$}", "DELETE /api/items/{id}/{$}"}, // redirected, as above
		{"DELETE", "/api/items/9/", "DELETE /api/items/{id}/{$}", "DELETE /api/items/{id}/{$}"},
		{"DELETE", "/api/items/9/x", catchAll, catchAll},
		// A format suffix widens "/feed", but "/feed.xml" as sent is
		// itself a pattern and stays more specific.
		{"GET", "/feed.json", catchAll, "GET /feed"},
		{"GET", "/feed.xml", "GET /feed.xml", "GET /feed.xml"},
		{"GET", "/FEED.XML", catchAll, "GET /feed.xml"},
		{"GET", "/feed.xml.gz", catchAll, "GET /feed.xml"}, // both match with an extension: the shorter one
		{"GET", "/", "/{$}", "/{$}"},
		{"GET", "/;x", catchAll, "/{$}"},
		{"GET", "/.json", catchAll, catchAll}, // an extension needs a name before it
	}
	exact, all := variantTable(t, Exact), variantTable(t, All)
	for _, tc := range tests {
		if _, got, _ := exact.Match(tc.method, "a.test", tc.path); got != tc.exact {
			t.Errorf("Exact %s %s: matched %q, want %q", tc.method, tc.path, got, tc.exact)
		}
		if _, got, _ := all.Match(tc.method, "a.test", tc.path); got != tc.all {
			t.Errorf("All %s %s: matched %q, want %q", tc.method, tc.path, got, tc.all)
		}
	}
}

func TestEachVariantAlone(t *testing.T) {
	tests := []struct {
		v    Variants
		path string
	}{
		{Variants{CaseInsensitive: true}, "/API/Auth/Login"},
		{Variants{TrailingSlash: true}, "/api/auth/login/"},
		{Variants{PathParams: true}, "/api/auth/login;jsessionid=x"},
		{Variants{FormatSuffix: true}, "/api/auth/login.json"},
	}
	for _, tc := range tests {
		for _, other := range tests {
			tab := NewTable[string](tc.v)
			if err := tab.Add("POST /api/auth/login", "login"); err != nil {
				t.Fatal(err)
			}
			_, _, ok := tab.Match("POST", "a.test", other.path)
			if want := other.path == tc.path; ok != want {
				t.Errorf("%+v on %s: matched %v, want %v", tc.v, other.path, ok, want)
			}
		}
	}
}

func TestEscapedVariants(t *testing.T) {
	tab := NewTable[string](All)
	for _, p := range []string{"GET /wiki/{page}", "POST /caf%C3%A9/menu", "/admin/"} {
		if err := tab.Add(p, p); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"/wiki/a%2Fb":          "GET /wiki/{page}",
		"/WIKI/a%2Fb/":         "GET /wiki/{page}",
		"/%57iki/x":            "GET /wiki/{page}",
		"/CAF%C3%89/MENU":      "POST /caf%C3%A9/menu",
		"/caf%c3%a9/menu;x":    "POST /caf%C3%A9/menu",
		"/Admin;x/users":       "/admin/",
		"/%61dmin":             "/admin/",
		"/wiki%2Fx":            "GET /wiki/{page}", // decoded whole, as Django and Flask route it
		"/public/..;/admin/ui": "/admin/",
	} {
		method := "GET"
		if strings.Contains(want, "POST") {
			method = "POST"
		}
		if _, got, _ := tab.Match(method, "a.test", path); got != want {
			t.Errorf("%s: matched %q, want %q", path, got, want)
		}
	}
}

func TestVariantConflicts(t *testing.T) {
	tests := []struct {
		v          Variants
		a, b       string
		conflict   bool
		underCase  bool
		underSlash bool
	}{
		{All, "GET /login", "GET /Login", true, true, false},
		{All, "GET /a/{$}", "GET /a", true, false, true},
		{All, "GET /A/{$}", "GET /a", true, true, true},
		{All, "GET example.com/a", "GET EXAMPLE.com/A", true, true, false},
		{All, "GET /login", "POST /Login", false, false, false},
		{All, "GET /login", "/Login", false, false, false},
		{All, "GET /a/", "GET /a", false, false, false}, // a subtree is wider
		{All, "GET /feed", "GET /feed.xml", false, false, false},
		{All, "GET /{$}", "GET /", false, false, false},
		{All, "GET /a/{x}", "GET /A/{y}", true, true, false},
		{Variants{TrailingSlash: true}, "GET /login", "GET /Login", false, false, false},
		{Variants{CaseInsensitive: true}, "GET /a/{$}", "GET /a", false, false, false},
		{Exact, "GET /login", "GET /Login", false, false, false},
	}
	for _, tc := range tests {
		tab := NewTable[int](tc.v)
		if err := tab.Add(tc.a, 1); err != nil {
			t.Fatal(err)
		}
		err := tab.Add(tc.b, 2)
		var vc *VariantConflict
		if got := errors.As(err, &vc); got != tc.conflict {
			t.Errorf("%+v: %q then %q: error %v, want conflict %v", tc.v, tc.a, tc.b, err, tc.conflict)
			continue
		}
		if !tc.conflict {
			if err != nil {
				t.Errorf("%q then %q: %v", tc.a, tc.b, err)
			}
			continue
		}
		if vc.Pattern != tc.b || vc.Other != tc.a || vc.Under.CaseInsensitive != tc.underCase || vc.Under.TrailingSlash != tc.underSlash {
			t.Errorf("%q then %q: %+v", tc.a, tc.b, vc)
		}
		if tab.Len() != 1 {
			t.Errorf("%q then %q: the refused pattern was added", tc.a, tc.b)
		}
		if _, _, ok := tab.Match("GET", "a.test", "/anything-else"); ok {
			t.Errorf("refused pattern matches")
		}
	}
	// A refused pattern leaves ServeMux's validation table untouched too:
	// adding it to an exact table afterwards still works.
	tab := NewTable[int](All)
	_ = tab.Add("GET /login", 1)
	if err := tab.Add("GET /Login", 2); err == nil {
		t.Fatal("conflict accepted")
	}
	if err := tab.Add("GET /login", 3); err == nil || errors.As(err, new(*VariantConflict)) {
		t.Fatalf("duplicate: %v, want ServeMux's conflict", err)
	}
}

// TestVariantTiesDoNotDependOnOrder: when two patterns match a path
// equally specifically, the one matching the path as sent wins, else the
// one that sorts first, whatever the order they were added in.
func TestVariantTiesDoNotDependOnOrder(t *testing.T) {
	pats := []string{"GET /feed", "GET /feed.xml", "GET /Docs/{x}", "GET /docs/{y}/{$}"}
	want := map[string]string{
		"/feed.xml":    "GET /feed.xml",
		"/feed.xml.gz": "GET /feed.xml",
		"/FEED.XML":    "GET /feed.xml",
		"/feed.json":   "GET /feed",
		"/Docs/a":      "GET /Docs/{x}",
	}
	for _, order := range [][]int{{0, 1, 2}, {1, 0, 2}} {
		tab := NewTable[string](All)
		for _, i := range order {
			if err := tab.Add(pats[i], pats[i]); err != nil {
				t.Fatal(err)
			}
		}
		for path, w := range want {
			if _, got, _ := tab.Match("GET", "a.test", path); got != w {
				t.Errorf("order %v, %s: matched %q, want %q", order, path, got, w)
			}
		}
	}
}

func TestVariantMatchDoesNotAllocate(t *testing.T) {
	tab := variantTable(t, All)
	for _, p := range []string{"/api/auth/login", "/API/Auth/Login/", "/api/auth/login.json", "/api/products/42"} {
		if n := testing.AllocsPerRun(100, func() { tab.Match("POST", "a.test", p) }); n != 0 {
			t.Errorf("Match(%q): %v allocations", p, n)
		}
	}
}

// isCleanBytes is the first isClean, the reference for isClean and
// isNormal.
func isCleanBytes(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' && p[i-1] == '/' {
			return false
		}
		if p[i] == '.' && p[i-1] == '/' {
			if i+1 == len(p) || p[i+1] == '/' {
				return false
			}
			if p[i+1] == '.' && (i+2 == len(p) || p[i+2] == '/') {
				return false
			}
		}
	}
	return true
}

// FuzzNormalize checks Normalize's promises on any input: a path that
// starts with a slash, is clean, holds no ';' once path parameters are
// stripped, does not change when normalised again, and is the input
// itself when the input needed nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"/", "", "/api/auth/login;jsessionid=x", "/static/..;/admin", "//a/./b/../c/", "/;", ";", "/a;b;c/d;", "..;/..;/x", "/%2e%2e;/x",
		"/.", "/..", "/a/.", "/a/..", "/a/.b", "/a/..b", "/.a", "/a/", "/a//", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if isClean(p) != isCleanBytes(p) {
			t.Fatalf("isClean(%q) = %v, the reference says %v", p, isClean(p), !isClean(p))
		}
		if want := isCleanBytes(p) && strings.IndexByte(p, ';') < 0; isNormal(p, true) != want {
			t.Fatalf("isNormal(%q, true) = %v, want %v", p, !want, want)
		}
		for _, v := range []Variants{Exact, All, {PathParams: true}} {
			n := v.Normalize(p)
			if n == "" || n[0] != '/' {
				t.Fatalf("%+v: Normalize(%q) = %q: no leading slash", v, p, n)
			}
			if !isClean(n) {
				t.Fatalf("%+v: Normalize(%q) = %q is not clean", v, p, n)
			}
			if v.PathParams && strings.IndexByte(n, ';') >= 0 {
				t.Fatalf("%+v: Normalize(%q) = %q keeps a path parameter", v, p, n)
			}
			if again := v.Normalize(n); again != n {
				t.Fatalf("%+v: Normalize(%q) = %q, then %q", v, p, n, again)
			}
			if isClean(p) && (!v.PathParams || strings.IndexByte(p, ';') < 0) && n != p {
				t.Fatalf("%+v: Normalize(%q) = %q changed a normal path", v, p, n)
			}
		}
	})
}

// variantPaths are clean paths, with what each matches exactly among
// variantPatterns.
var variantPaths = []struct{ method, path string }{
	{"POST", "/api/auth/login"},
	{"POST", "/api/auth/register"},
	{"POST", "/api/auth/logout"},
	{"POST", "/api/ask/openAI"},
	{"POST", "/api/ask/a/b"},
	{"GET", "/api/users/42"},
	{"GET", "/api/users/me"},
	{"GET", "/static/app.js"},
	{"DELETE", "/api/items/9/"},
	{"GET", "/feed"},
	{"GET", "/feed.xml"},
	{"GET", "/other/page"},
}

// FuzzVariantsMatchAsThePath spells a path the ways the variants allow
// (case changed, a trailing slash, path parameters, an extension) and
// checks that a table with every variant matches it as the path itself,
// in both the decoded and the escaped form.
func FuzzVariantsMatchAsThePath(f *testing.F) {
	f.Add(uint8(0), uint64(0b1011), uint8(3), "jsessionid=x", "json")
	f.Add(uint8(6), uint64(0xffff), uint8(0xff), "", "xml")
	f.Add(uint8(8), uint64(1), uint8(1), "v=1;w=2", "")
	all := variantTable(f, All)
	exact := variantTable(f, Exact)
	f.Fuzz(func(t *testing.T, which uint8, upper uint64, ops uint8, param, ext string) {
		base := variantPaths[int(which)%len(variantPaths)]
		_, want, _ := exact.Match(base.method, "a.test", base.path)
		param = strings.NewReplacer("/", "", "?", "", "#", "", "%", "").Replace(param)
		ext = strings.NewReplacer("/", "", "?", "", "#", "", "%", "", ";", "", ".", "").Replace(ext)
		if !utf8.ValidString(param) || !utf8.ValidString(ext) {
			return
		}
		// Change the case of the letters upper selects (ASCII only: the
		// escaped form must stay a valid escape).
		b := []byte(base.path)
		for i := range b {
			if upper&(1<<(i%64)) != 0 && 'a' <= b[i] && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		segs := strings.Split(string(b[1:]), "/")
		last := len(segs) - 1
		if ops&1 != 0 && ext != "" && segs[last] != "" {
			// Unless the name with its extension is a pattern of its
			// own: "/feed" with ".xml" is "/feed.xml".
			if _, other, _ := exact.Match(base.method, "a.test", strings.ToLower(base.path+"."+ext)); strings.Contains(other, ".") && other != want {
				return
			}
			segs[last] += "." + ext
		}
		for i := range segs {
			if ops&(2<<(i%6)) != 0 {
				segs[i] += ";" + param
			}
		}
		p := "/" + strings.Join(segs, "/")
		if ops&0x80 != 0 && !strings.HasSuffix(p, "/") {
			p += "/"
		}
		if _, got, _ := all.Match(base.method, "a.test", p); got != want {
			t.Fatalf("%s %s (from %s): matched %q, want %q", base.method, p, base.path, got, want)
		}
		if _, got, _ := all.Match(base.method, "a.test", p); got != want {
			t.Fatalf("escaped %s %s (from %s): matched %q, want %q", base.method, p, base.path, got, want)
		}
	})
}

// BenchmarkMatchDefaultClasses is the pipeline's lookup with the default
// route classes: a benign request, the login route, and the login route
// spelled another way (the path parameter costs the one allocation).
func BenchmarkMatchDefaultClasses(b *testing.B) {
	for _, v := range []struct {
		name string
		v    Variants
	}{{"exact", Exact}, {"all", All}} {
		tab := NewTable[string](v.v)
		for _, p := range []string{"POST /api/auth/login", "POST /api/auth/register", "POST /api/ask/{rest...}"} {
			if err := tab.Add(p, p); err != nil {
				b.Fatal(err)
			}
		}
		for _, rq := range []struct{ name, method, path string }{
			{"benign", "GET", "/api/products/42"},
			{"login", "POST", "/api/auth/login"},
			{"spelled", "POST", "/API/Auth/Login;jsessionid=x/"},
		} {
			b.Run(v.name+"/"+rq.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					tab.Match(rq.method, "a.test", rq.path)
				}
			})
		}
	}
}

func BenchmarkMatchVariants(b *testing.B) {
	for _, v := range []struct {
		name string
		v    Variants
	}{{"exact", Exact}, {"all", All}} {
		tab := variantTable(b, v.v)
		for _, p := range []string{"/api/products/42", "/api/auth/login", "/API/Auth/Login/"} {
			b.Run(v.name+p, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					tab.Match("POST", "a.test", p)
				}
			})
		}
	}
}

func TestAddReportsServeMuxSyntaxErrors(t *testing.T) {
	for _, v := range []Variants{Exact, All} {
		err := NewTable[int](v).Add("GET nopath", 1)
		if err == nil || strings.Contains(err.Error(), "runtime error") {
			t.Errorf("%+v: %v, want ServeMux's error", v, err)
		}
	}
}
