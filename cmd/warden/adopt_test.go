package main

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// blogApp is a small JSON API like the ones Warden is put in front of
// (json-server, a Go or Express backend): list pages, items, their
// comments and authors, search, posting markdown, sign-up, login and an
// upload. Lists are gzip-compressed when the client accepts it, as
// Express's compression middleware does. Unknown IDs and paths are 404.
type blogApp struct {
	mu    sync.Mutex
	users map[int]string // id → password
	email map[string]int // email → id
	posts int
}

const (
	appPosts    = 100
	appPageSize = 50
	appUsers    = 10
)

func newBlogApp() *blogApp {
	a := &blogApp{users: map[int]string{}, email: map[string]int{}, posts: appPosts}
	for i := 1; i <= appUsers; i++ {
		a.users[i] = "seed-password"
		a.email[fmt.Sprintf("user%d@example.com", i)] = i
	}
	return a
}

type appPost struct {
	ID     int    `json:"id"`
	UserID int    `json:"userId"`
	Title  string `json:"title"`
	Body   string `json:"body"`
}

func postOf(id int) appPost {
	return appPost{ID: id, UserID: (id-1)%appUsers + 1, Title: fmt.Sprintf("Post number %d about Go", id),
		Body: strings.Repeat("Some text of the post, with words in it. ", 6)}
}

func (a *blogApp) handler() http.Handler {
	mux := http.NewServeMux()
	page := func(r *http.Request) []appPost {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		p = max(p, 1)
		var out []appPost
		for id := (p-1)*appPageSize + 1; id <= min(p*appPageSize, appPosts); id++ {
			out = append(out, postOf(id))
		}
		return out
	}
	id := func(r *http.Request, n int) (int, bool) {
		v, err := strconv.Atoi(r.PathValue("id"))
		return v, err == nil && v >= 1 && v <= n
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("<!doctype html><html><head><title>Blog</title><link rel=stylesheet href=\"/static/app.css\"></head><body><ul>\n")
		for _, p := range page(r) {
			fmt.Fprintf(&b, "<li><a href=\"/posts/%d\">%s</a> by <a href=\"/users/%d\">author</a></li>\n", p.ID, html.EscapeString(p.Title), p.UserID)
		}
		b.WriteString("</ul></body></html>")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, b.String())
	})
	mux.HandleFunc("GET /static/app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, "body{font-family:sans-serif}")
	})
	mux.HandleFunc("GET /posts", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, r, page(r)) })
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		if n, ok := id(r, appPosts); ok {
			writeJSON(w, r, postOf(n))
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /posts/{id}/comments", func(w http.ResponseWriter, r *http.Request) {
		n, ok := id(r, appPosts)
		if !ok {
			http.NotFound(w, r)
			return
		}
		var out []map[string]any
		for c := range 3 {
			out = append(out, map[string]any{"id": (n-1)*3 + c + 1, "postId": n, "email": "reader@example.com", "body": "Nice post, thanks!"})
		}
		writeJSON(w, r, out)
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		n := len(a.users)
		a.mu.Unlock()
		if v, ok := id(r, n); ok {
			writeJSON(w, r, map[string]any{"id": v, "name": fmt.Sprintf("User %d", v)})
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /search", func(w http.ResponseWriter, r *http.Request) {
		q := strings.ToLower(r.URL.Query().Get("q"))
		out := []appPost{}
		for id := 1; id <= appPosts && len(out) < 10; id++ {
			if p := postOf(id); strings.Contains(strings.ToLower(p.Title), q) {
				out = append(out, p)
			}
		}
		writeJSON(w, r, map[string]any{"query": q, "results": out})
	})
	mux.HandleFunc("POST /posts", func(w http.ResponseWriter, r *http.Request) {
		var p struct{ Title, Body string }
		if json.NewDecoder(r.Body).Decode(&p) != nil || p.Title == "" {
			http.Error(w, `{"error":"bad post"}`, http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.posts++
		n := a.posts
		a.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, r, map[string]any{"id": n})
	})
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var u struct{ Email, Password string }
		if json.NewDecoder(r.Body).Decode(&u) != nil || u.Email == "" {
			http.Error(w, `{"error":"bad user"}`, http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		n := len(a.users) + 1
		a.users[n], a.email[u.Email] = u.Password, n
		a.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, r, map[string]any{"id": n})
	})
	mux.HandleFunc("POST /api/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var u struct{ Email, Password string }
		json.NewDecoder(r.Body).Decode(&u)
		a.mu.Lock()
		n, ok := a.email[u.Email]
		ok = ok && a.users[n] == u.Password
		a.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"wrong email or password"}`)
			return
		}
		writeJSON(w, r, map[string]any{"token": "t-" + strconv.Itoa(n)})
	})
	mux.HandleFunc("POST /uploads", func(w http.ResponseWriter, r *http.Request) {
		f, h, err := r.FormFile("file")
		if err != nil {
			http.Error(w, `{"error":"no file"}`, http.StatusBadRequest)
			return
		}
		n, _ := io.Copy(io.Discard, f)
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, r, map[string]any{"name": h.Filename, "size": n})
	})
	return mux
}

// writeJSON answers v as JSON, gzip-compressed when the client accepts it.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	b, _ := json.Marshal(v)
	if len(b) > 1024 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(b)
		zw.Close()
		return
	}
	w.Write(b)
}

// adoptServe is `warden serve` with the default configuration, in front of
// a blogApp, trusting 127.0.0.1 so that each client's address is its
// X-Forwarded-For.
func adoptServe(t *testing.T) *running {
	t.Helper()
	up := httptest.NewServer(newBlogApp().handler())
	t.Cleanup(up.Close)
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte("trusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())
}

const chromeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// visitor is one client of the app, from its own address.
type visitor struct {
	t       *testing.T
	proxy   string
	ip      string
	ua      string
	referer string
	blocked []string // requests Warden answered 403 or 429
}

// do sends a request as a browser would (its Accept headers, the page it
// is on as Referer) and reads the answer, decompressed.
func (v *visitor) do(method, path, ct string, body []byte) answer {
	v.t.Helper()
	req, _ := http.NewRequest(method, "http://"+v.proxy+path, bytes.NewReader(body))
	req.Header.Set("User-Agent", v.ua)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	req.Header.Set("X-Forwarded-For", v.ip)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch {
	case path == "/" || strings.HasPrefix(path, "/?"):
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		req.Header.Set("Sec-Fetch-Mode", "navigate")
	default:
		req.Header.Set("Accept", "application/json, text/plain, */*")
		req.Header.Set("Sec-Fetch-Mode", "cors")
	}
	if v.referer != "" {
		req.Header.Set("Referer", v.referer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			v.t.Fatalf("%s %s: %v", method, path, err)
		}
		rd = zr
	}
	b, _ := io.ReadAll(rd)
	a := answer{status: resp.StatusCode, body: b}
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(b, &e)
	a.err = e.Error
	if a.status == 403 || a.status == 429 {
		v.blocked = append(v.blocked, fmt.Sprintf("%s %s: %d %s", method, path, a.status, a.err))
	}
	return a
}

func (v *visitor) get(path string) answer { return v.do("GET", path, "", nil) }

func (v *visitor) postJSON(path string, body any) answer {
	b, _ := json.Marshal(body)
	return v.do("POST", path, "application/json", b)
}

// strongPassword is what a password manager makes.
func strongPassword(t *testing.T) string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b) + "!Aa"
}

// readPage is the browser page of the issue: a list page, then each
// post's comments and author, as the page's script loads them.
func readPage(v *visitor, page int) {
	v.referer = fmt.Sprintf("http://app.example/?page=%d", page)
	a := v.get(fmt.Sprintf("/posts?page=%d", page))
	var posts []appPost
	if err := json.Unmarshal(a.body, &posts); err != nil || len(posts) != appPageSize {
		v.t.Fatalf("list page %d: %d %q", page, a.status, a.body)
	}
	for _, p := range posts {
		v.get(fmt.Sprintf("/posts/%d/comments", p.ID))
		v.get(fmt.Sprintf("/users/%d", p.UserID))
	}
}

// TestAdoptDefaultConfig is the adoption story end to end: `warden serve`
// with its default configuration in front of a small ordinary app. People
// browsing, searching, signing up, logging in, posting and uploading are
// never blocked; a scanner, an enumerator, a credential stuffer and an
// injector are each stopped and banned.
//
// Pacing: the clock is real, so each visitor's session is compressed into
// a burst: one page of 50 posts with each post's comments and author,
// about 100 requests, which is what a browser sends in a second or two.
func TestAdoptDefaultConfig(t *testing.T) {
	s := adoptServe(t)

	t.Run("people browsing", func(t *testing.T) {
		sessions := []struct {
			name string
			run  func(v *visitor)
		}{
			{"reads page 1 with comments and authors", func(v *visitor) {
				readPage(v, 1)
				v.get("/search?q=go")
			}},
			{"reads page 2 with comments and authors", func(v *visitor) {
				v.get("/")
				readPage(v, 2)
			}},
			{"browses the html index and opens every post", func(v *visitor) {
				v.get("/?page=2")
				v.get("/static/app.css")
				v.referer = "http://app.example/?page=2"
				for id := appPageSize + 1; id <= 2*appPageSize; id++ {
					v.get(fmt.Sprintf("/posts/%d", id))
				}
				v.get("/users/3")
			}},
			{"signs up, mistypes the password, logs in, posts and uploads", func(v *visitor) {
				email := "new.reader@example.com"
				pw := strongPassword(v.t)
				if a := v.postJSON("/users", map[string]string{"email": email, "password": pw}); a.status != 201 {
					v.t.Errorf("sign-up: %d %s", a.status, a.body)
				}
				if a := v.postJSON("/api/auth/login", map[string]string{"email": email, "password": pw[:len(pw)-1]}); a.status != 401 {
					v.t.Errorf("wrong password: %d %s", a.status, a.body)
				}
				if a := v.postJSON("/api/auth/login", map[string]string{"email": email, "password": pw}); a.status != 200 {
					v.t.Errorf("login: %d %s", a.status, a.body)
				}
				md := "# Notes on `select`\n\nUse `SELECT id FROM posts WHERE user = ?` with **placeholders**, " +
					"never string concatenation.\n\n```go\nrows, err := db.Query(\"SELECT * FROM t WHERE id = $1\", id)\n```\n\n" +
					"> Don't build queries by hand; escape HTML with `html.EscapeString`.\n\n[docs](https://go.dev/doc/database/sql-injection)\n"
				if a := v.postJSON("/posts", map[string]string{"title": "What I learned about SQL in Go", "body": md}); a.status != 201 {
					v.t.Errorf("posting markdown: %d %s", a.status, a.body)
				}
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				fw, _ := mw.CreateFormFile("file", "holiday.jpg")
				fw.Write(append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0x42, 0x00, 0x17}, 2000)...))
				mw.WriteField("caption", "Me at the beach, 2025")
				mw.Close()
				if a := v.do("POST", "/uploads", mw.FormDataContentType(), b.Bytes()); a.status != 201 {
					v.t.Errorf("upload: %d %s", a.status, a.body)
				}
				for _, q := range []string{"go", "Post number 4", "don't panic", "50% off"} {
					v.get("/search?q=" + url.QueryEscape(q))
				}
				v.get("/posts/4242") // a stale link
			}},
		}
		for i, ss := range sessions {
			t.Run(ss.name, func(t *testing.T) {
				v := &visitor{t: t, proxy: s.proxy, ip: fmt.Sprintf("198.51.100.%d", i+1), ua: chromeUA}
				ss.run(v)
				if len(v.blocked) > 0 {
					t.Errorf("a person was blocked %d times: %s", len(v.blocked), strings.Join(v.blocked, "; "))
				}
			})
		}
	})

	attacks := []struct {
		name, ip, ua string
		skip         string // why the case waits, when it does
		run          func(v *visitor)
	}{
		{"scanner asking for missing paths", "203.0.113.10", chromeUA, "", func(v *visitor) {
			// a content-discovery word list: plain words, none of them a
			// known-sensitive path, each with a few extensions
			for _, w := range []string{"admin", "test", "dev", "old", "new", "tmp", "api2", "beta", "portal", "internal",
				"private", "staff", "manage", "upload", "files", "docs", "data", "stats", "report", "export"} {
				for _, ext := range []string{"", ".php", ".json", ".html", "/"} {
					v.get("/" + w + ext)
				}
			}
		}},
		{"enumerator walking 200 ids", "203.0.113.20", chromeUA, "", func(v *visitor) {
			for id := 1; id <= 200; id++ {
				v.get(fmt.Sprintf("/posts/%d", id))
			}
		}},
		{"credential stuffer", "203.0.113.30", chromeUA, "", func(v *visitor) {
			for i := range 30 {
				v.postJSON("/api/auth/login", map[string]string{"email": fmt.Sprintf("victim%d@example.org", i), "password": "Summer2024!"})
			}
		}},
		{"injector", "203.0.113.40", chromeUA, "", func(v *visitor) {
			for _, p := range []string{"' OR '1'='1", "1 UNION SELECT username, password FROM users--", "<script>alert(document.cookie)</script>",
				"\"><img src=x onerror=alert(1)>", "1; DROP TABLE posts--", "admin'--", "<svg/onload=alert(1)>", "1' AND SLEEP(5)#"} {
				v.get("/search?q=" + url.QueryEscape(p))
				v.postJSON("/posts", map[string]string{"title": "hi", "body": p})
			}
		}},
	}
	for _, at := range attacks {
		t.Run(at.name, func(t *testing.T) {
			if at.skip != "" {
				t.Skip(at.skip)
			}
			v := &visitor{t: t, proxy: s.proxy, ip: at.ip, ua: at.ua}
			at.run(v)
			if len(v.blocked) == 0 {
				t.Fatal("never stopped")
			}
			if a := v.get("/posts?page=1"); a.status != 403 || a.err != "banned" {
				t.Errorf("after the attack: %d %q, want 403 banned (stopped: %s)", a.status, a.err, strings.Join(v.blocked, "; "))
			}
		})
	}
}
