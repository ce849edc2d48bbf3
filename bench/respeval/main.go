// Command respeval streams benign developer text (the devtext corpus:
// chat questions with code, blog posts, forum comments, documentation)
// through the response guard as if a model had answered it, and counts
// what the guard would do: a benign answer that is redacted or cut is a
// false positive. It prints counts per finding type and category.
//
//	go run ./respeval -corpus ../../shared/corpus
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/response"
)

func main() {
	corpus := flag.String("corpus", "../../shared/corpus", "the shared corpus directory")
	flag.BoolVar(&show, "show", false, "print the text around each redaction")
	file := flag.String("file", "devtext/requests.jsonl", "the corpus file: devtext/requests.jsonl (bodies) or devtext/prompts.jsonl (texts)")
	flag.Parse()
	if err := run(filepath.Join(*corpus, *file)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var show bool

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg := response.DefaultConfig()
	cfg.Canary = "wdn-canary-7f3a9c1e"
	cfg.RendersMarkdown = true
	g, err := response.New(cfg, response.Options{})
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	type tally struct{ n, changed int }
	byCat := map[string]*tally{}
	byFinding := map[string]int{}
	var total, changed int
	var examples []string
	for sc.Scan() {
		var r struct {
			ID, Category, Body, Text, Label string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		text := r.Body
		if r.Text != "" {
			if r.Label != "benign" {
				continue
			}
			text = r.Text
		}
		if text == "" {
			continue
		}
		stream := sse(text)
		rec := httptest.NewRecorder()
		w := g.WrapResponse(rec, &abuse.Request{Class: "message"})
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.Write([]byte(stream))
		vs := w.(abuse.ResponseFinisher).FinishResponse()
		t := byCat[r.Category]
		if t == nil {
			t = &tally{}
			byCat[r.Category] = t
		}
		t.n++
		total++
		if rec.Body.String() != stream {
			t.changed++
			changed++
			if show {
				got := clientText(rec.Body.String())
				if p := strings.Index(got, "[redacted]"); p >= 0 {
					fmt.Printf("%s: %q >>> %q\n", r.ID, text[max(p-25, 0):p], text[p:min(p+30, len(text))])
				}
			}
			if len(examples) < 10 {
				examples = append(examples, r.ID+": "+vs[0].Messages[0])
			}
		}
		for _, v := range vs {
			byFinding[v.Messages[0][len("response: "):strings.Index(v.Messages[0], " in the answer")]]++
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Printf("benign texts streamed as answers: %d; changed (redacted or cut): %d (%.2f%%)\n", total, changed, 100*float64(changed)/float64(total))
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		fmt.Printf("  %-24s %5d answers, %4d changed\n", c, byCat[c].n, byCat[c].changed)
	}
	fmt.Println("findings (answers with at least one), by type and action:")
	keys := make([]string, 0, len(byFinding))
	for k := range byFinding {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %-40s %5d\n", k, byFinding[k])
	}
	fmt.Println("first changed answers:")
	for _, e := range examples {
		fmt.Println("  " + e)
	}
	return nil
}

// sse is text as an OpenAI stream of 4-byte deltas.
func sse(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i += 4 {
		q, _ := json.Marshal(text[i:min(i+4, len(text))])
		b.WriteString(`data: {"choices":[{"index":0,"delta":{"content":` + string(q) + `}}]}` + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

var _ http.ResponseWriter = httptest.NewRecorder()

// clientText is the text a client reads from an OpenAI stream.
func clientText(body string) string {
	var b strings.Builder
	for _, ev := range strings.Split(body, "\n\n") {
		d, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			continue
		}
		var v struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if json.Unmarshal([]byte(d), &v) == nil {
			for _, c := range v.Choices {
				b.WriteString(c.Delta.Content)
			}
		}
	}
	return b.String()
}
