package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/ratelimit"
)

// loginSpellings are spellings of the default login route that upstream
// frameworks route to its handler: Express and ASP.NET Core ignore case
// and a trailing slash, Tomcat (Spring) strips path parameters and reads
// "..;" as "..", Rails and Spring 5 take a format suffix.
var loginSpellings = []string{
	"/api/auth/login",
	"/API/Auth/Login",
	"/api/auth/login/",
	"/api/auth/login;jsessionid=x",
	"/Api/Auth/Login;JSESSIONID=0F1E/",
	"/api/auth/login.json",
	"/api//auth/./login",
	// A traversal too: the payload and behaviour detectors refuse it
	// before long, on top of the limit.
	"/static/..;/api/auth/login",
}

// frameworkUpstream is an app whose router takes every spelling of
// loginSpellings for its login route, as the frameworks above do together.
// It counts the attempts that reach the login handler, per client. A
// failed login is answered with failStatus: 200 with an error message (as
// many apps do, and what hydra's failure string is for) or 401.
type frameworkUpstream struct {
	secret     string
	mu         sync.Mutex
	failStatus int
	attempts   map[string]int // client (first X-Forwarded-For) → login attempts handled
}

func (u *frameworkUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var segs []string
	for _, s := range strings.Split(p, "/") {
		s, _, _ = strings.Cut(s, ";") // Tomcat: path parameters
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, strings.ToLower(s)) // Express, ASP.NET Core: case
		}
	}
	p = "/" + strings.TrimSuffix(strings.Join(segs, "/"), ".json") // Rails: format
	if r.Method != http.MethodPost || p != "/api/auth/login" {
		io.WriteString(w, "app")
		return
	}
	client, _, _ := strings.Cut(r.Header.Get("X-Forwarded-For"), ",")
	u.mu.Lock()
	u.attempts[client]++
	fail := u.failStatus
	u.mu.Unlock()
	r.ParseForm()
	if r.PostForm.Get("password") == u.secret {
		io.WriteString(w, `{"token":"t0k3n"}`)
		return
	}
	w.WriteHeader(fail)
	io.WriteString(w, `{"message":"Email or password is incorrect"}`)
}

func (u *frameworkUpstream) handled(client string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.attempts[client]
}

// TestServeLimitsLoginSpellings runs a paced password-guessing attack
// (hydra's http-post-form: one guess at a time, form-encoded) through
// `warden serve` with its default configuration against spellings of the
// login route, each from its own client, on an app that answers failed
// logins 200 with a message: every spelling is limited as the route itself
// is (the login limit reaches the app, then 429). A last run rotates
// through the spellings from one client on the app answering 401: together
// they get at most the limit once (the behaviour detector's failed-login
// count, which the spellings no longer dodge either, may stop them
// sooner), and the password, guess limit+5, is never found.
func TestServeLimitsLoginSpellings(t *testing.T) {
	var limit int
	for _, p := range config.Default().RateLimit.Policies {
		if p.Name == ratelimit.PolicyLogin {
			limit = int(p.Limit)
		}
	}
	if limit == 0 {
		t.Fatal("no default login limit")
	}
	up := &frameworkUpstream{secret: "hunter2", failStatus: http.StatusOK, attempts: map[string]int{}}
	app := httptest.NewServer(up)
	defer app.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte("trusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", app.URL, "--data", t.TempDir())

	guess := func(client, path, password string) int {
		t.Helper()
		time.Sleep(15 * time.Millisecond) // paced: one guess at a time, no burst
		body := url.Values{"username": {"admin"}, "password": {password}}.Encode()
		req, err := http.NewRequest("POST", "http://"+s.proxy+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
		req.Header.Set("Accept", "*/*")
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	wordlist := func(n int) []string {
		var w []string
		for i := range n {
			w = append(w, fmt.Sprintf("password%d", i))
		}
		return w
	}

	for i, path := range loginSpellings {
		client := fmt.Sprintf("198.51.100.%d", i+1)
		var codes []int
		for _, pw := range wordlist(limit + 3) {
			codes = append(codes, guess(client, path, pw))
		}
		if strings.Contains(path, "..") {
			if n := up.handled(client); n > limit {
				t.Errorf("%s: %d guesses reached the app, more than the login limit %d (codes %v)", path, n, limit, codes)
			}
			continue
		}
		for j, code := range codes {
			if j < limit && code != http.StatusOK {
				t.Errorf("%s: guess %d answered %d, want the app's answer (codes %v)", path, j+1, code, codes)
			}
			if j == limit && code != http.StatusTooManyRequests {
				t.Errorf("%s: guess %d answered %d, want 429 after the login limit of %d (codes %v)", path, j+1, code, limit, codes)
			}
			if j > limit && code != http.StatusTooManyRequests && code != http.StatusForbidden {
				t.Errorf("%s: guess %d answered %d, want it refused (codes %v)", path, j+1, code, codes)
			}
		}
		if n := up.handled(client); n != limit {
			t.Errorf("%s: %d guesses reached the app, want the login limit %d", path, n, limit)
		}
	}

	// Hydra rotating through the spellings from one address, the password
	// guess limit+5 on its list, the app answering failures 401.
	up.mu.Lock()
	up.failStatus = http.StatusUnauthorized
	up.mu.Unlock()
	client := "198.51.100.200"
	list := append(wordlist(limit+4), up.secret)
	found := false
	for j, pw := range list {
		code := guess(client, loginSpellings[j%len(loginSpellings)], pw)
		if code == http.StatusOK {
			found = true
		}
		if j >= limit && code != http.StatusTooManyRequests && code != http.StatusForbidden {
			t.Errorf("rotating: guess %d (%s) answered %d, want it refused", j+1, loginSpellings[j%len(loginSpellings)], code)
		}
	}
	if found {
		t.Error("rotating spellings found the password past the login limit")
	}
	if n := up.handled(client); n == 0 || n > limit {
		t.Errorf("rotating: %d guesses reached the app across spellings, want at most the login limit %d", n, limit)
	}
}

// TestServeRoutesMatchAsServeMux runs requests whose path holds an escaped
// slash through `warden serve` in front of a Go app: the app's ServeMux
// routes "/api/users/a%2Fb" to "GET /api/users/{id}" (id "a/b"), so the
// route class, and its limit, must apply to it as to "/api/users/7", with
// route_matching's defaults and with every switch off. Another client on
// its own profile is never limited.
func TestServeRoutesMatchAsServeMux(t *testing.T) {
	const limit = 3
	var mu sync.Mutex
	ids := map[string]int{} // id → requests the app's handler ran for
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids[r.PathValue("id")]++
		mu.Unlock()
		io.WriteString(w, "profile")
	})
	app := httptest.NewServer(mux)
	defer app.Close()
	for _, tc := range []struct{ name, matching string }{
		{"defaults", ""},
		{"strict", "route_matching: {case_insensitive: false, ignore_trailing_slash: false, strip_path_params: false, strip_format_suffix: false}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			clear(ids)
			mu.Unlock()
			cfg := filepath.Join(t.TempDir(), "warden.yaml")
			yaml := "trusted_proxies: [127.0.0.1/32]\n" + tc.matching +
				"routes: {profile: [\"GET /api/users/{id}\"]}\n" +
				fmt.Sprintf("ratelimit: {policies: [{name: profile, algorithm: window, limit: %d, window: 1m, key: [ip], classes: [profile]}]}\n", limit)
			if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			s := startServe(t, "--config", cfg, "--upstream", app.URL, "--data", t.TempDir())
			get := func(client, path string) int {
				t.Helper()
				req, _ := http.NewRequest("GET", "http://"+s.proxy+path, nil)
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
				req.Header.Set("Accept", "*/*")
				req.Header.Set("X-Forwarded-For", client)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			for i := range limit + 3 {
				want := http.StatusOK
				if i >= limit {
					want = http.StatusTooManyRequests
				}
				if got := get("203.0.113.7", "/api/users/a%2Fb"); got != want {
					t.Errorf("request %d for /api/users/a%%2Fb: %d, want %d", i+1, got, want)
				}
			}
			for i := range limit {
				if got := get("203.0.113.8", "/api/users/7"); got != http.StatusOK {
					t.Errorf("other client, request %d: %d, want 200", i+1, got)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if ids["a/b"] != limit || ids["7"] != limit {
				t.Errorf("the app ran for %v, want %d each for a/b and 7", ids, limit)
			}
		})
	}
}

// TestServeAIRoutesMatchSpellings: the routes of the ai section match as
// route classes do, so a spelling the upstream routes to an AI route
// (Express and ASP.NET Core ignore case and a trailing slash, Tomcat
// strips ";…") gets that route's checks; valid inputs pass on every
// spelling, and other routes are not checked.
func TestServeAIRoutesMatchSpellings(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer app.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	yaml := "trusted_proxies: [127.0.0.1/32]\n" +
		"ai: {input: {routes: [{route: \"POST /v1/models/{name}/predict\", path: inputs, max_elements: 4, min: 0, max: 1}]}}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", app.URL, "--data", t.TempDir())
	const bad, good = `{"inputs":[0.1,0.2,7,0.4,0.5,0.6]}`, `{"inputs":[0.1,0.2,0.3]}`
	for i, tc := range []struct {
		path, body string
		want       int
	}{
		{"/v1/models/m/predict", bad, http.StatusBadRequest},
		{"/V1/Models/m/Predict", bad, http.StatusBadRequest},
		{"/v1/models/m/predict/", bad, http.StatusBadRequest},
		{"/v1/models/m/predict;jsessionid=x", bad, http.StatusBadRequest},
		{"/V1/MODELS/m/PREDICT/", bad, http.StatusBadRequest},
		{"/v1/models/m/predict", good, http.StatusOK},
		{"/V1/Models/m/Predict/", good, http.StatusOK},
		{"/v1/models/m/explain", bad, http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", "http://"+s.proxy+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)) // one client each: no ban carries over
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST %s %s: %d, want %d", tc.path, tc.body, resp.StatusCode, tc.want)
		}
	}
}
