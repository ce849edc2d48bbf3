package sniff

import "testing"

func TestText(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		want bool
	}{
		{"json", `{"id":"1' OR '1'='1"}`, true},
		{"json array after space", "\n  [1, 2, {\"q\": \"x\"}]", true},
		{"form", "user=admin&pass=x", true},
		{"xml", `<?xml version="1.0"?><a>b</a>`, true},
		{"plain", "hello there", true},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", false},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", false},
		{"gif", "GIF89a\x01\x00\x01\x00", false},
		{"pdf in ascii", "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", false},
		{"zip", "PK\x03\x04\x14\x00\x00\x00", false},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", false},
		{"protobuf", "\x0a\x05hello\x10\x96\x01", false},
		{"empty", "", true},
	} {
		if got := Text([]byte(c.body)); got != c.want {
			t.Errorf("%s: Text = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBinary(t *testing.T) {
	for mt, want := range map[string]bool{
		"image/png": true, "application/octet-stream": true, "application/grpc+proto": true,
		"application/grpc-web+proto": true, "video/mp4": true, "application/pdf": true,
		"application/json": false, "text/plain": false, "multipart/form-data": false,
		"application/x-www-form-urlencoded": false, "": false,
	} {
		if got := Binary(mt); got != want {
			t.Errorf("Binary(%q) = %v, want %v", mt, got, want)
		}
	}
}
