package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// limitCase is one request sent through `warden serve` at or past what
// Warden inspects.
type limitCase struct {
	name, target, ct string
	body             []byte
	violation        string // for a blocked request: the violation its event names
}

// multipartOf builds a multipart/form-data body with boundary "b" of the
// given parts (each "name=value", or a file when the name starts with @).
func multipartOf(parts ...string) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		name, value, _ := strings.Cut(p, "=")
		if file, ok := strings.CutPrefix(name, "@"); ok {
			fmt.Fprintf(&b, "--b\r\nContent-Disposition: form-data; name=%q; filename=%q\r\nContent-Type: image/jpeg\r\n\r\n%s\r\n", file, file+".jpg", value)
			continue
		}
		fmt.Fprintf(&b, "--b\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", name, value)
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// TestServeInspectionLimits sends, through `warden serve` with its
// default configuration, the shapes that once got an injection past the
// inspection with no block and no event: a JSON body declared as binary,
// padding before the injection (many values, a long value, a body past
// inspect.body_limit, a multipart part past max_parts). Each must be
// blocked before the app, with an event in the decision log naming why;
// ordinary uploads and binary bodies must reach the app intact.
func TestServeInspectionLimits(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]byte{} // request id → body the app received
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.Header.Get("X-Test-Case")] = b
		mu.Unlock()
		io.WriteString(w, "app")
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte("trusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())

	const union = `1 UNION ALL SELECT NULL,CONCAT(0x71,username,0x3a,password,0x71),NULL FROM users-- -`
	padded := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"items":[`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"pad%d",`, i)
		}
		b.WriteString(`"x"],"id":"` + union + `"}`)
		return b.Bytes()
	}
	parts := make([]string, 0, 260)
	for i := 0; i < 256; i++ {
		parts = append(parts, fmt.Sprintf("f%d=x", i))
	}
	parts = append(parts, "id="+union)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, 0x13, 0x88}, 50000)...)
	photo := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF"), bytes.Repeat([]byte{0x00, 0x8f, 0x01, 0xfe}, 600000)...)

	pass := []limitCase{
		{name: "png upload", target: "/api/avatar", ct: "image/png", body: png},
		{name: "2 MB photo in a form", target: "/api/photos", ct: "multipart/form-data; boundary=b", body: multipartOf("title=Holiday", "@photo="+string(photo))},
		{name: "json as octet-stream", target: "/api/items", ct: "application/octet-stream", body: []byte(`{"name":"blue running shoes","size":42}`)},
		{name: "bulk json of 5000 values", target: "/api/bulk", ct: "application/json", body: func() []byte {
			var b bytes.Buffer
			b.WriteString("[")
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(&b, `{"id":"u%d","name":"User %d","email":"u%d@example.com"},`, i, i, i)
			}
			b.WriteString(`{}]`)
			return b.Bytes()
		}()},
	}
	block := []limitCase{
		{name: "sqlmap json as octet-stream", target: "/api/items", ct: "application/octet-stream", body: []byte(`{"id":"` + union + `"}`), violation: "sqli"},
		{name: "json declared as an image", target: "/api/items", ct: "image/png", body: []byte(`{"id":"` + union + `"}`), violation: "sqli"},
		{name: "3000 values before the injection", target: "/api/items", ct: "application/json", body: padded(3000), violation: "sqli"},
		{name: "70000 spaces before the injection", target: "/api/search", ct: "application/json", body: []byte(`{"q":"` + strings.Repeat(" ", 70000) + `nice' UNION SELECT password FROM users--"}`), violation: "sqli"},
		{name: "1.1 MB of padding first", target: "/api/items", ct: "application/json", body: []byte(`{"pad":"` + strings.Repeat("a", 1100<<10) + `","id":"` + union + `"}`), violation: "inspection_incomplete"},
		{name: "injection in the 257th part", target: "/api/form", ct: "multipart/form-data; boundary=b", body: multipartOf(parts...), violation: "inspection_incomplete"},
	}
	send := func(i int, c limitCase) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", "http://"+s.proxy+c.target, bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", c.ct)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
		req.Header.Set("Accept", "*/*")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
		req.Header.Set("X-Test-Case", c.name)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i, c := range pass {
		code, body := send(i, c)
		mu.Lock()
		seen, ok := got[c.name]
		mu.Unlock()
		if code != http.StatusOK || !ok || !bytes.Equal(seen, c.body) {
			t.Errorf("%s: got %d %q (app received %d of %d bytes), want it passed intact", c.name, code, body, len(seen), len(c.body))
		}
	}
	ids := map[string]limitCase{}
	for i, c := range block {
		code, body := send(len(pass)+i, c)
		mu.Lock()
		_, reached := got[c.name]
		mu.Unlock()
		var answer struct {
			RequestID string `json:"request_id"`
		}
		_ = json.Unmarshal([]byte(body), &answer)
		if code != http.StatusForbidden || reached || answer.RequestID == "" {
			t.Errorf("%s: got %d %q (reached the app: %v), want it blocked before the app", c.name, code, body, reached)
			continue
		}
		ids[answer.RequestID] = c
	}
	// Each block is in the decision log, with the violation that says why.
	tok, err := os.ReadFile(s.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(ids) > 0 && time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", "http://"+s.admin+"/api/v1/events?limit=100", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Events []struct {
				RequestID string `json:"request_id"`
				Action    string `json:"action"`
				Abuse     struct {
					Detectors []struct{ Violation string } `json:"detectors"`
				} `json:"abuse"`
			} `json:"events"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			c, ok := ids[e.RequestID]
			if !ok {
				continue
			}
			for _, d := range e.Abuse.Detectors {
				if d.Violation == c.violation && e.Action == "block" {
					delete(ids, e.RequestID)
				}
			}
		}
		if len(ids) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for id, c := range ids {
		t.Errorf("%s: no block event with violation %s for request %s", c.name, c.violation, id)
	}
}
