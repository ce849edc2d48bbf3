// Package promptdata reads the labelled prompt corpus (the shared
// prompt-injection and devtext prompt sets, plus the project's own seed
// sentences) for the prompt-model trainer and bench/prompteval, and names
// each record's source for leave-one-source-out evaluation.
package promptdata

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/warden-dev/warden/aiguard/promptmodel"
)

// Record is one corpus line.
type Record struct {
	Text     string `json:"text"`
	Label    string `json:"label"`
	Source   string `json:"source"`
	Category string `json:"category"`
}

// Attack reports whether r is labelled an injection.
func (r Record) Attack() bool { return r.Label == "injection" }

// seed holds the project's own sentences (written for it, not taken from
// any corpus): instruction overrides, secret extraction and
// developer-impersonation in a dozen languages, and benign sentences that
// use the same trigger words.
//
//go:embed seed.jsonl
var seed []byte

// SeedSource is the Source of the seed records.
const SeedSource = "warden:seed"

// Seed returns the seed records.
func Seed() ([]Record, error) {
	return read(bytes.NewReader(seed), "seed.jsonl")
}

// chat holds the project's own general-chat requests (cooking, travel,
// writing, homework, benign role-play; in a dozen languages), written for
// it: without them the only general chat on the benign side is WildGuard,
// and held out the model takes any ordinary prose for an attack.
//
//go:embed chat.jsonl
var chatSeed []byte

// ChatSource is the Source of the chat records.
const ChatSource = "warden:chat"

// Chat returns the general-chat records.
func Chat() ([]Record, error) {
	return read(bytes.NewReader(chatSeed), "chat.jsonl")
}

// framing holds the project's own framed prompts, written for it: role-play,
// personas, stories with villains and spies, games, hypotheticals, tutoring,
// debate and "act as a terminal" requests in a dozen languages, most with
// harmless goals and some carrying an injection goal (reveal the system
// prompt or a key, override the operator, drop the safety rules, send data
// away) in the same framings. Without them framing appears only on the
// attack side (JailbreakBench) and, held out, the model takes WildGuard's
// benign role-play for an attack: the framed attacks teach it the goal,
// not the framing.
//
//go:embed framing.jsonl
var framingSeed []byte

// FramingSource is the Source of the framing records.
const FramingSource = "warden:framing"

// Framing returns the framed-prompt records.
func Framing() ([]Record, error) {
	return read(bytes.NewReader(framingSeed), "framing.jsonl")
}

// Own returns the project's own records: the seed, the chat set, then the
// framing set.
func Own() ([]Record, error) {
	var out []Record
	for _, f := range []func() ([]Record, error){Seed, Chat, Framing} {
		rs, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// OwnGroup reports whether a Group names one of the project's own sets,
// which are trained on but left out of the pooled figures.
func OwnGroup(g string) bool {
	return g == "seed" || g == "chat" || g == "framing"
}

// Files are the corpus files the model is trained on, relative to the
// corpus root.
var Files = []string{
	"prompt-injection/injecguard.jsonl",
	"prompt-injection/jailbreakbench_artifacts.jsonl",
	"devtext/prompts.jsonl",
}

// Requests is the devtext request set, relative to the corpus root: every
// request is legitimate developer text (chat questions with code, blog
// posts, wiki pages, comments, searches, snippets), benign examples beyond
// the benign prompts.
const Requests = "devtext/requests.jsonl"

// requestSource prefixes the Source of the records read from Requests.
const requestSource = "devtext-requests:"

// LoadCorpus reads Files and Requests under root, then the project's own
// records (Own).
func LoadCorpus(root string) ([]Record, error) {
	var recs []Record
	for _, f := range Files {
		rs, err := LoadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		recs = append(recs, rs...)
	}
	rs, err := LoadRequests(filepath.Join(root, Requests))
	if err != nil {
		return nil, err
	}
	recs = append(recs, rs...)
	s, err := Own()
	if err != nil {
		return nil, err
	}
	return append(recs, s...), nil
}

// LoadFile reads one JSON Lines file.
func LoadFile(name string) ([]Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening corpus: %w", err)
	}
	defer f.Close()
	return read(f, filepath.Base(name))
}

// LoadRequests reads the devtext request set as benign records: the text
// of each request is the string values of its JSON body, form or query
// (identifiers such as the model name left out).
func LoadRequests(name string) ([]Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening corpus: %w", err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		var req struct {
			URI      string `json:"uri"`
			Body     string `json:"body"`
			Category string `json:"category"`
			Source   string `json:"source"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", filepath.Base(name), line, err)
		}
		var parts []string
		var doc any
		switch {
		case req.Body == "":
			if _, q, ok := strings.Cut(req.URI, "?"); ok {
				parts = formValues(q)
			}
		case json.Unmarshal([]byte(req.Body), &doc) == nil:
			parts = jsonStrings(parts, "", doc)
		default:
			parts = formValues(req.Body)
		}
		if text := strings.TrimSpace(strings.Join(parts, "\n\n")); text != "" {
			recs = append(recs, Record{Text: text, Label: "benign", Source: requestSource + req.Source, Category: req.Category})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Base(name), err)
	}
	return recs, nil
}

// skipKeys name the fields of a request that hold identifiers, not text.
var skipKeys = map[string]bool{"model": true, "endpoint": true, "role": true, "format": true, "visibility": true,
	"file_path": true, "page": true, "path": true, "scope": true, "stream": true}

func formValues(q string) []string {
	vs, err := url.ParseQuery(q)
	if err != nil {
		return nil
	}
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if !skipKeys[k] {
			out = append(out, vs[k]...)
		}
	}
	return out
}

func jsonStrings(out []string, key string, v any) []string {
	switch v := v.(type) {
	case string:
		if !skipKeys[key] && v != "" {
			out = append(out, v)
		}
	case []any:
		for _, e := range v {
			out = jsonStrings(out, key, e)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = jsonStrings(out, k, v[k])
		}
	}
	return out
}

func read(r io.Reader, name string) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if rec.Label != "injection" && rec.Label != "benign" {
			return nil, fmt.Errorf("%s:%d: label %q is neither injection nor benign", name, line, rec.Label)
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return recs, nil
}

// Group names the upstream source of r for leave-one-source-out: the
// dataset (NotInject, wildguard, BIPIA text and code together), the
// JailbreakBench attack method, for devtext prompts the upstream repository
// (the four repositories of security documentation passages are one group,
// security_code_question), the seed, the chat and the framing sets.
func Group(r Record) string {
	switch r.Source {
	case SeedSource:
		return "seed"
	case ChatSource:
		return "chat"
	case FramingSource:
		return "framing"
	}
	if strings.HasPrefix(r.Source, requestSource) {
		return "devtext-requests/" + r.Category
	}
	_, path, _ := strings.Cut(r.Source, ":")
	if i := strings.Index(path, "attack-artifacts/"); i >= 0 {
		m, _, _ := strings.Cut(path[i+len("attack-artifacts/"):], "/")
		return "jailbreakbench/" + m
	}
	if i := strings.Index(path, "datasets/"); i >= 0 {
		f := strings.TrimSuffix(path[i+len("datasets/"):], ".json")
		switch {
		case strings.HasPrefix(f, "NotInject"):
			f = "NotInject"
		case strings.HasPrefix(f, "BIPIA"):
			f = "BIPIA"
		}
		return "injecguard/" + f
	}
	cat, _, _ := strings.Cut(r.Category, "/")
	switch cat {
	case "":
		return r.Source
	case "sql_code", "sql_question":
		return "devtext/sql"
	}
	return "devtext/" + cat
}

// Examples turns records into training examples. Each source weighs the
// square root of its size (a large source does not drown the small ones),
// and attacks and benign texts weigh the same in total.
func Examples(recs []Record) []promptmodel.Example {
	size := map[string]int{}
	for _, r := range recs {
		size[Group(r)]++
	}
	ex := make([]promptmodel.Example, len(recs))
	var tot [2]float64
	for i, r := range recs {
		w := 1 / math.Sqrt(float64(size[Group(r)]))
		ex[i] = promptmodel.Example{Text: trim(r.Text), Attack: r.Attack(), Weight: w, Group: Group(r)}
		tot[b2i(r.Attack())] += w
	}
	if tot[0] == 0 || tot[1] == 0 {
		return ex
	}
	// Mean weight 1 over the set; each class half of the total.
	n := float64(len(recs))
	for i := range ex {
		ex[i].Weight *= n / 2 / tot[b2i(ex[i].Attack)]
	}
	return ex
}

// trainBytes bounds a training text: its first and last trainBytes/2
// bytes, enough for the features of a long paste (its opening and its
// end, where an injection sits) at a fraction of the training time.
const trainBytes = 4 << 10

func trim(s string) string {
	if len(s) <= trainBytes {
		return s
	}
	head, tail := trainBytes/2, len(s)-trainBytes/2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return s[:head] + "\n" + s[tail:]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
