package route

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

var patterns = []string{
	"POST /api/auth/login",
	"POST /api/auth/register",
	"POST /api/ask/{rest...}",
	"GET /api/users/{id}",
	"/api/users/{id}/posts",
	"GET /api/users/me",
	"/static/",
	"GET example.com/special",
	"/{$}",
	"DELETE /api/items/{id}/{$}",
	"/files/{path...}",
}

func buildTable(t testing.TB) (*Table[string], *http.ServeMux) {
	t.Helper()
	tab := NewTable[string](Exact)
	mux := http.NewServeMux()
	for _, p := range patterns {
		if err := tab.Add(p, p); err != nil {
			t.Fatalf("Add(%q): %v", p, err)
		}
		mux.Handle(p, http.NotFoundHandler())
	}
	return tab, mux
}

// TestMatchesServeMux cross-checks Match against ServeMux.Handler on clean
// paths, where ServeMux does not redirect.
func TestMatchesServeMux(t *testing.T) {
	tab, mux := buildTable(t)
	requests := []struct{ method, host, path string }{
		{"POST", "a.test", "/api/auth/login"},
		{"GET", "a.test", "/api/auth/login"},
		{"POST", "a.test", "/api/ask/openAI"},
		{"POST", "a.test", "/api/ask/openAI/deep/er"},
		{"POST", "a.test", "/api/ask/"},
		{"GET", "a.test", "/api/users/42"},
		{"HEAD", "a.test", "/api/users/42"},
		{"GET", "a.test", "/api/users/me"},
		{"PUT", "a.test", "/api/users/me"},
		{"GET", "a.test", "/api/users/42/posts"},
		{"GET", "a.test", "/api/users/42/posts/7"},
		{"GET", "a.test", "/static/app.js"},
		{"GET", "a.test", "/static/"},
		{"GET", "example.com", "/special"},
		{"GET", "example.com:8080", "/special"},
		{"GET", "other.com", "/special"},
		{"GET", "a.test", "/"},
		{"GET", "a.test", "/nothing"},
		{"DELETE", "a.test", "/api/items/9/"},
		{"DELETE", "a.test", "/api/items/9/x"},
		{"GET", "a.test", "/files/a/b/c.txt"},
		{"GET", "a.test", "/files/"},
	}
	for _, rq := range requests {
		r := httptest.NewRequest(rq.method, "http://"+rq.host+rq.path, nil)
		_, want := mux.Handler(r)
		if _, known := tab.index(want); !known {
			want = "" // ServeMux reports 404/405/redirect targets that are not patterns
		}
		_, got, _ := tab.Match(rq.method, rq.host, rq.path)
		if got != want {
			t.Errorf("%s %s%s: matched %q, ServeMux %q", rq.method, rq.host, rq.path, got, want)
		}
	}
}

func (t *Table[T]) index(pattern string) (int, bool) {
	for i, e := range t.entries {
		if e.pattern == pattern {
			return i, true
		}
	}
	return -1, false
}

func TestUncleanPathsMatchTheirCleanForm(t *testing.T) {
	tab, _ := buildTable(t)
	for path, want := range map[string]string{
		"/api//auth/login":          "POST /api/auth/login",
		"/api/x/../auth/login":      "POST /api/auth/login",
		"/api/./auth/login":         "POST /api/auth/login",
		"//api/auth/login":          "POST /api/auth/login",
		"/api/auth/login/.":         "POST /api/auth/login",
		"/api/ask//openAI":          "POST /api/ask/{rest...}",
		"/static/../api/auth/login": "POST /api/auth/login",
	} {
		if _, got, _ := tab.Match("POST", "a.test", path); got != want {
			t.Errorf("%s: matched %q, want %q", path, got, want)
		}
	}
}

func TestAddRejectsBadAndConflicting(t *testing.T) {
	tab := NewTable[int](Exact)
	if err := tab.Add("GET /a/{x}/b", 1); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"GET /a/{y}/b", "GET /a/{", ""} {
		if err := tab.Add(p, 2); err == nil {
			t.Errorf("Add(%q) accepted", p)
		}
	}
	if tab.Len() != 1 {
		t.Fatalf("Len %d after rejected adds", tab.Len())
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/", "/api/auth/login", "//..//.", "/files/%2e%2e/", "/api/users/1/posts", ""} {
		f.Add("GET", s)
	}
	tab, _ := buildTable(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		tab.Match(method, "a.test", path) // must not panic
	})
}

func BenchmarkMatch(b *testing.B) {
	tab, mux := buildTable(b)
	r := httptest.NewRequest("GET", "/api/users/42", nil)
	b.Run("route", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tab.Match("GET", "a.test", "/api/users/42")
		}
	})
	all := NewTable[string](All)
	for _, p := range patterns {
		if err := all.Add(p, p); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("route-variants", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			all.Match("GET", "a.test", "/api/users/42")
		}
	})
	b.Run("servemux", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mux.Handler(r)
		}
	})
}

// TestEscapedMatchesServeMux cross-checks Match against
// ServeMux.Handler on escaped paths: ServeMux splits the escaped path at
// its slashes and unescapes each segment, so "%2F" does not separate
// segments and "%61" is an "a".
func TestEscapedMatchesServeMux(t *testing.T) {
	pats := append([]string{"GET /docs/a%2Fb", "GET /items/{id}", "GET /items/{id}/edit", "POST /caf%C3%A9/menu"}, patterns...)
	tab := NewTable[string](Exact)
	mux := http.NewServeMux()
	for _, p := range pats {
		if err := tab.Add(p, p); err != nil {
			t.Fatalf("Add(%q): %v", p, err)
		}
		mux.Handle(p, http.NotFoundHandler())
	}
	for _, rq := range []struct{ method, path string }{
		{"GET", "/items/a%2Fb"},
		{"GET", "/items/a%2Fb/edit"},
		{"GET", "/items/a/b"},
		{"GET", "/docs/a%2Fb"},
		{"GET", "/docs/a%2fb"},
		{"GET", "/docs/a/b"},
		{"GET", "/%64ocs/a%2Fb"},
		{"POST", "/api/auth/%6Cogin"},
		{"POST", "/api/auth%2Flogin"},
		{"GET", "/api/users/%31"},
		{"GET", "/api/users/1%2F2/posts"},
		{"POST", "/caf%C3%A9/menu"},
		{"POST", "/caf%c3%a9/menu"},
		{"GET", "/files/%2e%2e/x"},
		{"POST", "/api/ask/a%2F..%2F..%2Fb"},
	} {
		r := httptest.NewRequest(rq.method, "http://a.test"+rq.path, nil)
		_, want := mux.Handler(r)
		if _, known := tab.index(want); !known {
			want = ""
		}
		_, got, _ := tab.Match(rq.method, "a.test", r.URL.EscapedPath())
		if got != want {
			t.Errorf("%s %s: matched %q, ServeMux %q", rq.method, rq.path, got, want)
		}
	}
}

func FuzzMatchEscapedNoPanic(f *testing.F) {
	for _, s := range []string{"/", "/items/a%2Fb", "/docs/a%2", "/%", "/api/users/%31"} {
		f.Add("GET", s)
	}
	tab, _ := buildTable(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		tab.Match(method, "a.test", path) // must not panic
	})
}
