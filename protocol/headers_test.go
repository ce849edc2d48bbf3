package protocol

import (
	"net/http"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

func TestWatchTable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RestrictedHeaders = append(cfg.RestrictedHeaders, "range") // also a captured field
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		bits  uint16
		field int8
	}{
		{"Host", 1 << fHost, fHost},
		{"Accept", 1 << fAccept, fAccept},
		{"Accept-Encoding", 1 << fAcceptEncoding, fAcceptEncoding},
		{"Content-Type", 1 << fContentType, fContentType},
		{"Content-Length", 1 << fContentLength, fContentLength},
		{"Transfer-Encoding", 1 << fTransferEncoding, fTransferEncoding},
		{"Range", 1<<fRange | hdrRestricted, fRange},
		{"Connection", 1 << fConnection, fConnection},
		{"Cookie", 1 << fCookie, fCookie},
		{"X-Up-Devcap-Post-Charset", 1 << fCharset, fCharset},
		{"X-Http-Method-Override", hdrMethodOverride, -1},
		{"X-Method-Override", hdrMethodOverride, -1},
		{"Request-Range", hdrRequestRange, -1},
		{"Proxy", hdrRestricted, -1},
		{"If", hdrRestricted, -1},
		{"X-Original-Url", hdrRestricted, -1}, // canonical form of the configured name
	}
	for _, tt := range tests {
		e := d.watch.find(tt.name)
		if e == nil || e.bits != tt.bits || e.field != tt.field {
			t.Errorf("find(%q) = %+v, want bits %#x field %d", tt.name, e, tt.bits, tt.field)
		}
	}
	// Names match exactly, as map keys do.
	for _, name := range []string{"", "host", "ACCEPT", "Accept ", "User-Agent", "Accept-Language",
		"Sec-Fetch-Mode", "Referer", "Content-Range2", "X-Original-URL", "I", "Iff"} {
		if e := d.watch.find(name); e != nil {
			t.Errorf("find(%q) = %+v, want nil", name, e)
		}
	}
}

// TestGatherHeaders checks that the walk over a small header map and the
// lookups in a large one capture the same fields.
func TestGatherHeaders(t *testing.T) {
	d := newDetector(t)
	h := http.Header{
		"Host":                   {"a.example", "b.example"},
		"Accept":                 {},
		"Content-Length":         {"3"},
		"X-Http-Method-Override": {"PUT"},
		"Translate":              {"f"},
		"User-Agent":             {"x"},
	}
	walked := scan{d: d, r: &abuse.Request{Header: h}}
	walked.gatherHeaders()
	looked := scan{d: d, r: &abuse.Request{Header: h}}
	looked.lookupHeaders()
	if walked.hdr.has != looked.hdr.has {
		t.Fatalf("has: walk %#x, lookups %#x", walked.hdr.has, looked.hdr.has)
	}
	want := uint16(1<<fHost | 1<<fAccept | 1<<fContentLength | hdrMethodOverride | hdrRestricted)
	if walked.hdr.has != want {
		t.Errorf("has = %#x, want %#x", walked.hdr.has, want)
	}
	for f := range numFields {
		w, l := walked.hdr.vals[f], looked.hdr.vals[f]
		if len(w) != len(l) || len(w) > 0 && &w[0] != &l[0] {
			t.Errorf("%s: walk %q, lookups %q", fieldNames[f], w, l)
		}
	}
	if got := walked.hdr.vals[fHost]; len(got) != 2 {
		t.Errorf("Host = %q, want both values", got)
	}
	walked.hdr.reset()
	if walked.hdr.has != 0 {
		t.Errorf("reset left has %#x", walked.hdr.has)
	}
	for f, v := range walked.hdr.vals {
		if v != nil {
			t.Errorf("reset left %s: %q", fieldNames[f], v)
		}
	}
}
