package behavior

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

func scanAll(kind uint8, body string, split int) []uint32 {
	var s idScanner
	s.reset(kind)
	if split <= 0 || split >= len(body) {
		s.feed([]byte(body))
	} else {
		s.feed([]byte(body[:split]))
		s.feed([]byte(body[split:]))
	}
	out := slices.Clone(s.ids[:s.n])
	slices.Sort(out)
	return out
}

func TestIDScanner(t *testing.T) {
	tests := []struct {
		name string
		kind uint8
		body string
		want []uint32
	}{
		{"json list", kindJSON, `[{"id":1,"userId":7,"title":"a"},{"id": 2, "userId" : 8}]`, []uint32{1, 2, 7, 8}},
		{"quoted and snake", kindJSON, `{"user_id":"42","post-id":9,"ID":3,"authorID":11}`, []uint32{3, 9, 11, 42}},
		{"not ids", kindJSON, `{"paid":5,"valid":6,"count":7,"id":1.5,"id":"12a","id":-3,"page":2}`, nil},
		{"escaped key in a string", kindJSON, `{"query":"\"id\":5","results":[]}`, nil},
		{"html links", kindHTML, `<a href="/posts/12">x</a><img src="/users/7/avatar"><a href="/search?id=99">s</a><a title="/posts/5">`, []uint32{7, 12}},
		{"html ignores text", kindHTML, `<p>see /posts/3 and post 4</p>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := scanAll(tt.kind, tt.body, 0)
			if !slices.Equal(whole, tt.want) {
				t.Fatalf("ids %v, want %v", whole, tt.want)
			}
			// an ID cut by a write boundary is found all the same
			for i := 1; i < len(tt.body); i++ {
				if got := scanAll(tt.kind, tt.body, i); !slices.Equal(got, tt.want) {
					t.Fatalf("split at %d: ids %v, want %v", i, got, tt.want)
				}
			}
		})
	}
}

// FuzzIDScanner: a body fed in two writes shows no ID the whole body does
// not.
func FuzzIDScanner(f *testing.F) {
	f.Add(`[{"id":1,"userId":7}]`, 5, true)
	f.Add(`<a href="/posts/12">`, 9, false)
	f.Fuzz(func(t *testing.T, body string, split int, json bool) {
		kind := kindHTML
		if json {
			kind = kindJSON
		}
		if len(body) > 4096 {
			return
		}
		whole := scanAll(kind, body, 0)
		if len(whole) == shownPerAnswer {
			return // capped: which IDs are kept depends on the order found
		}
		for _, id := range scanAll(kind, body, split) {
			if !slices.Contains(whole, id) {
				t.Fatalf("split at %d found %d, the whole body %v", split, id, whole)
			}
		}
	})
}

func TestShownSketch(t *testing.T) {
	var s shownSketch
	const key = 0x1234
	for id := range uint32(60) {
		s.add(id+1, key)
	}
	for id := range uint32(60) {
		if !s.has(id+1, key) {
			t.Fatalf("id %d added but not found", id+1)
		}
	}
	// A client served thousands of IDs keeps the latest and a bounded
	// false-positive rate.
	for id := range uint32(5000) {
		s.add(100_000+id, key)
	}
	for id := uint32(5000 - 117); id < 5000; id++ {
		if !s.has(100_000+id, key) {
			t.Fatalf("recent id %d lost", 100_000+id)
		}
	}
	fp := 0
	for id := range uint32(10_000) {
		if s.has(1_000_000+id, key) {
			fp++
		}
	}
	if fp > 1500 {
		t.Fatalf("%d of 10000 never-shown ids look shown", fp)
	}
	t.Logf("false positives: %d of 10000", fp)
}

// site drives a Detector as the pipeline does: Detect, WrapResponse for
// forwarded requests, the answer, Observe.
type site struct {
	t   *testing.T
	d   *Detector
	at  time.Duration
	ip  string
	blk int // requests blocked
	fs  map[string]bool
}

func newSite(t *testing.T, ip string) *site {
	return &site{t: t, d: newDet(t, nil), ip: ip, fs: map[string]bool{}}
}

// get sends GET path; the answer is status, with body of content type ct
// and encoding enc when the request is let through.
func (s *site) get(path string, status int, ct, enc string, body []byte) {
	p, q, _ := strings.Cut(path, "?")
	r := ev{at: s.at, ip: s.ip, path: p, query: q}.request()
	s.at += 250 * time.Millisecond // 40 requests in 10 s: under flood
	v := s.d.Detect(context.Background(), r)
	for _, f := range s.d.Findings(r, nil) {
		s.fs[f.Scenario] = true
	}
	if v.Action == abuse.Block {
		s.blk++
		s.d.Observe(r, abuse.Outcome{Status: 403, Action: v.Action})
		return
	}
	rec := httptest.NewRecorder()
	w := s.d.WrapResponse(rec, r)
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if enc != "" {
		w.Header().Set("Content-Encoding", enc)
	}
	w.WriteHeader(status)
	for len(body) > 0 { // in pieces, as a proxy copies
		n := min(len(body), 700)
		w.Write(body[:n])
		body = body[n:]
	}
	s.d.Observe(r, abuse.Outcome{Status: status, Action: v.Action})
}

// listJSON is a page of posts with ids from..to and one author each.
func listJSON(from, to int, author func(id int) int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for id := from; id <= to; id++ {
		if id > from {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"userId":%d,"title":"Post %d","body":"%s"}`, id, author(id), id, strings.Repeat("lorem ipsum ", 20))
	}
	b.WriteString("]")
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

const ctJSON = "application/json; charset=utf-8"

func TestEnumerationShown(t *testing.T) {
	ownAuthor := func(id int) int { return 1000 + id } // 50 distinct authors
	page := listJSON(1, 50, ownAuthor)
	readPage := func(s *site) {
		for id := 1; id <= 50; id++ {
			s.get(fmt.Sprintf("/posts/%d/comments", id), 200, ctJSON, "", []byte(`[{"id":1,"postId":1}]`))
			s.get(fmt.Sprintf("/users/%d", ownAuthor(id)), 200, ctJSON, "", []byte(`{"id":1}`))
		}
	}
	tests := []struct {
		name      string
		run       func(s *site)
		wantEnum  bool
		wantBlock bool
	}{
		{"page of 50 with comments and authors", func(s *site) {
			s.get("/posts?page=1", 200, ctJSON, "", page)
			readPage(s)
		}, false, false},
		{"json-server pagination", func(s *site) {
			s.get("/posts?_page=1&_limit=50", 200, ctJSON, "", page)
			readPage(s)
		}, false, false},
		{"the same page gzip-compressed", func(s *site) {
			s.get("/posts?page=1", 200, ctJSON, "gzip", gz(page))
			readPage(s)
		}, false, false},
		{"html index linking the posts", func(s *site) {
			var b strings.Builder
			for id := 1; id <= 50; id++ {
				fmt.Fprintf(&b, `<li><a href="/posts/%d">p</a> <a href="/users/%d">a</a>`, id, ownAuthor(id))
			}
			s.get("/", 200, "text/html", "", []byte(b.String()))
			readPage(s)
		}, false, false},
		{"without the list, the same requests are a walk", readPage, true, true},
		{"list not read when brotli-compressed", func(s *site) {
			s.get("/posts?page=1", 200, ctJSON, "br", page)
			readPage(s)
		}, true, true},
		{"list not read when it failed", func(s *site) {
			s.get("/posts?page=1", 500, ctJSON, "", page)
			readPage(s)
		}, true, true},
		{"an item's answer is no list", func(s *site) {
			s.get("/posts/1/related", 200, ctJSON, "", page)
			readPage(s)
		}, true, true},
		{"search echoing the query shows nothing", func(s *site) {
			s.get(`/search?q="id":5`, 200, ctJSON, "", []byte(`{"query":"\"id\":5","results":[]}`))
			for id := 1; id <= 30; id++ {
				s.get(fmt.Sprintf("/invoices/%d", id), 200, ctJSON, "", []byte(`{}`))
			}
		}, true, true},
		{"walking far past the page shown", func(s *site) {
			s.get("/posts?page=1", 200, ctJSON, "", listJSON(1, 20, func(int) int { return 1 }))
			for id := 1; id <= 200; id++ {
				s.get(fmt.Sprintf("/posts/%d", id), 200, ctJSON, "", []byte(`{}`))
			}
		}, true, true},
		{"shown ids that are refused still count", func(s *site) {
			s.get("/posts?page=1", 200, ctJSON, "", page)
			for id := 1; id <= 50; id++ {
				s.get(fmt.Sprintf("/posts/%d/private", id), 403, ctJSON, "", []byte(`{"error":"forbidden"}`))
			}
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, "203.0.113.9")
			tt.run(s)
			if s.fs[IDEnumeration] != tt.wantEnum || (s.blk > 0) != tt.wantBlock {
				t.Fatalf("id_enumeration %v, %d blocked (findings %v); want %v, blocked %v", s.fs[IDEnumeration], s.blk, s.fs, tt.wantEnum, tt.wantBlock)
			}
		})
	}
}

// TestEnumerationShownBlockedAfterPage: the walk past a page of 20 is
// stopped soon after the page, not before it ends.
func TestEnumerationShownBlockedAfterPage(t *testing.T) {
	s := newSite(t, "203.0.113.9")
	s.get("/posts?page=1", 200, ctJSON, "", listJSON(1, 20, func(int) int { return 1 }))
	first := 0
	for id := 1; id <= 200 && first == 0; id++ {
		s.get(fmt.Sprintf("/posts/%d", id), 200, ctJSON, "", []byte(`{}`))
		if s.blk > 0 {
			first = id
		}
	}
	if first <= 20 || first > 20+DefaultConfig().Enumeration.Sequential+2 {
		t.Fatalf("first blocked at id %d, want just past the 20 shown", first)
	}
}

// TestWrapResponsePassesThrough: the wrapper changes nothing of the
// answer and other requests are not wrapped.
func TestWrapResponsePassesThrough(t *testing.T) {
	d := newDet(t, nil)
	for _, tt := range []struct {
		method, path string
		wrapped      bool
	}{
		{"GET", "/posts", true},
		{"GET", "/posts/3", false},
		{"POST", "/posts", false},
		{"GET", "/static/app.js", false},
	} {
		r := ev{method: tt.method, path: tt.path}.request()
		d.Detect(context.Background(), r)
		rec := httptest.NewRecorder()
		w := d.WrapResponse(rec, r)
		if got := w != http.ResponseWriter(rec); got != tt.wrapped {
			t.Errorf("%s %s: wrapped %v, want %v", tt.method, tt.path, got, tt.wrapped)
		}
		w.Header().Set("Content-Type", ctJSON)
		w.WriteHeader(201)
		w.Write([]byte(`[{"id":4}]`))
		if rec.Code != 201 || rec.Body.String() != `[{"id":4}]` {
			t.Errorf("%s %s: answer %d %q", tt.method, tt.path, rec.Code, rec.Body)
		}
		d.Observe(r, abuse.Outcome{Status: 201})
	}
	for i := range d.shard {
		if n := len(d.shard[i].resp); n != 0 {
			t.Fatalf("shard %d keeps %d wrappers after Observe", i, n)
		}
	}
}

// BenchmarkListAnswer is the added work of a list answer: the wrapper,
// the scan of a 50-item page (about 15 KB of JSON) and adding its IDs.
func BenchmarkListAnswer(b *testing.B) {
	for _, enc := range []string{"", "gzip"} {
		b.Run("encoding="+enc, func(b *testing.B) {
			d := newDet(b, nil)
			body := listJSON(1, 50, func(id int) int { return 1000 + id })
			if enc == "gzip" {
				body = gz(body)
			}
			r := ev{path: "/posts", query: "page=2"}.request()
			rec := httptest.NewRecorder()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				r.Time = r.Time.Add(time.Second)
				d.Detect(context.Background(), r)
				rec.Body.Reset()
				w := d.WrapResponse(rec, r)
				w.Header().Set("Content-Type", ctJSON)
				w.Header().Set("Content-Encoding", enc)
				w.WriteHeader(200)
				w.Write(body)
				d.Observe(r, abuse.Outcome{Status: 200})
			}
		})
	}
}
