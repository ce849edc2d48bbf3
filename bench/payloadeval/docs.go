package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// docsSet is the set name of the requests built from markdown files
// (-markdown): developer text the detectors were never tuned on.
const docsSet = "docs"

// Categories of the docs set, in report order.
var docsOrder = []string{"post_markdown", "comment", "chat", "search_code"}

const (
	docsSections = 900 // sections sent as posts, comments and chat messages
	docsSearches = 400 // code spans sent as searches
)

// writeDocsRequests walks the markdown files under dir (in lexical order)
// and writes benign requests to w, one JSON line each: sections of at
// most 40 lines as a blog post (JSON), a comment (form) and a chat
// message (OpenAI chat), in turn, and inline code spans as searches.
// Sections are picked evenly over all of them, so the set is the same
// for the same files. Paths naming an attack-payload project (a WAF's
// rule set, libinjection) are left out: their documentation quotes
// working payloads, as devtext's doc_attack_catalog does.
func writeDocsRequests(dir string, w io.Writer) (int, error) {
	var sections []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts of a module cache are skipped
		}
		low := strings.ToLower(path)
		if d.IsDir() || !strings.HasSuffix(low, ".md") || strings.Contains(low, "coraza") || strings.Contains(low, "libinjection") || strings.Contains(low, "coreruleset") {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.Size() < 1500 || fi.Size() > 1<<20 {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		sections = append(sections, markdownSections(string(b))...)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("-markdown: %w", err)
	}
	picked := evenly(sections, docsSections)
	bw := bufio.NewWriter(w)
	n := 0
	emit := func(category, method, uri, ct, body string) {
		n++
		h := map[string]string{"Host": "dev.example.com", "Accept": "application/json",
			"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}
		if ct != "" {
			h["Content-Type"] = ct
		}
		b, _ := json.Marshal(row{ID: fmt.Sprintf("docs-%s-%04d", category, n), Method: method, URI: uri, Headers: h, Body: body, Expect: "benign", Category: category})
		bw.Write(append(b, '\n'))
	}
	var spans []string
	seen := map[string]bool{}
	for i, s := range picked {
		title, _, _ := strings.Cut(s, "\n")
		title = strings.TrimLeft(title, "# ")
		switch i % 3 {
		case 0:
			b, _ := json.Marshal(map[string]string{"title": title, "body": s, "format": "markdown"})
			emit("post_markdown", "POST", "/api/posts", "application/json", string(b))
		case 1:
			emit("comment", "POST", "/wp-comments-post.php", "application/x-www-form-urlencoded", "comment="+url.QueryEscape(s)+"&comment_post_ID=7")
		case 2:
			b, _ := json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": []map[string]string{{"role": "user", "content": "Can you explain this part of the docs?\n\n" + s}}})
			emit("chat", "POST", "/v1/chat/completions", "application/json", string(b))
		}
		for _, c := range codeSpans(s) {
			if !seen[c] {
				seen[c] = true
				spans = append(spans, c)
			}
		}
	}
	for _, c := range evenly(spans, docsSearches) {
		emit("search_code", "GET", "/search?q="+url.QueryEscape(c), "", "")
	}
	return n, bw.Flush()
}

// markdownSections cuts a markdown document at its level 1–3 headings
// and keeps the sections of 3 lines or more, cut to 40 lines.
func markdownSections(doc string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) >= 3 {
			out = append(out, strings.Join(cur[:min(len(cur), 40)], "\n"))
		}
		cur = cur[:0]
	}
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "## ") || strings.HasPrefix(l, "### ") {
			flush()
		}
		if len(cur) > 0 || strings.TrimSpace(l) != "" {
			cur = append(cur, l)
		}
	}
	flush()
	return out
}

// codeSpans returns the inline code spans of s of 3 to 100 bytes.
func codeSpans(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for {
			i := strings.IndexByte(l, '`')
			if i < 0 {
				break
			}
			j := strings.IndexByte(l[i+1:], '`')
			if j < 0 {
				break
			}
			if c := l[i+1 : i+1+j]; len(c) >= 3 && len(c) <= 100 {
				out = append(out, c)
			}
			l = l[i+j+2:]
		}
	}
	return out
}

// evenly returns at most n elements of xs, spread evenly over it.
func evenly[T any](xs []T, n int) []T {
	if len(xs) <= n {
		return xs
	}
	out := make([]T, 0, n)
	for i := range n {
		out = append(out, xs[i*len(xs)/n])
	}
	return out
}

// loadDocs builds the docs set from the markdown under dir.
func loadDocs(dir string, every int) ([]sample, error) {
	f, err := os.CreateTemp("", "payloadeval-docs-*.jsonl")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := writeDocsRequests(dir, f); err != nil {
		return nil, err
	}
	got, _, err := load(source{name: docsSet, path: f.Name(), set: docsSet, byCategory: true}, every)
	return got, err
}

// docsReport prints the docs set per category.
func docsReport(w io.Writer, table map[key]*counts, engines []*engine) {
	in := func(k key) bool { return k.set == docsSet && !k.attack }
	total := sumRows(table, len(engines), in)
	if total.n == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Markdown documentation (docs, -markdown): sections sent as posts, comments and chat messages, inline code as searches; every request is benign. Blocked and flagged as above.")
	fmt.Fprintln(w)
	header(w, []string{"category"}, engines)
	for _, cat := range docsOrder {
		if c := table[key{docsSet, cat, false}]; c != nil {
			line(w, cat, c)
		}
	}
	line(w, "**all docs**", total)
}
