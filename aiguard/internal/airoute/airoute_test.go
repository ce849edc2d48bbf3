package airoute

import (
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/route"
)

// TestRoutePattern: an ai route matches as route classes do, as ServeMux
// routes the path and, under route_matching (every variant by default),
// its other spellings.
func TestRoutePattern(t *testing.T) {
	for _, tc := range []struct {
		pat, method, path string
		exact, all        bool
	}{
		{"POST /v1/chat/completions", "POST", "/v1/chat/completions", true, true},
		{"POST /v1/chat/completions", "GET", "/v1/chat/completions", false, false},
		{"POST /v1/chat/completions", "POST", "/V1/Chat/Completions/", false, true},
		{"POST /v1/chat/completions", "POST", "/v1/chat/completions;x", false, true},
		{"POST /v1/chat/completions", "POST", "/v1/chat/completions.json", false, true},
		{"POST /v1/chat/completions", "POST", "/v1//chat/./completions", true, true},
		{"POST /v1/chat/completions", "POST", "/v1/chat/%63ompletions", true, true},
		{"POST /v1/chat/completions", "POST", "/v1/chat/completionsx", false, false},
		{"/v1/models/{name}/predict", "POST", "/v1/models/a/predict", true, true},
		{"/v1/models/{name}/predict", "POST", "/v1/models/a%2Fb/predict", true, true},
		{"/v1/models/{name}/predict", "POST", "/v1/models//predict", false, false},
		{"/v1/models/{name}/predict", "POST", "/v1/models/a/predict/x", false, false},
		{"POST /api/ask/{rest...}", "POST", "/api/ask/openAI", true, true},
		{"POST /api/ask/{rest...}", "POST", "/API/ask/openAI", false, true},
		{"/api/", "GET", "/api/x/y", true, true},
		{"/api/", "GET", "/api", true, true}, // ServeMux redirects it to /api/
		{"/", "GET", "/anything", true, true},
		{"GET /x", "HEAD", "/x", true, true},
		{"GET h.test/x", "GET", "/x", false, false},
	} {
		for _, v := range []struct {
			name string
			v    route.Variants
			want bool
		}{{"exact", route.Exact, tc.exact}, {"all", route.All, tc.all}} {
			rp, err := New(tc.pat, v.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := rp.Match(&abuse.Request{Method: tc.method, Host: "a.test", Path: tc.path}); got != v.want {
				t.Errorf("%s: %q vs %s %s = %v, want %v", v.name, tc.pat, tc.method, tc.path, got, v.want)
			}
		}
	}
	rp, _ := New("POST /p/{id}", route.Exact)
	if !rp.Match(&abuse.Request{Route: "POST /p/{id}", Method: "PUT", Path: "/zzz"}) {
		t.Error("the pipeline's matched route should win")
	}
	if err := Check("GET /a/{x}/{x}"); err == nil {
		t.Error("a pattern ServeMux refuses was accepted")
	}
}
