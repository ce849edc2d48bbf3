package args_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/args"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
)

// TestDetectorsShareSplit runs protocol and payload on one request, in
// either order, as the pipeline does: each must give the verdict it gives
// on a request of its own, also for pairs past the MaxKept a Set keeps.
func TestDetectorsShareSplit(t *testing.T) {
	prot, err := protocol.New(protocol.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	pay, err := payload.New(payload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("page=2&", args.MaxKept+20)
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, query, ct, body string
		cookie                string
		payload, protocol     bool   // whether each must find something
		msg                   string // a message one of them must give
	}{
		{name: "clean query", query: "page=2&sort=price&q=blue+shoes"},
		{name: "sqli in the query", query: "id=-1+UNION+ALL+SELECT+username,password+FROM+users--", payload: true},
		{name: "sqli past MaxKept", query: pad + "id=-1+UNION+ALL+SELECT+username,password+FROM+users--", payload: true, protocol: true, msg: `sqli: `},
		{name: "line break in a form past MaxKept", ct: form, body: pad + "next=%0d%0aSet-Cookie:%20a=1", protocol: true, msg: "CR/LF"},
		{name: "xss in a form", ct: form, body: "c=%3Cscript%3Ealert(1)%3C/script%3E", payload: true},
		{name: "form body sniffed", body: "a=1&q=<script>alert(1)</script>", payload: true, protocol: true}, // and no Content-Type
		{name: "cookie with a line break", cookie: "a=1; b=x%0d%0aSet-Cookie:%20c=2", payload: true, protocol: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := func() *abuse.Request {
				h := http.Header{"Host": {"app.example.com"}, "Accept": {"*/*"}, "User-Agent": {"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}}
				r := &abuse.Request{Method: "GET", Host: "app.example.com", Path: "/api/items", RawQuery: c.query, Header: h, UserAgent: h.Get("User-Agent")}
				if c.body != "" {
					r.Method, r.Body = "POST", []byte(c.body)
					h.Set("Content-Length", "1")
				}
				if c.ct != "" {
					h.Set("Content-Type", c.ct)
					r.ContentType = c.ct
				}
				if c.cookie != "" {
					h.Set("Cookie", c.cookie)
				}
				return r
			}
			ctx := t.Context()
			wantProt, wantPay := prot.Detect(ctx, req()), pay.Detect(ctx, req())
			if wantPay.Found() != c.payload || wantProt.Found() != c.protocol {
				t.Fatalf("alone: payload found %v (%v), protocol found %v (%v); want %v, %v",
					wantPay.Found(), wantPay.Messages, wantProt.Found(), wantProt.Messages, c.payload, c.protocol)
			}
			if all := strings.Join(append(wantProt.Messages, wantPay.Messages...), "\n"); !strings.Contains(all, c.msg) {
				t.Fatalf("no message holds %q: %s", c.msg, all)
			}
			r := req()
			if gotProt, gotPay := prot.Detect(ctx, r), pay.Detect(ctx, r); !reflect.DeepEqual(gotProt, wantProt) || !reflect.DeepEqual(gotPay, wantPay) {
				t.Errorf("protocol first: %+v, %+v; alone %+v, %+v", gotProt, gotPay, wantProt, wantPay)
			}
			r = req()
			if gotPay, gotProt := pay.Detect(ctx, r), prot.Detect(ctx, r); !reflect.DeepEqual(gotProt, wantProt) || !reflect.DeepEqual(gotPay, wantPay) {
				t.Errorf("payload first: %+v, %+v; alone %+v, %+v", gotProt, gotPay, wantProt, wantPay)
			}
		})
	}
}
