package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/server"
)

type userKey struct{}

// auth stands for the app's own auth middleware: it puts the signed-in
// user in the request context.
func auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-Test-User"); u != "" {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

// TestReadmeMiddlewareExamples mirrors the README's "In a Go app
// (middleware)" examples: warden.New with UserFunc reading what the auth
// middleware set, placed after auth; server.New with its AdminHandler on
// a second listener. Attacks are blocked, ordinary requests pass, and
// the admin API answers only with its token.
func TestReadmeMiddlewareExamples(t *testing.T) {
	app := http.NewServeMux()
	app.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })

	cfg := config.Default()
	cfg.UserFunc = func(r *http.Request) string {
		u, _ := r.Context().Value(userKey{}).(string)
		return u
	}
	g, err := warden.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(context.Background())
	lib := httptest.NewServer(auth(g.Handler(app))) // auth first, then Warden
	defer lib.Close()

	cfg2 := config.Default()
	cfg2.DataDir = t.TempDir()
	s, err := server.New(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	adm, tokenFile, err := s.AdminHandler()
	if err != nil {
		t.Fatal(err)
	}
	full := httptest.NewServer(auth(s.Handler(app)))
	defer full.Close()
	admin := httptest.NewServer(adm)
	defer admin.Close()

	get := func(base, path string, h map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		req.Header.Set("Accept", "application/json")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	attack := "/search?q=" + url.QueryEscape("1' UNION SELECT password FROM users--")
	for _, base := range []string{lib.URL, full.URL} {
		if c := get(base, "/search?q=blue+shoes", map[string]string{"X-Test-User": "alice"}); c != 200 {
			t.Errorf("%s: ordinary request got %d", base, c)
		}
		if c := get(base, attack, nil); c != 403 {
			t.Errorf("%s: attack got %d", base, c)
		}
	}
	if c := get(admin.URL, "/api/v1/bans", nil); c != 401 {
		t.Errorf("admin API without token: %d", c)
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatalf("token source %q: %v", tokenFile, err)
	}
	if c := get(admin.URL, "/api/v1/bans", map[string]string{"Authorization": "Bearer " + strings.TrimSpace(string(tok))}); c != 200 {
		t.Errorf("admin API with the token: %d", c)
	}
}
