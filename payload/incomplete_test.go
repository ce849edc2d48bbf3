package payload

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// multipartBody builds a multipart/form-data body of parts (name, value,
// file name or "") with boundary "b".
func multipartBody(parts ...[3]string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + p[0] + "\"")
		if p[2] != "" {
			b.WriteString("; filename=\"" + p[2] + "\"\r\nContent-Type: application/octet-stream")
		}
		b.WriteString("\r\n\r\n" + p[1] + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.String()
}

const multipartType = "multipart/form-data; boundary=b"

// protoString is a protocol-buffers field holding s.
func protoString(field int, s string) []byte {
	b := binary.AppendUvarint(nil, uint64(field<<3|2))
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// grpcFrame prefixes a message as gRPC does.
func grpcFrame(msg []byte) []byte {
	b := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

func TestIncompleteInspection(t *testing.T) {
	const sqli = `1' UNION SELECT username, password FROM users--`
	padding := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"items":[`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"pad%d",`, i)
		}
		b.WriteString(`"x"],"q":"` + sqli + `"}`)
		return b.String()
	}
	many := make([][3]string, 0, 300)
	for i := 0; i < 300; i++ {
		many = append(many, [3]string{fmt.Sprintf("f%d", i), "x", ""})
	}
	many = append(many, [3]string{"q", sqli, ""})
	truncated := func(r *abuse.Request) *abuse.Request { r.BodyTruncated = true; return r }
	small := func(c *Config) { c.MaxValues, c.MaxParts, c.MaxDepth = 1000, 256, 32 }
	for _, c := range []struct {
		name      string
		cfg       func(*Config)
		req       *abuse.Request
		violation string
		conf      float64 // 0: any
		message   string  // in the messages
	}{
		{name: "values past max_values", cfg: small, req: post("application/json", padding(3000)),
			violation: ViolationIncomplete, conf: incompleteBlock, message: "payload.max_values"},
		{name: "padding within the default max_values is inspected", req: post("application/json", padding(3000)), violation: "sqli"},
		{name: "attack and values past max_values", cfg: small, req: post("application/json", `{"q":"`+sqli+`",`+padding(3000)[1:]),
			violation: "sqli", message: "payload.max_values"},
		{name: "a long value is inspected to its end", req: post("application/json", `{"q":"`+strings.Repeat(" ", 70000)+sqli+`"}`), violation: "sqli"},
		{name: "a long form value", req: post("application/x-www-form-urlencoded", "q="+strings.Repeat("a", 200000)+"+"+strings.ReplaceAll(sqli, " ", "+")), violation: "sqli"},
		{name: "multipart part past max_parts", req: post(multipartType, multipartBody(many...)),
			violation: ViolationIncomplete, conf: incompleteBlock, message: "payload.max_parts"},
		{name: "a long multipart text part", req: post(multipartType, multipartBody([3]string{"q", strings.Repeat(" ", 70000) + sqli, ""})), violation: "sqli"},
		{name: "nested past max_depth", req: post("application/json", strings.Repeat(`{"a":`, 40)+`1`+strings.Repeat(`}`, 40)),
			violation: ViolationIncomplete, message: "payload.max_depth"},
		{name: "truncated json body", req: truncated(post("application/json", `{"a":"`+strings.Repeat("x", 1000))),
			violation: ViolationIncomplete, conf: incompleteBlock, message: "inspect.body_limit"},
		{name: "truncated text part", req: truncated(post(multipartType, "--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n"+strings.Repeat("x", 1000))),
			violation: ViolationIncomplete, conf: incompleteBlock},
		{name: "upload cut inside a file is logged", req: truncated(post(multipartType, "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"+strings.Repeat("\x00\x01", 500))),
			violation: ViolationIncomplete, conf: incompleteLog, message: "cut inside a file"},
		{name: "incomplete: log", cfg: func(c *Config) { c.Incomplete = IncompleteLog }, req: truncated(post("application/json", `{"a":"b"`)),
			violation: ViolationIncomplete, conf: incompleteLog},
		{name: "json sent as octet-stream", req: post("application/octet-stream", `{"id":"`+sqli+`"}`), violation: "sqli"},
		{name: "json sent as an image", req: post("image/png", `{"id":"`+sqli+`"}`), violation: "sqli"},
		{name: "form sent as pdf", req: post("application/pdf", "id="+strings.ReplaceAll(sqli, " ", "+")), violation: "sqli"},
		{name: "svg is xml", req: post("image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`), violation: "xss"},
		{name: "a real image is not read", req: post("image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"+sqli)},
		{name: "protobuf string", req: post("application/x-protobuf", string(append(protoString(1, "42"), protoString(2, sqli)...))), violation: "sqli"},
		{name: "grpc nested message", req: post("application/grpc", string(grpcFrame(protoString(3, string(append([]byte{0x08, 0x01}, protoString(1, sqli)...)))))), violation: "sqli"},
		{name: "clean grpc", req: post("application/grpc+proto", string(grpcFrame(append(protoString(1, "Ada Lovelace"), protoString(2, "ada@example.com")...))))},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			v := d.Detect(context.Background(), c.req)
			if v.Violation != c.violation {
				t.Fatalf("violation %q, want %q: %+v", v.Violation, c.violation, v)
			}
			if c.conf != 0 && v.Confidence != c.conf {
				t.Errorf("confidence %v, want %v", v.Confidence, c.conf)
			}
			if c.message != "" && !strings.Contains(strings.Join(v.Messages, "\n"), c.message) {
				t.Errorf("messages %q lack %q", v.Messages, c.message)
			}
		})
	}
}

// TestIncompleteExcludedRoute: a route whose exclusions leave nothing to
// report is not reported as incompletely inspected either.
func TestIncompleteExcludedRoute(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Exclusions = []Exclusion{{Route: "POST /upload"}}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := postTo("POST", "/upload", "", "application/json", `{"a":"`+strings.Repeat("x", 100))
	r.BodyTruncated = true
	if v := d.Detect(context.Background(), r); v.Found() {
		t.Fatalf("excluded route reported: %+v", v)
	}
}

func TestIncompleteConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Incomplete = "blok"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "incomplete:") || !strings.Contains(err.Error(), "did you mean block") {
		t.Fatalf("Validate = %v, want an incomplete: error suggesting block", err)
	}
}

// BenchmarkFullBody inspects bodies of the default inspect.body_limit
// (1 MiB) to their end: the most values one can hold, objects of a bulk
// API, prose, and a text value built to make the SQL breakout check read
// on from every quote.
func BenchmarkFullBody(b *testing.B) {
	for _, c := range []struct{ name, unit string }{
		{"tiny strings", `"a",`},
		{"objects", `{"id":"u1","name":"User Name","email":"user@example.com"},`},
		{"prose", `"the quick brown fox jumps, over (the) lazy dog's back",`},
	} {
		body := "[" + strings.Repeat(c.unit, (1<<20-2)/len(c.unit)) + `"x"]`
		runFull(b, c.name, body)
	}
	runFull(b, "quote decoys", `{"q":"`+strings.Repeat("x' or ", (1<<20-10)/6)+`"}`)
}

func runFull(b *testing.B, name, body string) {
	d := newTestDetector(b)
	r := post("application/json", body)
	b.Run(name, func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			d.Detect(context.Background(), r)
		}
	})
}
