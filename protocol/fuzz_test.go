package protocol

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/args"
)

// FuzzDetect feeds raw requests through net/http's parser (when it takes
// them) and as offline requests: Detect must not panic, must stay within
// its confidence range and must keep messages bounded.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{browserGET, jsonPOST, get("/?a=%00&b=%c0%af"),
		post("/u", "multipart/form-data; boundary=b", multipartBody("b", "Content-Disposition: form-data; name=\"a\"; filename=\"x\\\".php\"\r\n\r\nx")),
		post("/", "text/plain", "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n"),
		get("/", "Range: bytes=5-1,0-"), get("/x.bak~/y", "Connection: close, host")} {
		f.Add([]byte(s))
	}
	d, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		check := func(v abuse.Verdict) {
			if v.Confidence < 0 || v.Confidence > 1 || v.Found() && (v.Violation == "" || len(v.Messages) == 0) {
				t.Fatalf("bad verdict %+v", v)
			}
			for _, m := range v.Messages {
				if len(m) > 200 {
					t.Fatalf("unbounded message %q", m)
				}
			}
		}
		if hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw))); err == nil {
			body, _ := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
			check(d.Detect(t.Context(), view(hr, body)))
		}
		// Offline: split at the first blank line, take every line as a
		// header, whatever it holds.
		head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
		lines := strings.Split(string(head), "\r\n")
		method, target, _ := strings.Cut(lines[0], " ")
		h := http.Header{}
		for _, l := range lines[1:] {
			k, v, _ := strings.Cut(l, ":")
			h[k] = append(h[k], v)
		}
		check(d.Detect(t.Context(), offline(method, target, h, string(body))))
	})
}

// FuzzParseRange checks that Range parsing is bounded and consistent.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-499", "bytes=0-1,2-3,-5,9-", "bytes=5-1", "items=1-2", "bytes=,,", "bytes=0-,0-,0-"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, v string, limit int) {
		if limit < 1 || limit > 1000 {
			limit = 5
		}
		rs := parseRange(v, limit)
		if rs.n < 0 || rs.n > limit+1 {
			t.Fatalf("n=%d beyond limit %d", rs.n, limit)
		}
		if rs.overlap < 0 || rs.overlap > maxPairRanges*maxPairRanges {
			t.Fatalf("overlap %d", rs.overlap)
		}
		if rs.other && (rs.invalid || rs.n != 0) {
			t.Fatalf("other unit judged: %+v", rs)
		}
		if again := parseRange(v, limit); again != rs {
			t.Fatalf("not deterministic: %+v then %+v", rs, again)
		}
	})
}

// FuzzMultipart runs the multipart walker on arbitrary bodies and
// Content-Type values.
func FuzzMultipart(f *testing.F) {
	f.Add("multipart/form-data; boundary=b", multipartBody("b", "Content-Disposition: form-data; name=\"a\"\r\n\r\n1", "Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi"))
	f.Add(`multipart/form-data; boundary="a b"`, "--a b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n--a b--")
	f.Add("multipart/mixed; boundary=z", "--z\r\n \tfolded\r\n\r\n--z")
	f.Add("multipart/form-data; boundary=q", "--q\r\nContent-Transfer-Encoding: base64\r\n")
	d, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := &abuse.Request{Method: "POST", Path: "/u", Host: "a.example", Body: []byte(body), ContentType: ct,
			Header: http.Header{"Content-Type": {ct}, "Accept": {"*/*"}}}
		v := d.Detect(t.Context(), r)
		if v.Confidence < 0 || v.Confidence > 1 {
			t.Fatalf("confidence %v", v.Confidence)
		}
		if mt, ok := args.ParseMediaType(ct); ok {
			it := mt.Params()
			for n := 0; n < 1000; n++ {
				if _, _, _, ok := it.Next(); !ok {
					return
				}
			}
			t.Fatal("parameter iteration does not end")
		}
	})
}

// FuzzScanEncoded cross-checks the UTF-8 findings against unicode/utf8 on
// the decoded bytes.
func FuzzScanEncoded(f *testing.F) {
	for _, s := range []string{"a%c3%a9", "%c0%af", "%e0%80%af", "%ed%a0%80", "%f4%90%80%80", "caf%e9", "%e2%a3", "%uff0e", "x+y%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		for n < len(s) && plainByte[s[n]] != 0 {
			n++
		}
		if p := plainPrefix(s); p != n {
			t.Fatalf("plainPrefix(%q) = %d, want %d", s, p, n)
		}
		flags := scanEncoded(s, true)
		if rare := flags&encRare != 0; rare != (n < len(s)) {
			t.Fatalf("scanEncoded(%q) = %b: rare %v, but the plain prefix is %d of %d bytes", s, flags, rare, n, len(s))
		}
		if strings.Contains(strings.ToLower(s), "%u") {
			return // %uXXXX is not fed to the UTF-8 check
		}
		dec := decode(nil, s, true)
		bad := flags&(encUTF8|encOverlong) != 0
		if utf8.Valid(dec) && bad {
			t.Fatalf("%q decodes to valid UTF-8 %q but flags %b", s, dec, flags)
		}
		if !utf8.Valid(dec) && !bad {
			// Only a sequence cut by the end of the value may go unreported.
			trimmed := dec
			for i := 0; i < 3 && len(trimmed) > 0 && !utf8.Valid(trimmed); i++ {
				trimmed = trimmed[:len(trimmed)-1]
			}
			if !utf8.Valid(trimmed) {
				t.Fatalf("%q decodes to invalid UTF-8 %q but flags %b", s, dec, flags)
			}
		}
	})
}
