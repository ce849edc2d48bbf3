package protocol

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/race"
)

// live parses raw the way net/http's server does and returns the view the
// pipeline gives detectors (body buffered, *http.Request attached).
func live(t testing.TB, raw string) *abuse.Request {
	t.Helper()
	hr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("net/http refuses the request: %v", err)
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return view(hr, body)
}

func view(hr *http.Request, body []byte) *abuse.Request {
	r := &abuse.Request{
		Method:      hr.Method,
		Host:        hr.Host,
		Path:        hr.URL.EscapedPath(),
		RawQuery:    hr.URL.RawQuery,
		UserAgent:   hr.Header.Get("User-Agent"),
		Header:      hr.Header,
		ContentType: hr.Header.Get("Content-Type"),
		HTTP:        hr,
	}
	if len(body) > 0 {
		r.Body = body
	}
	return r
}

// offline builds a request the way `warden inspect` does: no net/http
// parse, headers as given.
func offline(method, target string, h http.Header, body string) *abuse.Request {
	path, query, _ := strings.Cut(target, "?")
	r := &abuse.Request{Method: method, Path: path, RawQuery: query, Header: h, Host: h.Get("Host"),
		UserAgent: h.Get("User-Agent"), ContentType: h.Get("Content-Type")}
	if body != "" {
		r.Body = []byte(body)
	}
	return r
}

func newDetector(t testing.TB) *Detector {
	t.Helper()
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// browserGET is what a current Chrome sends for a page with cookies.
const browserGET = "GET /products/shoes?color=blue&size=42&sort=price%3Aasc HTTP/1.1\r\n" +
	"Host: shop.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"140\", \"Not=A?Brand\";v=\"24\", \"Google Chrome\";v=\"140\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-User: ?1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Referer: https://shop.example.com/products?q=shoes\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-GB,en;q=0.9,de;q=0.8\r\n" +
	"Cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig; _ga=GA1.2.123.456; consent=%7B%22ads%22%3Afalse%7D\r\n" +
	"If-None-Match: W/\"5f3-abc\"\r\n" +
	"\r\n"

var jsonPOST = "POST /v1/chat/completions HTTP/1.1\r\n" +
	"Host: api.example.com\r\n" +
	"User-Agent: OpenAI/Python 1.40.0\r\n" +
	"Accept: application/json\r\n" +
	"Accept-Encoding: gzip, deflate\r\n" +
	"Authorization: Bearer sk-test\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Length: " + itoa(len(jsonBody)) + "\r\n" +
	"\r\n" + jsonBody

const jsonBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello in French, please."}],"temperature":0.2,"stream":false}`

func multipartBody(boundary string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

func post(target, ct, body string, extra ...string) string {
	var b strings.Builder
	b.WriteString("POST " + target + " HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0\r\nAccept: */*\r\n")
	if ct != "" {
		b.WriteString("Content-Type: " + ct + "\r\n")
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
	return b.String()
}

func get(target string, extra ...string) string {
	var b strings.Builder
	b.WriteString("GET " + target + " HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0\r\nAccept: text/html,*/*;q=0.8\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

type outcome int

const (
	clean outcome = iota // no verdict at all
	grey                 // a verdict above 0.5 and below 0.8: logged, not blocked
	block                // 0.8 or more
)

func (o outcome) String() string { return [...]string{"clean", "grey", "block"}[o] }

func judge(v abuse.Verdict) outcome {
	switch {
	case !v.Found():
		return clean
	case v.Confidence >= 0.8:
		return block
	}
	return grey
}

// TestDetect holds cases written for this detector: attacks on every
// check, and benign requests that look unusual but are ordinary traffic.
func TestDetect(t *testing.T) {
	d := newDetector(t)
	upload := multipartBody("----WebKitFormBoundaryx7Yc",
		"Content-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photos\r\nday 1 and 2",
		"Content-Disposition: form-data; name=\"photo\"; filename=\"beach 1.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0binary\r\n\x00\x01",
		"Content-Disposition: form-data; name=\"cv\"; filename=\"John's CV (final).pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7",
		"Content-Disposition: form-data; name=\"doc\"; filename=\"résumé.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7",
	)
	mp := func(parts ...string) string {
		return post("/upload", "multipart/form-data; boundary=XyZ", multipartBody("XyZ", parts...))
	}
	tests := []struct {
		name      string
		raw       string
		want      outcome
		violation string
		msg       string // a substring of one message
	}{
		// Benign.
		{name: "browser GET with many headers", raw: browserGET},
		{name: "charset as a media type, not a parameter", raw: get("/", "Accept: application/charset;q=0.9, text/utf-7-charset")},
		{name: "JSON POST", raw: jsonPOST},
		{name: "CORS preflight", raw: "OPTIONS /api/items/7 HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type,authorization\r\nAccept: */*\r\nUser-Agent: Mozilla/5.0 Firefox/140.0\r\nSec-Fetch-Mode: cors\r\n\r\n"},
		{name: "OPTIONS *", raw: "OPTIONS * HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\n\r\n"},
		{name: "chunked upload", raw: "POST /v1/files HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
		{name: "multipart upload with ordinary file names", raw: post("/upload", "multipart/form-data; boundary=----WebKitFormBoundaryx7Yc", upload)},
		{name: "JSON PATCH", raw: post("/api/items/7", "application/json-patch+json", `[{"op":"replace","path":"/name","value":"new"}]`)},
		{name: "WebSocket upgrade", raw: "GET /ws/chat HTTP/1.1\r\nHost: app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://app.example.com\r\nUser-Agent: Mozilla/5.0 Firefox/140.0\r\nAccept: */*\r\n\r\n"},
		{name: "Go client without Accept", raw: "POST /api/events HTTP/1.1\r\nHost: 10.0.3.7:8080\r\nUser-Agent: Go-http-client/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"},
		{name: "empty POST with Content-Length 0", raw: "POST /api/ping HTTP/1.1\r\nHost: app.example.com\r\nAccept: */*\r\nContent-Length: 0\r\n\r\n"},
		{name: "Rails form tunnels DELETE", raw: post("/posts/7", "application/x-www-form-urlencoded", "_method=delete&authenticity_token=abc%2B%3D")},
		{name: "PHP array parameters", raw: get("/search?filter%5Bcolor%5D%5B%5D=blue&filter%5Bcolor%5D%5B%5D=red&tags[]=a")},
		{name: "single and double ranges", raw: get("/video.mp4", "Range: bytes=0-1023, 4096-8191")},
		{name: "open-ended range", raw: get("/video.mp4", "Range: bytes=1048576-")},
		{name: "SOAP MTOM", raw: post("/ws", `multipart/related; type="application/xop+xml"; start-info="text/xml"; boundary="uuid:0ca0e16e"`,
			multipartBody("uuid:0ca0e16e", "Content-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\r\n\r\n<Envelope/>"))},
		{name: "textarea with a Location line", raw: post("/contact", "application/x-www-form-urlencoded", "msg=Hello%0D%0ALocation%3A+Paris%0D%0AThanks")},
		{name: "jsessionid path parameter", raw: get("/shop/cart.jsp;jsessionid=1A2B3C?item=4")},
		{name: "payment return with session_id from the payment site", raw: get("/checkout/success?session_id=cs_test_a1b2", "Referer: https://checkout.stripe.com/")},
		{name: "session id in an API call", raw: "GET /api/state?PHPSESSID=abc HTTP/1.1\r\nHost: app.example.com\r\nAccept: application/json\r\n\r\n"},
		{name: "well-known path", raw: get("/.well-known/openid-configuration")},
		{name: "latin-1 query", raw: get("/search?q=caf%E9")},
		{name: "HTTP/1.0 health check", raw: "GET /healthz HTTP/1.0\r\n\r\n", want: grey},
		{name: "numeric Host alone", raw: "GET / HTTP/1.1\r\nHost: 192.0.2.10\r\nAccept: */*\r\n\r\n"},
		{name: "charset in JSON Content-Type", raw: post("/api", "application/json; charset=UTF-8", `{"a":1}`)},

		// Soft findings: logged, never blocked.
		{name: "JSON declared as an image", raw: post("/api/items", "image/png", `{"id":"7"}`), want: grey, violation: ProtocolViolation, msg: "binary media type is text"},
		{name: "form declared as gzip", raw: post("/api/items", "application/gzip", "id=7&name=x"), want: grey, msg: "binary media type is text"},
		{name: "text sent as octet-stream", raw: post("/v1/files", "application/octet-stream", "name,price\nwidget,3\n")},
		{name: "a real image", raw: post("/avatar", "image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
		{name: "body without Content-Type", raw: "POST /api HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nContent-Length: 7\r\n\r\n{\"a\":1}", want: grey, violation: ProtocolViolation, msg: "without Content-Type"},
		{name: "empty Accept", raw: "GET / HTTP/1.1\r\nHost: a.example\r\nAccept: \r\n\r\n", want: grey, msg: "empty Accept"},
		{name: "POST without length on HTTP/1.1", raw: "POST /form HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n", want: grey, msg: "without Content-Length"},
		{name: "session id, same-site Referer", raw: get("/account?PHPSESSID=abc", "Referer: https://app.example.com/login")},
		{name: "multipart Windows path file name", raw: mp("Content-Disposition: form-data; name=\"f\"; filename=\"C:\\Users\\ann\\a.txt\"\r\n\r\nx"), want: grey},

		// Methods and request line.
		// Past maxHeaderWalk fields the watched headers are looked up
		// one by one: the same findings either way.
		{name: "restricted header among many", raw: strings.Replace(browserGET, "Connection: keep-alive\r\n", "Connection: keep-alive\r\nTranslate: f\r\n", 1), want: block, msg: "Translate"},
		{name: "restricted header among few", raw: "GET / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nTranslate: f\r\n\r\n", want: block, msg: "Translate"},
		{name: "TRACE", raw: "TRACE / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n", want: block, violation: MethodNotAllowed, msg: "TRACE"},
		{name: "lower-case method is another method", raw: "get / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n", want: block, violation: MethodNotAllowed},
		{name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\nHost: a.example\r\nAccept: */*\r\n\r\n", want: block, msg: "HTTP version"},
		{name: "asterisk target on GET", raw: "GET * HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n", want: block, msg: "request target"},
		{name: "raw fragment", raw: get("/page#section"), want: block, msg: "fragment"},
		{name: "override header to TRACE", raw: post("/api", "application/json", "{}", "X-HTTP-Method-Override: TRACE"), want: block, violation: MethodNotAllowed},
		{name: "_method on a GET", raw: get("/transfer?amount=1000&_method=POST"), want: block, violation: MethodNotAllowed},
		{name: "_method to a method not allowed", raw: post("/api", "application/x-www-form-urlencoded", "_method=PROPFIND"), want: block, violation: MethodNotAllowed},

		// Framing.
		{name: "GET with a body", raw: "GET /search HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\n\r\nq=abc", want: block, msg: "GET or HEAD"},
		{name: "HEAD chunked", raw: "HEAD / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: block, msg: "GET or HEAD"},
		{name: "empty Host on HTTP/1.1", raw: "GET / HTTP/1.1\r\nHost:\r\nAccept: */*\r\n\r\n", want: block, msg: "empty Host"},
		{name: "percent-encoded NUL in Host", raw: "GET / HTTP/1.1\r\nHost: localhost%00\r\nAccept: */*\r\n\r\n", want: block, msg: "NUL"},

		// Headers.
		{name: "httpoxy Proxy header", raw: get("/", "Proxy: http://203.0.113.9:3128"), want: block, msg: "Proxy"},
		{name: "Translate header", raw: get("/default.aspx", "Translate: f"), want: block, msg: "Translate"},
		{name: "Content-Range in a request", raw: post("/upload", "application/octet-stream", "x", "Content-Range: bytes 0-0/1"), want: block},
		{name: "compressed request body", raw: post("/api", "application/json", "\x1f\x8b", "Content-Encoding: gzip"), want: block},
		{name: "Request-Range", raw: get("/file.pdf", "Request-Range: bytes=0-1"), want: block},
		{name: "descending range", raw: get("/file.pdf", "Range: bytes=500-100"), want: block, msg: "invalid Range"},
		{name: "too many ranges", raw: get("/file.pdf", "Range: bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13"), want: block, msg: "too many"},
		{name: "overlapping ranges", raw: get("/file.pdf", "Range: bytes=0-100,0-100,0-100"), want: block},
		{name: "malformed range", raw: get("/file.pdf", "Range: bytes=abc"), want: block},
		{name: "keep-alive and close", raw: get("/", "Connection: keep-alive, close"), want: block},
		{name: "Connection drops X-Forwarded-For", raw: get("/", "Connection: close, X-Forwarded-For"), want: block, violation: ProtocolAttack},
		{name: "RFC 2109 cookie", raw: get("/", "Cookie: $Version=1; session=abc; $Path=/"), want: block},
		{name: "cookie splits the response", raw: get("/", "Cookie: lang=en%0d%0aSet-Cookie:%20admin=1"), want: block, msg: "response header"},
		{name: "UTF-7 Accept charset", raw: get("/", "Accept: text/html;charset=utf-7"), want: block},
		{name: "UTF-7 Accept charset in a later item", raw: get("/", "Accept: text/charset, text/plain;q=0.5, text/html;q=0.9;Charset=UTF-7"), want: block, msg: "UTF-7"},
		{name: "Accept-Encoding flood", raw: get("/", "Accept-Encoding: "+strings.Repeat("gzip, ", 40)), want: block},
		{name: "WAP charset header", raw: post("/", "application/x-www-form-urlencoded", "a=b", "X-Up-Devcap-Post-Charset: ibm037"), want: block, msg: "charset"},

		// Content-Type.
		{name: "content type not allowed", raw: post("/", "application/x-amf", "x"), want: block, msg: "not allowed"},
		{name: "UTF-16 body", raw: post("/", "application/json; charset=utf-16", "{}"), want: block, msg: "charset"},
		{name: "two charsets", raw: post("/", "text/plain; charset=utf-8; charset=utf-7", "x"), want: block},
		{name: "two Content-Types", raw: "POST / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1", want: block, msg: "more than one"},
		{name: "malformed Content-Type", raw: post("/", "text", "x"), want: block, msg: "malformed"},
		{name: "media type in a parameter", raw: post("/", `application/x-www-form-urlencoded;boundary="application/json"`, "a=1"), want: block, violation: ProtocolAttack},

		// Paths and encodings.
		{name: "database dump", raw: get("/backup/db.sql"), want: block, msg: "extension"},
		{name: "web.config with trailing dot", raw: get("/web.config."), want: block},
		{name: "escaped extension", raw: get("/dump%2Ebak"), want: block},
		{name: "editor backup with path info", raw: get("/index.php~/x"), want: block, msg: "backup"},
		{name: "NUL in a query value", raw: get("/file?name=report.pdf%00.php"), want: block, msg: "NUL"},
		{name: "overlong slash", raw: get("/?f=..%c0%af..%c0%afetc"), want: block, msg: "overlong"},
		{name: "full-width %u", raw: get("/?q=%uff1cscript%uff1e"), want: block, msg: "full/half-width"},
		{name: "CR/LF in the path", raw: get("/redirect%0d%0aSet-Cookie:%20a=b"), want: block, violation: ProtocolAttack},
		{name: "mod_proxy unix socket", raw: get("/?unix:" + strings.Repeat("A", 20) + "|http://internal/"), want: block, msg: "unix"},
		{name: "mod_proxy with escaped colon", raw: get("/?unix%3AAAAA|http://internal/"), want: block},

		// Smuggling and splitting in parameters and bodies.
		{name: "request line in a form value", raw: post("/", "application/x-www-form-urlencoded", "a=b%0d%0a%0d%0aGET%20/admin%20HTTP/1.1%0d%0aHost:%20internal"), want: block, violation: ProtocolAttack, msg: "request line"},
		{name: "request line glued to text", raw: post("/", "text/plain", "barGET /a.html HTTP/1.1\r\nX: y\r\n\r\n"), want: block, msg: "request line"},
		{name: "desync body", raw: post("/", "text/plain", "0\r\n\r\nPOST /admin HTTP/1.1\r\nHost: internal\r\n\r\n"), want: block, msg: "request line"},
		{name: "response splitting in a query", raw: get("/go?url=%0d%0aSet-Cookie:%20admin=1"), want: block, violation: ProtocolAttack},
		{name: "status line in a query", raw: get("/go?u=x%0d%0aHTTP/1.1%20200%20OK"), want: block},
		{name: "markup after line break in a query", raw: get("/go?u=x%0d%0a%0d%0a%3Chtml%3Ehi"), want: block},
		{name: "CR/LF in a parameter name", raw: get("/get?parameter%0d%0a=test"), want: block, violation: ProtocolAttack},

		// Multipart.
		{name: "multipart without boundary", raw: post("/upload", "multipart/form-data", "--x\r\n\r\n--x--"), want: block, msg: "boundary"},
		{name: "multipart with two boundaries", raw: post("/upload", "multipart/form-data; boundary=a; boundary=b", "--a\r\n\r\n--a--"), want: block},
		{name: "boundary not in the body", raw: post("/upload", "multipart/form-data; boundary=abc", "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n"), want: block},
		{name: "base64 part", raw: mp("Content-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\nPHNjcmlwdD4="), want: block, msg: "Content-Transfer-Encoding"},
		{name: "escaped quote in file name", raw: mp(`Content-Disposition: form-data; name="f"; filename="a.txt\".php"` + "\r\n\r\nx"), want: block},
		{name: "quoted-pair letters in file name", raw: mp(`Content-Disposition: form-data; name="f"; filename="1.j\s\p"` + "\r\n\r\nx"), want: block},
		{name: "semicolon in field name", raw: mp(`Content-Disposition: form-data; name="a;b"; filename="x.txt"` + "\r\n\r\nx"), want: block},
		{name: "unbalanced quote", raw: mp(`Content-Disposition: form-data; name="a; filename="x.php"` + "\r\n\r\nx"), want: block, msg: "quotes"},
		{name: "two dispositions", raw: mp("Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"; filename=\"x.php\"\r\n\r\nx"), want: block},
		{name: "control byte in part header name", raw: mp("Content\x0e-Disposition: form-data; name=\"a\"\r\n\r\nx"), want: block, msg: "part header"},
		{name: "UTF-7 part", raw: mp("Content-Disposition: form-data; name=\"a\"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+ADw-"), want: block, msg: "charset"},
		{name: "_charset_ field", raw: mp("Content-Disposition: form-data; name=\"_charset_\"\r\n\r\nutf-7"), want: block},
		{name: "traversal in file name", raw: mp("Content-Disposition: form-data; name=\"f\"; filename=\"../../etc/cron.d/x\"\r\n\r\nx"), want: block},

		// Session fixation.
		{name: "session id with off-site Referer", raw: get("/login?PHPSESSID=attacker", "Referer: https://evil.example.net/"), want: block, violation: SessionFixation},
		{name: "session id from a mail link", raw: get("/login?JSESSIONID=attacker"), want: block, violation: SessionFixation},
		{name: "ASP.NET cookieless session in the path", raw: get("/(S(lit3py55t21z5v55vlm25s55))/orderform.aspx"), want: block, violation: SessionFixation},
		{name: "ASP session prefix in a form", raw: post("/login", "application/x-www-form-urlencoded", "ASPSESSIONIDQQGGTDAD=x&user=a", "Referer: https://evil.example.net/"), want: block},
		{name: "cookie set through a parameter", raw: get("/?q=%3Cscript%3Edocument.cookie%3D%22sid%3Dx%3B%20expires%3DFri%2C%2001%20Jan%202038%22%3C%2Fscript%3E"), want: block, violation: SessionFixation},
		{name: "meta set-cookie", raw: get("/?q=%3Cmeta%20http-equiv%3D%22Set-Cookie%22%20content%3D%22sid%3Dx%22%3E"), want: block},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(t.Context(), live(t, tc.raw))
			if got := judge(v); got != tc.want {
				t.Fatalf("got %s (%.2f %s %q), want %s", got, v.Confidence, v.Violation, v.Messages, tc.want)
			}
			if tc.violation != "" && v.Violation != tc.violation {
				t.Errorf("violation %q, want %q (%q)", v.Violation, tc.violation, v.Messages)
			}
			if tc.msg != "" && !strings.Contains(strings.Join(v.Messages, "\n"), tc.msg) {
				t.Errorf("messages %q hold no %q", v.Messages, tc.msg)
			}
			for _, m := range v.Messages {
				if len(m) > 200 || strings.ContainsAny(m, "\r\n\x00") {
					t.Errorf("message not bounded or not clean: %q", m)
				}
			}
		})
	}
}

// TestOffline covers what only requests built without net/http can show:
// net/http's server refuses these before any handler runs.
func TestOffline(t *testing.T) {
	d := newDetector(t)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name   string
		req    *abuse.Request
		want   outcome
		substr string
	}{
		{"benign", offline("GET", "/a?b=c", h("Host", "a.example", "Accept", "*/*"), ""), clean, ""},
		{"CL and TE", offline("POST", "/", h("Host", "a.example", "Accept", "*/*", "Content-Type", "text/plain", "Content-Length", "4", "Transfer-Encoding", "chunked"), "abcd"), block, "Content-Length and Transfer-Encoding"},
		{"TE gzip", offline("POST", "/", h("Host", "a.example", "Accept", "*/*", "Content-Type", "text/plain", "Transfer-Encoding", "gzip"), "x"), block, "Transfer-Encoding"},
		{"TE obfuscated", offline("POST", "/", h("Host", "a.example", "Accept", "*/*", "Content-Type", "text/plain", "Transfer-Encoding", "chunked, identity"), "x"), block, "Transfer-Encoding"},
		{"non-numeric CL", offline("POST", "/", h("Host", "a.example", "Accept", "*/*", "Content-Type", "text/plain", "Content-Length", "3;"), "abc"), block, "Content-Length"},
		{"conflicting CL", offline("POST", "/", h("Host", "a.example", "Accept", "*/*", "Content-Type", "text/plain", "Content-Length", "3", "Content-Length", "4"), "abc"), block, "Content-Length"},
		{"two Hosts", offline("GET", "/", h("Host", "a.example", "Host", "b.example", "Accept", "*/*"), ""), block, "more than one Host"},
		{"CR/LF in a header", offline("GET", "/", h("Host", "a.example", "Accept", "*/*", "X-Note", "a\r\nSet-Cookie: x=1"), ""), block, "CR, LF or NUL"},
		{"bad header name", offline("GET", "/", h("Host", "a.example", "Accept", "*/*", "X Bad", "1"), ""), block, "CR, LF or NUL"},
		{"method with a slash", offline("GE/T", "/", h("Host", "a.example", "Accept", "*/*"), ""), block, "token"},
		{"relative target", offline("GET", "index.html", h("Host", "a.example", "Accept", "*/*"), ""), block, "request target"},
		{"no Host offline", offline("GET", "/", h("Accept", "*/*"), ""), grey, "no Host"},
		{"nil header", &abuse.Request{Method: "GET", Path: "/"}, clean, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(t.Context(), tc.req)
			if got := judge(v); got != tc.want {
				t.Fatalf("got %s (%.2f %q), want %s", got, v.Confidence, v.Messages, tc.want)
			}
			if tc.substr != "" && !strings.Contains(strings.Join(v.Messages, "\n"), tc.substr) {
				t.Errorf("messages %q hold no %q", v.Messages, tc.substr)
			}
		})
	}
}

// TestHTTP2 checks that requests net/http's HTTP/2 server hands over —
// no Host header, the authority in r.Host or only in the URL — are not
// taken for HTTP/1 requests without Host.
func TestHTTP2(t *testing.T) {
	d := newDetector(t)
	for _, host := range []string{"api.example.com", ""} {
		hr := &http.Request{
			Method: "POST", Proto: "HTTP/2.0", ProtoMajor: 2, ProtoMinor: 0,
			URL:        &url.URL{Path: "/v1/items", Host: "api.example.com"},
			Host:       host,
			RequestURI: "/v1/items",
			Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"},
				"User-Agent": {"Mozilla/5.0 Firefox/140.0"}},
			ContentLength: -1, // HTTP/2 frames the body; no Content-Length needed
		}
		v := d.Detect(t.Context(), view(hr, []byte(`{"name":"x"}`)))
		if v.Found() {
			t.Errorf("Host %q: %+v", host, v)
		}
	}
}

func TestLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxArgs, cfg.MaxArgNameBytes, cfg.MaxArgValueBytes, cfg.MaxArgsBytes, cfg.MaxHeaders, cfg.MaxRepeats = 3, 8, 16, 30, 6, 2
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, raw, msg string
	}{
		{"args", get("/?a=1&b=2&c=3&d=4"), "too many arguments"},
		{"name", get("/?abcdefghij=1"), "name too long"},
		{"value", get("/?a=" + strings.Repeat("x", 17)), "value too long"},
		{"total", post("/", "application/x-www-form-urlencoded", "a="+strings.Repeat("x", 15)+"&b="+strings.Repeat("y", 15)+"&c=z"), "too large in total"},
		{"headers", get("/", "X-A: 1", "X-B: 2", "X-C: 3", "X-D: 4", "X-E: 5"), "too many headers"},
		{"repeats", get("/?a=1&a=2&a=3"), "repeated"},
		{"multipart fields count", post("/u", "multipart/form-data; boundary=b", multipartBody("b",
			"Content-Disposition: form-data; name=\"a\"\r\n\r\n1", "Content-Disposition: form-data; name=\"b\"\r\n\r\n2",
			"Content-Disposition: form-data; name=\"c\"\r\n\r\n3", "Content-Disposition: form-data; name=\"d\"\r\n\r\n4")), "too many arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(t.Context(), live(t, tc.raw))
			if judge(v) != block || !strings.Contains(strings.Join(v.Messages, "\n"), tc.msg) {
				t.Fatalf("got %.2f %q, want a block with %q", v.Confidence, v.Messages, tc.msg)
			}
		})
	}
	// Within every limit: nothing.
	if v := d.Detect(t.Context(), live(t, get("/?a=1&b=2"))); v.Found() {
		t.Fatalf("within limits: %+v", v)
	}
}

// TestWeights checks that a weight of 0 turns a check off and that soft
// findings, however many, stay below the block threshold.
func TestWeights(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Weights = map[string]float64{"body_on_get": 0}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw := "GET /_search HTTP/1.1\r\nHost: es.example\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	if v := d.Detect(t.Context(), live(t, raw)); v.Found() {
		t.Fatalf("body_on_get off: %+v", v)
	}
	cfg = DefaultConfig()
	for _, c := range checkNames() {
		if checkInfo[mustCheck(t, c)].weight < 0.8 {
			continue
		}
		if cfg.Weights == nil {
			cfg.Weights = map[string]float64{}
		}
		cfg.Weights[c] = 0.7 // every check soft
	}
	d, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw = "TRACE /db.sql?x=%00&y=%c0%af HTTP/1.2\r\nHost: 10.0.0.1\r\nAccept: \r\nProxy: x\r\nTranslate: f\r\n\r\n"
	v := d.Detect(t.Context(), live(t, raw))
	if v.Confidence >= 0.8 || v.Confidence < 0.7 || len(v.Messages) < 6 {
		t.Fatalf("soft findings: %.2f %q, want 0.7 <= c < 0.8 and many messages", v.Confidence, v.Messages)
	}
}

func mustCheck(t *testing.T, name string) check {
	t.Helper()
	c, ok := checkByName(name)
	if !ok {
		t.Fatalf("unknown check %q", name)
	}
	return c
}

func TestDisabled(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Enabled = false
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v := d.Detect(t.Context(), live(t, "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n")); v.Found() {
		t.Fatalf("disabled detector found %+v", v)
	}
	if v := newDetector(t).Detect(t.Context(), nil); v.Found() {
		t.Fatalf("nil request: %+v", v)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"no methods", func(c *Config) { c.Methods = nil }, "methods:"},
		{"bad method", func(c *Config) { c.Methods = []string{"GET", "BAD METHOD"} }, "methods[1]:"},
		{"version", func(c *Config) { c.HTTPVersions = []string{"1.1"} }, "http_versions[0]:"},
		{"type", func(c *Config) { c.ContentTypes = []string{"application/json", "json"} }, "content_types[1]:"},
		{"charset", func(c *Config) { c.Charsets = []string{"utf 8"} }, "charsets[0]:"},
		{"extension", func(c *Config) { c.RestrictedExtensions = []string{".bak"} }, "restricted_extensions[0]:"},
		{"header", func(c *Config) { c.RestrictedHeaders = []string{"X Y"} }, "restricted_headers[0]:"},
		{"session", func(c *Config) { c.SessionParams = []string{"*"} }, "session_params[0]:"},
		{"negative limit", func(c *Config) { c.MaxArgs = -1 }, "max_args:"},
		{"ranges", func(c *Config) { c.MaxRanges = 0 }, "max_ranges:"},
		{"repeats", func(c *Config) { c.MaxRepeats = 0 }, "max_repeats:"},
		{"parts", func(c *Config) { c.MaxParts = 0 }, "max_parts:"},
		{"unknown weight", func(c *Config) { c.Weights = map[string]float64{"nope": 1} }, "weights.nope: unknown check"},
		{"weight range", func(c *Config) { c.Weights = map[string]float64{"method": 2} }, "weights.method:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want prefix %q", err, tc.want)
			}
			if _, nerr := New(c); nerr == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

// TestChecksNamed keeps every check named, typed and weighted.
func TestChecksNamed(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range checkInfo {
		if c.name == "" || c.violation == "" || c.msg == "" || c.weight <= 0 || c.weight > 1 {
			t.Errorf("check %d incomplete: %+v", i, c)
		}
		if seen[c.name] {
			t.Errorf("check name %q twice", c.name)
		}
		seen[c.name] = true
	}
}

// TestCleanAllocs holds the clean path to zero allocations.
func TestCleanAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items: allocation counts are meaningless")
	}
	d := newDetector(t)
	for _, raw := range []string{browserGET, jsonPOST} {
		r := live(t, raw)
		if v := d.Detect(t.Context(), r); v.Found() {
			t.Fatalf("not clean: %+v", v)
		}
		if n := testing.AllocsPerRun(100, func() { d.Detect(t.Context(), r) }); n != 0 {
			t.Errorf("%.1f allocations per clean request, want 0", n)
		}
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		v       string
		n       int
		invalid bool
		other   bool
		overlap int
	}{
		{"bytes=0-499", 1, false, false, 0},
		{"bytes=0-499, 500-999, -500, 9500-", 4, false, false, 0},
		{"bytes=500-100", 1, true, false, 0},
		{"bytes=", 0, true, false, 0},
		{"bytes=a-b", 1, true, false, 0},
		{"bytes=1-2-3", 1, true, false, 0},
		{"items=0-5", 0, false, true, 0},
		{"0-5", 0, true, false, 0},
		{"bytes=0-10,5-15,8-20", 3, false, false, 3},
		{"bytes=0-,0-", 2, false, false, 1},
		{"bytes=99999999999999999999-", 1, true, false, 0},
		{"bytes=0-1,,2-3", 2, false, false, 0},
	}
	for _, tc := range tests {
		got := parseRange(tc.v, 5)
		if got.n != tc.n || got.invalid != tc.invalid || got.other != tc.other || got.overlap != tc.overlap {
			t.Errorf("parseRange(%q) = %+v, want n=%d invalid=%v other=%v overlap=%d", tc.v, got, tc.n, tc.invalid, tc.other, tc.overlap)
		}
	}
	if got := parseRange("bytes="+strings.Repeat("0-1,", 10000), 5); got.n != 6 {
		t.Errorf("counting did not stop at the limit: %+v", got)
	}
}

func TestScanEncoded(t *testing.T) {
	const r = encRare
	tests := []struct {
		s    string
		want enc
	}{
		{"plain", 0},
		{"a+b", encEscaped | r},
		{"%41", encEscaped | r},
		{"%00", encNUL | encEscaped | r},
		{"%0d%0a", encCRLF | encEscaped | r},
		{"%01", encCtl | encEscaped | r},
		{"%zz", encBadPct | r},
		{"100%", encBadPct | r},
		{"%u0041", encPctU | encEscaped | r},
		{"%uff0e", encPctU | encFullwidth | encEscaped | r},
		{"%c0%af", encOverlong | encEscaped | r},
		{"%e0%80%af", encOverlong | encEscaped | r},
		{"%ed%a0%80", encOverlong | encEscaped | r},
		{"%c3%a9", encEscaped | r},
		{"é", r},
		{"%e9x", encUTF8 | encEscaped | r},
		{"%80", encUTF8 | encEscaped | r},
		{"%f4%90%80%80", encUTF8 | encEscaped | r},
		{"%E2%A3", encEscaped | r}, // cut at the end: a bounded prefix may cut a character
		// past the eight-byte steps of the plain prefix
		{"/products/shoes/42", 0},
		{"/products/%0d%0aSet-Cookie", encCRLF | encEscaped | r},
		{"abcdefghijklmnop+q", encEscaped | r},
		{"abcdefgh\x7f", encCtl | r},
		{"abcdefghijklmno\x00", encNUL | r},
		{"abcdefgh\tij", r},
		{"abcdefgh\xc3\xa9", r},
		{"abcdefghijklmnop\xc0\xaf", encOverlong | r},
		// the bytes some checks search for
		{"/index.php~", r},
		{"/(S(x))/a.aspx", r},
		{"/a.jsp;jsessionid=1", r},
		{"a[b]c", r},
		{"unix:/run/a.sock|http://b/", r},
		{"a[b", 0},
		{"-._:/=,@!$*')[ ", 0},
	}
	for _, tc := range tests {
		if got := scanEncoded(tc.s, true); got != tc.want {
			t.Errorf("scanEncoded(%q) = %b, want %b", tc.s, got, tc.want)
		}
	}
}

// TestPlainPrefix checks the eight-byte steps against the byte loop for
// every byte value at every position of a 17-byte value.
func TestPlainPrefix(t *testing.T) {
	const base = "abcdefghijklmnopq"
	for c := range 256 {
		for pos := range len(base) {
			v := base[:pos] + string([]byte{byte(c)}) + base[pos+1:]
			want := len(base)
			if plainByte[c] == 0 {
				want = pos
			}
			if got := plainPrefix(v); got != want {
				t.Fatalf("plainPrefix(%q) = %d, want %d", v, got, want)
			}
		}
	}
}

// TestHostileInputBounded feeds requests built to make the scanners work
// hard; each must finish (the test binary's timeout is the bound) with
// at most maxFindings messages.
func TestHostileInputBounded(t *testing.T) {
	d := newDetector(t)
	big := func(s string, n int) string { return strings.Repeat(s, n) }
	h := http.Header{"Host": {"a.example"}, "Accept": {"*/*"}}
	form := http.Header{"Host": {"a.example"}, "Accept": {"*/*"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	mp := http.Header{"Host": {"a.example"}, "Accept": {"*/*"}, "Content-Type": {"multipart/form-data; boundary=b"}}
	cases := []*abuse.Request{
		offline("POST", "/", form, big("a=%0aGET%20"+big("x", 100)+"%20HTTP/1.1%0aX:%20y&", 20000)),
		offline("POST", "/", h, big("\nGET "+big("a", 9000)+" HTTP/1.1\r\nX: y", 100)),
		offline("GET", "/?"+big("a=1&", 100000), h, ""),
		offline("GET", "/?q="+big("%", 1<<20), h, ""),
		offline("GET", "/?q="+big("unix", 200000)+"|", h, ""),
		offline("GET", "/?q="+big("u", 800000)+"|", h, ""),
		offline("POST", "/", form, "q="+big("cookie;", 100000)),
		offline("POST", "/", mp, big("--b\r\nContent-Disposition: form-data; name=\"a;\"; filename=\"x\\\"\"\r\n\r\nv\r\n", 5000)+"--b--"),
		offline("GET", "/", http.Header{"Host": {"a.example"}, "Accept": {big("text/html;charset=utf-7,", 20000)}, "Range": {"bytes=" + big("0-1,", 100000)},
			"Cookie": {big("a=%0d%0aSet-Cookie:%20x=1;", 20000)}, "Connection": {big("x-forwarded-for,", 10000)}}, ""),
	}
	for i, r := range cases {
		v := d.Detect(t.Context(), r)
		if !v.Found() || len(v.Messages) > maxFindings {
			t.Errorf("case %d: %.2f, %d messages", i, v.Confidence, len(v.Messages))
		}
	}
}
